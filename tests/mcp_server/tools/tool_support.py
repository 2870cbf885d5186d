"""Helpers for the tool tests: call tools through the official MCP client on a fresh world, look up
ids in the committed world with SQL instead of hard-coding them, and inspect what a call changed."""

from __future__ import annotations

import sqlite3
from typing import Any

from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.invariants import check_coherence, check_invariants
from mcp_server.world.store import load_template

TEMPLATE = load_template()  # the same world build_server() loads


def world_rows(sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows of the committed world (a private copy, so tests may not disturb each other)."""
    conn = TEMPLATE.connect_sync()
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def world_row(sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row:
    rows = world_rows(sql + " LIMIT 1", params)
    assert rows, f"the committed world has no row for: {sql}"
    return rows[0]


def error_text(result: Any) -> str:
    """The text an agent reads from a failed call (asserts that it failed)."""
    assert result.is_error, result.structured_content
    return " ".join(block.text for block in result.content)


def structured(result: Any) -> dict[str, Any]:
    """The structured result of a call that must have succeeded."""
    assert not result.is_error, [getattr(block, "text", block) for block in result.content]
    assert result.structured_content is not None
    return result.structured_content


async def call_in(registry: EpisodeRegistry, tool: str, arguments: dict[str, Any]) -> Any:
    """The raw result of one call in the registry's default episode."""
    async with Client(build_server(registry=registry)) as client:
        return await client.call_tool(tool, arguments)


async def calls(registry: EpisodeRegistry, *steps: tuple[str, dict[str, Any]]) -> list[Any]:
    """The raw results of several calls, in order, over one connection."""
    async with Client(build_server(registry=registry)) as client:
        return [await client.call_tool(tool, arguments) for tool, arguments in steps]


async def call_result(tool: str, arguments: dict[str, Any], *, clock: str | None = None) -> Any:
    """The raw result of one call on a fresh world (optionally at another clock)."""
    registry = EpisodeRegistry(TEMPLATE, clock=clock)
    try:
        return await call_in(registry, tool, arguments)
    finally:
        await registry.close_all()


async def call(tool: str, arguments: dict[str, Any], *, clock: str | None = None) -> dict[str, Any]:
    """The structured result of a successful call on a fresh world (optionally at another clock)."""
    return structured(await call_result(tool, arguments, clock=clock))


async def call_error(tool: str, arguments: dict[str, Any]) -> str:
    """The text an agent reads when the call fails."""
    return error_text(await call_result(tool, arguments))


async def description(tool: str) -> str:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    return next(t.description or "" for t in tools if t.name == tool)


async def call_with_rows(statements: list[tuple[str, tuple[Any, ...]]], tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Insert rows of a test's own into a fresh episode, then call the tool there."""
    registry = EpisodeRegistry(TEMPLATE)
    try:
        episode = await registry.get()
        for sql, params in statements:
            await episode.db.execute(sql, params)
        await episode.db.commit()
        result = await call_in(registry, tool, arguments)
    finally:
        await registry.close_all()
    return structured(result)


async def query(registry: EpisodeRegistry, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of the registry's default episode, as plain tuples."""
    episode = registry.find("default")
    assert episode is not None
    async with episode.db.execute(sql, params) as cursor:
        return [tuple(r) for r in await cursor.fetchall()]


async def changed_rows(registry: EpisodeRegistry) -> list[tuple[Any, ...]]:
    """What the episode's calls changed, in order: (table, row id, operation)."""
    return await query(registry, "SELECT tbl, row_id, op FROM _changes ORDER BY seq")


async def world_problems(registry: EpisodeRegistry) -> list[str]:
    """Invariant and coherence violations of the episode's world (empty = consistent)."""
    episode = registry.find("default")
    assert episode is not None
    copy = sqlite3.connect(":memory:")
    try:
        await episode.db.backup(copy)
        return check_invariants(copy) + check_coherence(copy)
    finally:
        copy.close()


async def run_steps(*steps: tuple[str, dict[str, Any]], clock: str | None = None) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """Make the calls in a fresh episode, check they left a consistent world, and return their raw
    results and the rows they changed."""
    registry = EpisodeRegistry(TEMPLATE, clock=clock)
    try:
        results = await calls(registry, *steps)
        assert await world_problems(registry) == []  # every call leaves a consistent world
        return results, await changed_rows(registry)
    finally:
        await registry.close_all()


async def run(tool: str, arguments: dict[str, Any], *, clock: str | None = None) -> tuple[Any, list[tuple[Any, ...]]]:
    """One call of ``run_steps``: its raw result and the rows it changed."""
    (result,), changed = await run_steps((tool, arguments), clock=clock)
    return result, changed
