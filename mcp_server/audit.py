"""Server middleware that routes each tool call to its episode and writes the audit log.

Over HTTP the episode is the one whose key the request carries (``X-CoreCraft-Episode-Key``), or
else the private episode of the request's MCP session; for in-process and stdio clients it is named
by the request's ``_meta`` (key ``corecraft/episode``). None of these is a parameter the model sees.
Calls in one episode are serialized by the episode's lock, so each audit entry's row changes are
exactly the rows that call changed. Every ``tools/call`` is recorded: successful calls, tool errors,
calls refused for their arguments (unknown names, failed validation, too large), unknown tool
names, and requests the protocol layer rejected before any tool ran. Only calls past the episode's
budget (mcp_server/limits.py) are refused without a record, so the log itself stays bounded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ValidationError

from mcp_server import limits
from mcp_server.episodes import (
    CLOCK_HEADER,
    DEFAULT_EPISODE,
    KEY_HEADER,
    RETIRED_EPISODE_HEADER,
    SESSION_HEADER,
    AuditEntry,
    Episode,
    EpisodeRegistry,
    RowChange,
)
from mcp_server.errors import CoreCraftServerError, EpisodeError
from mcp_server.tools.runtime import TOOLS, reset_current_episode, set_current_episode

META_EPISODE_KEY = "corecraft/episode"
META_CLOCK_KEY = "corecraft/clock"
# JSON-RPC leaves -32000..-32099 to servers; this one means "no episode can serve this request".
EPISODE_UNAVAILABLE = -32010
MAX_ERROR_DETAILS = 8
# An error that echoes a huge argument back would flood the model's context; keep both ends.
MAX_ERROR_CHARS = 2000


NO_EPISODE_MESSAGE = (
    "this request names no episode. Open one with POST /episodes and send its key in the "
    "X-CoreCraft-Episode-Key header, or connect with an MCP session (protocol 2025-11-25, the "
    "initialize handshake): each session gets a private episode of its own"
)
RETIRED_HEADER_MESSAGE = (
    "the X-CoreCraft-Episode header is no longer accepted (it let any client reach any episode). Open "
    "an episode with POST /episodes and send the key it returns in X-CoreCraft-Episode-Key"
)


@dataclass(frozen=True)
class EpisodeChoice:
    """Which episode a request asks for: by key, by MCP session, or by name (local transports)."""

    kind: Literal["key", "session", "local"]
    name: str
    clock: str | None = None


def episode_choice(ctx: ServerRequestContext[Any, Any]) -> EpisodeChoice:
    """Chosen by the caller's transport metadata, never by the model. Over HTTP only a key the
    server issued or the request's own MCP session reaches an episode."""
    headers = getattr(ctx.request, "headers", None)
    if headers is not None:
        if headers.get(KEY_HEADER):
            return EpisodeChoice("key", headers[KEY_HEADER])
        if headers.get(RETIRED_EPISODE_HEADER):
            raise EpisodeError(RETIRED_HEADER_MESSAGE)
        if headers.get(SESSION_HEADER):
            return EpisodeChoice("session", headers[SESSION_HEADER], headers.get(CLOCK_HEADER) or None)
        raise EpisodeError(NO_EPISODE_MESSAGE)
    meta = (ctx.params or {}).get("_meta") or {}
    if isinstance(meta, dict) and isinstance(meta.get(META_EPISODE_KEY), str):
        clock = meta.get(META_CLOCK_KEY)
        return EpisodeChoice("local", meta[META_EPISODE_KEY], clock if isinstance(clock, str) else None)
    return EpisodeChoice("local", DEFAULT_EPISODE)


async def find_episode(registry: EpisodeRegistry, choice: EpisodeChoice) -> Episode:
    if choice.kind == "key":
        return registry.by_key(choice.name)
    if choice.kind == "session":
        return await registry.for_session(choice.name, choice.clock)
    return await registry.get(choice.name, choice.clock)


def _result_payload(result: HandlerResult) -> tuple[bool, Any]:
    """(is_error, what the audit keeps): structured content when there is some, else the text."""
    if isinstance(result, CallToolResult):
        if result.structured_content is not None and not result.is_error:
            return False, result.structured_content
        texts = [block.text for block in result.content if isinstance(block, TextContent)]
        return bool(result.is_error), "\n".join(texts)
    data = result.model_dump(by_alias=True, exclude_none=True) if isinstance(result, BaseModel) else (result or {})
    is_error = bool(data.get("isError", False))
    if "structuredContent" in data and not is_error:
        return is_error, data["structuredContent"]
    texts = [block.get("text", "") for block in data.get("content", []) if block.get("type") == "text"]
    return is_error, "\n".join(texts)


def describe_validation_error(tool: str, error: ValidationError) -> str:
    """A short, actionable message: which argument is wrong and why, without echoing values."""
    details = []
    for item in error.errors(include_url=False, include_input=False)[:MAX_ERROR_DETAILS]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        details.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - len(details)
    if more > 0:
        details.append(f"and {more} more")
    return f"Error executing tool {tool}: invalid arguments ({'; '.join(details)}). Correct them and call again."


