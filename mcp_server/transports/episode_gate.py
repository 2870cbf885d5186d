"""The MCP endpoint's door on a shared server: no request reaches a world it does not own.

- A request on the stateless protocol (2026-07-28) carries no session, so without an episode key
  it could only share a world with strangers. It is refused with a JSON-RPC error that says how to
  get an episode. ``mcp.Client``'s default ``auto`` mode takes that refusal of its opening probe
  as "use the session protocol" and connects again with the initialize handshake, so plain
  clients still work with no set-up: each session then gets a private episode.
- Ending a session (``DELETE /mcp`` with its ``Mcp-Session-Id``) ends that session's episode.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.audit import EPISODE_UNAVAILABLE, NO_EPISODE_MESSAGE, RETIRED_HEADER_MESSAGE
from mcp_server.episodes import KEY_HEADER, RETIRED_EPISODE_HEADER, SESSION_HEADER, EpisodeRegistry
from mcp_server.transports.security import send_json

PROTOCOL_HEADER = "mcp-protocol-version"
# Enough of a refused request's body to find its JSON-RPC id; the rest is not read.
MAX_PEEK_BYTES = 64 * 1024


class EpisodeGate:
    """Pure ASGI wrapper around the SDK's MCP app (mounted at ``path``)."""

    def __init__(self, app: ASGIApp, registry: EpisodeRegistry, path: str) -> None:
        self.app = app
        self.registry = registry
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "POST" and not headers.get(KEY_HEADER) and _stateless(headers):
            message = RETIRED_HEADER_MESSAGE if headers.get(RETIRED_EPISODE_HEADER) else NO_EPISODE_MESSAGE
            await _refuse(receive, send, message)
            return
        session = headers.get(SESSION_HEADER)
        if scope["method"] == "DELETE" and session:
            await self._end_session(session, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _end_session(self, session: str, scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        episode_id = self.registry.owner_of(session)
        if 200 <= status < 300 and episode_id is not None:
            with anyio.CancelScope(shield=True):
                await self.registry.close(episode_id)


def _stateless(headers: Headers) -> bool:
    version = headers.get(PROTOCOL_HEADER)
    return version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS


async def _refuse(receive: Receive, send: Send, text: str) -> None:
    error = {"jsonrpc": "2.0", "id": await _request_id(receive), "error": {"code": EPISODE_UNAVAILABLE, "message": text}}
    await send_json(send, 400, error)


async def _request_id(receive: Receive) -> Any:
    """The JSON-RPC id of the request being refused, when its start can be read cheaply."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_PEEK_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False):
            try:
                request = json.loads(b"".join(chunks))
            except (ValueError, UnicodeDecodeError):
                return None
            request_id = request.get("id") if isinstance(request, dict) else None
            return request_id if isinstance(request_id, (str, int)) and not isinstance(request_id, bool) else None
    return None
