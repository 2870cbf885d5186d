"""Episodes: each one is a private copy of the world plus its audit log.

An in-process or stdio server usually holds one episode. Over HTTP the registry holds many, keyed by
the episode id the harness sends in the ``X-CoreCraft-Episode`` header; requests without it share
the default episode. The registry bounds how many episodes live at once, retires idle ones, and
hands every retired episode's export to an optional ``on_close`` hook (the audit directory).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import aiosqlite
import anyio
from pydantic import BaseModel

from mcp_server.errors import EpisodeError, InvalidArgumentError
from mcp_server.world.clock import parse_clock
from mcp_server.world.store import DEFAULT_CLOCK, Template

log = logging.getLogger("corecraft.episodes")

DEFAULT_EPISODE = "default"
EPISODE_HEADER = "x-corecraft-episode"
CLOCK_HEADER = "x-corecraft-clock"
# Episode ids become file names in the audit directory: keep them short and path-free.
EPISODE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

EndReason = Literal["closed", "expired", "shutdown"]


class RowChange(BaseModel):
    """One row-level change an episode made to the world, against the template."""

    seq: int
    table: str
    row_id: str
    op: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditEntry(BaseModel):
    """One tool call as the server saw it."""

    index: int
    tool: str
    arguments: dict[str, Any]
    is_error: bool
    result: Any
    started_at: float  # unix time, for ordering and human reading only
    duration_ms: float
    changes: list[RowChange]


class EpisodeExport(BaseModel):
    """What a grader needs from a finished episode: its clock, calls and net changes."""

    episode_id: str
    content_hash: str
    clock: str
    audit: list[AuditEntry]
    changes: list[RowChange]
    end_reason: EndReason | None = None  # None while the episode is still open


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's API over an in-memory database, executed inline on the event loop.

    An episode's world is a few MB in memory, so its queries take microseconds; a hop to
    aiosqlite's worker thread and back costs more than the query. Every aiosqlite call (cursors
    included) goes through ``_execute``, so running that inline keeps the whole API, and tools
    written against aiosqlite work unchanged.
    """

    def __init__(self, conn: sqlite3.Connection, iter_chunk_size: int = 64) -> None:
        super().__init__(lambda: conn, iter_chunk_size)  # the worker thread is created, never started
        self._connection = conn

    @property
    def sync_connection(self) -> sqlite3.Connection:
        """The underlying sqlite3 connection, for synchronous readers (graders, checks)."""
        return self._conn

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    def stop(self) -> None:  # type: ignore[override]  # nothing to stop: there is no thread
        self._running = False
        conn, self._connection = self._connection, None
        if conn is not None:
            conn.close()

    async def close(self) -> None:
        self.stop()

    def __del__(self) -> None:
        if self._connection is not None:
            warnings.warn(f"{self!r} was deleted before being closed", ResourceWarning, stacklevel=1)
            self.stop()


