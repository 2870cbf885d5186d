"""The task and rubric formats (JSON files under tasks/ and rubrics/).

A task is what the agent is asked, by whom, at what world time, and how an expert would solve it.
A rubric is the list of binary criteria a transcript must meet; each criterion says how it is
checked: ``state`` (SQL over the final world), ``trace`` (a rule over tool calls), ``response``
(deterministic checks of the final reply) or ``judge`` (an LLM judge).

The JSON schemas in tasks/task.schema.json and rubrics/rubric.schema.json are generated from
these models (``python -m harness.tasks.schema``).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Category = Literal["information_retrieval", "communication", "reasoning", "multi_step"]
Difficulty = Literal["easy", "medium", "hard"]
CriterionKind = Literal["completeness", "correctness", "constraint", "format"]
CheckMethod = Literal["state", "trace", "response", "judge"]
TASK_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,80}$"
RESERVED_CRITERION_ID = "world_scope"  # harness/grading/scope.py adds it to every rubric
REQUESTER_ID_PREFIX = {"customer": "cus-", "employee": "emp-"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferenceCall(Strict):
    tool: str = Field(description="Tool name, e.g. getOrderDetails")
    arguments: dict[str, Any] = Field(default_factory=dict)
    expect_error: bool = Field(
        default=False,
        description="The expert expects this call to be refused (e.g. a return outside the window); "
        "validation fails if it succeeds, and fails for any other reference call that errors",
    )


class ReferenceSolution(Strict):
    calls: list[ReferenceCall] = Field(description="The tool calls an expert would make, in order")
    reply: str = Field(min_length=1, description="The final reply an expert would send")
    alternatives: list[str] = Field(
        default_factory=list,
        description="Other correct final replies (paraphrases in other words, order and formats); with the "
        "reference's calls, each must pass every deterministic criterion",
    )


class Task(Strict):
    id: str = Field(pattern=TASK_ID_PATTERN)
    split: Literal["train", "heldout"]
    category: Category
    difficulty: Difficulty
    requester: Literal["customer", "employee"]
    requester_id: str = Field(description="The customer (cus-...) or employee (emp-...) who asks")
    prompt: str = Field(min_length=1, description="The task, as the one user message the agent receives")
    clock: str | None = Field(default=None, description="World clock (ISO-8601 with zone) if not the default")
    entities: list[str] = Field(default_factory=list, description="World ids the task is about")
    reference: ReferenceSolution
    tags: list[str] = Field(default_factory=list)
    family: str | None = Field(default=None, description="Template family of a generated training task")

    @field_validator("clock")
    @classmethod
    def _clock_has_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not ISO-8601, e.g. 2025-09-15T14:00:00-04:00") from exc
        if moment.tzinfo is None:
            raise ValueError(f"{value!r} needs a time zone offset, e.g. 2025-09-15T14:00:00-04:00")
        return value

    @field_validator("requester_id")
    @classmethod
    def _requester_id_matches_requester(cls, value: str, info: ValidationInfo) -> str:
        requester = info.data.get("requester")  # absent when the requester itself is invalid
        prefix = REQUESTER_ID_PREFIX.get(requester or "")
        if prefix and not value.startswith(prefix):
            article = "an" if requester == "employee" else "a"
            raise ValueError(f"{article} {requester}'s id must start with {prefix!r}")
        return value


# --- how criteria are checked -------------------------------------------------------------


class StateCheck(Strict):
    """Run ``sql`` (one read-only SELECT) on the episode's final world: the template with the
    episode's row changes applied, plus ``_changes`` (seq, tbl, row_id, op, before, after: the
    episode's row changes, JSON row images). Comparison:

    - a result of one row and one column is compared with a non-list ``expect`` as a scalar;
    - otherwise ``expect`` is a list of rows (each a list of column values), compared as a
      multiset (``ordered: true`` compares in order); ``[]`` expects no rows.

    Numbers (and booleans, as 0/1) match within ``tolerance``; strings match exactly; null
    matches only null."""

    method: Literal["state"] = "state"
    sql: str = Field(min_length=1)
    expect: Any
    tolerance: float = Field(default=0.005, ge=0)
    ordered: bool = Field(default=False, description="Compare rows in order (use with ORDER BY)")


class CallPattern(Strict):
    tool: str
    where: dict[str, Any] = Field(
        default_factory=dict,
        description="Argument values the call must have. Strings compare case-insensitively (ends trimmed), "
        "numbers within 0.005 (numeric strings count as numbers), lists element by element in order, "
        "objects by the keys given (a subset), null only with a missing or null argument",
    )
    succeeded: bool | None = Field(default=None, description="Only calls that did (True) or did not (False) error")


class TraceCheck(Strict):
    """A rule over the transcript's tool calls.

    - ``called``: at least ``min`` (and at most ``max``) calls match ``call``.
    - ``not_called``: no call matches ``call``.
    - ``order``: some call matching ``first`` happens before the first call matching ``then``
      (and ``then`` happens at least once).
    - ``max_calls``: at most ``max`` tool calls in all (guards against loops).
    """

    method: Literal["trace"] = "trace"
    rule: Literal["called", "not_called", "order", "max_calls"]
    call: CallPattern | None = None
    first: CallPattern | None = None
    then: CallPattern | None = None
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _fields_fit_rule(self) -> TraceCheck:
        needs = {"called": ("call",), "not_called": ("call",), "order": ("first", "then"), "max_calls": ("max",)}
        missing = [name for name in needs[self.rule] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"rule {self.rule!r} needs {', '.join(missing)}")
        if self.max is not None and self.max < self.min and self.rule == "called":
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class NumberExpectation(Strict):
    value: float
    tolerance: float = Field(default=0.01, ge=0)
    wrong: list[float] = Field(
        default_factory=list,
        description="Values an agent can fall into instead (the trap value, the capped count, the other tier's "
        "discount); stating any of them fails the criterion even when the right value is stated too",
    )


class DateExpectation(Strict):
    value: date = Field(description="The right calendar date, YYYY-MM-DD")
    wrong: list[date] = Field(default_factory=list, description="Dates that are wrong answers (the UTC day, day 31, ...)")


class ResponseCheck(Strict):
    """Deterministic checks of the final reply, read as claims (harness/grading/claims.py); all given
    parts must hold. A phrase, number or date counts only when it is *stated*: whole words, in a
    clause that is not a question or hedged ("if", "maybe", "either" ...), with no negator just
    before it ("not eligible" does not state "eligible"). Numbers are whole tokens (never digits
    inside ids, codes, dates or times; number words count); dates are read in US, ISO and long forms.
    With no final reply every response check fails, negative ones included."""

    method: Literal["response"] = "response"
    says_all: list[str] = Field(default_factory=list, description="Phrases that must all be stated")
    says_any: list[str] = Field(default_factory=list, description="At least one must be stated")
    never_says: list[str] = Field(
        default_factory=list, description="Wrong or opposite claims: stating any fails the criterion"
    )
    mentions_all: list[str] = Field(
        default_factory=list,
        description="Phrases that must all occur as whole words anywhere, questions and conditionals included "
        "(for what a reply asks or offers, not for facts)",
    )
    mentions_any: list[str] = Field(default_factory=list, description="At least one must occur as whole words anywhere")
    numbers: list[NumberExpectation] = Field(default_factory=list, description="Numbers that must be stated")
    dates: list[DateExpectation] = Field(default_factory=list, description="Dates that must be stated")
    pattern: str | None = Field(default=None, description="A regular expression (case-insensitive) that must match")
    not_pattern: str | None = Field(default=None, description="A regular expression (case-insensitive) that must not match")

    @field_validator("pattern", "not_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _has_a_part(self) -> ResponseCheck:
        if not (self.asserts() or self.never_says or self.not_pattern):
            raise ValueError(
                "a response check needs at least one of says_all, says_any, mentions_all, mentions_any, never_says, "
                "numbers, dates, pattern, not_pattern"
            )
        return self

    def asserts(self) -> bool:
        """Whether the check requires the reply to state something (not only to avoid something)."""
        return bool(
            self.says_all or self.says_any or self.mentions_all or self.mentions_any or self.numbers or self.dates or self.pattern
        )

    def names_wrong_answers(self) -> bool:
        """The commitment rule: a check that requires a claim also names the claims that contradict it."""
        return bool(self.never_says or self.not_pattern or any(n.wrong for n in self.numbers) or any(d.wrong for d in self.dates))


class JudgeCheck(Strict):
    """Graded by the LLM judge, which sees the task, the criterion and the final reply, and
    optionally the tool calls and world changes."""

    method: Literal["judge"] = "judge"
    include: list[Literal["tool_calls", "changes"]] = Field(default_factory=list)
    guidance: str | None = Field(default=None, description="What the judge should look for")


Check = Annotated[StateCheck | TraceCheck | ResponseCheck | JudgeCheck, Field(discriminator="method")]


class Criterion(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    text: str = Field(min_length=1, description="The criterion as an expert would write it")
    kind: CriterionKind
    check: Check


class Rubric(Strict):
    task_id: str = Field(pattern=TASK_ID_PATTERN)
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _criterion_ids_unique(self) -> Rubric:
        if any(c.id == RESERVED_CRITERION_ID for c in self.criteria):
            raise ValueError(f"the criterion id {RESERVED_CRITERION_ID!r} is reserved: the grader adds it to every rubric")
        counts = Counter(c.id for c in self.criteria)
        duplicates = sorted(cid for cid, n in counts.items() if n > 1)
        if duplicates:
            raise ValueError(f"duplicate criterion ids: {', '.join(duplicates)}")
        return self
