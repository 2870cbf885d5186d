"""Episodes: each one is a private copy of the world plus its audit log.

An in-process or stdio server holds one episode. Over HTTP the registry holds many, keyed by the
episode id the harness sends in the ``X-CoreCraft-Episode`` header; requests without it share the
default episode. The registry bounds how many episodes live at once and closes idle ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite
import anyio
from pydantic import BaseModel

from mcp_server.errors import EpisodeError
from mcp_server.world.clock import parse_clock
from mcp_server.world.store import DEFAULT_CLOCK, Template

DEFAULT_EPISODE = "default"
EPISODE_HEADER = "x-corecraft-episode"
CLOCK_HEADER = "x-corecraft-clock"


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


@dataclass
class Episode:
    id: str
    db: aiosqlite.Connection
    clock: datetime
    content_hash: str
    audit: list[AuditEntry] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)

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

    async def export(self) -> EpisodeExport:
        return EpisodeExport(
            episode_id=self.id, content_hash=self.content_hash, clock=self.clock.isoformat(),
            audit=list(self.audit), changes=await self.changes(),
        )

    async def close(self) -> None:
        with anyio.CancelScope(shield=True):
            await self.db.close()


class EpisodeRegistry:
    """Creates, finds and retires episodes; safe to share among concurrent requests."""

    def __init__(
        self,
        template: Template,
        *,
        clock: str | None = None,
        max_episodes: int = 512,
        idle_timeout_s: float = 1800.0,
    ) -> None:
        self.template = template
        self.default_clock = clock
        self.max_episodes = max_episodes
        self.idle_timeout_s = idle_timeout_s
        self._episodes: dict[str, Episode] = {}
        self._creating: dict[str, asyncio.Future[Episode]] = {}

    def __len__(self) -> int:
        return len(self._episodes)

    def find(self, episode_id: str) -> Episode | None:
        return self._episodes.get(episode_id)

    async def get(self, episode_id: str = DEFAULT_EPISODE, clock: str | None = None) -> Episode:
        """The episode with this id, created on first use (with ``clock``, else the default clock)."""
        episode = self._episodes.get(episode_id)
        if episode is not None:
            episode.last_used = time.monotonic()
            return episode
        pending = self._creating.get(episode_id)
        if pending is not None:
            return await asyncio.shield(pending)
        await self.expire_idle()
        if len(self._episodes) + len(self._creating) >= self.max_episodes:
            raise EpisodeError(
                f"the server already holds {self.max_episodes} episodes; close finished ones "
                "(DELETE /episodes/<id>) or wait for idle ones to expire"
            )
        future: asyncio.Future[Episode] = asyncio.get_running_loop().create_future()
        self._creating[episode_id] = future
        try:
            episode = await self._open(episode_id, clock or self.default_clock)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            self._creating.pop(episode_id, None)
        self._episodes[episode_id] = episode
        future.set_result(episode)
        return episode

    async def _open(self, episode_id: str, clock: str | None) -> Episode:
        # A clock override is written into the copy so that every tool reads the same "now".
        moment = parse_clock(clock or DEFAULT_CLOCK)
        db = await self.template.connect(clock=clock)
        return Episode(id=episode_id, db=db, clock=moment, content_hash=self.template.content_hash)

    async def close(self, episode_id: str) -> EpisodeExport | None:
        """Close an episode and return its final export, or None if it does not exist."""
        episode = self._episodes.pop(episode_id, None)
        if episode is None:
            return None
        async with episode.lock:
            export = await episode.export()
            await episode.close()
        return export

    async def expire_idle(self) -> int:
        cutoff = time.monotonic() - self.idle_timeout_s
        idle = [e for e in self._episodes.values() if e.last_used < cutoff and not e.lock.locked()]
        for episode in idle:
            self._episodes.pop(episode.id, None)
            await episode.close()
        return len(idle)

    async def close_all(self) -> None:
        episodes, self._episodes = list(self._episodes.values()), {}
        for episode in episodes:
            await episode.close()
