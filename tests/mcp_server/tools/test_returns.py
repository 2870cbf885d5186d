"""processReturn through the MCP client: the 30-day window at its boundary, conditions, refunds."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.clock import EARLIEST_CLOCK, to_utc_text
from tool_support import TEMPLATE, error_text, run, world_rows
EASTERN = ZoneInfo("America/New_York")


def eastern_clock(day: date, at: time) -> str:
    return datetime.combine(day, at, tzinfo=EASTERN).isoformat()


def evening_order() -> tuple[sqlite3.Row, date]:
    """A refundable fulfilled order placed late in the Eastern evening, so its UTC date is the next
    day: only the Eastern date gives the right window. It is placed after the earliest clock the
    world accepts, so every clock of its return window can be set."""
    rows = world_rows(
        """SELECT o.* FROM orders o
           WHERE o.status = 'fulfilled' AND o.created_at IS NOT NULL AND CAST(substr(o.created_at, 12, 2) AS INTEGER) < 4
             AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)
             AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'captured')
             AND o.created_at > ?
           ORDER BY o.id LIMIT 1""",
        (to_utc_text(EARLIEST_CLOCK),),
    )
    assert rows, "the world has no refundable order placed late in the Eastern evening"
    created = datetime.strptime(rows[0]["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    purchase = created.astimezone(EASTERN).date()
    assert purchase != created.date()
    return rows[0], purchase


def first_line(order_id: str) -> dict[str, Any]:
    item = world_rows("SELECT id FROM order_items WHERE order_id = ? ORDER BY id LIMIT 1", (order_id,))[0]
    return {"order_item_id": item["id"], "quantity": 1}


async def test_return_on_the_last_second_of_day_thirty_eastern_is_accepted() -> None:
    order, purchase = evening_order()
    clock = eastern_clock(purchase + timedelta(days=30), time(23, 59, 59))
    result, changes = await run("processReturn", {
        "order_id": order["id"], "lines": [first_line(order["id"])], "condition": "unopened", "reason": "customer_remorse",
    }, clock=clock)
    assert not result.is_error, error_text(result)
    body = result.structured_content
    assert body["purchase_date"] == purchase.isoformat()
    assert body["return_window_ends"].startswith(f"{(purchase + timedelta(days=30)).isoformat()}T23:59:59")
    assert body["refund"]["status"] == "pending" and body["refund"]["order_status"] == "refund_requested"
    assert ("refunds", body["refund"]["id"], "insert") in changes


async def test_return_on_day_thirty_one_is_refused_with_the_dates_and_changes_nothing() -> None:
    order, purchase = evening_order()
    clock = eastern_clock(purchase + timedelta(days=31), time(0, 0, 0))
    result, changes = await run("processReturn", {
        "order_id": order["id"], "lines": [first_line(order["id"])], "condition": "unopened", "reason": "customer_remorse",
    }, clock=clock)
    text = error_text(result)
    assert f"purchased on {purchase.isoformat()}" in text
    assert f"ended {(purchase + timedelta(days=30)).isoformat()} 23:59:59" in text
    assert "checkWarrantyStatus" in text
    assert changes == []


async def test_damaged_item_is_refused_with_what_to_offer_instead() -> None:
    order, purchase = evening_order()
    result, changes = await run("processReturn", {
        "order_id": order["id"], "lines": [first_line(order["id"])], "condition": "damaged", "reason": "defective",
    }, clock=eastern_clock(purchase + timedelta(days=3), time(12, 0)))
    text = error_text(result)
    assert "condition damaged" in text and "warranty" in text
    assert changes == []


async def test_liquid_damage_is_refused() -> None:
    order, purchase = evening_order()
    result, _ = await run("processReturn", {
        "order_id": order["id"], "lines": [first_line(order["id"])], "condition": "liquid_damage", "reason": "defective",
    }, clock=eastern_clock(purchase + timedelta(days=3), time(12, 0)))
    assert "liquid damage" in error_text(result)


async def test_approved_return_of_the_whole_order_refunds_every_unit() -> None:
    order, purchase = evening_order()
    items = world_rows("SELECT id, quantity FROM order_items WHERE order_id = ?", (order["id"],))
    employee = world_rows("SELECT id FROM employees WHERE permissions LIKE '%issue_refund%' LIMIT 1")[0]["id"]
    result, changes = await run("processReturn", {
        "order_id": order["id"], "lines": [{"order_item_id": i["id"], "quantity": i["quantity"]} for i in items],
        "condition": "opened_undamaged", "reason": "incompatible", "approved_by": employee,
    }, clock=eastern_clock(purchase + timedelta(days=10), time(9, 0)))
    refund = result.structured_content["refund"]
    assert refund["status"] == "approved" and refund["order_status"] == "refunded"
    assert ("orders", order["id"], "update") in changes
    assert ("payments", refund["payment_id"], "update") in changes
    assert len([c for c in changes if c[0] == "refund_lines"]) == len(items)


async def test_order_that_has_not_shipped_cannot_take_a_return() -> None:
    rows = world_rows("SELECT id FROM orders WHERE status IN ('paid', 'pending') ORDER BY id LIMIT 1")
    assert rows
    result, changes = await run("processReturn", {
        "order_id": rows[0]["id"], "lines": [first_line(rows[0]["id"])], "condition": "unopened", "reason": "other",
    })
    assert "cancel it with updateOrderStatus" in error_text(result)
    assert changes == []


async def test_missing_order_date_falls_back_to_the_first_payment_date() -> None:
    order, purchase = evening_order()
    registry = EpisodeRegistry(TEMPLATE, clock=eastern_clock(purchase + timedelta(days=30), time(20, 0)))
    try:
        episode = await registry.get("default")
        await episode.db.execute("UPDATE orders SET created_at = NULL WHERE id = ?", (order["id"],))
        await episode.db.commit()
        payment = world_rows(
            "SELECT created_at FROM payments WHERE order_id = ? ORDER BY created_at LIMIT 1", (order["id"],)
        )[0]["created_at"]
        paid_on = datetime.strptime(payment, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).astimezone(EASTERN).date()
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool("processReturn", {
                "order_id": order["id"], "lines": [first_line(order["id"])], "condition": "unopened", "reason": "other",
            })
        assert not result.is_error, error_text(result)
        assert result.structured_content["purchase_date"] == paid_on.isoformat()
    finally:
        await registry.close_all()
