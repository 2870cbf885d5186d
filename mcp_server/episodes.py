"""Episodes: each one is a private world plus its audit log.

An episode's world reads the shared template until its first write, and owns a private copy from
then on (``CopyOnWriteConnection``); either way no episode ever sees another's writes.

Two ways to reach an episode, one per kind of transport (docs/threat-model.md says why):

- Local (in-process, stdio): the client is the only one talking to this server, so it names its
  episodes itself (``get``: created on first use).
- Shared (HTTP): an episode belongs to whoever holds its key. The server issues the id and a
  secret key together (``issue``), or binds an episode to an MCP session id, which the SDK also
  draws at random (``for_session``). A key is only ever stored as its SHA-256 digest.

An episode that has ended stays ended: asking for it again is an ``EpisodeError`` naming why it
ended, never a silent fresh world. The registry bounds how many episodes live at once, retires idle
ones, and hands every retired episode's export to an optional ``on_close`` hook (the audit directory).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal

import aiosqlite
import anyio
from pydantic import BaseModel

from mcp_server.errors import EpisodeError, InvalidArgumentError
from mcp_server.inline_connection import CopyOnWriteConnection, InlineConnection  # re-exported for tests and tools
from mcp_server.world.clock import parse_clock
from mcp_server.world.store import DEFAULT_CLOCK, Template

log = logging.getLogger("corecraft.episodes")

DEFAULT_EPISODE = "default"
KEY_HEADER = "x-corecraft-episode-key"
# The header of the old scheme, where any client could name (and so reach) any episode; refused.
RETIRED_EPISODE_HEADER = "x-corecraft-episode"
CLOCK_HEADER = "x-corecraft-clock"
SESSION_HEADER = "mcp-session-id"
# Ended episodes remembered so that their ids and keys give a precise error rather than "unknown".
MAX_ENDED_REMEMBERED = 100_000
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
    label: str | None = None  # the owner's name for it (e.g. the harness's task and trial), if given


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
    key_digest: str | None = None  # SHA-256 of the key that reaches it (shared transports only)
    label: str | None = None
    audit_chars: int = 0  # what its audit log holds, for the per-episode budget (mcp_server/limits.py)

    @property
    def has_private_copy(self) -> bool:
        """Whether its world is a private copy yet (an episode that never wrote reads the template)."""
        return not isinstance(self.db, CopyOnWriteConnection) or self.db.materialized

    async def last_change_seq(self) -> int:
        if not self.has_private_copy:
            return 0
        async with self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM _changes") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def changes(self, after_seq: int = 0) -> list[RowChange]:
        if not self.has_private_copy:
            return []
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
            audit=list(self.audit), changes=await self.changes(), end_reason=end_reason, label=self.label,
        )

    async def close(self) -> None:
        self.closed = True
        with anyio.CancelScope(shield=True):
            await self.db.close()


OnClose = Callable[[EpisodeExport], Awaitable[None]]


class ServerFullError(EpisodeError):
    """The server already holds all the episodes, or world copies, it may: try again later (HTTP 503)."""


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


_ENDINGS: dict[EndReason, str] = {
    "closed": "was closed by {by}",
    "expired": "expired after {idle:g} s without a call",
    "shutdown": "ended when the server shut down",
}
LABEL_PATTERN = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


class EpisodeRegistry:
    """Creates, finds and retires episodes; safe to share among concurrent requests.

    ``on_close`` receives the export of every episode that ends (closed, expired or shut down);
    without it, ending an episode skips building the export.

    Two bounds on what open episodes cost: ``max_episodes`` counts them, and ``max_world_bytes`` (if
    set) bounds the private world copies of the episodes that have written (an unwritten episode
    reads the shared template and costs a few KB). Both are checked when an episode opens, so open
    episodes that write later can take the copies past the budget by at most one copy each; audit
    logs are bounded per episode (mcp_server/limits.py).
    """

    def __init__(
        self,
        template: Template,
        *,
        clock: str | None = None,
        max_episodes: int = 512,
        idle_timeout_s: float = 1800.0,
        on_close: OnClose | None = None,
        max_world_bytes: int | None = None,
    ) -> None:
        if max_episodes < 1:
            raise ValueError("max_episodes must be at least 1")
        if max_world_bytes is not None and max_world_bytes < 1:
            raise ValueError("max_world_bytes must be positive (or None: no budget)")
        if clock is not None:
            parse_clock(clock)  # refuse a bad default clock at start-up, not on the first call
        self.template = template
        self.default_clock = clock
        self.max_episodes = max_episodes
        self.idle_timeout_s = idle_timeout_s
        self.on_close = on_close
        self.max_world_bytes = max_world_bytes
        self.opened_total = 0
        self._episodes: dict[str, Episode] = {}
        self._owned: dict[str, str] = {}  # key digest -> episode id
        # Ended episode ids and key digests -> (episode id, why it ended, who closed it), oldest first.
        self._ended: OrderedDict[str, tuple[str, EndReason, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._episodes)

    def ids(self) -> list[str]:
        return list(self._episodes)

    def find(self, episode_id: str) -> Episode | None:
        return self._episodes.get(episode_id)

    async def get(self, episode_id: str = DEFAULT_EPISODE, clock: str | None = None) -> Episode:
        """Local transports: the episode with this id, created on first use (with ``clock``, else
        the default clock). An id whose episode has ended is refused."""
        episode = self._episodes.get(episode_id)
        if episode is None:
            if not EPISODE_ID_PATTERN.fullmatch(episode_id):
                raise EpisodeError(
                    "episode ids are 1-128 letters, digits and . _ - characters, starting with a letter or digit"
                )
            self._refuse_ended(episode_id, "choose a new episode id")
            await self._make_room()
            episode = self._episodes.get(episode_id)  # another request may have opened it meanwhile
            if episode is None:
                episode = self._add(episode_id, clock)
        episode.last_used = time.monotonic()
        return episode

    async def issue(self, clock: str | None = None, label: str | None = None) -> tuple[Episode, str]:
        """Shared transports: open an episode under a fresh random id and return it with its key,
        the only credential that reaches it (besides the admin token)."""
        if label is not None and not LABEL_PATTERN.fullmatch(label):
            raise EpisodeError("an episode label is 1-200 characters without control characters")
        await self._make_room()
        key = secrets.token_urlsafe(32)
        episode = self._add(f"ep-{secrets.token_hex(8)}", clock, key_digest(key), label)
        return episode, key

    def by_key(self, key: str) -> Episode:
        """The episode this key reaches; ``EpisodeError`` if it ended or was never issued here."""
        digest = key_digest(key)
        episode = self._owned_episode(digest)
        if episode is None:
            self._refuse_ended(digest, "open a new one (POST /episodes)")
            raise EpisodeError(
                "no episode has this key: it was never issued by this server (was the server restarted?); "
                "open an episode with POST /episodes and send its key in X-CoreCraft-Episode-Key"
            )
        episode.last_used = time.monotonic()
        return episode

    async def for_session(self, session_id: str, clock: str | None = None) -> Episode:
        """The private episode of an MCP session (a client that sends no episode key), created on
        the session's first tool call. The session id is the key."""
        digest = key_digest(session_id)
        episode = self._owned_episode(digest)
        if episode is None:
            self._refuse_ended(digest, "start a new MCP session")
            await self._make_room()
            episode = self._owned_episode(digest)  # the session's other request may have created it
            if episode is None:
                episode = self._add(f"session-{digest[:16]}", clock, digest)
        episode.last_used = time.monotonic()
        return episode

    def owner_of(self, key: str) -> str | None:
        """The id of the live episode this key reaches, if any (for the owner-only routes)."""
        episode = self._owned_episode(key_digest(key))
        return episode.id if episode is not None else None

    def _owned_episode(self, digest: str) -> Episode | None:
        episode_id = self._owned.get(digest)
        return self._episodes.get(episode_id) if episode_id is not None else None

    def ended_reason(self, name: str) -> str | None:
        """Why the episode with this id (or key digest) ended, if it is remembered."""
        ended = self._ended.get(name)
        if ended is None:
            return None
        episode_id, reason, by = ended
        return f"episode {episode_id} {_ENDINGS[reason].format(idle=self.idle_timeout_s, by=by)}"

    def _refuse_ended(self, name: str, advice: str) -> None:
        why = self.ended_reason(name)
        if why is not None:
            raise EpisodeError(f"{why}; its world is gone, so calls to it are refused: {advice}")

    def world_bytes(self) -> int:
        """What the private world copies of open episodes hold (those that have written)."""
        return len(self.template.image) * sum(1 for episode in self._episodes.values() if episode.has_private_copy)

    def _over_budget(self) -> bool:
        if self.max_world_bytes is None:
            return False
        if len(self._episodes) * len(self.template.image) < self.max_world_bytes:
            return False  # even if every open episode had written: no need to count
        return self.world_bytes() >= self.max_world_bytes

    async def _make_room(self) -> None:
        if len(self._episodes) >= self.max_episodes or self._over_budget():
            await self.expire_idle()
        if len(self._episodes) >= self.max_episodes:
            raise ServerFullError(
                f"the server already holds its maximum of {self.max_episodes} episodes; close finished "
                "ones (DELETE /episodes/<id>) or wait for idle ones to expire"
            )
        if self._over_budget():
            raise ServerFullError(
                f"the server's open episodes already hold the maximum of {self.max_world_bytes / 2**20:.0f} MB of "
                "world copies (one per episode that has written); close finished ones (DELETE /episodes/<id>) "
                "or wait for idle ones to expire"
            )

    def _add(self, episode_id: str, clock: str | None, digest: str | None = None, label: str | None = None) -> Episode:
        episode = self._open(episode_id, clock or self.default_clock)
        episode.key_digest, episode.label = digest, label
        self._episodes[episode_id] = episode
        if digest is not None:
            self._owned[digest] = episode_id
        self.opened_total += 1
        return episode

    def _open(self, episode_id: str, clock: str | None) -> Episode:
        # A clock override is written into the copy so that every tool reads the same "now".
        try:
            moment = parse_clock(clock or DEFAULT_CLOCK)
        except InvalidArgumentError as exc:  # its text says how to write a clock
            raise EpisodeError(str(exc)) from exc
        # Reads share the template until the episode's first write, which gives it a private copy.
        db = CopyOnWriteConnection(self.template.reader(), partial(self.template.connect_sync, clock))
        db.row_factory = aiosqlite.Row
        return Episode(id=episode_id, db=db, clock=moment, content_hash=self.template.content_hash)

    def _forget(self, episode: Episode, reason: EndReason, by: str = "its owner") -> None:
        """Drop a retiring episode from the live maps and remember why it ended."""
        if self._episodes.get(episode.id) is episode:
            del self._episodes[episode.id]
        names = [episode.id] + ([episode.key_digest] if episode.key_digest else [])
        for name in names:
            self._owned.pop(name, None)
            self._ended[name] = (episode.id, reason, by)
            self._ended.move_to_end(name)
        while len(self._ended) > MAX_ENDED_REMEMBERED:
            self._ended.popitem(last=False)

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

    async def close(self, episode_id: str, by: str = "its owner") -> EpisodeExport | None:
        """Close an episode and return its final export, or None if it does not exist. ``by`` is
        who closed it, for the error its owner gets afterwards."""
        episode = self._episodes.get(episode_id)
        if episode is None:
            return None
        self._forget(episode, "closed", by)
        return await self._retire(episode, "closed")

    async def expire_idle(self) -> int:
        """Retire episodes unused for longer than the idle timeout; returns how many."""
        cutoff = time.monotonic() - self.idle_timeout_s
        idle = [e for e in self._episodes.values() if e.last_used < cutoff and not e.lock.locked()]
        for episode in idle:
            self._forget(episode, "expired")
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
        episodes = list(self._episodes.values())
        for episode in episodes:
            self._forget(episode, "shutdown")
        with anyio.CancelScope(shield=True):
            for episode in episodes:
                await self._retire(episode, "shutdown")
