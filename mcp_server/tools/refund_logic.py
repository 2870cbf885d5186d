"""The one implementation of refunds, shared by createRefund, processReturn and order cancellation.

Everything here runs inside the caller's ``writing()`` transaction, so a refusal anywhere leaves
no partial rows. Amounts come from ``rules.refund_amount_for_line`` (loyalty discount at the
order's tier, pro-rata promotion share, shipping never refunded).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import aiosqlite
from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, InvalidStateError, PolicyViolationError
from mcp_server.tools.write_support import next_ids, now_text, require_employee, require_row, row, rows
from mcp_server.world import rules

RefundReason = Literal["customer_remorse", "defective", "incompatible", "shipping_issue", "other"]
# Orders a refund may be requested on (paid: before shipping; the rest after fulfilment).
REFUNDABLE_ORDER_STATUSES = ("paid", "fulfilled", "refund_requested", "partially_refunded")
# Cancellation refunds carry this reason, as in the world data.
CANCELLATION_REFUND_REASON = "customer_remorse"
_PLACEHOLDERS_LIVE = ", ".join("?" for _ in rules.LIVE_REFUND_STATUSES)
_PLACEHOLDERS_SETTLED = ", ".join("?" for _ in rules.SETTLED_REFUND_STATUSES)


class RefundLineRecord(BaseModel):
    id: str
    order_item_id: str
    product_id: str
    quantity: int
    unit_price: float
    gross: float = Field(description="unit_price x quantity")
    loyalty_discount: float = Field(description="Loyalty discount at the order's tier, deducted")
    promo_share: float = Field(description="This line's pro-rata share of the order's promotion, deducted")
    amount: float = Field(description="What this line refunds")


class RefundRecord(BaseModel):
    id: str
    order_id: str
    payment_id: str
    ticket_id: str | None
    amount: float = Field(description="Total refunded; shipping is never included (except a cancellation refund)")
    reason: str
    status: str = Field(description="pending (awaits a human's approval) or approved")
    approved_by: str | None
    notes: str | None
    created_at: str
    loyalty_tier: str = Field(description="The order's tier at purchase, used for the loyalty deduction")
    lines: list[RefundLineRecord]
    order_status: str = Field(description="The order's status after this refund")
    payment_status: str = Field(description="The payment's status after this refund")
    payment_amount_left: float = Field(description="What the payment can still refund after this one")


@dataclass(frozen=True)
class LineRequest:
    order_item_id: str
    quantity: int


async def load_order(db: aiosqlite.Connection, order_id: str) -> dict[str, Any]:
    return await require_row(db, "orders", order_id, "order", "find it with searchOrders or getOrderDetails")


async def order_items(db: aiosqlite.Connection, order_id: str) -> list[dict[str, Any]]:
    """The order's lines with the quantity already in live refunds and in settled (approved) refunds."""
    return await rows(
        db,
        f"""SELECT oi.*,
               COALESCE((SELECT SUM(rl.quantity) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
                         WHERE rl.order_item_id = oi.id AND r.status IN ({_PLACEHOLDERS_LIVE})), 0) AS live_refunded,
               COALESCE((SELECT SUM(rl.quantity) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
                         WHERE rl.order_item_id = oi.id AND r.status IN ({_PLACEHOLDERS_SETTLED})), 0) AS settled_refunded
            FROM order_items oi WHERE oi.order_id = ? ORDER BY oi.id""",
        (*rules.LIVE_REFUND_STATUSES, *rules.SETTLED_REFUND_STATUSES, order_id),
    )


async def payment_refunded(db: aiosqlite.Connection, payment_id: str, statuses: tuple[str, ...]) -> Decimal:
    marks = ", ".join("?" for _ in statuses)
    found = await row(
        db, f"SELECT COALESCE(SUM(amount), 0) AS total FROM refunds WHERE payment_id = ? AND status IN ({marks})",
        (payment_id, *statuses),
    )
    return rules.cents(found["total"] if found else 0)


