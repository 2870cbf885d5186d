"""updateOrderStatus, updatePaymentStatus, updateTicketStatus through the MCP client."""

from __future__ import annotations

import sqlite3

from mcp_server.episodes import EpisodeRegistry
from tool_support import calls, error_text, query, world_problems, world_row


PAID_CAPTURED = """SELECT o.*, p.id AS payment_id, p.amount AS payment_amount FROM orders o JOIN payments p ON p.order_id = o.id
    WHERE o.status = 'paid' AND p.status = 'captured' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)
    ORDER BY o.id"""


# --- orders -------------------------------------------------------------------------------------


async def test_cancelling_a_paid_order_refunds_the_whole_captured_payment_with_an_approved_refund(registry: EpisodeRegistry) -> None:
    order = world_row(PAID_CAPTURED)
    (result,) = await calls(registry, ("updateOrderStatus", {
        "order_id": order["id"], "status": "cancelled", "reason": "Customer changed their mind before shipping",
    }))
    change = result.structured_content
    assert change["previous_status"] == "paid" and change["status"] == "cancelled"
    (refund,) = change["refunds"]
    assert refund["status"] == "approved" and refund["amount"] == order["payment_amount"]  # shipping included
    assert change["payments"] == [{"payment_id": order["payment_id"], "previous_status": "captured", "status": "refunded"}]
    assert await query(registry, "SELECT status FROM payments WHERE id = ?", (order["payment_id"],)) == [("refunded",)]
    assert await query(registry, "SELECT status, amount FROM refunds WHERE id = ?", (refund["id"],)) == [
        ("approved", order["payment_amount"])
    ]
    notes = await query(registry, "SELECT notes FROM orders WHERE id = ?", (order["id"],))
    assert "Customer changed their mind" in notes[0][0]
    assert await world_problems(registry) == []


async def test_cancelling_a_pending_order_voids_its_uncaptured_payment_without_a_refund(registry: EpisodeRegistry) -> None:
    order = world_row(
        "SELECT o.id, p.id AS payment_id FROM orders o JOIN payments p ON p.order_id = o.id "
        "WHERE o.status = 'pending' AND p.status IN ('pending', 'authorized')"
    )
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "cancelled", "reason": "Duplicate order"}))
    change = result.structured_content
    assert change["refunds"] == []
    assert change["payments"][0]["status"] == "voided"
    assert await query(registry, "SELECT COUNT(*) FROM refunds WHERE order_id = ?", (order["id"],)) == [(0,)]
    assert await world_problems(registry) == []


async def test_a_fulfilled_order_cannot_be_cancelled(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT id FROM orders WHERE status = 'fulfilled'")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "cancelled", "reason": "Customer asks"}))
    assert "cannot move from fulfilled to cancelled" in error_text(result)
    assert await query(registry, "SELECT * FROM _changes") == []


async def test_a_backordered_order_cannot_be_cancelled_under_the_cancellation_policy(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT id FROM orders WHERE status = 'backorder'")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "cancelled", "reason": "Customer asks"}))
    assert "only pending or paid orders can be cancelled" in error_text(result)
    assert await query(registry, "SELECT * FROM _changes") == []


async def test_a_paid_order_with_a_refund_cannot_be_cancelled_and_the_refusal_changes_nothing(registry: EpisodeRegistry) -> None:
    order = world_row(PAID_CAPTURED)
    item = world_row("SELECT id FROM order_items WHERE order_id = ?", (order["id"],))
    (refund,) = await calls(
        registry,
        ("createRefund", {"order_id": order["id"], "lines": [{"order_item_id": item["id"], "quantity": 1}], "reason": "other"}),
    )
    assert not refund.is_error, error_text(refund)
    episode = registry.find("default")
    assert episode is not None
    await episode.db.execute("UPDATE orders SET status = 'paid' WHERE id = ?", (order["id"],))  # an inconsistent record
    await episode.db.commit()
    before = await query(registry, "SELECT COUNT(*) FROM _changes")
    (cancel,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "cancelled", "reason": "Customer asks"}))
    assert f"already has refunds ({refund.structured_content['id']} pending)" in error_text(cancel)
    assert await query(registry, "SELECT COUNT(*) FROM _changes") == before


