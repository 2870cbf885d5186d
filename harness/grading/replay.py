"""Verified transcripts: a record's tool calls, replayed in order against a fresh episode of this
checkout's world through the real server in process, must give back exactly what the record says
the model saw, and leave exactly the row changes the record claims.

The world and its tools are deterministic (the episode's clock is fixed, ids come from the data),
so a transcript proves itself: a pasted reference run, an edited result or a change no tool made
shows up as the first point where the record and the replay part. Each call goes through the same
``EpisodeSession`` and ``render_tool_result`` as the agent loop, so a result compares as text.

What the record may hold besides server results:

- a call the harness refused before sending it (the model's arguments were not a JSON object, see
  ``harness.providers.common.parse_arguments``): no server saw it, so it is not sent again; it
  must have empty arguments, be an error, and say one of those refusals;
- arguments the server's audit kept only as a digest (``mcp_server.limits``): they were over the
  size limit, so the server refused the call before the tool ran; the replay sends arguments of the
  same size, which the server refuses the same way (and counts, as it counted the original);
- a result the audit kept only as a digest: compared by its length and sha256.

Replays are cached by (clock, calls sent): every probe of a task that makes the same calls shares
one replay.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

from harness.agent import UNKNOWN_TOOL_PREFIX, render_tool_result
from harness.connections import InProcessConnection
from harness.errors import EpisodeInfrastructureError
from harness.providers.common import ARGUMENT_REFUSAL_PREFIXES
from harness.grading.state import WorldMismatchError
from harness.transcript import EpisodeRecord, ToolCallRecord, WorldOutcome
from mcp_server import limits
from mcp_server.episodes import EpisodeRegistry, RowChange
from mcp_server.world.store import Template

ServerFactory = Callable[[EpisodeRegistry], MCPServer[EpisodeRegistry]]
REPLAY_CONCURRENCY = 4  # in-process replays are CPU-bound on one loop: more buys nothing
CACHE_ENTRIES = 64  # validate grades ~15 probes per task, task after task: a short memory suffices
EXCERPT_CHARS = 70
_PADDING_KEY = "_replay_padding"


@dataclass(frozen=True)
class ReplayedCall:
    text: str  # what the model would have read
    is_error: bool
    payload: Any = None  # what the server's audit keeps of the result, for digest comparisons
    failure: str | None = None  # the server could not run the call at all


@dataclass(frozen=True)
class Replayed:
    calls: tuple[ReplayedCall | None, ...]  # None: a harness refusal, not sent
    changes: tuple[RowChange, ...]


@dataclass(frozen=True)
class Verification:
    """``problem`` names the first place the record and the replay part (None: verified);
    ``world`` is the replayed world outcome, set when verified."""

    problem: str | None
    world: WorldOutcome | None = None

    @property
    def verified(self) -> bool:
        return self.problem is None


class ReplayError(Exception):
    """The replay itself could not run (for instance, the record's clock opens no episode)."""


def real_server(registry: EpisodeRegistry) -> MCPServer[EpisodeRegistry]:
    from mcp_server.server import build_server  # imports every tool module: only when used

    return build_server(registry=registry)


class ReplayConnection(InProcessConnection):
    """The in-process connection, over the server ``server_factory`` builds (default: the real
    one; tests use a fixture server). InProcessConnection reads ``self.server`` only when a client
    opens, so replacing it here is enough."""

    def __init__(self, template: Template, server_factory: ServerFactory | None, max_episodes: int) -> None:
        super().__init__(template, max_episodes=max_episodes)
        if server_factory is not None:
            self.server = server_factory(self.registry)


class Replayer:
    """Replays and verifies records against one template. ``async with replayer:`` holds one shared
    in-process client for many replays (enter and leave it in the same task); outside it, each
    replay opens a client of its own. Safe to use from concurrent tasks."""

    def __init__(
        self, template: Template, *, server_factory: ServerFactory | None = None, concurrency: int = REPLAY_CONCURRENCY
    ) -> None:
        self.template = template
        self._connection = ReplayConnection(template, server_factory, max_episodes=concurrency + 1)
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], Replayed] = OrderedDict()
        self._ids = itertools.count(1)
        self._depth = 0
        self.replays_run = 0  # server replays (cache misses), for benchmarks and tests

    async def __aenter__(self) -> Replayer:
        if self._depth == 0:
            await self._connection.__aenter__()
        self._depth += 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            await self._connection.__aexit__(*exc_info)

    async def verify(self, record: EpisodeRecord) -> Verification:
        """Replay the record's calls and compare. Raises WorldMismatchError for a record of another
        world (the caller reports that as ungraded, as before)."""
        world = record.world
        if world is None:
            return Verification("the record has no world outcome, so there is no clock to replay its calls at")
        if world.content_hash != self.template.content_hash:
            raise WorldMismatchError(
                f"the transcript was recorded against world {world.content_hash}, but this checkout's world is "
                f"{self.template.content_hash}; grade it with the world data it was run on"
            )
        problem = consistency_problem(record)
        if problem is not None:
            return Verification(problem)
        try:
            replayed = await self.replay(world.clock, record.tool_calls)
        except ReplayError as exc:
            return Verification(str(exc))
        for number, (call, got) in enumerate(zip(record.tool_calls, replayed.calls), start=1):
            problem = call_problem(number, call, got)
            if problem is not None:
                return Verification(problem)
        problem = changes_problem(world.changes, replayed.changes)
        if problem is not None:
            return Verification(problem)
        return Verification(None, WorldOutcome(content_hash=self.template.content_hash, clock=world.clock,
                                               changes=list(replayed.changes)))

    async def replay(self, clock: str, calls: Sequence[ToolCallRecord]) -> Replayed:
        """What the server makes of ``calls`` in a fresh episode at ``clock`` (cached)."""
        if not calls:
            return Replayed((), ())  # a fresh episode that makes no call changes nothing
        key = (clock, tuple(_sent_form(call) for call in calls))
        async with self._limit:
            cached = self._cache.get(key)
            if cached is None:
                cached = await self._run(clock, calls)
                self._cache[key] = cached
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
            return cached

    async def _run(self, clock: str, calls: Sequence[ToolCallRecord]) -> Replayed:
        self.replays_run += 1
        episode_id = f"verify-{next(self._ids)}"
        results: list[ReplayedCall | None] = []
        try:
            async with self._connection.episode(episode_id, clock) as handle:
                for call in calls:
                    if _client_refusal(call):
                        results.append(None)
                        continue
                    try:
                        outcome = await handle.session.call_tool(call.name, _arguments_to_send(call.arguments))
                    except EpisodeInfrastructureError as exc:
                        results.append(ReplayedCall("", True, failure=str(exc)))
                        continue
                    results.append(ReplayedCall(render_tool_result(outcome), bool(outcome.is_error), audit_payload(outcome)))
        except EpisodeInfrastructureError as exc:
            raise ReplayError(f"the replay could not open an episode at the record's clock {clock!r}: {exc}") from exc
        changes = tuple(handle.export.changes) if handle.export is not None else ()
        return Replayed(tuple(results), changes)


