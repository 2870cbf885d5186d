"""checkWarrantyStatus through the MCP client: start date, end date, days left, return window."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from mcp_server.world.clock import EARLIEST_CLOCK, to_utc_text
from tool_support import call_result, error_text, world_row

EASTERN = ZoneInfo("America/New_York")


async def check(order_id: str, product_id: str, *, clock: str | None = None) -> Any:
    return await call_result("checkWarrantyStatus", {"order_id": order_id, "product_id": product_id}, clock=clock)


def eastern_day(stored: str) -> date:
    return datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).astimezone(EASTERN).date()


def months_later(start: date, months: int) -> date:
    index = start.month - 1 + months
    return date(start.year + index // 12, index % 12 + 1, start.day)  # callers pick days <= 28


DELIVERED = """SELECT o.id AS order_id, o.created_at, s.delivered_at, i.product_id, p.warranty_months, p.category
    FROM orders o JOIN shipments s ON s.order_id = o.id JOIN order_items i ON i.order_id = o.id
    JOIN products p ON p.id = i.product_id
    WHERE o.status = 'fulfilled' AND s.delivered_at IS NOT NULL
      AND (SELECT COUNT(*) FROM shipments s2 WHERE s2.order_id = o.id) = 1"""


def delivered_line(extra: str = "") -> sqlite3.Row:
    row = world_row(DELIVERED + extra + " ORDER BY o.id")
    assert eastern_day(row["delivered_at"]).day <= 28
    return row


async def test_warranty_runs_from_the_delivery_date_for_the_products_months() -> None:
    line = delivered_line(" AND CAST(strftime('%d', s.delivered_at) AS INTEGER) BETWEEN 2 AND 27")
    result = await check(line["order_id"], line["product_id"])
    status = result.structured_content
    delivered = eastern_day(line["delivered_at"])
    end = months_later(delivered, line["warranty_months"])
    assert status["delivery_date"] == delivered.isoformat() and status["warranty_start"] == delivered.isoformat()
    assert status["warranty_end"] == end.isoformat()
    today = date(2025, 9, 15)
    assert status["under_warranty"] is (today <= end)
    assert status["days_remaining"] == max((end - today).days, 0)
    assert status["policy"]["category"] in (line["category"], "default")
    assert status["policy"]["exclusions"]


async def test_warranty_is_in_force_on_its_last_day_and_over_the_next_day() -> None:
    line = delivered_line(" AND CAST(strftime('%d', s.delivered_at) AS INTEGER) BETWEEN 2 AND 27")
    end = months_later(eastern_day(line["delivered_at"]), line["warranty_months"])
    last_day = await check(line["order_id"], line["product_id"], clock=datetime.combine(end, time(23, 0), EASTERN).isoformat())
    assert last_day.structured_content["under_warranty"] is True and last_day.structured_content["days_remaining"] == 0
    after = await check(line["order_id"], line["product_id"], clock=datetime.combine(end + timedelta(days=1), time(9, 0), EASTERN).isoformat())
    assert after.structured_content["under_warranty"] is False
    assert "Both the return window and the warranty have ended" in after.structured_content["next_step"]


async def test_return_window_is_reported_open_during_the_first_thirty_days() -> None:
    # Bought after the earliest clock the world accepts, so day 30 of its window can be the clock.
    line = delivered_line(f" AND o.created_at > '{to_utc_text(EARLIEST_CLOCK)}'")
    purchase = eastern_day(line["created_at"])
    inside = await check(line["order_id"], line["product_id"], clock=datetime.combine(purchase + timedelta(days=30), time(23, 59, 59), EASTERN).isoformat())
    assert inside.structured_content["within_return_window"] is True
    assert "processReturn" in inside.structured_content["next_step"]
    outside = await check(line["order_id"], line["product_id"], clock=datetime.combine(purchase + timedelta(days=31), time(0, 0), EASTERN).isoformat())
    assert outside.structured_content["within_return_window"] is False
    assert outside.structured_content["return_window_ends"].startswith((purchase + timedelta(days=30)).isoformat())


async def test_without_a_delivery_the_warranty_runs_from_the_purchase_date() -> None:
    row = world_row(
        """SELECT o.id AS order_id, o.created_at, i.product_id FROM orders o JOIN order_items i ON i.order_id = o.id
           WHERE o.status IN ('paid', 'fulfilled', 'backorder') AND o.created_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL)
           ORDER BY o.id"""
    )
    status = (await check(row["order_id"], row["product_id"])).structured_content
    assert status["delivery_date"] is None
    assert status["warranty_start"] == eastern_day(row["created_at"]).isoformat()
    assert status["warranty_start_basis"].startswith("purchase date")


async def test_a_product_that_is_not_on_the_order_is_refused_with_the_orders_products() -> None:
    line = delivered_line()
    other = world_row("SELECT id FROM products WHERE id NOT IN (SELECT product_id FROM order_items WHERE order_id = ?)", (line["order_id"],))
    text = error_text(await check(line["order_id"], other["id"]))
    assert f"product {other['id']} is not on order {line['order_id']}" in text and line["product_id"] in text


async def test_unknown_order_is_not_found() -> None:
    assert "no order with id 'ord-000000-000'" in error_text(await check("ord-000000-000", "prd-0001"))
