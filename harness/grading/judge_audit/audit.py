"""Running the judge over the labelled set and scoring its verdicts against the labels.

Each labelled reply is judged in the situation it belongs to: the transcript of the task's
reference solution, replayed once through the real server (so tool calls and world changes are
the expert's), with only the final reply swapped. The judge is asked exactly as the grader asks
it (all judge criteria of the task in one call) and only the labelled criterion's verdict is
scored. A judge error or malformed verdict set is *undecided*: it counts against agreement (a
judge that cannot answer cannot be trusted either) but is listed apart from wrong verdicts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.grading.judge import Judge
from harness.grading.judge_audit.labelled import LabelledReply
from harness.tasks.loader import TaskWithRubric
from harness.tasks.models import JudgeCheck
from harness.tasks.replay import ServerFactory, real_server, replay_references
from harness.transcript import EpisodeRecord, Message
from mcp_server.world.store import Template

AUDIT_MODEL = "judge-audit/labelled-reply"
Outcome = Literal["agree", "false_pass", "false_fail", "undecided"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AuditItem:
    """One labelled reply and what the judge said about its criterion (``verdict`` None: no answer)."""

    labelled: LabelledReply
    verdict: bool | None
    reason: str
    cached: bool = False

    @property
    def outcome(self) -> Outcome:
        if self.verdict is None:
            return "undecided"
        if self.verdict == self.labelled.met:
            return "agree"
        return "false_pass" if self.verdict else "false_fail"

    def to_json(self) -> dict[str, Any]:
        item = self.labelled
        return {
            "task_id": item.task_id, "criterion_id": item.criterion_id, "label": item.met, "source": item.source,
            "why": item.why, "verdict": self.verdict, "reason": self.reason, "outcome": self.outcome,
            "cached": self.cached, "reply": item.reply,
        }


def _rate(count: int, total: int) -> float | None:
    return count / total if total else None


@dataclass
class AuditReport:
    """Every item's verdict, and the rates users read: agreement over all items, false passes over
    the negatives, false fails over the positives."""

    judge: str
    settings: dict[str, Any]
    items: list[AuditItem]
    replay_problems: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def positives(self) -> int:
        return sum(1 for item in self.items if item.labelled.met)

    @property
    def negatives(self) -> int:
        return len(self.items) - self.positives

    @property
    def agreement_rate(self) -> float | None:
        return _rate(self.count("agree"), len(self.items))

    @property
    def false_pass_rate(self) -> float | None:
        return _rate(self.count("false_pass"), self.negatives)

    @property
    def false_fail_rate(self) -> float | None:
        return _rate(self.count("false_fail"), self.positives)

    @property
    def criteria(self) -> int:
        return len({(item.labelled.task_id, item.labelled.criterion_id) for item in self.items})

    def to_json(self) -> dict[str, Any]:
        return {
            "judge": self.judge, "settings": self.settings, "criteria": self.criteria,
            "items": len(self.items), "positives": self.positives, "negatives": self.negatives,
            "agreed": self.count("agree"), "false_passes": self.count("false_pass"),
            "false_fails": self.count("false_fail"), "undecided": self.count("undecided"),
            "agreement_rate": self.agreement_rate, "false_pass_rate": self.false_pass_rate,
            "false_fail_rate": self.false_fail_rate, "replay_problems": self.replay_problems,
            "results": [item.to_json() for item in self.items],
        }


def with_reply(record: EpisodeRecord, reply: str, number: int) -> EpisodeRecord:
    """The reference transcript with ``reply`` as its final answer (and last assistant message)."""
    messages = [m for m in record.messages if not (m.role == "assistant" and not m.tool_calls)]
    messages.append(Message(role="assistant", content=reply))
    return record.model_copy(update={
        "key": f"{record.task_id}#audit-{number}", "trial": number, "model": AUDIT_MODEL,
        "final_reply": reply, "messages": messages,
    })


async def run_audit(
    judge: Judge,
    suite: Sequence[TaskWithRubric],
    items: Sequence[LabelledReply],
    template: Template,
    *,
    concurrency: int = 4,
    server_factory: ServerFactory = real_server,
    progress: Progress | None = None,
) -> AuditReport:
    """Judge every item (``concurrency`` calls in flight) and return the scored report."""
    by_id = {pair.task.id: pair for pair in suite}
    involved = list(dict.fromkeys(item.task_id for item in items))
    replays, _ = await replay_references([by_id[t].task for t in involved], template, server_factory=server_factory)
    records = {replay.task.id: replay.record for replay in replays}
    problems = [f"{replay.task.id}: {p}" for replay in replays for p in replay.problems]
    limit = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def judge_one(number: int, item: LabelledReply) -> AuditItem:
        nonlocal done
        pair = by_id[item.task_id]
        criteria = [c for c in pair.rubric.criteria if isinstance(c.check, JudgeCheck)]
        async with limit:
            outcome = await judge.grade(pair.task, criteria, with_reply(records[item.task_id], item.reply, number))
        done += 1
        if progress is not None:
            progress(done, len(items))
        if outcome.verdicts is None:
            return AuditItem(item, None, outcome.error or "no verdict", outcome.cached)
        verdict = outcome.verdicts[item.criterion_id]
        return AuditItem(item, verdict.met, verdict.reason, outcome.cached)

    results = await asyncio.gather(*(judge_one(n, item) for n, item in enumerate(items, start=1)))
    return AuditReport(judge=judge.model, settings=judge.settings, items=list(results), replay_problems=problems)
