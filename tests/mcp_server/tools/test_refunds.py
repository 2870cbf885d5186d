"""createRefund through the MCP client: arithmetic, approvals, status moves and refusals."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from mcp_server.episodes import EpisodeRegistry
from mcp_server.world.rules import cents
from tool_support import call_in, error_text, query, world_problems, world_rows


# Fulfilled orders with one captured payment, no refunds yet and no promotion.
CLEAN_ORDERS = """
    SELECT o.* FROM orders o
    WHERE o.status = 'fulfilled' AND o.promo_discount = 0
      AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)
      AND (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'captured') = 1
"""


def clean_order(tier: str, *, min_lines: int = 1) -> sqlite3.Row:
    rows = world_rows(
        CLEAN_ORDERS + " AND o.loyalty_tier = ? AND (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id) >= ? ORDER BY o.id LIMIT 1",
        (tier, min_lines),
    )
    assert rows, f"the world has no clean fulfilled {tier} order with {min_lines}+ lines"
    return rows[0]


def items_of(order_id: str) -> list[sqlite3.Row]:
    return world_rows("SELECT * FROM order_items WHERE order_id = ? ORDER BY id", (order_id,))


def approver(permission: bool = True) -> str:
    clause = "LIKE" if permission else "NOT LIKE"
    rows = world_rows(f"SELECT id FROM employees WHERE permissions {clause} '%issue_refund%' ORDER BY id LIMIT 1")
    assert rows
    return str(rows[0]["id"])


async def test_gold_refund_is_line_price_times_quantity_less_ten_percent_without_shipping(registry: EpisodeRegistry) -> None:
    order = clean_order("gold")
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "lines": [{"order_item_id": item["id"], "quantity": item["quantity"]}],
        "reason": "defective",
    })
    assert not result.is_error, error_text(result)
    refund = result.structured_content
    gross = cents(Decimal(str(item["unit_price"])) * item["quantity"])
    expected = cents(gross - cents(gross * Decimal("0.10")))
    assert Decimal(str(refund["amount"])) == expected
    assert refund["lines"][0]["amount"] == float(expected)
    assert refund["loyalty_tier"] == "gold"
    assert Decimal(str(refund["amount"])) < Decimal(str(order["total"]))  # shipping stays with the merchant
    assert await world_problems(registry) == []


async def test_refund_without_approver_is_pending_and_puts_the_order_in_refund_requested(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "lines": [{"order_item_id": item["id"], "quantity": 1}], "reason": "customer_remorse",
    })
    refund = result.structured_content
    assert refund["status"] == "pending" and refund["approved_by"] is None
    assert refund["order_status"] == "refund_requested" and refund["payment_status"] == "captured"
    assert refund["id"] == "ref-{:05d}".format(max(int(r["id"][4:]) for r in world_rows("SELECT id FROM refunds")) + 1)
    stored = await query(registry, "SELECT status FROM orders WHERE id = ?", (order["id"],))
    assert stored[0][0] == "refund_requested"
    lines = await query(registry, "SELECT order_item_id, quantity FROM refund_lines WHERE refund_id = ?", (refund["id"],))
    assert [tuple(line) for line in lines] == [(item["id"], 1)]
    assert await world_problems(registry) == []


async def test_approved_refund_of_every_unit_marks_order_refunded_and_payment_partially_refunded(registry: EpisodeRegistry) -> None:
    order = clean_order("silver")
    items = items_of(order["id"])
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "incompatible", "approved_by": approver(),
        "lines": [{"order_item_id": i["id"], "quantity": i["quantity"]} for i in items],
    })
    refund = result.structured_content
    assert refund["status"] == "approved"
    assert refund["order_status"] == "refunded"
    # shipping and the loyalty discount are not refunded, so the payment is never fully returned
    assert refund["payment_status"] == "partially_refunded"
    payment = await query(registry, "SELECT status FROM payments WHERE id = ?", (refund["payment_id"],))
    assert payment[0][0] == "partially_refunded"
    assert await world_problems(registry) == []


async def test_approved_refund_of_some_units_marks_order_partially_refunded(registry: EpisodeRegistry) -> None:
    order = clean_order("platinum", min_lines=2)
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "defective", "approved_by": approver(),
        "lines": [{"order_item_id": item["id"], "quantity": 1}],
    })
    assert result.structured_content["order_status"] == "partially_refunded"
    assert await world_problems(registry) == []


async def test_approver_without_issue_refund_is_refused_and_nothing_changes(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "defective", "approved_by": approver(permission=False),
        "lines": [{"order_item_id": item["id"], "quantity": 1}],
    })
    assert "issue_refund" in error_text(result)
    assert await query(registry, "SELECT * FROM _changes") == []


async def test_quantity_beyond_what_is_left_to_refund_is_refused(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "defective",
        "lines": [{"order_item_id": item["id"], "quantity": item["quantity"] + 1}],
    })
    assert f"at most {item['quantity']}" in error_text(result)
    assert await query(registry, "SELECT * FROM _changes") == []


async def test_units_already_refunded_cannot_be_refunded_again(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    item = items_of(order["id"])[0]
    args = {"order_id": order["id"], "reason": "defective", "lines": [{"order_item_id": item["id"], "quantity": item["quantity"]}]}
    first = await call_in(registry, "createRefund", args)
    assert not first.is_error
    second = await call_in(registry, "createRefund", args)
    assert "at most 0" in error_text(second)


async def test_refund_larger_than_what_is_left_on_the_payment_is_refused(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    item = items_of(order["id"])[0]
    episode = await registry.get("default")
    await episode.db.execute("UPDATE payments SET amount = 1.00 WHERE order_id = ? AND status = 'captured'", (order["id"],))
    await episode.db.commit()
    before = await query(registry, "SELECT COUNT(*) FROM _changes")
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "defective", "lines": [{"order_item_id": item["id"], "quantity": 1}],
    })
    assert "only 1.00 left" in error_text(result)
    assert await query(registry, "SELECT COUNT(*) FROM _changes") == before


async def test_line_of_another_order_is_refused_with_the_orders_lines(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    foreign = world_rows("SELECT id FROM order_items WHERE order_id != ? LIMIT 1", (order["id"],))[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "other", "lines": [{"order_item_id": foreign["id"], "quantity": 1}],
    })
    text = error_text(result)
    assert f"{foreign['id']} is not a line of order {order['id']}" in text
    assert items_of(order["id"])[0]["id"] in text


async def test_ticket_of_another_customer_is_refused(registry: EpisodeRegistry) -> None:
    order = clean_order("none")
    tickets = world_rows("SELECT id FROM support_tickets WHERE customer_id != ? LIMIT 1", (order["customer_id"],))
    assert tickets, "the world has no support tickets"
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "other", "ticket_id": tickets[0]["id"],
        "lines": [{"order_item_id": item["id"], "quantity": 1}],
    })
    assert "belongs to customer" in error_text(result)
    assert await query(registry, "SELECT * FROM _changes") == []


async def test_order_without_a_captured_payment_cannot_be_refunded(registry: EpisodeRegistry) -> None:
    rows = world_rows(
        "SELECT o.id FROM orders o WHERE o.status = 'cancelled' "
        "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status IN ('captured', 'partially_refunded')) LIMIT 1"
    )
    assert rows
    item = items_of(rows[0]["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": rows[0]["id"], "reason": "other", "lines": [{"order_item_id": item["id"], "quantity": 1}],
    })
    assert "cancelled" in error_text(result)


async def test_unknown_order_is_not_found(registry: EpisodeRegistry) -> None:
    result = await call_in(registry, "createRefund", {
        "order_id": "ord-000000-000", "reason": "other", "lines": [{"order_item_id": "oli-000001", "quantity": 1}],
    })
    assert "no order with id 'ord-000000-000'" in error_text(result)


async def test_refund_deducts_the_lines_share_of_the_orders_promotion(registry: EpisodeRegistry) -> None:
    rows = world_rows(
        "SELECT o.* FROM orders o WHERE o.status = 'fulfilled' AND o.promo_discount > 0 "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id LIMIT 1"
    )
    if not rows:
        pytest.skip("the world has no fulfilled order with a promotion")
    order = rows[0]
    item = items_of(order["id"])[0]
    result = await call_in(registry, "createRefund", {
        "order_id": order["id"], "reason": "defective", "lines": [{"order_item_id": item["id"], "quantity": item["quantity"]}],
    })
    gross = cents(Decimal(str(item["unit_price"])) * item["quantity"])
    pct = {"none": 0, "silver": 5, "gold": 10, "platinum": 15}[order["loyalty_tier"]]
    share = cents(Decimal(str(order["promo_discount"])) * gross / Decimal(str(order["subtotal"])))
    expected = cents(gross - cents(gross * pct / 100) - share)
    line = result.structured_content["lines"][0]
    assert line["promo_share"] == float(share) and line["amount"] == float(expected)
