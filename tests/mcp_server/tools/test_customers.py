"""searchCustomers through the MCP client."""

from __future__ import annotations

from tool_support import call, call_error, world_row, world_rows


async def test_search_customers_by_full_name_finds_namesakes_told_apart_by_email() -> None:
    found = await call("searchCustomers", {"name": "jordan lee"})
    assert found["count"] == 2 and len({c["email"] for c in found["customers"]}) == 2


async def test_search_customers_by_phone_ignores_punctuation() -> None:
    customer = world_row("SELECT id, phone FROM customers WHERE phone IS NOT NULL ORDER BY id")
    digits = "".join(ch for ch in customer["phone"] if ch.isdigit())[-7:]
    found = await call("searchCustomers", {"phone": f"{digits[:3]}-{digits[3:]}"})
    assert customer["id"] in {c["id"] for c in found["customers"]}


async def test_search_customers_by_tier_and_sign_up_window() -> None:
    expected = [r["id"] for r in world_rows(
        "SELECT id FROM customers WHERE loyalty_tier = 'platinum' AND created_at >= '2024-01-01T05:00:00Z' ORDER BY id LIMIT 200"
    )]
    found = await call("searchCustomers", {"loyalty_tier": "platinum", "created_after": "2024-01-01T00:00:00-05:00", "limit": 200})
    assert [c["id"] for c in found["customers"]] == expected and expected


async def test_search_customers_with_an_unknown_id_returns_nothing() -> None:
    assert await call("searchCustomers", {"customer_id": "cus-99999"}) == {"customers": [], "count": 0}


async def test_search_customers_refuses_a_window_that_ends_before_it_starts() -> None:
    text = await call_error("searchCustomers", {"created_after": "2025-01-01T00:00:00Z", "created_before": "2024-01-01T00:00:00Z"})
    assert "created_after" in text and "created_before" in text
