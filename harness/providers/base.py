"""The contract between the agent loop and a model provider.

A model is named by one string ``<provider>/<model>`` (``anthropic/claude-opus-4-6``,
``openai/gpt-5.2``, ``openai-responses/gpt-5.2``, ``openai-compatible/glm-4.6``,
``scripted/reference``). The provider opens a ``Conversation`` per episode; the conversation keeps
the provider-native message list (so thinking blocks, reasoning items and GLM reasoning text are
sent back exactly as received) and returns provider-neutral turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.tasks.models import Task
from harness.transcript import Message, Usage


@dataclass(frozen=True)
class ToolSchema:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    # Set when the model's arguments were not valid JSON: the loop returns this as a tool error.
    argument_error: str | None = None
    # Set when the model wrote the call as text in its reply (the format's name, and that text).
    parsed_from: str | None = None
    raw_text: str | None = None


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    name: str
    text: str
    is_error: bool


@dataclass
class ModelTurn:
    """One assistant turn: its text, tool calls, usage, and the raw exchange for the transcript."""

    text: str
    tool_calls: list[ToolCall]
    usage: Usage
    stop_reason: str
    reasoning: str | None = None
    exchange: dict[str, Any] = field(default_factory=dict)  # {"request": ..., "response": ...}

    def as_message(self) -> Message:
        return Message(
            role="assistant",
            content=self.text,
            tool_calls=[_call_entry(c) for c in self.tool_calls],
            reasoning=self.reasoning,
        )


def _call_entry(call: ToolCall) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": call.id, "name": call.name, "arguments": call.arguments}
    if call.parsed_from is not None:
        entry["parsed_from"] = call.parsed_from
    return entry


class Conversation(Protocol):
    async def next_turn(self) -> ModelTurn:
        """Ask the model for its next turn. Raises ProviderError subclasses on failure."""
        ...

    def add_tool_results(self, results: list[ToolResult]) -> None:
        """Append the results of the last turn's tool calls, in call order."""
        ...


class Provider(Protocol):
    model: str  # the full model string
    settings: dict[str, Any]  # what goes into the manifest

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> Conversation: ...

    async def aclose(self) -> None: ...
