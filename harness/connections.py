"""How episodes reach the world: in-process (default), a stdio subprocess, or a remote HTTP server.

A ``WorldConnection`` lives for a whole run; ``async with connection.episode(id, clock) as handle``
opens one episode, its own copy of the world on the server, selected by metadata the model never
sees: ``_meta`` on each call in-process and over stdio; over HTTP the server issues the episode
and its key (``POST /episodes``), and the key travels in the ``X-CoreCraft-Episode-Key`` header. When the block exits normally the episode is closed on the server and ``handle.export``
holds its ``EpisodeExport`` (audit log and row changes).

Every failure of the connection itself (a dead subprocess, a refused HTTP connection, a JSON-RPC
error) comes out as ``EpisodeInfrastructureError``, so the runner records the episode as an
infrastructure error and never as the model's failure.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp import Client, MCPError, StdioServerParameters
from mcp.types import CallToolResult, Tool
from mcp_types import INVALID_PARAMS

from harness.episode_journal import EpisodeJournal
from harness.errors import ConfigurationError, EpisodeInfrastructureError, HarnessError
from mcp_server.audit import META_CLOCK_KEY, META_EPISODE_KEY
from mcp_server.episodes import EpisodeExport, EpisodeRegistry
from mcp_server.world.store import Template, load_template

ConnectionKind = Literal["inprocess", "stdio", "http"]
# A tool call that takes longer than this is a hung server, not a slow model.
DEFAULT_CALL_TIMEOUT_S = 120.0
TOKEN_ENV = "CORECRAFT_TOKEN"  # the same variable `corecraft serve` reads


@contextmanager
def infrastructure_errors(what: str) -> Iterator[None]:
    """Turn any failure of the MCP plumbing into ``EpisodeInfrastructureError``; cancellation passes."""
    try:
        yield
    except EpisodeInfrastructureError:
        raise
    except Exception as exc:  # noqa: BLE001 - ExceptionGroup, httpx2, anyio, OSError: all the same to the runner
        raise EpisodeInfrastructureError(f"{what}: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return "; ".join(_describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@asynccontextmanager
async def connected_client(client: Client, what: str) -> AsyncIterator[None]:
    """Enter an ``mcp.Client``; its failures become ``EpisodeInfrastructureError``, while an
    exception from the ``async with`` body comes out as itself (the client's task groups would
    otherwise wrap it in nested ``ExceptionGroup``s)."""
    body_error: BaseException | None = None
    try:
        async with client:
            try:
                yield
            except BaseException as exc:
                body_error = exc
                raise
    except BaseException as exc:
        if body_error is None:
            if isinstance(exc, Exception) and not isinstance(exc, HarnessError):
                raise EpisodeInfrastructureError(f"{what}: {_describe(exc)}") from exc
            raise
    if body_error is not None:
        raise body_error


class ToolListingCache:
    """What every episode of a run would otherwise fetch and compile again: the tool list and the
    MCP client's compiled output-schema validators.

    ``mcp.ClientSession`` compiles a JSON-schema validator per tool per session (checking the
    schema against the meta-schema first); with one session per episode that was three quarters
    of the harness's CPU over HTTP. The caches are the session's own (private) dictionaries,
    shared by every session of the run, which is sound because every session talks to the same
    server. If a future SDK renames them, sharing silently stops and only speed is lost."""

    def __init__(self) -> None:
        self.tools: list[Tool] | None = None
        self._schemas: dict[str, Any] = {}
        self._validators: dict[str, Any] = {}

    def share_with(self, client: Client) -> None:
        session = client.session
        if hasattr(session, "_tool_output_schemas") and hasattr(session, "_tool_output_validators"):
            session._tool_output_schemas = self._schemas
            session._tool_output_validators = self._validators


async def _trusted_result(_name: str, _result: CallToolResult) -> None:
    return None


def trust_results(client: Client) -> None:
    """Skip the client's re-validation of each structured result against the tool's output schema.

    For the harness's own in-process server only: it built every result from the tool's typed
    model, so checking it again only costs time (more than half the round trip of a lookup).
    Remote servers (stdio, HTTP) are other programs and keep the check."""
    client.session.validate_tool_result = _trusted_result  # type: ignore[method-assign]  # shadows the method, this session only


class EpisodeSession:
    """One episode's view of the world: the tool list and calls into its private world."""

    def __init__(
        self, client: Client, episode_id: str, meta: dict[str, Any] | None, cache: ToolListingCache | None = None
    ) -> None:
        self.episode_id = episode_id
        self._client = client
        self._meta = meta
        self._cache = cache

    async def list_tools(self) -> list[Tool]:
        """Every tool the server lists (fetched once per run when the run shares a cache)."""
        if self._cache is not None and self._cache.tools is not None:
            return list(self._cache.tools)
        with infrastructure_errors("listing tools"):
            tools: list[Tool] = []
            cursor: str | None = None
            while True:
                page = await self._client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
        if self._cache is not None:
            self._cache.tools = tools
        return list(tools)

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call a tool. Failures the model caused come back as ``is_error`` results; broken
        plumbing raises ``EpisodeInfrastructureError``."""
        try:
            return await self._client.call_tool(name, arguments, meta=self._meta)  # type: ignore[arg-type]
        except MCPError as exc:
            if exc.error.code == INVALID_PARAMS:  # the server refused the model's request itself
                return CallToolResult(content=[{"type": "text", "text": exc.error.message}], is_error=True)  # type: ignore[list-item]
            raise EpisodeInfrastructureError(f"tool {name}: MCP error {exc.error.code}: {exc.error.message}") from exc
        except Exception as exc:  # noqa: BLE001
            raise EpisodeInfrastructureError(f"tool {name}: {_describe(exc)}") from exc


@dataclass
class EpisodeHandle:
    """What ``WorldConnection.episode`` yields. ``export`` is filled in when the ``async with``
    block exits normally: the episode is then closed on the server. After an exception the
    episode is discarded and ``export`` stays None."""

    session: EpisodeSession
    export: EpisodeExport | None = None


class WorldConnection(ABC):
    """A run-wide way to reach the world; ``episode()`` opens one isolated episode."""

    kind: ConnectionKind
    # The world's content hash, where it is known before any episode runs (it is for in-process).
    content_hash: str | None = None

    def __init__(self, *, call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S) -> None:
        self.call_timeout_s = call_timeout_s
        self.tool_cache = ToolListingCache()

    @abstractmethod
    def episode(self, episode_id: str, clock: str | None) -> AbstractAsyncContextManager[EpisodeHandle]:
        """``async with connection.episode(id, clock) as handle``: one private world."""

    async def world_hash(self) -> str:
        """The content hash of the world the server runs (for the manifest)."""
        return self.content_hash or load_template().content_hash

    async def list_tools(self) -> list[Tool]:
        """The tool list, as a throwaway episode sees it (for the manifest and dry runs)."""
        async with self.episode(f"probe-{os.urandom(6).hex()}", None) as handle:
            return await handle.session.list_tools()

    async def aclose(self) -> None:
        return None

    async def use_journal(self, journal: EpisodeJournal) -> int:
        """Keep track of open episodes in ``journal``, first closing those a killed run left open
        there; returns how many it closed. Only a shared server needs this."""
        return 0

    async def __aenter__(self) -> WorldConnection:
        """Hold run-wide resources (entered and left in the same task, as anyio requires)."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _episode_meta(episode_id: str, clock: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {META_EPISODE_KEY: episode_id}
    if clock:
        meta[META_CLOCK_KEY] = clock
    return meta


