"""Server middleware that routes each tool call to its episode and writes the audit log.

The episode comes from the ``X-CoreCraft-Episode`` HTTP header, or from the request's ``_meta``
(key ``corecraft/episode``) for in-process and stdio clients; neither is a parameter the model sees.
Calls in one episode are serialized by the episode's lock, so each audit entry's row changes are
exactly the rows that call changed. Every ``tools/call`` is recorded: successful calls, tool errors,
calls whose arguments failed validation, unknown tool names, and requests the protocol layer
rejected before any tool ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ValidationError

from mcp_server.episodes import (
    CLOCK_HEADER,
    DEFAULT_EPISODE,
    EPISODE_HEADER,
    AuditEntry,
    Episode,
    EpisodeRegistry,
    RowChange,
)
from mcp_server.errors import CoreCraftServerError
from mcp_server.tools.runtime import TOOLS, reset_current_episode, set_current_episode

META_EPISODE_KEY = "corecraft/episode"
META_CLOCK_KEY = "corecraft/clock"
# JSON-RPC leaves -32000..-32099 to servers; this one means "no episode can serve this request".
EPISODE_UNAVAILABLE = -32010
MAX_ERROR_DETAILS = 8
# An error that echoes a huge argument back would flood the model's context; keep both ends.
MAX_ERROR_CHARS = 2000


def episode_selector(ctx: ServerRequestContext[Any, Any]) -> tuple[str, str | None]:
    """(episode id, clock override) chosen by the caller's transport metadata, never by the model."""
    headers = getattr(ctx.request, "headers", None)
    if headers is not None and headers.get(EPISODE_HEADER):
        return headers[EPISODE_HEADER], headers.get(CLOCK_HEADER) or None
    meta = (ctx.params or {}).get("_meta") or {}
    if isinstance(meta, dict) and isinstance(meta.get(META_EPISODE_KEY), str):
        clock = meta.get(META_CLOCK_KEY)
        return meta[META_EPISODE_KEY], clock if isinstance(clock, str) else None
    if headers is not None and headers.get(CLOCK_HEADER):
        return DEFAULT_EPISODE, headers[CLOCK_HEADER]
    return DEFAULT_EPISODE, None


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
        episode_id, clock = episode_selector(ctx)
        params = ctx.params or {}
        name = params.get("name")
        name = name if isinstance(name, str) else ""
        arguments = params.get("arguments")
        while True:
            episode = await self._episode(registry, episode_id, clock)
            async with episode.lock:
                if episode.closed:  # closed or expired while this call waited: a fresh world serves it
                    continue
                return await self._record(episode, name, arguments, ctx, call_next)

    @staticmethod
    async def _episode(registry: EpisodeRegistry, episode_id: str, clock: str | None) -> Episode:
        try:
            return await registry.get(episode_id, clock)
        except CoreCraftServerError as exc:
            raise MCPError(code=EPISODE_UNAVAILABLE, message=str(exc)) from exc

    async def _record(
        self, episode: Episode, name: str, arguments: Any, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        spec = TOOLS.get(name)
        tracks_changes = spec is not None and spec.writes  # read-only tools cannot change rows
        token = set_current_episode(episode)
        started, clock_start = time.time(), time.perf_counter()
        before_seq = await episode.last_change_seq() if tracks_changes else 0
        is_error, payload = True, None  # what the entry says if the call raises
        try:
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
            episode.audit.append(
                AuditEntry.model_construct(
                    index=len(episode.audit),
                    tool=name,
                    arguments=_audit_arguments(arguments),
                    is_error=is_error,
                    result=payload,
                    started_at=started,
                    duration_ms=(time.perf_counter() - clock_start) * 1000,
                    changes=changes,
                )
            )
            episode.last_used = time.monotonic()
        return result

    def _clarify_rejection(self, name: str, arguments: Any, result: HandlerResult, payload: Any) -> tuple[Any, Any]:
        """If an error result came from argument validation, replace pydantic's report with a short one."""
        tool = self.tools.get(name)
        if tool is None or not isinstance(arguments, dict):
            return result, payload
        try:
            tool.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            text = describe_validation_error(name, exc)
            return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True), text
        except Exception:  # the tool's own error, or a validator crash: keep what the SDK said
            return result, payload
        return result, payload


def _shorten_error(result: HandlerResult, payload: Any) -> tuple[Any, Any]:
    if not isinstance(payload, str) or len(payload) <= MAX_ERROR_CHARS:
        return result, payload
    head, tail = payload[: MAX_ERROR_CHARS - 500], payload[-300:]
    text = f"{head} [... {len(payload) - len(head) - len(tail)} characters omitted ...] {tail}"
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True), text


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
