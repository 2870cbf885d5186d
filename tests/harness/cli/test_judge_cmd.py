"""`corecraft judge audit` end to end on the real held-out tasks and world, with a stub judge behind
the real OpenAI adapter: the SDK sends real Chat Completions requests to an httpx2 MockTransport,
so nothing leaves the process."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

import harness.grading.judge as judge_module
from harness.cli.main import main
from harness.grading.judge import create_judge_provider
from harness.grading.judge_audit.labelled import labelled_set

REPO = Path(__file__).resolve().parents[3]
TASKS = ["com-021", "ir-011", "ms-022"]  # a customer reply, a refusal, and a criterion that sees tool calls
JUDGE = "openai/judge-under-audit"
Answer = Callable[[str, list[str]], str]  # (the agent's final reply, criterion ids) -> the judge's text


class StubJudge:
    """Speaks Chat Completions: reads the judge prompt from the request, answers with ``answer``."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        self.prompts.append(prompt)
        reply = re.search(r"<final_reply>\n(.*)\n</final_reply>", prompt, re.DOTALL)
        ids = re.search(r"in this order: (.*)\. No other ids", prompt)
        assert reply is not None and ids is not None
        text = self.answer(reply.group(1), json.loads(f"[{ids.group(1)}]"))
        message = {"role": "assistant", "content": text}
        return httpx2.Response(200, json={
            "id": "c1", "object": "chat.completion", "created": 0, "model": "judge-under-audit",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 30, "total_tokens": 930},
        })


def verdicts(ids: list[str], met: bool) -> str:
    return json.dumps({"verdicts": [{"id": i, "reason": "checked against the criterion", "met": met} for i in ids]})


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Callable[[Answer], StubJudge]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-judge")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)

    def install(answer: Answer) -> StubJudge:
        judge = StubJudge(answer)

        def provider(model: str, **kwargs: Any) -> Any:
            client = httpx2.AsyncClient(transport=httpx2.MockTransport(judge))
            return create_judge_provider(model, http_client=client, **kwargs)

        monkeypatch.setattr(judge_module, "create_judge_provider", provider)
        return judge

    return install


def audit(*extra: str, tasks: list[str] = TASKS) -> int:
    task_flags = [flag for task in tasks for flag in ("--task", task)]
    return main(["judge", "audit", "--judge", JUDGE, "--tasks-root", str(REPO), *task_flags, *extra])


def report(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any], str]:
    code = audit("--json", *extra)
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_a_judge_that_always_says_met_passes_every_negative(stub, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    judge = stub(lambda _reply, ids: verdicts(ids, True))
    labelled = labelled_set(REPO, task_ids=TASKS)
    assert {item.task_id for item in labelled} == set(TASKS)  # each chosen task still has a judge criterion
    code, data, err = report(capsys)
    assert code == 0
    assert data["negatives"] == sum(not i.met for i in labelled) >= 2 * len(TASKS)
    assert data["positives"] == sum(i.met for i in labelled) >= len(TASKS)
    assert (data["false_pass_rate"], data["false_fail_rate"]) == (1.0, 0.0)
    assert data["false_passes"] == data["negatives"] and data["agreed"] == data["positives"]
    assert len(judge.prompts) == data["items"] == data["positives"] + data["negatives"]
    assert f"judging labelled replies: {data['items']}/{data['items']}" in err
    ms022 = [p for p in judge.prompts if "sofia.kettering401@example.com" in p]
    assert ms022 and all('"tool": "validateBuildCompatibility"' in p for p in ms022)  # the reference's calls as evidence
    assert audit() == 0
    text = capsys.readouterr().out
    assert "false pass  " in text and "100.0 %" in text and "Wrong verdicts" in text
    refusal = next(i for i in labelled if i.task_id == "ir-011" and not i.met)
    assert re.search(rf"ir-011\s+{re.escape(refusal.criterion_id)}\s+not met\s+met\s+rubrics/judge-audit/negatives\.jsonl:\d+\s+checked", text)


def test_a_judge_that_answers_correctly_agrees_on_everything(stub, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    labels = {item.reply: item.met for item in labelled_set(REPO, task_ids=TASKS)}
    stub(lambda reply, ids: verdicts(ids, labels[reply]))
    code, data, _ = report(capsys, "--min-agreement", "100%")
    assert code == 0
    assert (data["agreement_rate"], data["false_pass_rate"], data["false_fail_rate"], data["undecided"]) == (1.0, 0.0, 0.0, 0)
    assert {r["outcome"] for r in data["results"]} == {"agree"}


def test_malformed_judge_replies_are_undecided_not_a_traceback(stub, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    stub(lambda _reply, _ids: '{"verdicts": [{"id": "x", "reason": "ok", "met": "yes"}')
    assert audit("--quiet") == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""
    assert "agreement      0/" in captured.out and "Undecided (" in captured.out
    assert "malformed judge reply: the reply is not one JSON object" in captured.out
    assert "Wrong verdicts" not in captured.out
    code, data, err = report(capsys, "--quiet", "--min-agreement", "0.5")
    assert code == 1 and data["undecided"] == data["items"] and data["false_passes"] == data["false_fails"] == 0
    assert "agreement 0.0% is below --min-agreement 50.0%" in err


def test_the_cache_is_used_only_when_asked(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    judge = stub(lambda _reply, ids: verdicts(ids, True))
    one_task = TASKS[:1]
    items = len(labelled_set(REPO, task_ids=one_task))
    assert items >= 3  # a reference and two negatives at least
    audit("--quiet", tasks=one_task)
    audit("--quiet", tasks=one_task)
    asked = len(judge.prompts)
    assert asked == 2 * items  # fresh verdicts both times
    cache = ["--cache", str(tmp_path / "judge-cache")]
    audit("--quiet", *cache, tasks=one_task)
    capsys.readouterr()
    audit("--quiet", "--json", *cache, tasks=one_task)
    assert len(judge.prompts) == asked * 3 // 2  # the second cached run asked nothing
    assert {r["cached"] for r in json.loads(capsys.readouterr().out)["results"]} == {True}


def test_a_bad_labelled_set_line_stops_the_audit_with_file_and_line(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    judge = stub(lambda _reply, ids: verdicts(ids, True))
    bad = tmp_path / "negatives.jsonl"
    bad.write_text(json.dumps({"task_id": "com-014", "criterion_id": "next_steps", "reply": "Delivered.", "why": "no step"}) + "\n",
                   encoding="utf-8")
    assert audit("--negatives", str(bad)) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: unknown criterion 'next_steps' for task com-014" in err and "Traceback" not in err
    assert judge.prompts == []


def test_usage_problems_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge", "audit", "--judge", "none"]) == 2
    assert "an audit needs a judge model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["judge", "audit", "--judge", JUDGE, "--min-agreement", "1.5"])
    assert "must be between 0 and 1" in capsys.readouterr().err
