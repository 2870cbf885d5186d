"""Grades transcripts: replay first, then deterministic checks, then one judge call for the judge
criteria.

A transcript whose status is ``error`` (an infrastructure failure) is reported as an error and not
graded; ``max_turns`` and ``timeout`` are the model's result and graded normally. Every other
transcript of this checkout's world is replayed (harness/grading/replay.py): one whose calls do not
give back what it records, or whose claimed changes are not what its calls make, is
``unverified`` (never passed, no reward; the reason names the first mismatch), and a verified one is
graded on the replayed world, never on the changes it claims. A transcript with any criterion that
could not be decided (judge failure or malformed verdicts, no judge configured, a different world,
a rubric whose SQL fails) is ``ungraded``: it has no reward and counts neither as passed nor as
failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harness.errors import ConfigurationError, GradingError
from harness.grading.judge import Judge, same_model
from harness.grading.replay import Replayer, ServerFactory, calls_that_reached_the_world
from harness.grading.response import run_response_check
from harness.grading.results import CheckResult, CriterionGrade, EpisodeGrade
from harness.grading.scope import SCOPE_CRITERION_ID, TaskScope
from harness.grading.state import WorldMismatchError, rebuild_world, run_state_check
from harness.grading.trace import run_trace_check
from harness.tasks.loader import TaskWithRubric
from harness.tasks.models import Criterion, JudgeCheck, ResponseCheck, StateCheck, TraceCheck
from harness.transcript import EpisodeRecord
from mcp_server.world.store import Template

NO_JUDGE = "none"


def check_judge_choice(judge_model: str, models: Iterable[str], *, allow_self_judge: bool) -> None:
    """Refuse to let a model grade its own transcripts unless explicitly allowed."""
    if allow_self_judge or judge_model == NO_JUDGE:
        return
    own = sorted({m for m in models if same_model(m, judge_model)})
    if own:
        raise ConfigurationError(
            f"the judge {judge_model} is the model under test ({', '.join(own)}); choose another judge "
            "or pass --allow-self-judge"
        )


@dataclass
class DeterministicOutcome:
    results: dict[str, CheckResult] = field(default_factory=dict)
    judge_criteria: list[Criterion] = field(default_factory=list)


@dataclass
class Checked:
    """A record after its replay. Unverified: ``unverified`` names the first mismatch and there is
    no outcome. Otherwise ``record`` holds the replayed world and ``outcome`` the deterministic
    results."""

    record: EpisodeRecord
    unverified: str | None = None
    outcome: DeterministicOutcome | None = None


class Grader:
    def __init__(
        self,
        suite: Sequence[TaskWithRubric],
        template: Template,
        judge: Judge | None,
        *,
        concurrency: int = 4,
        server_factory: ServerFactory | None = None,
    ) -> None:
        """``server_factory`` builds the server that replays transcripts (default: the real one)."""
        self.suite = {pair.task.id: pair for pair in suite}
        self.template = template
        self.judge = judge
        self.scope = TaskScope(template)
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._server_factory = server_factory
        self._replayer: Replayer | None = None

    @property
    def replayer(self) -> Replayer:
        """The replayer, built on first use; ``async with grader.replayer:`` shares one client."""
        if self._replayer is None:
            self._replayer = Replayer(self.template, server_factory=self._server_factory)
        return self._replayer

    async def check(
        self, record: EpisodeRecord, pair: TaskWithRubric, world: sqlite3.Connection | None = None
    ) -> Checked:
        """Replay the record, then run the deterministic criteria over the replayed world. ``world``:
        that replayed final world, when the caller holds it already (and keeps it)."""
        problem: str | None = None  # why the record cannot be replayed here at all
        if record.world is None:
            problem = "the transcript records no world outcome, so its calls cannot be replayed"
        else:
            try:
                verification = await self.replayer.verify(record)
            except WorldMismatchError as exc:
                problem = str(exc)
            else:
                if not verification.verified:
                    return Checked(record, unverified=verification.problem)
                record = record.model_copy(update={"world": verification.world})
        outcome = self.deterministic(record, pair, world)
        if problem is not None:  # nothing checked its claims: never a pass, only ungraded
            outcome.results[SCOPE_CRITERION_ID] = CheckResult(None, problem)
        return Checked(record, outcome=outcome)

    def deterministic(
        self, record: EpisodeRecord, pair: TaskWithRubric, world: sqlite3.Connection | None = None
    ) -> DeterministicOutcome:
        """Results of the state, trace and response criteria; judge criteria are listed, not run.
        This trusts the record as it stands: ``check`` replays it first. ``world`` is the record's
        final world when the caller has rebuilt it already (and keeps it)."""
        outcome = DeterministicOutcome()
        state_checks = [c for c in pair.rubric.criteria if isinstance(c.check, StateCheck)]
        own_world: sqlite3.Connection | None = None
        world_problem: str | None = None
        if state_checks and world is None and record.world is not None:
            try:
                world = own_world = rebuild_world(self.template, record.world)
            except GradingError as exc:
                world_problem = str(exc)
        try:
            for criterion in pair.rubric.criteria:
                check = criterion.check
                if isinstance(check, StateCheck):
                    outcome.results[criterion.id] = (
                        CheckResult(None, world_problem) if world_problem else run_state_check(world, check)
                    )
                elif isinstance(check, TraceCheck):
                    outcome.results[criterion.id] = run_trace_check(check, calls_that_reached_the_world(record.tool_calls))
                elif isinstance(check, ResponseCheck):
                    outcome.results[criterion.id] = run_response_check(check, record.final_reply, pair.task.clock)
                else:
                    outcome.judge_criteria.append(criterion)
            outcome.results[SCOPE_CRITERION_ID] = (
                self.scope.check(pair.task, record.world.changes) if record.world is not None
                else CheckResult(None, "the transcript records no world changes to check")
            )
        finally:
            if own_world is not None:
                own_world.close()
        return outcome

    async def grade(self, record: EpisodeRecord) -> EpisodeGrade:
        base = {
            "key": record.key, "task_id": record.task_id, "trial": record.trial, "model": record.model,
            "episode_status": record.status, "manifest_hash": record.manifest_hash,
        }
        pair = self.suite.get(record.task_id)
        if pair is not None:
            base.update(category=pair.task.category, difficulty=pair.task.difficulty, split=pair.task.split,
                        rubric_hash=rubric_hash(pair))
        if record.status == "error":
            return EpisodeGrade(**base, status="error", reason=record.error or record.stop_reason or "infrastructure error")
        if pair is None:
            return EpisodeGrade(**base, status="ungraded", reason=f"no task {record.task_id!r} with a rubric under the tasks root")
        checked = await self.check(record, pair)
        if checked.outcome is None:
            return EpisodeGrade(**base, status="unverified", reason=checked.unverified)
        record, outcome = checked.record, checked.outcome  # the record now holds the replayed world
        grade = EpisodeGrade(**base, status="graded")
        if outcome.judge_criteria:
            await self._judge(record, pair, outcome, grade)
        return _finish(grade, pair, outcome.results)

    async def _judge(
        self, record: EpisodeRecord, pair: TaskWithRubric, outcome: DeterministicOutcome, grade: EpisodeGrade
    ) -> None:
        criteria = outcome.judge_criteria
        undecided = [r.reason for r in outcome.results.values() if r.met is None]
        if self.judge is None:
            for c in criteria:
                outcome.results[c.id] = CheckResult(None, "this criterion needs the LLM judge, but grading ran with --judge none")
            return
        if undecided:  # the transcript is ungraded anyway: do not spend judge tokens on it
            for c in criteria:
                outcome.results[c.id] = CheckResult(None, "not sent to the judge: other criteria could not be decided")
            return
        grade.judge, grade.judge_settings = self.judge.model, self.judge.settings
        async with self._limit:
            judged = await self.judge.grade(pair.task, criteria, record)
        grade.judge_key, grade.judge_cached, grade.judge_usage = judged.key, judged.cached, judged.usage
        for c in criteria:
            if judged.verdicts is None:
                outcome.results[c.id] = CheckResult(None, judged.error or "no verdict")
            else:
                verdict = judged.verdicts[c.id]
                outcome.results[c.id] = CheckResult(verdict.met, verdict.reason)

    async def grade_all(self, records: Sequence[EpisodeRecord]) -> list[EpisodeGrade]:
        async with self.replayer:  # one in-process client for every replay
            return list(await asyncio.gather(*(self.grade(r) for r in records)))


def _finish(grade: EpisodeGrade, pair: TaskWithRubric, results: dict[str, CheckResult]) -> EpisodeGrade:
    grade.criteria = [
        CriterionGrade(id=c.id, kind=c.kind, method=c.check.method, met=results[c.id].met, reason=results[c.id].reason)
        for c in pair.rubric.criteria
    ]
    scope = results[SCOPE_CRITERION_ID]
    grade.criteria.append(CriterionGrade(id=SCOPE_CRITERION_ID, kind="constraint", method="scope", met=scope.met, reason=scope.reason))
    undecided = [g for g in grade.criteria if g.met is None]
    if undecided:
        grade.status = "ungraded"
        reasons = list(dict.fromkeys(g.reason for g in undecided))
        grade.reason = "; ".join(reasons)
        return grade
    met = sum(1 for g in grade.criteria if g.met)
    grade.reward = met / len(grade.criteria)
    grade.passed = met == len(grade.criteria)
    return grade


def rubric_hash(pair: TaskWithRubric) -> str:
    return hashlib.sha256(pair.rubric.model_dump_json().encode("utf-8")).hexdigest()


def needs_judge(pairs: Iterable[TaskWithRubric]) -> bool:
    return any(isinstance(c.check, JudgeCheck) for pair in pairs for c in pair.rubric.criteria)