async def refundable_payment(db: aiosqlite.Connection, order: dict[str, Any]) -> dict[str, Any]:
    """The order's captured payment (the one refunds go back to), or a refusal saying why none."""
    payments = await rows(db, "SELECT * FROM payments WHERE order_id = ? ORDER BY created_at, id", (order["id"],))
    usable = [p for p in payments if p["status"] in ("captured", "partially_refunded")]
    if usable:
        return usable[-1]
    if not payments:
        raise InvalidStateError(f"order {order['id']} has no payment on record, so there is nothing to refund")
    described = ", ".join(f"{p['id']} is {p['status']}" for p in payments)
    if any(p["status"] == "refunded" for p in payments):
        raise InvalidStateError(f"order {order['id']}'s payment is already fully refunded ({described})")
    raise InvalidStateError(
        f"order {order['id']} has no captured payment to refund ({described}); nothing was charged. "
        "An uncaptured payment is voided instead (cancel the order with updateOrderStatus)."
    )


def _order_tier(order: dict[str, Any]) -> str:
    tier = order["loyalty_tier"]
    if tier not in rules.LOYALTY_DISCOUNT_PCT:
        raise InvalidStateError(
            f"order {order['id']} records an unknown loyalty tier {tier!r}, so its refund cannot be computed; "
            "escalate it (createEscalation, type billing_payment)"
        )
    return str(tier)


async def _check_ticket(db: aiosqlite.Connection, ticket_id: str, order: dict[str, Any]) -> None:
    ticket = await require_row(db, "support_tickets", ticket_id, "ticket", "find it with searchTickets")
    if ticket["customer_id"] != order["customer_id"]:
        raise InvalidArgumentError(
            f"ticket {ticket_id} belongs to customer {ticket['customer_id']}, but order {order['id']} belongs to "
            f"customer {order['customer_id']}; link the refund to a ticket of the order's customer, or leave ticket_id empty"
        )


def _requested_lines(requests: list[LineRequest], items: list[dict[str, Any]], order_id: str) -> list[tuple[dict[str, Any], int]]:
    by_id = {item["id"]: item for item in items}
    listing = ", ".join(f"{i['id']} ({i['product_id']} x{i['quantity']})" for i in items) or "none"
    if not requests:
        raise InvalidArgumentError(f"name at least one line to refund; order {order_id} has: {listing}")
    seen: set[str] = set()
    chosen = []
    for request in requests:
        if request.order_item_id in seen:
            raise InvalidArgumentError(f"line {request.order_item_id} is listed twice; give each line once with its total quantity")
        seen.add(request.order_item_id)
        item = by_id.get(request.order_item_id)
        if item is None:
            raise InvalidArgumentError(f"{request.order_item_id} is not a line of order {order_id}; its lines are: {listing}")
        left = int(item["quantity"]) - int(item["live_refunded"])
        if request.quantity > left:
            raise PolicyViolationError(
                f"line {item['id']} ({item['product_id']}) was ordered {item['quantity']} time(s) and "
                f"{item['live_refunded']} already refunded or awaiting refund, so at most {left} can be refunded, "
                f"not {request.quantity}"
            )
        chosen.append((item, request.quantity))
    return chosen


