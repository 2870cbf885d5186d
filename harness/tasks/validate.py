"""`corecraft tasks validate`: every task must be solvable as written and unsolvable by doing nothing.

For each task: its files parse (the loader); the reference solution, replayed through the real
server, makes its calls as written and passes every deterministic criterion (state, trace,
response; judge criteria are skipped and counted); a do-nothing agent (no tool calls, the reply
"I can't help with that.") fails at least one deterministic criterion; every id the task mentions
(requester, entities, ids in reference arguments) exists in the world the reference leaves behind;
every tool a rubric pattern names exists.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.grading.grader import Grader
from harness.grading.state import rebuild_world
from harness.tasks.entities import table_of_id, task_ids
from harness.tasks.loader import TaskWithRubric, load_suite
from harness.tasks.models import CallPattern, JudgeCheck, TraceCheck
from harness.tasks.replay import Progress, Replay, ServerFactory, real_server, replay_references
from harness.transcript import EpisodeRecord, WorldOutcome
from mcp_server.world.store import DEFAULT_CLOCK, Template, entity_tables, load_template

DO_NOTHING_REPLY = "I can't help with that."


@dataclass
class TaskValidation:
    task_id: str
    failures: list[str] = field(default_factory=list)
    judge_criteria_skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def do_nothing_record(task_id: str, clock: str | None, template: Template) -> EpisodeRecord:
    return EpisodeRecord(
        key=f"{task_id}#do-nothing", task_id=task_id, trial=0, model="baseline/do-nothing", status="completed",
        stop_reason="final_reply", final_reply=DO_NOTHING_REPLY,
        world=WorldOutcome(content_hash=template.content_hash, clock=clock or DEFAULT_CLOCK, changes=[]),
    )


def _patterns(check: TraceCheck) -> list[CallPattern]:
    return [p for p in (check.call, check.first, check.then) if p is not None]


def _missing_ids(world: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
    tables = entity_tables(world)
    return [i for i in ids if not _exists(world, i, tables)]


def _exists(world: sqlite3.Connection, value: str, tables: list[str]) -> bool:
    table = table_of_id(value)
    candidates = [table] if table in tables else tables  # unknown prefix: look everywhere
    return any(
        world.execute(f'SELECT 1 FROM "{name}" WHERE id = ? LIMIT 1', (value,)).fetchone() is not None
        for name in candidates
    )


def check_replay(pair: TaskWithRubric, replay: Replay, tool_names: set[str], grader: Grader, template: Template) -> TaskValidation:
    task, rubric = pair.task, pair.rubric
    result = TaskValidation(task.id)
    result.failures.extend(replay.problems)
    for criterion in rubric.criteria:
        if isinstance(criterion.check, TraceCheck):
            for pattern in _patterns(criterion.check):
                if pattern.tool not in tool_names:
                    result.failures.append(f"criterion {criterion.id}: names the unknown tool {pattern.tool!r}")
    assert replay.record.world is not None
    world = rebuild_world(template, replay.record.world)  # shared by the state checks and the id checks
    try:
        reference = grader.deterministic(replay.record, pair, world)
        missing = _missing_ids(world, task_ids(task))
    finally:
        world.close()
    result.judge_criteria_skipped = sum(1 for c in rubric.criteria if isinstance(c.check, JudgeCheck))
    for criterion in rubric.criteria:
        outcome = reference.results.get(criterion.id)
        if outcome is not None and outcome.met is not True:
            verdict = "could not be checked" if outcome.met is None else "fails"
            result.failures.append(f"reference solution {verdict} criterion {criterion.id}: {outcome.reason}")
    baseline = grader.deterministic(do_nothing_record(task.id, task.clock, template), pair)
    if not reference.results:
        result.failures.append("the rubric has no deterministic criterion, so nothing shows that a do-nothing agent fails")
    elif all(r.met is True for r in baseline.results.values()):
        result.failures.append(
            f"a do-nothing agent (no tool calls, reply {DO_NOTHING_REPLY!r}) meets every deterministic criterion"
        )
    if missing:
        result.failures.append(f"ids not found in the world: {', '.join(missing)}")
    return result


async def validate_suite(
    suite: Sequence[TaskWithRubric],
    template: Template | None = None,
    *,
    server_factory: ServerFactory = real_server,
    progress: Progress | None = None,
) -> list[TaskValidation]:
    world = template or load_template()
    replays, tool_names = await replay_references([p.task for p in suite], world, server_factory=server_factory, progress=progress)
    grader = Grader(suite, world, judge=None)
    return [check_replay(pair, replay, tool_names, grader, world) for pair, replay in zip(suite, replays)]


async def validate(
    root: str | Path = ".",
    split: str | None = None,
    ids: Sequence[str] | None = None,
    *,
    template: Template | None = None,
    server_factory: ServerFactory = real_server,
    progress: Progress | None = None,
) -> list[TaskValidation]:
    """Load (raising TaskFilesError on malformed files) and validate every selected task."""
    suite = load_suite(root, split, ids)
    return await validate_suite(suite, template, server_factory=server_factory, progress=progress)