class InProcessConnection(WorldConnection):
    """One server object and one episode registry for the whole run.

    Inside ``async with connection:`` every episode shares one in-memory ``mcp.Client`` (episodes
    are told apart by ``_meta``), so the tool list is fetched once per run instead of once per
    episode. Outside it, each episode opens its own client. Either way the client trusts the
    results of this server, its own (``trust_results``)."""

    kind: ConnectionKind = "inprocess"

    def __init__(
        self, template: Template | None = None, *, max_episodes: int = 512, call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S
    ) -> None:
        super().__init__(call_timeout_s=call_timeout_s)
        from mcp_server.server import build_server  # imports every tool module: only when used

        self.template = template or load_template()
        self.content_hash = self.template.content_hash
        self.registry = EpisodeRegistry(self.template, max_episodes=max_episodes)
        self.server = build_server(registry=self.registry)
        self._shared: Client | None = None

    def _client(self) -> Client:
        return Client(self.server, read_timeout_seconds=self.call_timeout_s)

    async def __aenter__(self) -> InProcessConnection:
        client = self._client()
        with infrastructure_errors("the in-process MCP client"):
            await client.__aenter__()
        trust_results(client)
        self._shared = client
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        client, self._shared = self._shared, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)

    @asynccontextmanager
    async def episode(self, episode_id: str, clock: str | None) -> AsyncIterator[EpisodeHandle]:
        with infrastructure_errors("opening the in-process episode"):
            await self.registry.get(episode_id, clock)  # created now, so the export always exists
        meta = _episode_meta(episode_id, clock)
        try:
            if self._shared is not None:
                handle = EpisodeHandle(EpisodeSession(self._shared, episode_id, meta, self.tool_cache))
                yield handle
            else:
                client = self._client()
                async with connected_client(client, "the in-process MCP client"):
                    self.tool_cache.share_with(client)
                    trust_results(client)
                    handle = EpisodeHandle(EpisodeSession(client, episode_id, meta, self.tool_cache))
                    yield handle
            handle.export = await self.registry.close(episode_id)
        finally:
            if self.registry.find(episode_id) is not None:
                with anyio.CancelScope(shield=True):
                    await self.registry.close(episode_id)

    async def aclose(self) -> None:
        await self.__aexit__()
        await self.registry.close_all()


