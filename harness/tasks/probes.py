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


def with_reply(record: EpisodeRecord, reply: str | None, model: str, *, reads_only: bool = False) -> EpisodeRecord:
    """The reference record with another final reply (and, for reads_only, without its writes)."""
    update: dict[str, object] = {"final_reply": reply, "model": model, "key": f"{record.task_id}#{model}"}
    if reads_only:
        writes = adversaries.write_tools()
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


def probe_adversaries(pair: TaskWithRubric, reference: EpisodeRecord, grader: Grader) -> list[ProbeResult]:
    """Every reply-only adversary that applies to the task, graded deterministically."""
    task = pair.task
    seen = [
        adversaries.SeenCall(c.name, c.arguments, c.result)
        for c in reference.tool_calls if c.name not in adversaries.write_tools() and not c.is_error
    ]
    results = []
    for name in adversaries.REPLY_ONLY:
        if not adversaries.applies(name, task):
            continue
        record = with_reply(reference, adversaries.reply(name, task, seen), f"scripted/{name}", reads_only=True)
        results.append(outcome_result(name, grader.deterministic(record, pair)))
    return results


def overreach_tasks(tasks: Sequence[Task], scope: TaskScope, tickets: Sequence[tuple[str, str, str]]) -> list[Task]:
    """Each task with the overreach adversary's extra write appended to its reference calls."""
    changed = []
    for task in tasks:
        target = adversaries.unrelated_ticket(scope.of_task(task), tickets)
        calls = list(task.reference.calls)
        if target is not None:
            calls.append(adversaries.overreach_call(target))
        solution = ReferenceSolution(calls=calls, reply=task.reference.reply)
        changed.append(task.model_copy(update={"reference": solution}))
    return changed
