"""``scripted/reference``: replays the task's reference solution. No network, no key, no cost.

``scripted/<adversary>`` (spray, hedge, contradict, ..., see harness/tasks/adversaries.py) makes the
reference's read calls and then replies as a reward hacker would; ``scripted/overreach`` replays the
whole reference and escalates an unrelated ticket too. They exist to show that no such agent passes.

Replay shape: ONE tool call per turn, in the reference order, then one final turn holding the
reference reply and no calls. One call per turn means every result is returned before the next
call is made, as a careful agent would do it, and turn counts equal calls + 1. Reference calls
run as written whatever the earlier results were; errors are the loop's to record.

Useful to check the world, the tools, the runner and the rubrics end to end without a model: a
correct reference should pass its own rubric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigurationError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.providers.common import PendingCalls, ProviderBase
from harness.providers.settings import ModelSettings, reject_unsupported
from harness.tasks import adversaries
from harness.tasks.models import ReferenceCall, Task
from harness.transcript import Usage

SCRIPTS = ("reference", *adversaries.ADVERSARIES)


@dataclass(frozen=True)
class ScriptStep:
    """One scripted assistant turn."""

    calls: list[ToolCall] = field(default_factory=list)
    text: str = ""


def call_steps(calls: list[ReferenceCall]) -> list[ScriptStep]:
    return [
        ScriptStep(calls=[ToolCall(id=f"ref-{number}", name=call.tool, arguments=dict(call.arguments))])
        for number, call in enumerate(calls, start=1)
    ]


def reference_steps(task: Task) -> list[ScriptStep]:
    return [*call_steps(task.reference.calls), ScriptStep(text=task.reference.reply)]


def adversary_steps(name: str, task: Task) -> list[ScriptStep]:
    """The adversary's calls, then a last step whose text is written once the results are in."""
    if name == "overreach":
        target = _unrelated_ticket(task)
        extra = [adversaries.overreach_call(target)] if target else []
        return [*call_steps([*task.reference.calls, *extra]), ScriptStep(text=task.reference.reply)]
    return [*call_steps(adversaries.read_calls(task)), ScriptStep(text=LATE_REPLY)]


LATE_REPLY = "\u0000adversary reply"  # marker: the adversary writes this turn from what its calls returned


def _unrelated_ticket(task: Task) -> str | None:
    from harness.grading.scope import TaskScope
    from mcp_server.world.store import load_template

    scope = TaskScope(load_template())
    try:
        return scope.unrelated_open_ticket(task)
    finally:
        scope.close()


class ScriptedProvider(ProviderBase):
    prefix = "scripted"

    def __init__(self, name: str, settings: ModelSettings) -> None:
        if name not in SCRIPTS:
            raise ConfigurationError(f"unknown script {name!r} for scripted/: choose one of {', '.join(SCRIPTS)}")
        reject_unsupported(settings, provider=self.prefix, supported=())
        super().__init__(name, settings, base_url=None)

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> ScriptedConversation:
        tool_names = {t.name for t in tools}
        if self.name == "reference":
            return ScriptedConversation(reference_steps(task), tool_names=tool_names)
        return ScriptedConversation(adversary_steps(self.name, task), tool_names=tool_names, adversary=(self.name, task))


class ScriptedConversation:
    def __init__(
        self, steps: list[ScriptStep], *, tool_names: set[str] | None = None, adversary: tuple[str, Task] | None = None
    ) -> None:
        if not steps or steps[-1].calls:
            raise ValueError("a script must end with a turn that makes no tool calls")
        self._steps = list(steps)
        self._turn = 0
        self._pending = PendingCalls()
        self._tool_names = tool_names
        self._adversary = adversary
        self.results: list[ToolResult] = []  # what the script's calls got back, for inspection

    async def next_turn(self) -> ModelTurn:
        self._pending.check_none_open()
        if self._turn >= len(self._steps):
            raise RuntimeError("the script has no turns left: its last turn made no tool calls")
        step = self._steps[self._turn]
        self._turn += 1
        if step.text == LATE_REPLY and self._adversary is not None:
            step = ScriptStep(text=self._adversary_reply())
        exchange: dict[str, Any] = {
            "request": {"script": self._adversary[0] if self._adversary else "reference", "turn": self._turn, "results_so_far": len(self.results)},
            "response": {
                "text": step.text,
                "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in step.calls],
            },
        }
        unknown = sorted({c.name for c in step.calls} - self._tool_names) if self._tool_names else []
        if unknown:
            exchange["response"]["note"] = f"reference calls tools the server does not list: {unknown}"
        self._pending.expect(step.calls)
        return ModelTurn(
            text=step.text,
            tool_calls=list(step.calls),
            usage=Usage(),
            stop_reason="tool_use" if step.calls else "end_turn",
            exchange=exchange,
        )

    def _adversary_reply(self) -> str:
        assert self._adversary is not None
        name, task = self._adversary
        calls = {c.id: c for step in self._steps for c in step.calls}
        seen = [
            adversaries.SeenCall(calls[r.call_id].name, calls[r.call_id].arguments, r.text)
            for r in self.results if not r.is_error and r.call_id in calls
        ]
        return adversaries.reply(name, task, seen) or ""

    def add_tool_results(self, results: list[ToolResult]) -> None:
        self._pending.settle(results)
        self.results.extend(results)
