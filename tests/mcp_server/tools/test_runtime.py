"""The runtime's row helpers: rows as dicts, the same on every kind of episode connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mcp_server.episodes import Episode, EpisodeRegistry
from mcp_server.tools.runtime import fetch_all, fetch_one, reset_current_episode, set_current_episode, writing
from tool_support import TEMPLATE

# Two columns named id: the first one wins, as it does in dict(sqlite3.Row).
REPEATED = "SELECT o.id, c.id, o.customer_id FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id LIMIT 2"


@pytest.fixture(params=["unwritten", "written"])
async def episode(request: pytest.FixtureRequest) -> AsyncIterator[Episode]:
    registry = EpisodeRegistry(TEMPLATE)
    held = await registry.get("runtime")
    token = set_current_episode(held)
    try:
        if request.param == "written":
            async with writing() as db:
                await db.execute("UPDATE customers SET notes = notes WHERE id = (SELECT MIN(id) FROM customers)")
        assert held.has_private_copy == (request.param == "written")
        yield held
    finally:
        reset_current_episode(token)
        await registry.close_all()


async def test_fetch_all_returns_dicts_in_column_order_and_a_repeated_name_keeps_its_first_column(episode: Episode) -> None:
    rows = await fetch_all(REPEATED)
    expected = [
        {"id": order_id, "customer_id": customer_id}
        for order_id, _, customer_id in TEMPLATE.reader().execute(REPEATED).fetchall()
    ]
    assert rows == expected and all(list(row) == ["id", "customer_id"] for row in rows)
    assert all(row["id"].startswith("ord-") for row in rows)


async def test_fetch_one_returns_the_first_row_or_none(episode: Episode) -> None:
    first = await fetch_one("SELECT id, status FROM orders ORDER BY id")
    assert first is not None and list(first) == ["id", "status"]
    assert first["id"] == TEMPLATE.reader().execute("SELECT MIN(id) FROM orders").fetchone()[0]
    assert await fetch_one("SELECT id FROM orders WHERE id = ?", ("no-such-order",)) is None
