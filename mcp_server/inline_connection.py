"""aiosqlite connections that run inline on the event loop (episode worlds are small and in memory).

``InlineConnection`` wraps one sqlite3 connection. ``CopyOnWriteConnection`` is an episode's world:
it reads a shared, read-only connection to the template until the episode first writes, and from
then on works in a private copy of its own (docs/world-guide.md, "How episodes store the world").
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager


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

    def run(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Execute now and return the sqlite3 cursor: the synchronous path under ``execute``, for
        callers on the event loop that read rows at once (mcp_server/tools/runtime.py)."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return self._run(sql, parameters)

    def _run(self, sql: str, parameters: Iterable[Any]) -> sqlite3.Cursor:
        return self._conn.execute(sql, parameters)

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


# Statements that may run on the shared reader: they start with SELECT or WITH. A WITH that writes
# (WITH ... UPDATE) is refused there by PRAGMA query_only before it changes anything, and is then
# run in the private copy. Anything naming _meta goes to the copy too: only the copy holds the
# episode's own clock there.
_READ_STATEMENT = re.compile(r"\s*(?:SELECT|WITH)\b", re.IGNORECASE)


class CopyOnWriteConnection(InlineConnection):
    """An episode's world: the template's shared reader until the first write, then a private copy.

    ``execute`` and ``execute_fetchall`` send reads to the shared read-only connection while the
    episode has not written. Any other statement, and any other use of the underlying connection
    (``sync_connection``, cursors, hooks such as ``set_authorizer``), first gives the episode its
    private copy (``materialize``), made by ``copy`` exactly as before this class existed: the
    episode's clock in ``_meta``, change capture by triggers into ``_changes``. So an episode that
    never writes shares the template's memory and parsed schema, and one that writes sees its own
    rows from its first write on.

    The reader is shared by every unwritten episode of the thread and used inline, so a cursor of
    one episode can be open while another episode runs statements: each ``execute`` makes its own
    sqlite3 cursor and statement (Python's sqlite3 never hands a statement in use to a second
    cursor), the reader never holds a transaction, and nothing on it ever changes.
    """

    def __init__(self, reader: sqlite3.Connection, copy: Callable[[], sqlite3.Connection], iter_chunk_size: int = 64) -> None:
        super().__init__(reader, iter_chunk_size)
        self._reader = reader
        self._copy = copy
        self._private: sqlite3.Connection | None = None
        self._rows: Any = None  # the row factory, applied to reader cursors and to the copy

    @property
    def materialized(self) -> bool:
        """Whether this episode has its private copy (it wrote, or something asked for the connection)."""
        return self._private is not None

    def materialize(self) -> sqlite3.Connection:
        """The private copy, made now if it does not exist yet."""
        if self._private is None:
            if self._connection is None:
                raise ValueError("no active connection")
            private = self._copy()
            private.row_factory = self._rows
            self._private = self._connection = private
        return self._private

    @property
    def _conn(self) -> sqlite3.Connection:  # type: ignore[override]  # every generic use needs the copy
        return self.materialize()

    def _run(self, sql: str, parameters: Iterable[Any]) -> sqlite3.Cursor:
        if self._private is None and _READ_STATEMENT.match(sql) and "_meta" not in sql:
            try:
                cursor = self._reader.execute(sql, parameters)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_READONLY:
                    raise
            else:
                cursor.row_factory = self._rows
                return cursor
        return self.materialize().execute(sql, parameters)

    def _execute_fetchall(self, sql: str, parameters: Any) -> Iterable[sqlite3.Row]:
        return self._run(sql, parameters).fetchall()

    @contextmanager
    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> aiosqlite.Cursor:
        cursor = await self._execute(self._run, sql, [] if parameters is None else parameters)
        return aiosqlite.Cursor(self, cursor)

    @property
    def row_factory(self) -> Any:  # type: ignore[override]
        return self._rows

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._rows = factory
        if self._private is not None:
            self._private.row_factory = factory

    @property
    def in_transaction(self) -> bool:
        return self._private is not None and self._private.in_transaction

    @property
    def total_changes(self) -> int:
        return self._private.total_changes if self._private is not None else 0

    async def commit(self) -> None:
        if self._private is not None:  # the reader never holds a transaction
            await super().commit()

    async def rollback(self) -> None:
        if self._private is not None:
            await super().rollback()

    async def set_trace_callback(self, handler: Callable[..., Any] | None) -> None:  # type: ignore[override]
        if handler is not None or self._private is not None:  # turning a hook off needs no copy
            await super().set_trace_callback(handler)  # type: ignore[arg-type]

    async def set_authorizer(self, authorizer_callback: Any) -> None:  # type: ignore[override]
        if authorizer_callback is not None or self._private is not None:
            await super().set_authorizer(authorizer_callback)

    def stop(self) -> None:  # type: ignore[override]
        self._running = False
        private, self._private, self._connection = self._private, None, None
        if private is not None:  # the reader is shared: it stays open
            private.close()
