"""Helpers for the read-tool tests: call a tool through the official MCP client on a fresh world,
and look up ids in the committed world with SQL instead of hard-coding them."""

from __future__ import annotations

import sqlite3
from typing import Any

from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.store import load_template

def world_rows(sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows of the committed world (a private copy, so tests may not disturb each other)."""
    conn = load_template().connect_sync()  # the same world build_server() loads
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def world_row(sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row:
    rows = world_rows(sql + " LIMIT 1", params)
    assert rows, f"the committed world has no row for: {sql}"
    return rows[0]


async def call(tool: str, arguments: dict[str, Any], *, clock: str | None = None) -> dict[str, Any]:
    """The structured result of a successful call on a fresh world (optionally at another clock)."""
    async with Client(build_server(clock=clock)) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, [getattr(block, "text", block) for block in result.content]
    assert result.structured_content is not None
    return result.structured_content


async def call_error(tool: str, arguments: dict[str, Any]) -> str:
    """The text an agent reads when the call fails."""
    async with Client(build_server()) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(block, "text", "") for block in result.content)


async def description(tool: str) -> str:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    return next(t.description or "" for t in tools if t.name == tool)


async def call_with_rows(statements: list[tuple[str, tuple[Any, ...]]], tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Insert rows of a test's own into a fresh episode, then call the tool there."""
    registry = EpisodeRegistry(load_template())
    try:
        episode = await registry.get()
        for sql, params in statements:
            await episode.db.execute(sql, params)
        await episode.db.commit()
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool(tool, arguments)
    finally:
        await registry.close_all()
    assert not result.is_error, [getattr(block, "text", block) for block in result.content]
    assert result.structured_content is not None
    return result.structured_content
