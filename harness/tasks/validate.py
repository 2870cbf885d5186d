"""`corecraft tasks validate`: every task must be solvable as written, in other words too, and
unsolvable by doing nothing or by gaming the grader.

For each task: its files parse (the loader); the reference solution, replayed through the real
server, makes its calls as written and passes every deterministic criterion (state, trace,
response, and the world-scope criterion the grader adds; judge criteria are skipped and counted);
so does each of its other correct replies (``reference.alternatives``; a held-out task needs at
least two); a do-nothing agent (no tool calls, the reply "I can't help with that.") and every
scripted adversary (harness/tasks/adversaries.py) fail at least one deterministic criterion; every
correctness criterion that requires a claim also names the claims that contradict it (the
commitment rule); every amount and date a training task's replies state is grounded (grounding.py);
every id the task mentions exists in the world the reference leaves behind;
every tool a rubric pattern names exists. Every probe is graded as any transcript is, replay first:
a probe whose calls do not replay to what it records shows nothing, and is a failure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.grading.grader import Grader
from harness.grading.state import rebuild_world
from harness.tasks.entities import table_of_id, task_ids
from harness.tasks.grounding import ungrounded
from harness.tasks.loader import TaskWithRubric, load_suite
from harness.tasks.models import CallPattern, JudgeCheck, ResponseCheck, Task, TraceCheck
from harness.tasks.probes import (
    ProbeResult,
    checked_result,
    overreach_tasks,
    probe_adversaries,
    probe_alternatives,
    read_only_tasks,
)
from harness.tasks.replay import Progress, Replay, ServerFactory, real_server, replay_references
from harness.transcript import EpisodeRecord, Message, WorldOutcome
from mcp_server.world.store import DEFAULT_CLOCK, Template, entity_tables, load_template

DO_NOTHING_REPLY = "I can't help with that."
MIN_HELDOUT_ALTERNATIVES = 2


@dataclass
class TaskValidation:
    task_id: str
    failures: list[str] = field(default_factory=list)
    judge_criteria_skipped: int = 0
    probes: list[ProbeResult] = field(default_factory=list)  # alternatives, do-nothing, adversaries

    @property
    def ok(self) -> bool:
        return not self.failures


def do_nothing_record(task: Task, template: Template) -> EpisodeRecord:
    return EpisodeRecord(
        key=f"{task.id}#do-nothing", task_id=task.id, trial=0, model="baseline/do-nothing", status="completed",
        stop_reason="final_reply", final_reply=DO_NOTHING_REPLY,
        messages=[Message(role="user", content=task.prompt), Message(role="assistant", content=DO_NOTHING_REPLY)],
        world=WorldOutcome(content_hash=template.content_hash, clock=task.clock or DEFAULT_CLOCK, changes=[]),
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


async def check_replay(
    pair: TaskWithRubric, replay: Replay, tool_names: set[str], grader: Grader, template: Template,
    reads: EpisodeRecord | None = None,
) -> TaskValidation:
    """``reads``: the replay of the reference's read calls alone (None: the reference makes no write,
    so its own replay is that)."""
    task, rubric = pair.task, pair.rubric
    result = TaskValidation(task.id)
    result.failures.extend(replay.problems)
    for criterion in rubric.criteria:
        if isinstance(criterion.check, TraceCheck):
            for pattern in _patterns(criterion.check):
                if pattern.tool not in tool_names:
                    result.failures.append(f"criterion {criterion.id}: names the unknown tool {pattern.tool!r}")
        check = criterion.check
        if isinstance(check, ResponseCheck) and criterion.kind == "correctness" and check.asserts() and not check.names_wrong_answers():
            result.failures.append(
                f"criterion {criterion.id}: requires a claim but names no wrong answer (never_says, wrong values or "
                "not_pattern), so a reply that states every answer passes it"
            )
    verification = await grader.replayer.verify(replay.record)
    if verification.world is None:  # a harness bug: the server's own record does not replay
        result.failures.append(f"the reference replay does not verify: {verification.problem}")
        return result
    world = rebuild_world(template, verification.world)  # shared by the state checks and the id checks
    try:
        reference = await grader.check(replay.record, pair, world)
        alternatives = await probe_alternatives(pair, replay.record, grader, world)
        missing = _missing_ids(world, task_ids(task))
    finally:
        world.close()
    result.judge_criteria_skipped = sum(1 for c in rubric.criteria if isinstance(c.check, JudgeCheck))
    assert reference.outcome is not None  # verified just above
    for criterion_id, outcome in reference.outcome.results.items():
        if outcome.met is not True:
            verdict = "could not be checked" if outcome.met is None else "fails"
            result.failures.append(f"reference solution {verdict} criterion {criterion_id}: {outcome.reason}")
    if task.split == "heldout" and len(task.reference.alternatives) < MIN_HELDOUT_ALTERNATIVES:
        result.failures.append(
            f"a held-out task needs at least {MIN_HELDOUT_ALTERNATIVES} alternative correct replies; it has "
            f"{len(task.reference.alternatives)}"
        )
    for probe in alternatives:
        if not probe.passed and probe.unverified is None:
            result.failures.append(f"{probe.name} (a correct reply) fails {', '.join(probe.failed)}")
    if task.split == "train":  # training replies are demonstrations a model learns to imitate
        for name, reply in [("the reference reply", task.reference.reply),
                            *((f"alternative {n}", r) for n, r in enumerate(task.reference.alternatives, start=1))]:
            made_up = ungrounded(reply, task, rubric, replay.record)
            if made_up:
                result.failures.append(f"{name} states {', '.join(made_up)}, which neither the rubric, the prompt nor the "
                                       "reference calls' results give (see harness/tasks/grounding.py)")
    baseline = checked_result("do-nothing", await grader.check(do_nothing_record(task, template), pair))
    cheats = await probe_adversaries(pair, reads or replay.record, grader, replay.write_tools)
    result.probes = [*alternatives, baseline, *cheats]
    result.failures.extend(
        f"the probe {probe.name} does not replay, so it shows nothing: {probe.unverified}"
        for probe in result.probes if probe.unverified is not None
    )
    if all(isinstance(c.check, JudgeCheck) for c in rubric.criteria):
        result.failures.append("the rubric has no deterministic criterion, so nothing shows that a do-nothing agent fails")
    else:
        if baseline.passed:
            result.failures.append(
                f"a do-nothing agent (no tool calls, reply {DO_NOTHING_REPLY!r}) meets every deterministic criterion"
            )
        result.failures.extend(
            f"the adversary scripted/{cheat.name} meets every deterministic criterion" for cheat in cheats if cheat.passed
        )
    if missing:
        result.failures.append(f"ids not found in the world: {', '.join(missing)}")
    return result


async def _check_overreach(pair: TaskWithRubric, replay: Replay, grader: Grader, result: TaskValidation) -> None:
    extra_call = f"reference call {len(replay.task.reference.calls)} "
    refused = [p for p in replay.problems if p.startswith(extra_call)]
    if refused:  # the probe did not happen, so it shows nothing
        result.failures.append(f"the overreach probe could not make its unrelated write: {refused[0]}")
        return
    probe = checked_result("overreach", await grader.check(replay.record, pair))
    result.probes.append(probe)
    if probe.unverified is not None:
        result.failures.append(f"the probe overreach does not replay, so it shows nothing: {probe.unverified}")
    elif probe.passed:
        result.failures.append("the adversary scripted/overreach (the reference plus an unrelated write) meets every deterministic criterion")


async def validate_suite(
    suite: Sequence[TaskWithRubric],
    template: Template | None = None,
    *,
    server_factory: ServerFactory = real_server,
    progress: Progress | None = None,
) -> list[TaskValidation]:
    return (await validate_with_replays(suite, template, server_factory=server_factory, progress=progress))[0]


async def validate_with_replays(
    suite: Sequence[TaskWithRubric],
    template: Template | None = None,
    *,
    server_factory: ServerFactory = real_server,
    progress: Progress | None = None,
) -> tuple[list[TaskValidation], list[Replay], set[str]]:
    """Validate, and also return the reference replays and the server's tool names (for stats)."""
    world = template or load_template()
    tasks = [p.task for p in suite]
    replays, tool_names = await replay_references(tasks, world, server_factory=server_factory, progress=progress)
    grader = Grader(suite, world, judge=None, server_factory=server_factory)
    writes = replays[0].write_tools if replays else frozenset()
    reads = await _replay_variants(read_only_tasks(tasks, writes), world, server_factory, None)  # quick: reads only
    overreach = overreach_tasks(tasks, grader.scope)
    overreaching = await _replay_variants(overreach, world, server_factory, _labelled(progress, "overreach probe"))
    results: list[TaskValidation] = []
    async with grader.replayer:  # one in-process client for every probe's replay
        for pair, replay, read_replay, over in zip(suite, replays, reads, overreaching):
            result = await check_replay(pair, replay, tool_names, grader, world, read_replay.record if read_replay else None)
            if over is not None:
                await _check_overreach(pair, over, grader, result)
            results.append(result)
    grader.scope.close()
    return results, replays, tool_names


