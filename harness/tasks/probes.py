"""Probing a rubric with transcripts whose verdict is known: the reference's other correct replies
(each must pass), the do-nothing agent and the scripted adversaries (each must fail).

Reply-only probes reuse the reference replay: the adversary's tool calls are the reference's read
calls with the results the reference got, and a read changes nothing, so its world is the
template. ``overreach`` needs its extra write to really happen and is replayed through the server
by the caller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from harness.grading.grader import DeterministicOutcome, Grader
from harness.grading.scope import TaskScope
from harness.tasks import adversaries
from harness.tasks.loader import TaskWithRubric
from harness.tasks.models import ReferenceSolution, Task
from harness.transcript import EpisodeRecord, WorldOutcome


@dataclass(frozen=True)
class ProbeResult:
    name: str  # "alternative 1", "do-nothing", an adversary's name
    passed: bool  # every deterministic criterion met
    reward: float  # deterministic criteria met / deterministic criteria
    failed: tuple[str, ...]  # ids of the criteria not met


def outcome_result(name: str, outcome: DeterministicOutcome) -> ProbeResult:
    results = outcome.results
    failed = tuple(cid for cid, r in results.items() if r.met is not True)
    met = len(results) - len(failed)
    return ProbeResult(name, passed=not failed, reward=met / len(results) if results else 0.0, failed=failed)


def with_reply(
    record: EpisodeRecord, reply: str | None, model: str, *, without: frozenset[str] | None = None
) -> EpisodeRecord:
    """The reference record with another final reply (and, given the write tools ``without``,
    without its writes: no write calls, no changes)."""
    update: dict[str, object] = {"final_reply": reply, "model": model, "key": f"{record.task_id}#{model}"}
    if without is not None:
        writes = without
        update["tool_calls"] = [c for c in record.tool_calls if c.name not in writes]
        assert record.world is not None
        update["world"] = WorldOutcome(content_hash=record.world.content_hash, clock=record.world.clock, changes=[])
    return record.model_copy(update=update)


def probe_alternatives(pair: TaskWithRubric, reference: EpisodeRecord, grader: Grader,
                       world: sqlite3.Connection | None = None) -> list[ProbeResult]:
    """Each of the task's other correct replies, graded with the reference's actions."""
    return [
        outcome_result(f"alternative {n}", grader.deterministic(with_reply(reference, text, "reference/alternative"), pair, world))
        for n, text in enumerate(pair.task.reference.alternatives, start=1)
    ]


def adversary_records(task: Task, reference: EpisodeRecord, writes: frozenset[str]) -> dict[str, EpisodeRecord]:
    """The transcript of every reply-only adversary that applies to the task, built from the
    reference replay. ``writes``: the names of the server's tools that change the world."""
    seen = [
        adversaries.SeenCall(c.name, c.arguments, c.result)
        for c in reference.tool_calls if c.name not in writes and not c.is_error
    ]
    return {
        name: with_reply(reference, adversaries.reply(name, task, seen), f"scripted/{name}", without=writes)
        for name in adversaries.REPLY_ONLY if adversaries.applies(name, task, writes)
    }


def probe_adversaries(
    pair: TaskWithRubric, reference: EpisodeRecord, grader: Grader, writes: frozenset[str]
) -> list[ProbeResult]:
    """Every reply-only adversary that applies to the task, graded deterministically."""
    records = adversary_records(pair.task, reference, writes)
    return [outcome_result(name, grader.deterministic(record, pair)) for name, record in records.items()]


def overreach_tasks(tasks: Sequence[Task], scope: TaskScope) -> list[Task | None]:
    """Each task with the overreach adversary's extra write appended to its reference calls; None
    where the world holds no open ticket outside the task to escalate."""
    changed: list[Task | None] = []
    for task in tasks:
        target = scope.unrelated_open_ticket(task)
        if target is None:
            changed.append(None)
            continue
        solution = ReferenceSolution(calls=[*task.reference.calls, adversaries.overreach_call(target)], reply=task.reference.reply)
        changed.append(task.model_copy(update={"reference": solution}))
    return changed