async def test_marking_an_order_refunded_without_an_approved_refund_is_refused(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT id FROM orders o WHERE status = 'fulfilled' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "refunded", "reason": "Customer returned it"}))
    assert "no approved refund" in error_text(result)


async def test_turning_a_refund_request_down_rejects_the_pending_refund_and_restores_fulfilled(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT o.id FROM orders o WHERE status = 'fulfilled' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    item = world_row("SELECT id FROM order_items WHERE order_id = ?", (order["id"],))
    refund, denied = await calls(
        registry,
        ("createRefund", {"order_id": order["id"], "lines": [{"order_item_id": item["id"], "quantity": 1}], "reason": "customer_remorse"}),
        ("updateOrderStatus", {"order_id": order["id"], "status": "fulfilled", "reason": "Outside the return window"}),
    )
    refund_id = refund.structured_content["id"]
    assert denied.structured_content["previous_status"] == "refund_requested"
    assert denied.structured_content["rejected_refunds"] == [refund_id]
    assert await query(registry, "SELECT status, notes FROM refunds WHERE id = ?", (refund_id,)) == [
        ("rejected", "Rejected: Outside the return window")
    ]
    assert await query(registry, "SELECT status FROM orders WHERE id = ?", (order["id"],)) == [("fulfilled",)]
    assert await world_problems(registry) == []


async def test_refund_requested_needs_a_pending_refund_on_record(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT o.id FROM orders o WHERE status = 'fulfilled' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "refund_requested", "reason": "Customer asked"}))
    assert "no pending refund" in error_text(result) and "createRefund" in error_text(result)


async def test_an_order_that_has_not_shipped_cannot_be_fulfilled(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT o.id FROM orders o WHERE status = 'paid' AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id)")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "fulfilled", "reason": "Customer says it arrived"}))
    assert "no shipment on record" in error_text(result)


async def test_a_pending_order_cannot_be_paid_before_its_payment_is_captured(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT o.id FROM orders o WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'captured')")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "paid", "reason": "Customer says they paid"}))
    assert "none of its payments is captured" in error_text(result)


async def test_moving_an_order_to_its_current_status_is_refused(registry: EpisodeRegistry) -> None:
    order = world_row("SELECT id FROM orders WHERE status = 'paid'")
    (result,) = await calls(registry, ("updateOrderStatus", {"order_id": order["id"], "status": "paid", "reason": "no change"}))
    assert "already paid" in error_text(result)


# --- payments -----------------------------------------------------------------------------------


async def test_capturing_the_payment_of_a_pending_order_records_the_time_and_makes_the_order_paid(registry: EpisodeRegistry) -> None:
    payment = world_row(
        "SELECT p.id, p.order_id FROM payments p JOIN orders o ON o.id = p.order_id "
        "WHERE o.status = 'pending' AND p.status IN ('authorized', 'pending') ORDER BY p.id"
    )
    (result,) = await calls(registry, ("updatePaymentStatus", {"payment_id": payment["id"], "status": "captured", "reason": "Customer confirmed"}))
    assert result.structured_content["status"] == "captured" and result.structured_content["order_status"] == "paid"
    assert await query(registry, "SELECT status, captured_at FROM payments WHERE id = ?", (payment["id"],)) == [
        ("captured", "2025-09-15T18:00:00Z")
    ]
    assert await query(registry, "SELECT status FROM orders WHERE id = ?", (payment["order_id"],)) == [("paid",)]
    assert await world_problems(registry) == []


async def test_the_only_live_payment_of_a_backordered_order_cannot_be_voided(registry: EpisodeRegistry) -> None:
    payment = world_row(
        "SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.status = 'backorder' AND p.status = 'authorized' "
        "AND (SELECT COUNT(*) FROM payments q WHERE q.order_id = o.id AND q.status IN ('authorized', 'captured')) = 1"
    )
    (result,) = await calls(registry, ("updatePaymentStatus", {"payment_id": payment["id"], "status": "voided", "reason": "Customer wants out"}))
    assert "only live payment of backordered order" in error_text(result)


