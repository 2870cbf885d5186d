"""run_audit on the fixture world: each labelled reply is judged on the replayed reference
transcript, and verdicts are scored against labels (errors kept apart as undecided)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from audit_support import audit_root
from corecraft_test_support import FakeJudgeProvider, fixture_server, fixture_template, verdicts_json

from harness.errors import FatalProviderError
from harness.grading.judge import Judge
from harness.grading.judge_audit import AuditReport, LabelledReply, run_audit
from harness.grading.judge_audit.render import render_text
from harness.tasks.loader import load_suite

NAMED = "Hi Bram, Platinum gives you 15% off."
CURT = "Platinum. 15%. That's all."


def items() -> list[LabelledReply]:
    return [
        LabelledReply("fx-tier-discount", "tone", NAMED, True, "reference"),
        LabelledReply("fx-tier-discount", "tone", CURT, False, "negatives.jsonl:1", "no name, curt"),
        LabelledReply("fx-tier-discount", "tone", "Platinum, 15%, sorted?", False, "negatives.jsonl:2", "no name"),
    ]


def final_reply(prompt: str) -> str:
    match = re.search(r"<final_reply>\n(.*)\n</final_reply>", prompt, re.DOTALL)
    assert match is not None
    return match.group(1)


async def audit(tmp_path: Path, answer) -> tuple[AuditReport, FakeJudgeProvider]:  # type: ignore[no-untyped-def]
    suite = load_suite(audit_root(tmp_path), "heldout")
    provider = FakeJudgeProvider(answer)
    report = await run_audit(Judge(provider), suite, items(), fixture_template(), server_factory=fixture_server, concurrency=2)
    return report, provider


async def test_each_reply_is_judged_on_the_reference_transcript_and_scored(tmp_path: Path) -> None:
    def answer(prompt: str) -> str:
        return verdicts_json(("tone", final_reply(prompt) != CURT), reason="judged\nover two lines")

    report, provider = await audit(tmp_path, answer)
    assert sorted(final_reply(p) for p in provider.prompts) == sorted(i.reply for i in items())
    assert [i.outcome for i in report.items] == ["agree", "agree", "false_pass"]
    assert (report.agreement_rate, report.false_pass_rate, report.false_fail_rate) == (pytest.approx(2 / 3), 0.5, 0.0)
    assert report.judge == "anthropic/judge-model" and report.replay_problems == []
    text = render_text(report)
    assert "false pass     1/2     50.0 %" in text and "Wrong verdicts (1):" in text
    assert "fx-tier-discount  tone       not met  met    negatives.jsonl:2  judged over two lines" in text


async def test_judge_failures_are_undecided_and_count_against_agreement_only(tmp_path: Path) -> None:
    report, _ = await audit(tmp_path, lambda _p: FatalProviderError("403 model access denied"))
    assert [i.outcome for i in report.items] == ["undecided"] * 3
    assert (report.agreement_rate, report.false_pass_rate, report.false_fail_rate) == (0.0, 0.0, 0.0)
    assert report.items[0].reason == "the judge anthropic/judge-model failed: 403 model access denied"
    assert "Undecided (3):" in render_text(report) and "Wrong verdicts" not in render_text(report)
    data = report.to_json()
    assert (data["undecided"], data["agreed"], data["results"][1]["label"], data["results"][1]["verdict"]) == (3, 0, False, None)


async def test_an_empty_side_has_no_rate() -> None:
    report = AuditReport(judge="x/y", settings={}, items=[])
    assert (report.agreement_rate, report.false_pass_rate, report.false_fail_rate) == (None, None, None)
    assert "n/a" in render_text(report)
