"""``scripted/reference``: replays the task's reference solution. No network, no key, no cost.

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
from harness.tasks.models import Task
from harness.transcript import Usage

SCRIPTS = ("reference",)


@dataclass(frozen=True)
class ScriptStep:
    """One scripted assistant turn."""

    calls: list[ToolCall] = field(default_factory=list)
    text: str = ""


def reference_steps(task: Task) -> list[ScriptStep]:
    steps = [
        ScriptStep(calls=[ToolCall(id=f"ref-{number}", name=call.tool, arguments=dict(call.arguments))])
        for number, call in enumerate(task.reference.calls, start=1)
    ]
    steps.append(ScriptStep(text=task.reference.reply))
    return steps


class ScriptedProvider(ProviderBase):
    prefix = "scripted"

    def __init__(self, name: str, settings: ModelSettings) -> None:
        if name not in SCRIPTS:
            raise ConfigurationError(f"unknown script {name!r} for scripted/: choose one of {', '.join(SCRIPTS)}")
        reject_unsupported(settings, provider=self.prefix, supported=())
        super().__init__(name, settings, base_url=None)

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> ScriptedConversation:
        return ScriptedConversation(reference_steps(task), tool_names={t.name for t in tools})


class ScriptedConversation:
    def __init__(self, steps: list[ScriptStep], *, tool_names: set[str] | None = None) -> None:
        if not steps or steps[-1].calls:
            raise ValueError("a script must end with a turn that makes no tool calls")
        self._steps = list(steps)
        self._turn = 0
        self._pending = PendingCalls()
        self._tool_names = tool_names
        self.results: list[ToolResult] = []  # what the script's calls got back, for inspection

    async def next_turn(self) -> ModelTurn:
        self._pending.check_none_open()
        if self._turn >= len(self._steps):
            raise RuntimeError("the script has no turns left: its last turn made no tool calls")
        step = self._steps[self._turn]
        self._turn += 1
        exchange: dict[str, Any] = {
            "request": {"script": "reference", "turn": self._turn, "results_so_far": len(self.results)},
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

    def add_tool_results(self, results: list[ToolResult]) -> None:
        self._pending.settle(results)
        self.results.extend(results)
