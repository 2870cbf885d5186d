"""The episode loop: one task, one model, one private world, one transcript record.

The protocol follows the original benchmark: the system prompt is the company policy stated at the
task's world date, the model sees every tool the server lists, the task arrives as one user
message, and the model calls tools until it replies without a tool call. Tool errors go back to
the model as tool results. A turn cap and a wall-clock cap end runaway episodes; both are recorded
as the model's result (``max_turns`` / ``timeout``). Time the provider spends waiting out rate
limits and outages (``backoff_sleep``) extends the wall-clock cap, so an overloaded provider never
turns into a ``timeout`` charged to the model. Provider and connection failures are recorded as
``error``: infrastructure, never graded.

A call the loop cannot make goes back to the model as a tool error naming the available tools,
and the episode goes on: a call to a tool the server does not list (never sent: the server would
only say "Unknown tool"), and one whose arguments did not parse (from the provider, or from tool
calls the model wrote as text, see harness/providers/text_tool_calls.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mcp.types import CallToolResult, Tool

from harness.connections import EpisodeSession, WorldConnection
from harness.errors import EpisodeInfrastructureError, ProviderError
from harness.providers.base import Conversation, ModelTurn, Provider, ToolCall, ToolResult, ToolSchema
from harness.providers.tool_descriptions import ToolDescriptions, describe_tools
from harness.tasks.models import Task
from harness.transcript import (
    EpisodeRecord,
    EpisodeStatus,
    Message,
    ToolCallRecord,
    Usage,
    WorldOutcome,
    compact_exchange,
)
from mcp_server.episodes import EpisodeExport
from mcp_server.world.policy import policy_prompt_text
from mcp_server.world.store import DEFAULT_CLOCK

DEFAULT_MAX_TURNS = 100
DEFAULT_EPISODE_TIMEOUT_S = 1800.0
# How the loop's refusal of a call to a tool nobody lists starts (the rest names the tools).
UNKNOWN_TOOL_PREFIX = "unknown tool "


@dataclass(frozen=True)
class EpisodeLimits:
    max_turns: int = DEFAULT_MAX_TURNS
    timeout_s: float | None = DEFAULT_EPISODE_TIMEOUT_S  # None: no wall-clock limit


# The deadline of the episode running in the current task, if it has one.
_episode_deadline: ContextVar[asyncio.Timeout | None] = ContextVar("corecraft_episode_deadline", default=None)


async def backoff_sleep(seconds: float) -> None:
    """The providers' retry sleep: waits, and moves the current episode's deadline back by as
    much, because waiting out a provider's failure is not the model's time."""
    deadline = _episode_deadline.get()
    when = deadline.when() if deadline is not None else None
    if deadline is not None and when is not None:
        deadline.reschedule(when + seconds)
    await asyncio.sleep(seconds)


def system_prompt(task: Task) -> str:
    return policy_prompt_text(task.clock)


def tool_schemas(tools: list[Tool], descriptions: ToolDescriptions = "full") -> list[ToolSchema]:
    """The tools as the model is sent them: full descriptions, or compact ones (same schemas' rules)."""
    schemas = [ToolSchema(name=t.name, description=t.description or "", input_schema=dict(t.input_schema)) for t in tools]
    return describe_tools(schemas, descriptions)


# The last tool listing an episode converted, with its schemas. Every episode of a run gets the same
# Tool objects (connections cache the listing), so they are converted once per run and the episodes
# share the same ToolSchema objects, by which a provider recognises a tool list it has already laid
# out (HttpProvider.conversation_body). Schemas are never modified, so sharing them is safe.
_last_schemas: tuple[tuple[Tool, ...], ToolDescriptions, tuple[ToolSchema, ...]] | None = None


def episode_tool_schemas(tools: list[Tool], descriptions: ToolDescriptions) -> list[ToolSchema]:
    """``tool_schemas``, reusing the last result when ``tools`` holds the very same objects."""
    global _last_schemas
    last = _last_schemas
    if (last is not None and last[1] == descriptions and len(last[0]) == len(tools)
            and all(seen is tool for seen, tool in zip(last[0], tools))):
        return list(last[2])
    schemas = tool_schemas(tools, descriptions)
    _last_schemas = (tuple(tools), descriptions, tuple(schemas))
    return schemas


def unknown_tool_text(name: str, available: list[str]) -> str:
    return (f"{UNKNOWN_TOOL_PREFIX}{name!r}: no tool of that name exists. "
            f"Call one of the available tools: {', '.join(available)}.")


def available_tools_hint(available: list[str]) -> str:
    return f" Available tools: {', '.join(available)}."


def render_tool_result(result: CallToolResult) -> str:
    """The text the model reads: structured results as compact JSON, else the text blocks.

    Never an empty string: an empty list renders as ``[]`` and a result without content says so."""
    if not result.is_error and result.structured_content is not None:
        payload: Any = result.structured_content
        if isinstance(payload, dict) and set(payload) == {"result"}:
            payload = payload["result"]  # mcp wraps list/str/primitive returns as {"result": ...}
        if isinstance(payload, str) and payload:
            return payload
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    parts = [block.text if block.type == "text" else f"[{block.type} content omitted]" for block in result.content]
    text = "\n".join(parts)
    if text.strip():
        return text
    return "The tool failed without a message." if result.is_error else "The tool returned no content."


@dataclass
class _Trace:
    """What the episode has produced so far; survives a timeout or an error mid-episode."""

    messages: list[Message] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    turns: int = 0
    final_reply: str | None = None
    last_request: Any = None  # the previous full provider request, to store the next as a delta

    def add_exchange(self, exchange: dict[str, Any]) -> None:
        self.exchanges.append(compact_exchange(self.last_request, exchange))
        self.last_request = exchange.get("request")


class _EpisodeLoop:
    def __init__(
        self,
        conversation: Conversation,
        session: EpisodeSession,
        trace: _Trace,
        cost_of: Callable[[Usage], float],
        on_cost: Callable[[float], None] | None,
        tool_names: list[str],
        on_turn: Callable[[int], None] | None = None,
    ) -> None:
        self.conversation = conversation
        self.session = session
        self.trace = trace
        self.cost_of = cost_of
        self.on_cost = on_cost
        self.tool_names = tool_names
        self.on_turn = on_turn

    async def run(self, max_turns: int) -> tuple[EpisodeStatus, str]:
        for turn in range(1, max_turns + 1):
            model_turn = await self.conversation.next_turn()
            self._record_turn(model_turn)
            if not model_turn.tool_calls:
                self.trace.final_reply = model_turn.text
                return "completed", model_turn.stop_reason
            results = [await self._call(call, turn) for call in model_turn.tool_calls]
            self.conversation.add_tool_results(results)
        return "max_turns", f"the model was still calling tools after {max_turns} turns"

    def _record_turn(self, model_turn: ModelTurn) -> None:
        trace = self.trace
        trace.turns += 1
        trace.messages.append(model_turn.as_message())
        if model_turn.exchange:
            trace.add_exchange(model_turn.exchange)
        trace.usage = trace.usage + model_turn.usage
        cost = self.cost_of(model_turn.usage)  # priced per turn: some prices depend on the prompt's size
        trace.cost_usd += cost
        if self.on_cost is not None:
            self.on_cost(cost)
        if self.on_turn is not None:
            self.on_turn(len(model_turn.tool_calls))

    async def _call(self, call: ToolCall, turn: int) -> ToolResult:
        started = time.perf_counter()
        if call.argument_error is not None:
            text, is_error = call.argument_error, True
            if call.parsed_from is not None:  # the model may not know the format: say what exists
                text += available_tools_hint(self.tool_names)
        elif call.name not in self.tool_names:
            text, is_error = unknown_tool_text(call.name, self.tool_names), True
        else:
            outcome = await self.session.call_tool(call.name, call.arguments)
            text, is_error = render_tool_result(outcome), bool(outcome.is_error)
        duration_ms = (time.perf_counter() - started) * 1000
        self.trace.tool_calls.append(
            ToolCallRecord(
                call_id=call.id, name=call.name, arguments=call.arguments, result=text,
                is_error=is_error, duration_ms=round(duration_ms, 3), turn=turn,
                parsed_from=call.parsed_from, raw_text=call.raw_text,
            )
        )
        self.trace.messages.append(Message(role="tool", content=text, tool_call_id=call.id, is_error=is_error))
        return ToolResult(call_id=call.id, name=call.name, text=text, is_error=is_error)


def _world_outcome(export: EpisodeExport | None, task: Task, content_hash: str | None) -> WorldOutcome | None:
    if export is not None:
        return WorldOutcome(content_hash=export.content_hash, clock=export.clock, changes=export.changes)
    if content_hash is None:
        return None
    # The server never created the episode (no tool call reached it): the world is untouched.
    return WorldOutcome(content_hash=content_hash, clock=task.clock or DEFAULT_CLOCK, changes=[])


async def run_episode(
    *,
    provider: Provider,
    connection: WorldConnection,
    task: Task,
    trial: int,
    episode_id: str,
    limits: EpisodeLimits = EpisodeLimits(),
    cost_of: Callable[[Usage], float] = lambda usage: 0.0,
    on_cost: Callable[[float], None] | None = None,
    on_turn: Callable[[int], None] | None = None,
    manifest_hash: str = "",
    world_hash: str | None = None,
    tool_descriptions: ToolDescriptions = "full",
) -> EpisodeRecord:
    """Run one episode to its end and describe it. Provider and connection failures are caught
    and recorded as status ``error``; anything else (a bug) propagates. ``on_cost`` and ``on_turn``
    (given the turn's number of tool calls) are called after each model turn, for live progress."""
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock_start = time.perf_counter()
    trace = _Trace()
    status: EpisodeStatus = "error"
    stop_reason, error = "", None
    world: WorldOutcome | None = None
    try:
        async with connection.episode(episode_id, task.clock) as handle:
            episode_id = handle.session.episode_id  # the server's own id, where it issues one
            tools = await handle.session.list_tools()
            system = system_prompt(task)
            trace.messages = [Message(role="system", content=system), Message(role="user", content=task.prompt)]
            schemas = episode_tool_schemas(tools, tool_descriptions)
            conversation = provider.open(system=system, tools=schemas, prompt=task.prompt, task=task)
            loop = _EpisodeLoop(conversation, handle.session, trace, cost_of, on_cost, [t.name for t in schemas], on_turn)
            deadline = asyncio.timeout(limits.timeout_s)
            try:
                async with deadline:
                    token = _episode_deadline.set(deadline)
                    try:
                        status, stop_reason = await loop.run(limits.max_turns)
                    finally:
                        _episode_deadline.reset(token)
            except TimeoutError:
                if not deadline.expired():
                    raise  # some library's own TimeoutError, not our limit
                status = "timeout"
                stop_reason = f"the episode reached its wall-clock limit of {limits.timeout_s:g} s (provider back-off excluded)"
        world = _world_outcome(handle.export, task, world_hash or connection.content_hash)
    except ProviderError as exc:
        status, stop_reason, error = "error", f"provider: {type(exc).__name__}", str(exc)
    except EpisodeInfrastructureError as exc:
        status, stop_reason, error = "error", "connection", str(exc)
    return EpisodeRecord(
        key=episode_key(task.id, trial),
        episode_id=episode_id,
        task_id=task.id,
        trial=trial,
        model=provider.model,
        settings=dict(provider.settings),
        manifest_hash=manifest_hash,
        status=status,
        stop_reason=stop_reason,
        error=error,
        messages=trace.messages,
        exchanges=trace.exchanges,
        tool_calls=trace.tool_calls,
        final_reply=trace.final_reply,
        turns=trace.turns,
        usage=trace.usage,
        cost_usd=round(trace.cost_usd, 6),
        duration_s=round(time.perf_counter() - clock_start, 3),
        started_at=started_at,
        world=world,
    )


def episode_key(task_id: str, trial: int) -> str:
    return f"{task_id}#{trial}"