class StdioConnection(WorldConnection):
    """A fresh ``corecraft serve`` subprocess per episode, spoken to over stdio.

    The subprocess holds this one episode. It runs with ``--audit-dir`` pointing at a scratch
    directory, so when the harness closes its stdin it writes the episode's export there as
    ``<episode id>.json`` before it exits."""

    kind: ConnectionKind = "stdio"

    def __init__(self, command: list[str] | None = None, *, call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S) -> None:
        super().__init__(call_timeout_s=call_timeout_s)
        self.command = command or [sys.executable, "-m", "harness.cli.main", "serve", "--transport", "stdio"]

    @asynccontextmanager
    async def episode(self, episode_id: str, clock: str | None) -> AsyncIterator[EpisodeHandle]:
        with tempfile.TemporaryDirectory(prefix="corecraft-episode-") as scratch:
            params = StdioServerParameters(
                command=self.command[0], args=[*self.command[1:], "--audit-dir", scratch], env=dict(os.environ)
            )
            client = Client(params, read_timeout_seconds=self.call_timeout_s)
            async with connected_client(client, f"the stdio server ({' '.join(self.command)})"):
                self.tool_cache.share_with(client)
                handle = EpisodeHandle(EpisodeSession(client, episode_id, _episode_meta(episode_id, clock), self.tool_cache))
                yield handle
            # Leaving the client closed the server's stdin and waited for the process to exit.
            handle.export = _read_export(Path(scratch) / f"{episode_id}.json")


def _read_export(path: Path) -> EpisodeExport | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None  # the episode never touched the world, so the server never created it
    with infrastructure_errors("reading the episode export"):
        return EpisodeExport.model_validate_json(text)


def open_connection(
    kind: ConnectionKind, *, server_url: str | None = None, max_episodes: int = 512,
    call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
) -> WorldConnection:
    if kind == "inprocess":
        return InProcessConnection(max_episodes=max_episodes, call_timeout_s=call_timeout_s)
    if kind == "stdio":
        return StdioConnection(call_timeout_s=call_timeout_s)
    if kind == "http":
        from harness.http_connection import HttpConnection

        if not server_url:
            raise ConfigurationError("--connection http needs --server-url (e.g. http://127.0.0.1:8765/mcp)")
        return HttpConnection(server_url, call_timeout_s=call_timeout_s)
    raise ConfigurationError(f"unknown connection {kind!r}; choose inprocess, stdio or http")
