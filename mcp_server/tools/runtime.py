"""What every tool module uses: registration, the current episode, transactions, error translation.

A tool is an ``async def`` with flat, typed parameters, declared with ``@world_tool(...)``. It reaches
the world through ``reading()`` or ``writing()``; it reports agent-fixable problems by raising a
``WorldError`` subclass, which becomes an MCP tool error with that text. Before a tool runs, its text
arguments pass the shared checks of ``arguments.py`` (length, blank, NUL). Any other exception is
logged and replaced by a generic message, so no SQL, path or traceback ever reaches the agent.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import aiosqlite
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from mcp_server.episodes import Episode
from mcp_server.errors import WorldError
from mcp_server.inline_connection import InlineConnection
from mcp_server.tools.arguments import check_text_arguments, declared_string_limits

log = logging.getLogger("corecraft.tools")

_current_episode: ContextVar[Episode | None] = ContextVar("corecraft_episode", default=None)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    function: Callable[..., Awaitable[Any]]
    annotations: ToolAnnotations
    writes: bool


TOOLS: dict[str, ToolSpec] = {}


def world_tool(*, name: str, title: str, writes: bool = False, idempotent: bool = False) -> Callable[[F], F]:
    """Declare a CoreCraft tool. Reads are read-only and idempotent; writes are never destructive
    (they add records or move statuses forward; nothing is deleted)."""

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        # Resolved on first use, when every name the annotations mention exists.
        declared = functools.cache(lambda: declared_string_limits(function))

        @functools.wraps(function)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                # The SDK passes arguments by name: binding them to the signature would only copy them.
                named = kwargs if not args else signature.bind_partial(*args, **kwargs).arguments
                check_text_arguments(named, declared())
                return await function(*args, **kwargs)
            except WorldError as exc:
                raise ToolError(str(exc)) from exc
            except ToolError:
                raise
            except Exception as exc:
                log.exception("internal error in tool %s", name)
                raise ToolError(
                    f"{name} failed because of an internal error; nothing was changed. "
                    "Retrying the same call will not help; continue with other tools."
                ) from exc

        # The docstring is the description the model reads: drop the source indentation.
        guarded.__doc__ = inspect.cleandoc(function.__doc__) if function.__doc__ else None
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=not writes,
            destructive_hint=False,
            idempotent_hint=idempotent or not writes,
            open_world_hint=False,
        )
        if name in TOOLS:
            raise ValueError(f"tool {name} declared twice")
        TOOLS[name] = ToolSpec(name=name, title=title, function=guarded, annotations=annotations, writes=writes)
        return function

    return decorate


def current_episode() -> Episode:
    episode = _current_episode.get()
    if episode is None:
        raise RuntimeError("a world tool ran outside an episode (the server's middleware sets it)")
    return episode


def set_current_episode(episode: Episode | None) -> Any:
    return _current_episode.set(episode)


def reset_current_episode(token: Any) -> None:
    _current_episode.reset(token)


def world_now() -> datetime:
    """The episode's clock; tools never read the wall clock."""
    return current_episode().clock


@asynccontextmanager
async def reading() -> AsyncIterator[aiosqlite.Connection]:
    yield current_episode().db


@asynccontextmanager
async def writing() -> AsyncIterator[aiosqlite.Connection]:
    """One atomic transaction: BEGIN IMMEDIATE, commit on success, roll back on any exception."""
    db = current_episode().db
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        await db.rollback()
        raise
    else:
        await db.commit()


async def fetch_all(sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
    db = current_episode().db
    if isinstance(db, InlineConnection):  # rows at once, without aiosqlite's wrappers around each step
        return _dicts(db.run(sql, params), None)
    async with db.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def fetch_one(sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None:
    db = current_episode().db
    if isinstance(db, InlineConnection):
        rows = _dicts(db.run(sql, params), 1)
        return rows[0] if rows else None
    async with db.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return dict(row) if row is not None else None


def _dicts(cursor: sqlite3.Cursor, limit: int | None) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name (the first ``limit`` rows, or all); closes the cursor."""
    try:
        cursor.row_factory = None  # plain tuples: cheaper than sqlite3.Row when dicts are wanted anyway
        names = [column[0] for column in cursor.description or ()]
        rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        if len(set(names)) < len(names):  # a repeated name keeps its first column, as dict(sqlite3.Row) does
            return [_first_wins(names, row) for row in rows]
        return [dict(zip(names, row)) for row in rows]
    finally:
        cursor.close()


def _first_wins(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in zip(names, row):
        out.setdefault(name, value)
    return out
