"""searchPayments through the MCP client."""

from __future__ import annotations

from tool_support import call, call_error, world_row, world_rows


async def test_search_payments_by_customer_covers_all_of_their_orders() -> None:
    customer = world_row("SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) >= 3 ORDER BY customer_id")["customer_id"]
    expected = {r["id"] for r in world_rows(
        "SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.customer_id = ?", (customer,)
    )}
    found = await call("searchPayments", {"customer_id": customer, "limit": 200})
    assert {p["id"] for p in found["payments"]} == expected
    times = [p["created_at"] for p in found["payments"] if p["created_at"]]
    assert times == sorted(times)


async def test_search_payments_combines_status_method_and_a_time_window() -> None:
    expected = [r["id"] for r in world_rows(
        "SELECT id FROM payments WHERE status = 'refunded' AND method = 'card' AND created_at >= '2025-01-01T05:00:00Z' "
        "AND created_at < '2025-09-15T04:00:00Z' ORDER BY created_at, id"
    )]
    found = await call("searchPayments", {
        "status": "refunded", "method": "card", "limit": 200,
        "created_after": "2025-01-01T00:00:00-05:00", "created_before": "2025-09-15T00:00:00-04:00",
    })
    assert [p["id"] for p in found["payments"]] == expected and expected


async def test_search_payments_by_order_gives_the_payment_record() -> None:
    payment = world_row("SELECT * FROM payments ORDER BY id")
    [found] = (await call("searchPayments", {"payment_id": payment["id"]}))["payments"]
    assert found == dict(payment)


async def test_search_payments_with_an_unknown_order_returns_nothing() -> None:
    assert await call("searchPayments", {"order_id": "ord-000000-000"}) == {"payments": [], "count": 0}


async def test_search_payments_refuses_an_unreadable_date() -> None:
    text = await call_error("searchPayments", {"created_after": "last week"})
    assert "created_after" in text and "ISO-8601" in text


async def test_search_payments_refuses_a_window_that_ends_before_it_starts() -> None:
    text = await call_error("searchPayments", {"created_after": "2025-09-01T00:00:00Z", "created_before": "2025-08-01T00:00:00Z"})
    assert "created_after" in text and "created_before" in text
