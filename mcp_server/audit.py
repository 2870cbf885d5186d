"""Server middleware that routes each tool call to its episode and writes the audit log.

The episode comes from the ``X-CoreCraft-Episode`` HTTP header, or from the request's ``_meta``
(key ``corecraft/episode``) for in-process clients; neither is a parameter the model sees. Calls in
one episode are serialized by the episode's lock, so each audit entry's row changes are exactly
the rows that call changed.
"""

from __future__ import annotations

import json
import time
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR
from pydantic import BaseModel, ValidationError

from mcp_server.episodes import CLOCK_HEADER, DEFAULT_EPISODE, EPISODE_HEADER, AuditEntry, EpisodeRegistry
from mcp_server.errors import CoreCraftServerError
from mcp_server.tools.runtime import reset_current_episode, set_current_episode

META_EPISODE_KEY = "corecraft/episode"
META_CLOCK_KEY = "corecraft/clock"


def episode_selector(ctx: ServerRequestContext[Any, Any]) -> tuple[str, str | None]:
    """(episode id, clock override) chosen by the caller's transport metadata."""
    request = ctx.request
    headers = getattr(request, "headers", None)
    if headers is not None and headers.get(EPISODE_HEADER):
        return headers[EPISODE_HEADER], headers.get(CLOCK_HEADER)
    meta = (ctx.params or {}).get("_meta") or {}
    if isinstance(meta, dict) and isinstance(meta.get(META_EPISODE_KEY), str):
        clock = meta.get(META_CLOCK_KEY)
        return meta[META_EPISODE_KEY], clock if isinstance(clock, str) else None
    return DEFAULT_EPISODE, None


def _result_payload(result: HandlerResult) -> tuple[bool, Any]:
    data = result.model_dump(by_alias=True, exclude_none=True) if isinstance(result, BaseModel) else (result or {})
    is_error = bool(data.get("isError", False))
    if "structuredContent" in data and not is_error:
        return is_error, data["structuredContent"]
    texts = [block.get("text", "") for block in data.get("content", []) if block.get("type") == "text"]
    return is_error, "\n".join(texts)


class EpisodeAuditMiddleware:
    """Routes ``tools/call`` to its episode, serializes calls per episode, and records each one."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        registry: EpisodeRegistry = ctx.lifespan_context
        episode_id, clock = episode_selector(ctx)
        try:
            episode = await registry.get(episode_id, clock)
        except CoreCraftServerError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from exc
        params = ctx.params or {}
        arguments = params.get("arguments") or {}
        async with episode.lock:
            token = set_current_episode(episode)
            before_seq = await episode.last_change_seq()
            started, clock_start = time.time(), time.perf_counter()
            is_error, payload = True, None  # what the entry says if the call raises
            try:
                result = await call_next(ctx)
                is_error, payload = _result_payload(result)
            except (MCPError, ValidationError) as exc:
                payload = f"rejected before the tool ran: {type(exc).__name__}"
                raise
            finally:
                reset_current_episode(token)
                duration_ms = (time.perf_counter() - clock_start) * 1000
                episode.audit.append(
                    AuditEntry(
                        index=len(episode.audit),
                        tool=str(params.get("name", "")),
                        arguments=arguments if isinstance(arguments, dict) else {"_raw": json.dumps(arguments, default=str)},
                        is_error=is_error,
                        result=payload,
                        started_at=started,
                        duration_ms=duration_ms,
                        changes=await episode.changes(before_seq),
                    )
                )
                episode.last_used = time.monotonic()
        return result
