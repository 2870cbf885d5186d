"""The task and rubric formats (JSON files under tasks/ and rubrics/).

A task is what the agent is asked, by whom, at what world time, and how an expert would solve it.
A rubric is the list of binary criteria a transcript must meet; each criterion says how it is
checked: ``state`` (SQL over the final world), ``trace`` (a rule over tool calls), ``response``
(deterministic checks of the final reply) or ``judge`` (an LLM judge).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["information_retrieval", "communication", "reasoning", "multi_step"]
Difficulty = Literal["easy", "medium", "hard"]
CriterionKind = Literal["completeness", "correctness", "constraint", "format"]
TASK_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,80}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferenceCall(Strict):
    tool: str = Field(description="Tool name, e.g. getOrderDetails")
    arguments: dict[str, Any] = Field(default_factory=dict)


class ReferenceSolution(Strict):
    calls: list[ReferenceCall] = Field(description="The tool calls an expert would make, in order")
    reply: str = Field(description="The final reply an expert would send")


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


# --- how criteria are checked -------------------------------------------------------------


class StateCheck(Strict):
    """Run ``sql`` on the episode's final world (tables plus ``_changes``, the episode's row
    changes) and compare. ``expect`` is compared with the single value of a one-row, one-column
    result, or with the list of rows (each a list) otherwise. Numbers match within ``tolerance``."""

    method: Literal["state"] = "state"
    sql: str
    expect: Any
    tolerance: float = 0.005


class CallPattern(Strict):
    tool: str
    where: dict[str, Any] = Field(
        default_factory=dict, description="Argument values the call must have (strings compare case-insensitively)"
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
    min: int = 1
    max: int | None = None


class NumberExpectation(Strict):
    value: float
    tolerance: float = 0.01


class ResponseCheck(Strict):
    """Deterministic checks of the final reply; all given parts must hold."""

    method: Literal["response"] = "response"
    contains_all: list[str] = Field(default_factory=list, description="Case-insensitive substrings that must all appear")
    contains_any: list[str] = Field(default_factory=list, description="At least one must appear")
    not_contains: list[str] = Field(default_factory=list, description="None may appear")
    numbers: list[NumberExpectation] = Field(default_factory=list, description="Numbers that must appear (within tolerance)")
    pattern: str | None = Field(default=None, description="A regular expression that must match")
    not_pattern: str | None = Field(default=None, description="A regular expression that must not match")


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