@dataclass
class Episode:
    id: str
    db: aiosqlite.Connection
    clock: datetime
    content_hash: str
    audit: list[AuditEntry] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    closed: bool = False

    async def last_change_seq(self) -> int:
        async with self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM _changes") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def changes(self, after_seq: int = 0) -> list[RowChange]:
        async with self.db.execute(
            "SELECT seq, tbl, row_id, op, before, after FROM _changes WHERE seq > ? ORDER BY seq", (after_seq,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            RowChange(
                seq=r[0], table=r[1], row_id=r[2], op=r[3],
                before=json.loads(r[4]) if r[4] else None,
                after=json.loads(r[5]) if r[5] else None,
            )
            for r in rows
        ]

    async def export(self, end_reason: EndReason | None = None) -> EpisodeExport:
        return EpisodeExport(
            episode_id=self.id, content_hash=self.content_hash, clock=self.clock.isoformat(),
            audit=list(self.audit), changes=await self.changes(), end_reason=end_reason,
        )

    async def close(self) -> None:
        self.closed = True
        with anyio.CancelScope(shield=True):
            await self.db.close()


OnClose = Callable[[EpisodeExport], Awaitable[None]]


class EpisodeRegistry:
    """Creates, finds and retires episodes; safe to share among concurrent requests.

    ``on_close`` receives the export of every episode that ends (closed, expired or shut down);
    without it, ending an episode skips building the export.
    """

    def __init__(
        self,
        template: Template,
        *,
        clock: str | None = None,
        max_episodes: int = 512,
        idle_timeout_s: float = 1800.0,
        on_close: OnClose | None = None,
    ) -> None:
        if max_episodes < 1:
            raise ValueError("max_episodes must be at least 1")
        if clock is not None:
            parse_clock(clock)  # refuse a bad default clock at start-up, not on the first call
        self.template = template
        self.default_clock = clock
        self.max_episodes = max_episodes
        self.idle_timeout_s = idle_timeout_s
        self.on_close = on_close
        self.opened_total = 0
        self._episodes: dict[str, Episode] = {}

    def __len__(self) -> int:
        return len(self._episodes)

    def ids(self) -> list[str]:
        return list(self._episodes)

    def find(self, episode_id: str) -> Episode | None:
        return self._episodes.get(episode_id)

    async def get(self, episode_id: str = DEFAULT_EPISODE, clock: str | None = None) -> Episode:
        """The episode with this id, created on first use (with ``clock``, else the default clock)."""
        episode = self._episodes.get(episode_id)
        if episode is None:
            if not EPISODE_ID_PATTERN.fullmatch(episode_id):
                raise EpisodeError(
                    "episode ids are 1-128 letters, digits and . _ - characters, starting with a letter or digit"
                )
            if len(self._episodes) >= self.max_episodes:
                await self.expire_idle()
            episode = self._episodes.get(episode_id)  # another request may have opened it meanwhile
            if episode is None:
                if len(self._episodes) >= self.max_episodes:
                    raise EpisodeError(
                        f"the server already holds its maximum of {self.max_episodes} episodes; close finished "
                        "ones (DELETE /episodes/<id>) or wait for idle ones to expire"
                    )
                episode = self._open(episode_id, clock or self.default_clock)
                self._episodes[episode_id] = episode
                self.opened_total += 1
        episode.last_used = time.monotonic()
        return episode

    def _open(self, episode_id: str, clock: str | None) -> Episode:
        # A clock override is written into the copy so that every tool reads the same "now".
        try:
            moment = parse_clock(clock or DEFAULT_CLOCK)
        except InvalidArgumentError as exc:  # its text says how to write a clock
            raise EpisodeError(str(exc)) from exc
        db = InlineConnection(self.template.connect_sync(clock=clock))
        db.row_factory = aiosqlite.Row
        return Episode(id=episode_id, db=db, clock=moment, content_hash=self.template.content_hash)

    async def _retire(self, episode: Episode, reason: EndReason) -> EpisodeExport | None:
        """Wait for the episode's call in flight, then export it (if anyone wants it) and close it."""
        async with episode.lock:
            if episode.closed:
                return None
            export = None
            try:
                if self.on_close is not None or reason == "closed":
                    export = await episode.export(reason)
            finally:
                await episode.close()
        if export is not None and self.on_close is not None:
            try:
                await self.on_close(export)
            except Exception:  # a full disk must not stop the server from closing episodes
                log.exception("could not hand over the export of episode %s", episode.id)
        return export

    async def close(self, episode_id: str) -> EpisodeExport | None:
        """Close an episode and return its final export, or None if it does not exist."""
        episode = self._episodes.pop(episode_id, None)
        if episode is None:
            return None
        return await self._retire(episode, "closed")

    async def expire_idle(self) -> int:
        """Retire episodes unused for longer than the idle timeout; returns how many."""
        cutoff = time.monotonic() - self.idle_timeout_s
        idle = [e for e in self._episodes.values() if e.last_used < cutoff and not e.lock.locked()]
        for episode in idle:
            if self._episodes.get(episode.id) is episode:
                del self._episodes[episode.id]
        for episode in idle:
            await self._retire(episode, "expired")
        return len(idle)

    async def run_expiry(self, interval_s: float | None = None) -> None:
        """Retire idle episodes periodically, until cancelled (run it in the app's task group)."""
        interval = interval_s if interval_s is not None else max(0.05, min(60.0, self.idle_timeout_s / 4))
        while True:
            await anyio.sleep(interval)
            try:
                await self.expire_idle()
            except Exception:
                log.exception("idle expiry failed; retrying at the next interval")

    async def close_all(self) -> None:
        """Retire every episode (server shutdown)."""
        episodes, self._episodes = list(self._episodes.values()), {}
        with anyio.CancelScope(shield=True):
            for episode in episodes:
                await self._retire(episode, "shutdown")
