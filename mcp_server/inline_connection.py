"""An aiosqlite connection that runs inline on the event loop (episode worlds are small and in memory)."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Callable
from typing import Any

import aiosqlite


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