async def test_a_payment_cannot_be_marked_refunded_without_approved_refunds_covering_it(registry: EpisodeRegistry) -> None:
    payment = world_row("SELECT p.id FROM payments p WHERE status = 'captured' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id)")
    (result,) = await calls(registry, ("updatePaymentStatus", {"payment_id": payment["id"], "status": "refunded", "reason": "Refunded by phone"}))
    assert "approved refunds on it total 0.00" in error_text(result)


async def test_a_voided_payment_is_final(registry: EpisodeRegistry) -> None:
    payment = world_row("SELECT id FROM payments WHERE status = 'voided'")
    (result,) = await calls(registry, ("updatePaymentStatus", {"payment_id": payment["id"], "status": "captured", "reason": "Retry capture"}))
    assert "voided is final" in error_text(result)


async def test_unknown_payment_is_not_found(registry: EpisodeRegistry) -> None:
    (result,) = await calls(registry, ("updatePaymentStatus", {"payment_id": "pay-999999", "status": "captured", "reason": "Retry capture"}))
    assert "no payment with id 'pay-999999'" in error_text(result)


# --- tickets ------------------------------------------------------------------------------------


def open_ticket() -> sqlite3.Row:
    return world_row(
        "SELECT t.* FROM support_tickets t WHERE t.status = 'open' AND t.order_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.ticket_id = t.id) ORDER BY t.id"
    )


async def test_resolving_a_ticket_needs_a_resolution_on_record(registry: EpisodeRegistry) -> None:
    ticket = open_ticket()
    (result,) = await calls(registry, ("updateTicketStatus", {"ticket_id": ticket["id"], "status": "resolved", "closure_reason": "Answered"}))
    assert "createResolution" in error_text(result)


async def test_resolving_a_ticket_needs_a_closure_reason(registry: EpisodeRegistry) -> None:
    ticket = open_ticket()
    (result,) = await calls(registry, ("updateTicketStatus", {"ticket_id": ticket["id"], "status": "resolved"}))
    assert "needs a closure_reason" in error_text(result)


async def test_a_ticket_with_a_resolution_can_be_resolved_then_reopened_which_clears_the_reason(registry: EpisodeRegistry) -> None:
    ticket = open_ticket()
    agent = world_row("SELECT id FROM employees WHERE support_role IS NOT NULL")
    resolution, resolved, reopened = await calls(
        registry,
        ("createResolution", {"ticket_id": ticket["id"], "outcome": "troubleshooting_steps", "summary": "Walked the customer through a BIOS update."}),
        ("updateTicketStatus", {"ticket_id": ticket["id"], "status": "resolved", "closure_reason": "Fixed by BIOS update", "assignee_id": agent["id"]}),
        ("updateTicketStatus", {"ticket_id": ticket["id"], "status": "open"}),
    )
    assert not resolution.is_error, error_text(resolution)
    assert resolved.structured_content["closure_reason"] == "Fixed by BIOS update"
    assert resolved.structured_content["assignee_id"] == agent["id"]
    assert reopened.structured_content["closure_reason"] is None
    assert await query(registry, "SELECT status, closure_reason FROM support_tickets WHERE id = ?", (ticket["id"],)) == [("open", None)]
    assert await world_problems(registry) == []


async def test_a_closed_ticket_is_final(registry: EpisodeRegistry) -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status = 'closed'")
    (result,) = await calls(registry, ("updateTicketStatus", {"ticket_id": ticket["id"], "status": "open"}))
    assert "closed is final" in error_text(result)


async def test_assigning_a_ticket_to_an_unknown_employee_is_refused(registry: EpisodeRegistry) -> None:
    ticket = open_ticket()
    (result,) = await calls(registry, ("updateTicketStatus", {"ticket_id": ticket["id"], "status": "pending_customer", "assignee_id": "emp-999"}))
    assert "no employee (given as assignee_id) with id 'emp-999'" in error_text(result)
    assert await query(registry, "SELECT * FROM _changes") == []
