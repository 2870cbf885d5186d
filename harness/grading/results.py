"""What grading produces: one EpisodeGrade per transcript (a line of grades.jsonl)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from harness.transcript import Usage

GRADES_VERSION = 1

# graded: every criterion has a verdict. ungraded: at least one could not be decided (judge
# failure, malformed verdicts, a different world, a broken rubric): neither passed nor failed.
# unverified: replaying the transcript's calls did not give back what it records (see
# harness/grading/replay.py): never passed, no reward, counted apart; the reason names the first
# mismatch. error: the episode itself failed for infrastructure reasons and is not graded.
GradeStatus = Literal["graded", "ungraded", "unverified", "error"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``met`` is None when it could not be decided."""

    met: bool | None
    reason: str


class CriterionGrade(BaseModel):
    id: str
    kind: str
    method: str
    met: bool | None
    reason: str


class EpisodeGrade(BaseModel):
    version: int = GRADES_VERSION
    key: str
    task_id: str
    trial: int
    model: str
    status: GradeStatus
    reward: float | None = Field(default=None, description="Criteria met / criteria; None unless graded")
    passed: bool | None = Field(default=None, description="Every criterion met; None unless graded")
    criteria: list[CriterionGrade] = Field(default_factory=list)
    judge: str | None = Field(default=None, description="The judge model, when a criterion needed it")
    judge_settings: dict[str, Any] | None = Field(default=None, description="The judge's sampling settings")
    judge_key: str | None = Field(default=None, description="sha256 of everything the judge saw (the cache key)")
    judge_cached: bool | None = None
    judge_usage: Usage | None = None
    reason: str | None = Field(default=None, description="Why the transcript is ungraded, unverified or an error")
    episode_status: str = ""
    category: str | None = None
    difficulty: str | None = None
    split: str | None = None
    manifest_hash: str = ""
    rubric_hash: str | None = Field(default=None, description="sha256 of the rubric graded against")