def _labelled(progress: Progress | None, label: str) -> Progress | None:
    if progress is None:
        return None
    outer = progress
    return lambda done, total, task_id: outer(done, total, f"{task_id} ({label})")


async def _replay_variants(
    variants: Sequence[Task | None], template: Template, server_factory: ServerFactory, progress: Progress | None
) -> list[Replay | None]:
    """The replays of the variants that exist, in place (None where there is none)."""
    present = [t for t in variants if t is not None]
    done = iter((await replay_references(present, template, server_factory=server_factory, progress=progress))[0] if present else [])
    return [next(done) if t is not None else None for t in variants]


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


@dataclass
class ProbeSummary:
    """How one kind of probe fared over a task set."""

    name: str
    tasks: int = 0
    passed: int = 0
    reward_sum: float = 0.0

    @property
    def mean_reward(self) -> float:
        return self.reward_sum / self.tasks if self.tasks else 0.0


def summarize_probes(results: Sequence[TaskValidation]) -> list[ProbeSummary]:
    """Per probe kind (every alternative counted as "alternatives"): tasks tried, tasks passed, mean reward."""
    summaries: dict[str, ProbeSummary] = {}
    for result in results:
        for probe in result.probes:
            name = "alternatives" if probe.name.startswith("alternative") else probe.name
            summary = summaries.setdefault(name, ProbeSummary(name))
            summary.tasks += 1
            summary.passed += probe.passed
            summary.reward_sum += probe.reward
    return list(summaries.values())


def render_probes(summaries: Sequence[ProbeSummary]) -> str:
    lines = [f"{'probe':<14} {'must':<5} {'tried':>6} {'passed':>7} {'mean reward':>12}"]
    for s in summaries:
        must = "pass" if s.name == "alternatives" else "fail"
        lines.append(f"{s.name:<14} {must:<5} {s.tasks:>6} {s.passed:>7} {s.mean_reward:>12.3f}")
    return "\n".join(lines)