async def issue_refund(
    db: aiosqlite.Connection,
    *,
    order: dict[str, Any],
    requests: list[LineRequest],
    reason: str,
    ticket_id: str | None,
    approved_by: str | None,
    notes: str | None,
) -> RefundRecord:
    """Create an itemised refund of order lines and move the order and payment statuses on."""
    if ticket_id is not None:
        await _check_ticket(db, ticket_id, order)
    if approved_by is not None:
        await require_employee(
            db, approved_by, "approved_by", "issue_refund",
            "Leave approved_by empty to create a pending refund for a human to approve, or name an employee "
            "who has issue_refund (searchEmployees).",
        )
    if order["status"] not in REFUNDABLE_ORDER_STATUSES:
        raise InvalidStateError(
            f"order {order['id']} is {order['status']}; refunds are only made on orders that are "
            f"{', '.join(REFUNDABLE_ORDER_STATUSES)}"
            + (" (a pending order is cancelled instead)" if order["status"] == "pending" else "")
        )
    payment = await refundable_payment(db, order)
    tier = _order_tier(order)
    chosen = _requested_lines(requests, await order_items(db, order["id"]), order["id"])

    priced = []
    for item, quantity in chosen:
        gross = rules.cents(Decimal(str(item["unit_price"])) * quantity)
        loyalty = rules.loyalty_discount(gross, tier)
        share = rules.promo_share(gross, order["subtotal"], order["promo_discount"])
        amount = rules.refund_amount_for_line(
            item["unit_price"], quantity, tier, order_subtotal=order["subtotal"], order_promo_discount=order["promo_discount"]
        )
        priced.append((item, quantity, gross, loyalty, share, amount))
    total = rules.cents(sum((p[5] for p in priced), Decimal("0")))
    if total <= 0:
        raise InvalidArgumentError("the chosen lines refund nothing (their price is zero); there is no refund to create")
    left = rules.cents(payment["amount"]) - await payment_refunded(db, payment["id"], rules.LIVE_REFUND_STATUSES)
    if total > left:
        raise PolicyViolationError(
            f"this refund would be {total} but payment {payment['id']} ({payment['amount']}) has only {left} left "
            "after the refunds already made or awaiting approval; refunds on a payment never exceed what it charged"
        )

    status = "approved" if approved_by is not None else "pending"
    created = now_text()
    (refund_id,) = await next_ids(db, "refunds", "ref")
    await db.execute(
        "INSERT INTO refunds (id, payment_id, order_id, ticket_id, amount, reason, status, approved_by, notes, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (refund_id, payment["id"], order["id"], ticket_id, float(total), reason, status, approved_by, notes, created),
    )
    line_ids = await next_ids(db, "refund_lines", "rfl", len(priced))
    lines = []
    for line_id, (item, quantity, gross, loyalty, share, amount) in zip(line_ids, priced, strict=True):
        await db.execute(
            "INSERT INTO refund_lines (id, refund_id, order_item_id, quantity, amount) VALUES (?, ?, ?, ?, ?)",
            (line_id, refund_id, item["id"], quantity, float(amount)),
        )
        lines.append(
            RefundLineRecord(
                id=line_id, order_item_id=item["id"], product_id=item["product_id"], quantity=quantity,
                unit_price=item["unit_price"], gross=float(gross), loyalty_discount=float(loyalty),
                promo_share=float(share), amount=float(amount),
            )
        )
    order_status, payment_status = await settle_statuses(db, order, payment, created)
    return RefundRecord(
        id=refund_id, order_id=order["id"], payment_id=payment["id"], ticket_id=ticket_id, amount=float(total),
        reason=reason, status=status, approved_by=approved_by, notes=notes, created_at=created, loyalty_tier=tier,
        lines=lines, order_status=order_status, payment_status=payment_status,
        payment_amount_left=float(left - total),
    )


async def every_unit_settled(db: aiosqlite.Connection, order_id: str) -> bool:
    items = await order_items(db, order_id)
    return bool(items) and all(int(i["settled_refunded"]) >= int(i["quantity"]) for i in items)


async def settle_statuses(
    db: aiosqlite.Connection, order: dict[str, Any], payment: dict[str, Any], now: str
) -> tuple[str, str]:
    """Statuses that agree with the refund records (the data generator's rule too): any pending
    refund -> order refund_requested; otherwise approved refunds -> order refunded when every unit is
    refunded, else partially_refunded; payment refunded when approved refunds reach its amount,
    else partially_refunded."""
    order_status, payment_status = order["status"], payment["status"]
    pending = await row(db, "SELECT COUNT(*) AS n FROM refunds WHERE order_id = ? AND status = 'pending'", (order["id"],))
    settled_on_order = await row(
        db, f"SELECT COUNT(*) AS n FROM refunds WHERE order_id = ? AND status IN ({_PLACEHOLDERS_SETTLED})",
        (order["id"], *rules.SETTLED_REFUND_STATUSES),
    )
    if pending and pending["n"]:
        order_status = "refund_requested"
    elif settled_on_order and settled_on_order["n"]:
        order_status = "refunded" if await every_unit_settled(db, order["id"]) else "partially_refunded"
    settled = await payment_refunded(db, payment["id"], rules.SETTLED_REFUND_STATUSES)
    if settled > 0:
        payment_status = "refunded" if settled >= rules.cents(payment["amount"]) else "partially_refunded"
    if order_status != order["status"]:
        await db.execute("UPDATE orders SET status = ?, updated_at = ? WHERE id = ?", (order_status, now, order["id"]))
    if payment_status != payment["status"]:
        await db.execute("UPDATE payments SET status = ? WHERE id = ?", (payment_status, payment["id"]))
    return order_status, payment_status


