"""Probing a rubric with transcripts whose verdict is known: the reference's other correct replies
(each must pass), the do-nothing agent and the scripted adversaries (each must fail).

Every probe is a real transcript and is graded as any other, replay first (Grader.check): the
alternatives reuse the reference replay with another reply; the reply-only adversaries reuse the
replay of the reference's read calls alone (``read_only_tasks``), so each result is what the
adversary really sees and its world is the template; ``overreach`` needs its extra write to really
happen and is replayed through the server by the caller. A probe that does not replay shows nothing
and is reported as such.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from harness.grading.grader import Checked, DeterministicOutcome, Grader
from harness.grading.scope import TaskScope
from harness.tasks import adversaries
from harness.tasks.loader import TaskWithRubric
from harness.tasks.models import ReferenceSolution, Task
from harness.transcript import EpisodeRecord, Message, WorldOutcome


@dataclass(frozen=True)
class ProbeResult:
    name: str  # "alternative 1", "do-nothing", an adversary's name
    passed: bool  # every deterministic criterion met (never, when unverified)
    reward: float  # deterministic criteria met / deterministic criteria
    failed: tuple[str, ...]  # ids of the criteria not met
    unverified: str | None = None  # the probe's calls did not replay to what it records: it shows nothing


def outcome_result(name: str, outcome: DeterministicOutcome) -> ProbeResult:
    results = outcome.results
    failed = tuple(cid for cid, r in results.items() if r.met is not True)
    met = len(results) - len(failed)
    return ProbeResult(name, passed=not failed, reward=met / len(results) if results else 0.0, failed=failed)


def checked_result(name: str, checked: Checked) -> ProbeResult:
    if checked.outcome is None:
        return ProbeResult(name, passed=False, reward=0.0, failed=(), unverified=checked.unverified)
    return outcome_result(name, checked.outcome)


def _replied(messages: list[Message], reply: str | None) -> list[Message]:
    """``messages`` ending in ``reply`` as the model's last turn (no such turn when None)."""
    kept = list(messages)
    if kept and kept[-1].role == "assistant" and not kept[-1].tool_calls:
        kept.pop()
    return kept if reply is None else [*kept, Message(role="assistant", content=reply)]


def _without_calls(messages: list[Message], dropped: set[str]) -> list[Message]:
    kept: list[Message] = []
    for message in messages:
        if message.role == "tool" and message.tool_call_id in dropped:
            continue
        if message.role == "assistant" and message.tool_calls:
            calls = [c for c in message.tool_calls if c.get("id") not in dropped]
            if not calls and not message.content:
                continue
            message = message.model_copy(update={"tool_calls": calls})
        kept.append(message)
    return kept


def with_reply(
    record: EpisodeRecord, reply: str | None, model: str, *, without: frozenset[str] | None = None
) -> EpisodeRecord:
    """The reference record with another final reply, in ``final_reply`` and as the last message
    alike (and, given the write tools ``without``, without its writes: no write calls, no changes;
    such a record replays only where no read depended on a write)."""
    calls, messages = record.tool_calls, record.messages
    update: dict[str, object] = {"model": model, "key": f"{record.task_id}#{model}"}
    if without is not None:
        dropped = {c.call_id for c in calls if c.name in without}
        calls = [c for c in calls if c.call_id not in dropped]
        messages = _without_calls(messages, dropped)
        assert record.world is not None
        update["world"] = WorldOutcome(content_hash=record.world.content_hash, clock=record.world.clock, changes=[])
    update.update(tool_calls=calls, messages=_replied(messages, reply), final_reply=reply)
    return record.model_copy(update=update)


async def probe_alternatives(pair: TaskWithRubric, reference: EpisodeRecord, grader: Grader,
                             world: sqlite3.Connection | None = None) -> list[ProbeResult]:
    """Each of the task's other correct replies, graded with the reference's actions. ``world``:
    the reference's replayed final world, when the caller holds it."""
    return [
        checked_result(f"alternative {n}", await grader.check(with_reply(reference, text, "reference/alternative"), pair, world))
        for n, text in enumerate(pair.task.reference.alternatives, start=1)
    ]


def adversary_records(task: Task, reference: EpisodeRecord, writes: frozenset[str]) -> dict[str, EpisodeRecord]:
    """The transcript of every reply-only adversary that applies to the task, built from
    ``reference``: best the replay of the reference's read calls alone (``read_only_tasks``), whose
    results are what the adversary really sees. ``writes``: the names of the server's tools that
    change the world."""
    seen = [
        adversaries.SeenCall(c.name, c.arguments, c.result)
        for c in reference.tool_calls if c.name not in writes and not c.is_error
    ]
    return {
        name: with_reply(reference, adversaries.reply(name, task, seen), f"scripted/{name}", without=writes)
        for name in adversaries.REPLY_ONLY if adversaries.applies(name, task, writes)
    }


async def probe_adversaries(
    pair: TaskWithRubric, reads: EpisodeRecord, grader: Grader, writes: frozenset[str]
) -> list[ProbeResult]:
    """Every reply-only adversary that applies to the task, replayed and graded deterministically.
    ``reads``: the replay of the task's reference read calls alone."""
    records = adversary_records(pair.task, reads, writes)
    return [checked_result(name, await grader.check(record, pair)) for name, record in records.items()]


def read_only_tasks(tasks: Sequence[Task], writes: frozenset[str]) -> list[Task | None]:
    """Each task with only its reference's read calls (what an adversary makes); None where the
    reference makes no write, so its own replay already is that."""
    changed: list[Task | None] = []
    for task in tasks:
        reads = [c for c in task.reference.calls if c.tool not in writes]
        if len(reads) == len(task.reference.calls):
            changed.append(None)
            continue
        changed.append(task.model_copy(update={"reference": ReferenceSolution(calls=reads, reply=task.reference.reply)}))
    return changed


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