# --- what is sent -----------------------------------------------------------------------------


def _client_refusal(call: ToolCallRecord) -> bool:
    """The harness's own refusal of arguments it could not read (harness/providers): never sent."""
    return call.is_error and not call.arguments and call.result.startswith(ARGUMENT_REFUSAL_PREFIXES)


def calls_that_reached_the_world(calls: Sequence[ToolCallRecord]) -> list[ToolCallRecord]:
    """The calls a server saw. The harness's own refusals are taken on the record's word, so they
    must not count as having called a tool (a forged one could otherwise satisfy a trace check)."""
    return [call for call in calls if not _client_refusal(call)]


def _arguments_to_send(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments themselves, or for a digest of oversized ones, arguments just as long: the
    server refuses both before any tool runs, with a message that names only their length."""
    if not limits.is_omitted(arguments):
        return arguments
    chars = arguments[limits.OMITTED_KEY].get("chars")
    overhead = len(limits.canonical_text({_PADDING_KEY: ""}))
    size = chars - overhead if isinstance(chars, int) and chars > limits.MAX_ARGUMENT_CHARS else 0
    return {_PADDING_KEY: "x" * size}


def _sent_form(call: ToolCallRecord) -> str:
    if _client_refusal(call):
        return "\x00refused by the harness"
    return f"{call.name}\x00{limits.canonical_text(call.arguments)}"


def audit_payload(result: CallToolResult) -> Any:
    """What the server's audit keeps of a result (as mcp_server/audit.py does): structured content
    when there is some and the call succeeded, else the text blocks."""
    if result.structured_content is not None and not result.is_error:
        return result.structured_content
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


# --- comparisons ------------------------------------------------------------------------------


def _excerpts(recorded: str, replayed: str) -> tuple[str, str]:
    """Both texts around their first difference, shortened."""
    same = next((i for i, (a, b) in enumerate(zip(recorded, replayed)) if a != b), min(len(recorded), len(replayed)))
    start = max(0, same - EXCERPT_CHARS // 3)

    def cut(text: str) -> str:
        piece = text[start:start + EXCERPT_CHARS].replace("\n", "\\n")
        return '"' + ("..." if start else "") + piece + ("..." if start + EXCERPT_CHARS < len(text) else "") + '"'

    return cut(recorded), cut(replayed)


def _omitted_marker(text: str) -> dict[str, Any] | None:
    if not text.startswith('{"' + limits.OMITTED_KEY):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value[limits.OMITTED_KEY] if limits.is_omitted(value) else None


def _both_unknown(call: ToolCallRecord, got: ReplayedCall) -> bool:
    """The agent loop refuses a tool the server does not list with its own words (harness/agent.py);
    replayed, the call is sent, and a server that indeed has no such tool says so in its own."""
    return call.result.startswith(f"{UNKNOWN_TOOL_PREFIX}{call.name!r}") and got.text == f"Unknown tool: {call.name}"


def call_problem(number: int, call: ToolCallRecord, got: ReplayedCall | None) -> str | None:
    """Why the recorded call does not match its replay (None: it does)."""
    label = f"call {number} ({call.name})"
    if got is None:
        return None  # the harness's own refusal: nothing to replay
    if got.failure is not None:
        return f"{label}: the server could not run it on replay: {got.failure}"
    if limits.is_omitted(call.arguments):
        chars = call.arguments[limits.OMITTED_KEY].get("chars")
        if not isinstance(chars, int) or chars <= limits.MAX_ARGUMENT_CHARS:
            return (f"{label}: the record keeps only a digest of its arguments, but their size ({chars!r} characters) "
                    f"is not over the limit of {limits.MAX_ARGUMENT_CHARS:,}, so the server kept them in full")
    if call.is_error and got.is_error and _both_unknown(call, got):
        return None  # the loop refused a tool the server does not list, and the server does not know it either
    if call.is_error != got.is_error:
        said, did = ("failed", "succeeded") if call.is_error else ("succeeded", "failed")
        recorded, replayed = _excerpts(call.result, got.text)
        return f"{label}: the record says it {said}, but on replay it {did}: recorded {recorded}, replay {replayed}"
    if call.result == got.text:
        return None
    marker = _omitted_marker(call.result)
    if marker is not None:
        return _digest_problem(label, marker, got)
    recorded, replayed = _excerpts(call.result, got.text)
    return f"{label}: the recorded result differs from the replay: recorded {recorded}, replay {replayed}"


def _digest_problem(label: str, marker: dict[str, Any], got: ReplayedCall) -> str | None:
    """A result the audit kept as a digest matches when the replayed result has its size and hash."""
    for candidate in (got.payload, got.text):
        text = limits.canonical_text(candidate)
        if marker.get("chars") == len(text) and marker.get("sha256") == limits.digest(text):
            return None
    return (f"{label}: the record keeps a digest of its result ({marker.get('chars')!r} characters, sha256 "
            f"{str(marker.get('sha256'))[:12]}...), which does not match the replayed result "
            f"({len(got.text):,} characters)")


def _describe(change: RowChange) -> str:
    return f"{change.op} {change.table} {change.row_id}"


def changes_problem(claimed: Sequence[RowChange], replayed: Sequence[RowChange]) -> str | None:
    """The first difference between the claimed and the replayed changes, in order (None: equal)."""
    for number in range(1, max(len(claimed), len(replayed)) + 1):
        mine = claimed[number - 1] if number <= len(claimed) else None
        real = replayed[number - 1] if number <= len(replayed) else None
        if mine is None:
            assert real is not None
            return f"world change {number} ({_describe(real)}) was made by the calls, but the record does not claim it"
        if real is None:
            return f"world change {number} ({_describe(mine)}) was claimed but no call made it"
        if mine == real:
            continue
        if (mine.table, mine.row_id, mine.op) != (real.table, real.row_id, real.op):
            return (f"world change {number} ({_describe(mine)}) was claimed but no call made it; "
                    f"the calls made ({_describe(real)}) there")
        fields = [name for name in ("seq", "before", "after") if getattr(mine, name) != getattr(real, name)]
        detail = "; ".join(_field_difference(name, getattr(mine, name), getattr(real, name)) for name in fields)
        return f"world change {number} ({_describe(mine)}) differs from the replay: {detail}"
    return None


def _field_difference(name: str, claimed: Any, real: Any) -> str:
    if isinstance(claimed, dict) and isinstance(real, dict):
        columns = sorted(k for k in set(claimed) | set(real) if claimed.get(k, ...) != real.get(k, ...))
        shown = ", ".join(f"{c} {_short(claimed.get(c))} vs {_short(real.get(c))}" for c in columns[:4])
        return f"{name} row differs in {shown}{' ...' if len(columns) > 4 else ''} (recorded vs replay)"
    return f"{name} recorded {_short(claimed)}, replay {_short(real)}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


# --- the record against itself ------------------------------------------------------------------


def consistency_problem(record: EpisodeRecord) -> str | None:
    """Cheap checks that the record agrees with itself: each tool call is an assistant tool call in
    ``messages`` and its result the matching tool message, in order; ``final_reply`` is the last
    assistant message. (Only a timed-out episode may hold calls the model asked for but that never ran.)"""
    asked = [(c.get("id"), c.get("name"), c.get("arguments")) for m in record.messages if m.role == "assistant"
             for c in m.tool_calls]
    answered = [m for m in record.messages if m.role == "tool"]
    for number, call in enumerate(record.tool_calls, start=1):
        label = f"call {number} ({call.name})"
        if number > len(asked) or asked[number - 1] != (call.call_id, call.name, call.arguments):
            return f"{label}: the record's messages do not show the model making this call"
        if number > len(answered):
            return f"{label}: the record's messages hold no result for it"
        message = answered[number - 1]
        if (message.tool_call_id, message.content, bool(message.is_error)) != (call.call_id, call.result, call.is_error):
            return f"{label}: the result in the record's messages differs from the recorded result"
    if len(answered) > len(record.tool_calls):
        return f"the record's messages hold {len(answered)} tool results but it records {len(record.tool_calls)} calls"
    if len(asked) > len(record.tool_calls) and record.status != "timeout":
        extra = asked[len(record.tool_calls)]
        return f"the record's messages show a tool call ({extra[1]}, id {extra[0]}) that the record does not hold"
    last = record.messages[-1] if record.messages else None
    replied = last is not None and last.role == "assistant" and not last.tool_calls
    if record.final_reply is None:
        if replied:
            return "the record has no final reply, but its last message is an assistant reply"
    elif not replied or last is None or last.content != record.final_reply:
        return "the final reply is not the record's last assistant message"
    return None
