"""The world clock and timestamp arguments stay inside the range every tool can compute with."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_server.audit import EPISODE_UNAVAILABLE, META_CLOCK_KEY, META_EPISODE_KEY
from mcp_server.episodes import EpisodeRegistry
from mcp_server.errors import InvalidArgumentError
from mcp_server.server import build_server
from mcp_server.world.clock import EARLIEST_CLOCK, LATEST_CLOCK, parse_clock, parse_filter_time, to_utc_text
from mcp_server.world.store import DEFAULT_CLOCK, load_template

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = load_template()

# Records that define the world rather than happen in it: at any accepted clock they all exist.
REFERENCE_TIMES = """
    SELECT MAX(t) FROM (
        SELECT MAX(released_at) AS t FROM products UNION ALL SELECT MAX(created_at) FROM customers
        UNION ALL SELECT MAX(hired_at) FROM employees UNION ALL SELECT MAX(effective_from) FROM company_policies
        UNION ALL SELECT MAX(updated_at) FROM kb_articles)
"""


def test_the_earliest_clock_is_the_newest_moment_of_the_worlds_reference_data() -> None:
    conn = TEMPLATE.connect_sync()
    try:
        newest = conn.execute(REFERENCE_TIMES).fetchone()[0]
    finally:
        conn.close()
    assert to_utc_text(EARLIEST_CLOCK) == newest, "set clock.EARLIEST_CLOCK to the data's newest reference time"


@pytest.mark.parametrize(
    "clock",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+00:00", "1970-01-01T00:00:00Z",
     (EARLIEST_CLOCK - timedelta(seconds=1)).isoformat(), (LATEST_CLOCK + timedelta(seconds=1)).isoformat()],
)
def test_a_clock_outside_the_observable_range_is_refused_with_the_range(clock: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        parse_clock(clock)
    assert to_utc_text(EARLIEST_CLOCK) in str(refused.value) and to_utc_text(LATEST_CLOCK) in str(refused.value)


@pytest.mark.parametrize(
    "clock",
    [DEFAULT_CLOCK, EARLIEST_CLOCK.isoformat(), LATEST_CLOCK.isoformat(),
     EARLIEST_CLOCK.astimezone(timezone(timedelta(hours=-12))).isoformat(),
     LATEST_CLOCK.astimezone(timezone(timedelta(hours=14))).isoformat()],
)
def test_both_ends_of_the_range_are_accepted_in_any_offset(clock: str) -> None:
    assert parse_clock(clock) == datetime.fromisoformat(clock)


def test_every_task_clock_is_accepted() -> None:
    files = sorted((REPO / "tasks").glob("*/*.json"))
    clocks = {path.name: json.loads(path.read_text(encoding="utf-8")).get("clock") for path in files}
    assert len(files) >= 1400 and any(clocks.values())
    refused = []
    for name, clock in clocks.items():
        try:
            parse_clock(clock or DEFAULT_CLOCK)
        except InvalidArgumentError as exc:
            refused.append(f"{name}: {exc}")
    assert refused == []


@pytest.mark.parametrize("value", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00+01:00", "0300-01-01T00:00:00Z"])
def test_a_filter_time_whose_utc_form_is_out_of_range_is_refused_not_overflowed(value: str) -> None:
    with pytest.raises(InvalidArgumentError, match="outside the range of dates"):
        parse_filter_time(value, "created_after")


def test_stored_times_always_have_four_digit_years() -> None:
    assert to_utc_text(datetime(999, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5)))) == "1000-01-01T01:00:00Z"
    assert to_utc_text(datetime(998, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "0998-01-02T03:04:05Z"


async def test_a_call_at_a_1970_clock_is_refused_before_any_tool_runs_and_creates_nothing() -> None:
    conn = TEMPLATE.connect_sync()
    try:
        order, line = conn.execute(
            "SELECT o.id, i.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status = 'fulfilled' ORDER BY o.id"
        ).fetchone()
    finally:
        conn.close()
    registry = EpisodeRegistry(TEMPLATE)
    try:
        async with Client(build_server(registry=registry)) as client:
            with pytest.raises(MCPError) as refused:
                await client.call_tool(
                    "processReturn",
                    {"order_id": order, "lines": [{"order_item_id": line, "quantity": 1}], "condition": "unopened",
                     "reason": "customer_remorse"},
                    meta={META_EPISODE_KEY: "ep-1970", META_CLOCK_KEY: "1970-01-01T00:00:00Z"},  # type: ignore[arg-type]
                )
        assert refused.value.error.code == EPISODE_UNAVAILABLE
        assert "outside the range the world can be observed in" in refused.value.error.message
        assert registry.find("ep-1970") is None
    finally:
        await registry.close_all()
