"""Episodes on a shared ``corecraft serve --transport http`` server, reached by server-issued keys."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from harness.connections import (
    DEFAULT_CALL_TIMEOUT_S,
    TOKEN_ENV,
    ConnectionKind,
    EpisodeHandle,
    EpisodeSession,
    WorldConnection,
    connected_client,
    infrastructure_errors,
)
from harness.episode_journal import EpisodeJournal
from harness.errors import ConfigurationError, EpisodeInfrastructureError
from harness.providers.retry import parse_retry_after
from mcp_server.episodes import KEY_HEADER, EpisodeExport

OPEN_ATTEMPTS = 5  # POST /episodes tries on a full server (503), waiting its Retry-After between them
MAX_RETRY_AFTER_S = 5.0


class HttpConnection(WorldConnection):
    """A running ``corecraft serve --transport http``. Each episode is opened with
    ``POST /episodes`` (the server answers its id and key), worked in with the key in the
    ``X-CoreCraft-Episode-Key`` header, and closed with ``DELETE /episodes/{id}``, which answers its
    final export. A token in ``$CORECRAFT_TOKEN`` is sent as a bearer token, as the server expects."""

    kind: ConnectionKind = "http"

    def __init__(self, server_url: str, *, call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S) -> None:
        super().__init__(call_timeout_s=call_timeout_s)
        url = server_url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"--server-url must be an http(s) URL, got {server_url!r}")
        self.root = url[: -len("/mcp")] if url.endswith("/mcp") else url
        self.mcp_url = f"{self.root}/mcp"
        self.journal: EpisodeJournal | None = None
        # One connection pool (and TLS context) for the run; each episode's client borrows it.
        self._transport = httpx2.AsyncHTTPTransport(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=200))

    def _client(self, headers: dict[str, str] | None = None) -> httpx2.AsyncClient:
        headers = dict(headers or {})
        token = os.environ.get(TOKEN_ENV)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx2.AsyncClient(
            transport=_Borrowed(self._transport), headers=headers, timeout=httpx2.Timeout(self.call_timeout_s, connect=10.0)
        )

    async def aclose(self) -> None:
        await self._transport.aclose()
        if self.journal is not None:
            self.journal.rewrite(self.journal.leftovers())  # drops the file once nothing is left open

    async def world_hash(self) -> str:
        async with self._client() as http:
            with infrastructure_errors(f"asking {self.root}/healthz for the world hash"):
                response = await http.get(f"{self.root}/healthz")
                response.raise_for_status()
                self.content_hash = str(response.json()["world"])
        return self.content_hash

    async def use_journal(self, journal: EpisodeJournal) -> int:
        self.journal = journal
        remaining = []
        closed = 0
        for entry in journal.leftovers():
            if entry.server != self.root:
                remaining.append(entry)  # another server's: not ours to close from here
                continue
            async with self._client({KEY_HEADER: entry.key}) as http:
                try:
                    response = await http.delete(f"{self.root}/episodes/{entry.episode_id}")
                except httpx2.HTTPError:
                    remaining.append(entry)  # the server is unreachable now; try again next time
                    continue
            closed += response.status_code == 200
        journal.rewrite(remaining)
        return closed

    @asynccontextmanager
    async def episode(self, episode_id: str, clock: str | None) -> AsyncIterator[EpisodeHandle]:
        server_id, key = await self._open(episode_id, clock)
        if self.journal is not None:
            self.journal.opened(self.root, server_id, key)
        async with self._client({KEY_HEADER: key}) as http:
            try:
                transport = streamable_http_client(self.mcp_url, http_client=http)
                client = Client(transport, read_timeout_seconds=self.call_timeout_s)
                async with connected_client(client, f"the MCP server at {self.mcp_url}"):
                    self.tool_cache.share_with(client)
                    handle = EpisodeHandle(EpisodeSession(client, server_id, None, self.tool_cache))
                    yield handle
                handle.export = await self._close(http, server_id)
            except BaseException:
                # Retire the abandoned episode; failing to costs server memory until it idles out.
                with anyio.CancelScope(shield=True), anyio.move_on_after(10), contextlib.suppress(httpx2.HTTPError):
                    await http.delete(f"{self.root}/episodes/{server_id}")
                raise
            finally:
                if self.journal is not None:
                    self.journal.closed(server_id)

    async def _open(self, label: str, clock: str | None) -> tuple[str, str]:
        """``POST /episodes``: the server's id for a new episode and the key that reaches it. A
        full server answers 503 with Retry-After: wait as told (a few times, a bounded while)
        rather than fail an episode that a moment later would have had room."""
        options = {"label": label, **({"clock": clock} if clock else {})}
        async with self._client() as http:
            with infrastructure_errors(f"opening an episode on {self.root}"):
                for attempt in range(1, OPEN_ATTEMPTS + 1):
                    response = await http.post(f"{self.root}/episodes", json=options)
                    if response.status_code != 503 or attempt == OPEN_ATTEMPTS:
                        break
                    await anyio.sleep(_retry_after(response))
                if response.status_code != 201:
                    raise EpisodeInfrastructureError(
                        f"POST {self.root}/episodes answered {response.status_code}: {_error_text(response)}"
                    )
                opened = response.json()
                return str(opened["episode_id"]), str(opened["key"])

    async def _close(self, http: httpx2.AsyncClient, episode_id: str) -> EpisodeExport:
        """``DELETE /episodes/{id}`` closes the episode and answers with its final export."""
        with infrastructure_errors(f"closing episode {episode_id} on {self.root}"):
            response = await http.delete(f"{self.root}/episodes/{episode_id}")
            if response.status_code != 200:
                raise EpisodeInfrastructureError(
                    f"DELETE {self.root}/episodes/{episode_id} answered {response.status_code}: {_error_text(response)}"
                )
            return EpisodeExport.model_validate_json(response.content)


def _retry_after(response: httpx2.Response) -> float:
    """The server's Retry-After in seconds (1 s when it gives none), kept between 0.1 and MAX_RETRY_AFTER_S."""
    asked = parse_retry_after(response.headers)
    return 1.0 if asked is None else min(MAX_RETRY_AFTER_S, max(0.1, asked))


def _error_text(response: httpx2.Response) -> str:
    try:
        return str(response.json().get("error", response.text))[:500]
    except ValueError:
        return response.text[:500]


class _Borrowed(httpx2.AsyncBaseTransport):
    """A run-wide transport lent to one episode's client: closing that client leaves it open."""

    def __init__(self, shared: httpx2.AsyncBaseTransport) -> None:
        self._shared = shared

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._shared.handle_async_request(request)

    async def aclose(self) -> None:
        return None
