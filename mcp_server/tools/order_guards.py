"""What an order's status must agree with: its payments, shipments and refunds.

updateOrderStatus and updatePaymentStatus use these checks so that every move they allow leaves the
order's story consistent (``invariants.check_coherence``): a paid order has a captured payment, a
fulfilled one has shipped, refund statuses match the refund records, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from mcp_server.errors import InvalidStateError
from mcp_server.tools.refund_logic import every_unit_settled
from mcp_server.tools.write_support import rows
from mcp_server.world import rules


@dataclass(frozen=True)
class OrderFacts:
    payments: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]

    def payment_statuses(self) -> set[str]:
        return {p["status"] for p in self.payments}

    def refunds_in(self, *statuses: str) -> list[dict[str, Any]]:
        return [r for r in self.refunds if r["status"] in statuses]

    def describe_payments(self) -> str:
        return ", ".join(f"{p['id']} {p['status']}" for p in self.payments) or "no payments"


async def order_facts(db: aiosqlite.Connection, order_id: str) -> OrderFacts:
    return OrderFacts(
        payments=await rows(db, "SELECT id, status, amount FROM payments WHERE order_id = ? ORDER BY created_at, id", (order_id,)),
        shipments=await rows(db, "SELECT id, status FROM shipments WHERE order_id = ? ORDER BY id", (order_id,)),
        refunds=await rows(db, "SELECT id, status, notes FROM refunds WHERE order_id = ? ORDER BY id", (order_id,)),
    )


async def prepare_order_move(db: aiosqlite.Connection, order: dict[str, Any], target: str, reason: str, now: str) -> list[str]:
    """Refuse a move the records do not support; returns the pending refunds the move rejects (a
    refund request turned down by moving the order back to fulfilled)."""
    order_id = order["id"]
    facts = await order_facts(db, order_id)
    paid = facts.payment_statuses()
    shipped = {s["status"] for s in facts.shipments} - {"label_created"}
    if target == "paid" and "captured" not in paid:
        raise InvalidStateError(
            f"order {order_id} cannot be paid: none of its payments is captured ({facts.describe_payments()}); "
            "capture the payment with updatePaymentStatus first"
        )
    if target == "backorder":
        if not paid & {"authorized", "captured"}:
            raise InvalidStateError(
                f"order {order_id} cannot be backordered without an authorized or captured payment ({facts.describe_payments()})"
            )
        if shipped:
            raise InvalidStateError(f"order {order_id} has already shipped, so it cannot be backordered")
    if target == "refund_requested" and not facts.refunds_in("pending"):
        raise InvalidStateError(
            f"order {order_id} has no pending refund, so it cannot be refund_requested; create the refund with "
            "createRefund or processReturn (without approved_by), which moves the order to refund_requested itself"
        )
    if target in ("refunded", "partially_refunded"):
        await _check_refund_records(db, order_id, target, facts)
    if target == "fulfilled":
        return await _prepare_fulfilled(db, order, facts, reason, now)
    return []


async def _prepare_fulfilled(db: aiosqlite.Connection, order: dict[str, Any], facts: OrderFacts, reason: str, now: str) -> list[str]:
    order_id = order["id"]
    if not facts.shipments:
        raise InvalidStateError(f"order {order_id} has no shipment on record; an order is fulfilled only once it ships")
    if "captured" not in facts.payment_statuses():
        raise InvalidStateError(
            f"order {order_id} cannot be fulfilled without a captured payment ({facts.describe_payments()}); "
            "capture it with updatePaymentStatus first"
        )
    settled = facts.refunds_in(*rules.SETTLED_REFUND_STATUSES)
    if settled:
        raise InvalidStateError(
            f"order {order_id} has approved refunds ({', '.join(r['id'] for r in settled)}), so it cannot go back to "
            "fulfilled; it is partially_refunded or refunded"
        )
    rejected = [r["id"] for r in facts.refunds_in("pending")]
    for refund in facts.refunds_in("pending"):
        note = f"Rejected: {reason.strip()}"
        notes = f"{refund['notes']}\n{note}" if refund["notes"] else note
        await db.execute("UPDATE refunds SET status = 'rejected', notes = ? WHERE id = ?", (notes, refund["id"]))
    return rejected


async def _check_refund_records(db: aiosqlite.Connection, order_id: str, target: str, facts: OrderFacts) -> None:
    has_settled = bool(facts.refunds_in(*rules.SETTLED_REFUND_STATUSES))
    complete = await every_unit_settled(db, order_id)
    if target == "refunded" and not complete:
        raise InvalidStateError(
            f"order {order_id} cannot be marked refunded: the approved refunds on record do not cover every unit "
            "(pending refunds do not count). Refund the remaining lines with an approver first, or use partially_refunded"
            if has_settled else
            f"order {order_id} cannot be marked refunded: it has no approved refund. Create the refund "
            "(createRefund with approved_by, or processReturn) instead"
        )
    if target == "partially_refunded" and (complete or not has_settled):
        raise InvalidStateError(
            f"order {order_id} cannot be marked partially_refunded: "
            + ("every unit is already refunded; use refunded" if complete else
               "it has no approved refund (pending refunds do not count); create one first")
        )


async def check_payment_move(db: aiosqlite.Connection, payment: dict[str, Any], order: dict[str, Any], target: str) -> None:
    """Refuse payment moves that would leave its order inconsistent."""
    facts = await order_facts(db, order["id"])
    others = [p for p in facts.payments if p["id"] != payment["id"]]
    if target == "captured":
        taken = [p for p in others if p["status"] in ("captured", "partially_refunded", "refunded")]
        if taken:
            raise InvalidStateError(
                f"order {order['id']} already has a captured payment ({taken[0]['id']} {taken[0]['status']}); "
                "an order is charged at most once"
            )
        if order["status"] == "cancelled":
            raise InvalidStateError(f"order {order['id']} is cancelled; its payment cannot be captured")
    if target in ("failed", "voided") and order["status"] == "backorder":
        if not any(p["status"] in ("authorized", "captured") for p in others):
            raise InvalidStateError(
                f"payment {payment['id']} is the only live payment of backordered order {order['id']}; it cannot be "
                f"{target} while the order waits for stock. Support does not cancel backorders: escalate "
                "(createEscalation, type billing_payment)"
            )
