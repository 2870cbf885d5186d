"""searchOrders and getOrderDetails through the MCP client, including the silent cap of ten."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tool_support import call, call_error, call_with_rows, description, world_row, world_rows

EASTERN = ZoneInfo("America/New_York")


def busy_product_month() -> tuple[str, datetime, datetime]:
    """A product with more than ten orders in one US Eastern calendar month, and that month."""
    counts: dict[tuple[str, int, int], set[str]] = {}
    for row in world_rows(
        "SELECT oi.product_id, o.id, o.created_at FROM order_items oi JOIN orders o ON o.id = oi.order_id "
        "WHERE o.created_at IS NOT NULL"
    ):
        local = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")).astimezone(EASTERN)
        counts.setdefault((row["product_id"], local.year, local.month), set()).add(row["id"])
    product, year, month = max(counts, key=lambda key: len(counts[key]))
    assert len(counts[(product, year, month)]) > 10
    start = datetime(year, month, 1, tzinfo=EASTERN)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=EASTERN)
    return product, start, end


async def test_search_orders_silently_caps_at_ten() -> None:
    product, start, end = busy_product_month()
    found = await call("searchOrders", {
        "product_id": product, "created_after": start.isoformat(), "created_before": end.isoformat(), "limit": 200,
    })
    assert set(found) == {"orders", "count"}  # no total, no "more" flag
    assert found["count"] == len(found["orders"]) == 10
    expected = [r["id"] for r in world_rows(
        "SELECT DISTINCT o.id, o.created_at FROM orders o JOIN order_items oi ON oi.order_id = o.id "
        "WHERE oi.product_id = ? AND o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at, o.id LIMIT 10",
        (product, start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"), end.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")),
    )]
    assert [o["id"] for o in found["orders"]] == expected


async def test_search_orders_description_does_not_disclose_the_cap() -> None:
    text = (await description("searchOrders")).lower()
    assert "10" not in text and "ten" not in text.split() and "truncat" not in text and "at most" not in text


async def test_search_orders_a_window_starting_after_the_tenth_reaches_the_orders_the_cap_hid() -> None:
    product, start, end = busy_product_month()
    whole = await call("searchOrders", {"product_id": product, "created_after": start.isoformat(), "created_before": end.isoformat()})
    tenth = whole["orders"][-1]["created_at"]
    later = await call("searchOrders", {"product_id": product, "created_after": tenth, "created_before": end.isoformat()})
    hidden = [o["id"] for o in later["orders"] if o["id"] not in {w["id"] for w in whole["orders"]}]
    assert hidden and all(o["created_at"] >= tenth for o in later["orders"])


async def test_search_orders_reads_a_window_the_same_in_any_time_zone() -> None:
    customer = world_row("SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) >= 4 ORDER BY customer_id")["customer_id"]
    eastern = await call("searchOrders", {"customer_id": customer, "created_after": "2025-01-01T00:00:00-05:00"})
    utc = await call("searchOrders", {"customer_id": customer, "created_after": "2025-01-01T05:00:00Z"})
    assert eastern == utc
    assert all(o["created_at"] >= "2025-01-01T05:00:00Z" for o in eastern["orders"])
    times = [o["created_at"] for o in eastern["orders"]]
    assert times == sorted(times)


async def test_search_orders_refuses_a_date_without_time_zone_and_says_how_to_write_it() -> None:
    text = await call_error("searchOrders", {"created_after": "2025-08-01T00:00:00"})
    assert "time zone" in text and "2025-08-01T00:00:00-04:00" in text


@pytest.mark.parametrize("moment", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00+01:00", "0300-01-01T00:00:00Z"])
async def test_search_orders_refuses_a_date_outside_the_accepted_years_instead_of_failing_or_finding_nothing(moment: str) -> None:
    text = await call_error("searchOrders", {"created_after": moment})
    assert "outside the range of dates this tool accepts (1900-01-01T00:00:00Z to 2100-12-31T23:59:59Z)" in text
    assert "leave created_after out" in text


async def test_search_orders_from_the_first_accepted_moment_finds_the_oldest_orders() -> None:
    oldest = [r["id"] for r in world_rows("SELECT id FROM orders WHERE created_at IS NOT NULL ORDER BY created_at, id LIMIT 10")]
    found = await call("searchOrders", {"created_after": "1900-01-01T00:00:00-05:00"})
    assert [o["id"] for o in found["orders"]] == oldest


async def test_search_order_summaries_count_units_and_carry_status_and_shipping() -> None:
    order = world_row("SELECT order_id, SUM(quantity) AS units FROM order_items GROUP BY order_id HAVING COUNT(*) > 1 ORDER BY order_id")
    stored = world_row("SELECT * FROM orders WHERE id = ?", (order["order_id"],))
    [summary] = (await call("searchOrders", {"order_id": order["order_id"]}))["orders"]
    assert summary == {
        "id": stored["id"], "customer_id": stored["customer_id"], "status": stored["status"],
        "created_at": stored["created_at"], "total": stored["total"], "item_count": order["units"],
        "shipping_service": stored["shipping_service"],
    }


async def test_search_orders_with_an_unknown_id_returns_nothing() -> None:
    assert await call("searchOrders", {"order_id": "ord-990101-001"}) == {"orders": [], "count": 0}


async def test_get_order_details_joins_lines_payment_shipments_customer_tickets_and_refunds() -> None:
    order_id = world_row(
        "SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id WHERE r.order_id = o.id) "
        "AND EXISTS (SELECT 1 FROM support_tickets t WHERE t.order_id = o.id) AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id) ORDER BY o.id"
    )["id"]
    details = await call("getOrderDetails", {"order_id": order_id})
    assert details["order"]["id"] == order_id
    lines = world_rows("SELECT oi.id, p.sku FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id = ? ORDER BY oi.id", (order_id,))
    assert [(line["id"], line["sku"]) for line in details["lines"]] == [tuple(r) for r in lines]
    assert details["payment"]["order_id"] == order_id
    assert details["shipments"] and all(isinstance(e["at"], str) for s in details["shipments"] for e in s["events"])
    assert details["customer"]["id"] == details["order"]["customer_id"] and "@" in details["customer"]["email"]
    tickets = world_rows("SELECT id FROM support_tickets WHERE order_id = ?", (order_id,))
    assert {t["id"] for t in details["tickets"]} == {t["id"] for t in tickets}
    refund_lines = world_rows("SELECT rl.id FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id WHERE r.order_id = ?", (order_id,))
    assert sorted(line["id"] for r in details["refunds"] for line in r["lines"]) == sorted(r["id"] for r in refund_lines)


async def test_get_order_details_names_the_customer_as_on_record_with_their_current_tier() -> None:
    order_id = world_row(
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.loyalty_tier != c.loyalty_tier ORDER BY o.id"
    )["id"]
    customer = world_row(
        "SELECT c.* FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.id = ?", (order_id,)
    )
    details = await call("getOrderDetails", {"order_id": order_id})
    assert details["customer"] == {
        "id": customer["id"], "name": f"{customer['first_name']} {customer['last_name']}",
        "email": customer["email"], "loyalty_tier": customer["loyalty_tier"],
    }
    assert details["order"]["loyalty_tier"] != customer["loyalty_tier"]  # the order keeps its tier at purchase
    assert not any(key.startswith("customer__") for key in details["order"])


async def test_get_order_details_of_an_order_whose_customer_record_is_gone_has_no_customer() -> None:
    order = world_row("SELECT id, customer_id FROM orders ORDER BY id")
    details = await call_with_rows(
        [("PRAGMA foreign_keys = OFF", ()), ("DELETE FROM customers WHERE id = ?", (order["customer_id"],))],
        "getOrderDetails", {"order_id": order["id"]},
    )
    assert details["customer"] is None and details["order"]["customer_id"] == order["customer_id"]


async def test_get_order_details_shows_the_latest_of_several_payments() -> None:
    order_id = world_row("SELECT order_id FROM payments GROUP BY order_id HAVING COUNT(*) > 1 ORDER BY order_id")["order_id"]
    latest = world_row("SELECT id FROM payments WHERE order_id = ? ORDER BY created_at DESC, id DESC", (order_id,))["id"]
    assert (await call("getOrderDetails", {"order_id": order_id}))["payment"]["id"] == latest


async def test_get_order_details_for_an_unknown_order_explains_the_id_format() -> None:
    text = await call_error("getOrderDetails", {"order_id": "12345"})
    assert "12345" in text and "ord-YYMMDD-NNN" in text and "searchOrders" in text