class PaymentChange(BaseModel):
    payment_id: str
    previous_status: str
    status: str


@dataclass
class Cancellation:
    refunds: list[RefundRecord]
    payments: list[PaymentChange]


async def cancel_order(db: aiosqlite.Connection, order: dict[str, Any], reason: str, now: str) -> Cancellation:
    """Policy cancellation: pending/paid orders without refunds only. A captured payment is refunded in
    full (shipping included: nothing shipped) by an approved refund; an uncaptured one is voided.
    The caller moves the order itself to cancelled."""
    if order["status"] not in rules.CANCELLABLE_ORDER_STATUSES:
        raise PolicyViolationError(
            f"order {order['id']} is {order['status']}; only pending or paid orders can be cancelled"
            + (". A backordered order stays open until it ships or the customer is refunded after delivery; "
               "escalate (order_fulfillment) if the customer insists" if order["status"] == "backorder" else "")
        )
    existing = await rows(db, "SELECT id, status FROM refunds WHERE order_id = ? AND status != 'rejected'", (order["id"],))
    if existing:
        raise PolicyViolationError(
            f"order {order['id']} already has refunds ({', '.join(r['id'] + ' ' + r['status'] for r in existing)}); "
            "an order with refunds cannot be cancelled"
        )
    tier = _order_tier(order)
    payments = await rows(db, "SELECT * FROM payments WHERE order_id = ? ORDER BY created_at, id", (order["id"],))
    outcome = Cancellation(refunds=[], payments=[])
    for payment in payments:
        if payment["status"] == "captured":
            outcome.refunds.append(await _cancellation_refund(db, order, payment, tier, reason, now))
            new_status = "refunded"
        elif payment["status"] in ("pending", "authorized"):
            new_status = "voided"
        elif payment["status"] in ("failed", "voided"):
            continue
        else:
            raise InvalidStateError(
                f"payment {payment['id']} of order {order['id']} is {payment['status']}, so the order cannot be "
                "cancelled; escalate it (createEscalation, type billing_payment)"
            )
        await db.execute("UPDATE payments SET status = ? WHERE id = ?", (new_status, payment["id"]))
        outcome.payments.append(PaymentChange(payment_id=payment["id"], previous_status=payment["status"], status=new_status))
    return outcome


async def _cancellation_refund(
    db: aiosqlite.Connection, order: dict[str, Any], payment: dict[str, Any], tier: str, reason: str, now: str,
) -> RefundRecord:
    """The approved refund of a whole captured payment, shipping included. It has no refund lines:
    it returns the payment, not returned goods (the world data records cancellations the same way)."""
    amount = rules.cents(payment["amount"])
    (refund_id,) = await next_ids(db, "refunds", "ref")
    notes = f"Order cancelled before shipment: full payment refunded, shipping included. Reason: {reason.strip()}"
    await db.execute(
        "INSERT INTO refunds (id, payment_id, order_id, ticket_id, amount, reason, status, approved_by, notes, created_at) "
        "VALUES (?, ?, ?, NULL, ?, ?, 'approved', NULL, ?, ?)",
        (refund_id, payment["id"], order["id"], float(amount), CANCELLATION_REFUND_REASON, notes, now),
    )
    return RefundRecord(
        id=refund_id, order_id=order["id"], payment_id=payment["id"], ticket_id=None, amount=float(amount),
        reason=CANCELLATION_REFUND_REASON, status="approved", approved_by=None, notes=notes, created_at=now,
        loyalty_tier=tier, lines=[], order_status="cancelled", payment_status="refunded", payment_amount_left=0.0,
    )