class EpisodeAuditMiddleware:
    """Routes ``tools/call`` to its episode, serializes calls per episode, and records each one.

    ``tools`` (the server's registered tools, by name) lets it replace pydantic's raw validation
    report with a short message; without it, that report passes through unchanged.
    """

    def __init__(self, tools: Mapping[str, Tool] | None = None) -> None:
        self.tools = tools or {}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        registry: EpisodeRegistry = ctx.lifespan_context
        params = ctx.params or {}
        name = params.get("name")
        name = name if isinstance(name, str) else ""
        arguments = params.get("arguments")
        try:
            episode = await find_episode(registry, episode_choice(ctx))
        except CoreCraftServerError as exc:
            raise MCPError(code=EPISODE_UNAVAILABLE, message=str(exc)) from exc
        async with episode.lock:
            if episode.closed:  # closed or expired while this call waited: its world is gone
                why = registry.ended_reason(episode.id) or f"episode {episode.id} ended"
                raise MCPError(code=EPISODE_UNAVAILABLE, message=f"{why} while this call waited; the call did not run")
            over_budget = _budget_refusal(episode)
            if over_budget is not None:
                return _error_result(over_budget)
            return await self._record(episode, name, arguments, ctx, call_next)

    async def _record(
        self, episode: Episode, name: str, arguments: Any, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        spec = TOOLS.get(name)
        tracks_changes = spec is not None and spec.writes  # read-only tools cannot change rows
        token = set_current_episode(episode)
        started, clock_start = time.time(), time.perf_counter()
        before_seq = await episode.last_change_seq() if tracks_changes else 0
        is_error, payload = True, None  # what the entry says if the call raises
        # Sizes are measured once per call: canonical JSON of a result is the costly part of the audit.
        argument_chars = 0 if arguments is None else _chars(arguments)
        too_large = argument_chars > limits.MAX_ARGUMENT_CHARS
        kept_arguments = limits.omitted(arguments) if too_large else _audit_arguments(arguments)
        try:
            refusal = self._argument_refusal(name, arguments, argument_chars)
            result: HandlerResult
            if refusal is not None:
                result, payload = _error_result(refusal), refusal
            else:
                result = await call_next(ctx)
                is_error, payload = _result_payload(result)
                if is_error:
                    result, payload = self._clarify_rejection(name, arguments, result, payload)
                    result, payload = _shorten_error(result, payload)
        except (MCPError, ValidationError) as exc:
            payload = f"rejected before the tool ran: {_rejection_text(exc)}"
            raise
        finally:
            reset_current_episode(token)
            changes: list[RowChange] = await episode.changes(before_seq) if tracks_changes else []
            kept_result, result_chars = _audit_result(payload)
            kept_argument_chars = argument_chars if isinstance(arguments, dict) and not too_large else _chars(kept_arguments)
            episode.audit.append(AuditEntry.model_construct(
                index=len(episode.audit),
                tool=name,
                arguments=kept_arguments,
                is_error=is_error,
                result=kept_result,
                started_at=started,
                duration_ms=(time.perf_counter() - clock_start) * 1000,
                changes=changes,
            ))
            episode.audit_chars += kept_argument_chars + result_chars
            episode.last_used = time.monotonic()
        return result

    def _argument_refusal(self, name: str, arguments: Any, argument_chars: int) -> str | None:
        """Why the call must not run, judged from its arguments alone (None: let it run)."""
        if argument_chars > limits.MAX_ARGUMENT_CHARS:
            return limits.oversized_arguments_message(name, argument_chars)
        tool = self.tools.get(name)
        if tool is None or not isinstance(arguments, dict):
            return None  # the SDK answers unknown tools and malformed arguments itself
        accepted = tool.parameters.get("properties", {})
        unknown = [key for key in arguments if key not in accepted]
        if not unknown:
            return None
        names = ", ".join(repr(key[:60]) for key in unknown[:MAX_ERROR_DETAILS])
        more = f" and {len(unknown) - MAX_ERROR_DETAILS} more" if len(unknown) > MAX_ERROR_DETAILS else ""
        return (
            f"Error executing tool {name}: unknown argument{'s' if len(unknown) > 1 else ''} {names}{more}. "
            f"{name} accepts: {', '.join(accepted) or 'no arguments'}. Correct the names and call again."
        )

    def _clarify_rejection(self, name: str, arguments: Any, result: HandlerResult, payload: Any) -> tuple[Any, Any]:
        """If an error result came from argument validation, replace pydantic's report with a short one."""
        tool = self.tools.get(name)
        if tool is None or not isinstance(arguments, dict):
            return result, payload
        try:
            tool.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            text = describe_validation_error(name, exc)
            return _error_result(text), text
        except Exception:  # the tool's own error, or a validator crash: keep what the SDK said
            return result, payload
        return result, payload


def _shorten_error(result: HandlerResult, payload: Any) -> tuple[Any, Any]:
    if not isinstance(payload, str) or len(payload) <= MAX_ERROR_CHARS:
        return result, payload
    head, tail = payload[: MAX_ERROR_CHARS - 500], payload[-300:]
    text = f"{head} [... {len(payload) - len(head) - len(tail)} characters omitted ...] {tail}"
    return _error_result(text), text


def _error_result(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _chars(value: Any) -> int:
    return limits.canonical_size(value)


def _budget_refusal(episode: Episode) -> str | None:
    if len(episode.audit) >= limits.MAX_EPISODE_CALLS:
        return limits.call_budget_message(len(episode.audit))
    if episode.audit_chars >= limits.MAX_EPISODE_AUDIT_CHARS:
        return limits.audit_budget_message(episode.audit_chars)
    return None


def _audit_result(payload: Any) -> tuple[Any, int]:
    """What the audit keeps of a result (a digest past the cap) and its size for the budget."""
    if payload is None:
        return None, 0
    chars = _chars(payload)
    if chars > limits.MAX_AUDIT_RESULT_CHARS:
        kept = limits.omitted(payload)
        return kept, _chars(kept)
    return payload, chars if payload else 0


def _audit_arguments(arguments: Any) -> dict[str, Any]:
    if arguments is None:
        return {}
    if isinstance(arguments, dict):
        return dict(arguments)
    return {"_raw": json.dumps(arguments, default=str)}


def _rejection_text(exc: MCPError | ValidationError) -> str:
    if isinstance(exc, MCPError):
        return exc.error.message
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
