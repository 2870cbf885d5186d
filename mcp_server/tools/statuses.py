"""updateOrderStatus, updatePaymentStatus, updateTicketStatus: policy-checked status moves."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import aiosqlite
from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, InvalidStateError, PolicyViolationError
from mcp_server.tools.arguments import MAX_REASON_CHARS
from mcp_server.tools.order_guards import check_payment_move, prepare_order_move
from mcp_server.tools.refund_logic import PaymentChange, RefundRecord, cancel_order, load_order, payment_refunded
from mcp_server.tools.runtime import world_tool, writing
from mcp_server.tools.write_support import now_text, require_employee, require_row, row
from mcp_server.world import rules

OrderStatus = Literal[
    "pending", "paid", "fulfilled", "cancelled", "backorder", "refund_requested", "refunded", "partially_refunded",
]
PaymentStatus = Literal["pending", "authorized", "captured", "failed", "refunded", "partially_refunded", "voided"]
TicketStatus = Literal["new", "open", "pending_customer", "resolved", "closed"]
Reason = Annotated[str, Field(description="Why the status changes (kept in the record)", min_length=5, max_length=MAX_REASON_CHARS)]


def _check_move(kind: str, record_id: str, current: str, target: str, moves: dict[str, tuple[str, ...]]) -> None:
    if current == target:
        raise InvalidStateError(f"{kind} {record_id} is already {current}")
    allowed = moves.get(current, ())
    if target not in allowed:
        options = ", ".join(allowed) if allowed else f"none: {current} is final"
        raise InvalidStateError(f"{kind} {record_id} cannot move from {current} to {target}; allowed from {current}: {options}")


class OrderStatusChange(BaseModel):
    order_id: str
    previous_status: str
    status: str
    reason: str
    updated_at: str
    refunds: list[RefundRecord] = Field(description="Refunds created by this change (a cancelled order's captured payment)")
    payments: list[PaymentChange] = Field(description="Payment statuses this change moved (refunded or voided)")
    rejected_refunds: list[str] = Field(description="Pending refunds rejected because the refund request was turned down (back to fulfilled)")


@world_tool(name="updateOrderStatus", title="Change an order's status", writes=True)
async def updateOrderStatus(
    order_id: Annotated[str, Field(description="The order, e.g. ord-250101-000", min_length=1)],
    status: Annotated[OrderStatus, Field(description="The new status")],
    reason: Reason,
) -> OrderStatusChange:
    """Move an order to a new status along the allowed paths: pending -> paid|cancelled|backorder;
    paid -> fulfilled|cancelled|backorder|refund_requested; backorder -> paid|fulfilled;
    fulfilled -> refund_requested|partially_refunded|refunded; refund_requested ->
    partially_refunded|refunded|fulfilled; partially_refunded -> refunded|refund_requested. Cancelling
    is only for pending or paid orders without refunds: a captured payment is refunded in full by an
    approved refund (and set to refunded), a pending or authorized payment is voided. The new status
    must match the records: paid needs a captured payment, fulfilled a shipment, refund_requested a
    pending refund, refunded and partially_refunded approved refunds (create refunds with createRefund
    or processReturn, which move the order themselves). Moving refund_requested back to fulfilled
    turns the request down: the order's pending refunds are rejected. The reason is kept in the order's notes."""
    async with writing() as db:
        order = await load_order(db, order_id)
        current = order["status"]
        if status == "cancelled" and current == "backorder":
            pass  # the cancellation policy below explains the refusal better than the move table
        else:
            _check_move("order", order_id, current, status, rules.ORDER_TRANSITIONS)
        now = now_text()
        refunds: list[RefundRecord] = []
        payments: list[PaymentChange] = []
        rejected: list[str] = []
        if status == "cancelled":
            cancellation = await cancel_order(db, order, reason, now)
            refunds, payments = cancellation.refunds, cancellation.payments
        else:
            rejected = await prepare_order_move(db, order, status, reason, now)
        await _set_order_status(db, order, status, reason, now)
        return OrderStatusChange(
            order_id=order_id, previous_status=current, status=status, reason=reason.strip(), updated_at=now,
            refunds=refunds, payments=payments, rejected_refunds=rejected,
        )


async def _set_order_status(db: aiosqlite.Connection, order: dict[str, Any], status: str, reason: str, now: str) -> None:
    """Set the status and keep the reason in the order's notes (the schema has no status history)."""
    note = f"[{now}] status {order['status']} -> {status}: {reason.strip()}"
    notes = f"{order['notes']}\n{note}" if order["notes"] else note
    await db.execute("UPDATE orders SET status = ?, updated_at = ?, notes = ? WHERE id = ?", (status, now, notes, order["id"]))


class PaymentStatusChange(BaseModel):
    payment_id: str
    order_id: str
    previous_status: str
    status: str
    reason: str
    amount: float
    refunded_amount: float = Field(description="Total of approved refunds on this payment")
    order_status: str = Field(description="The order's status afterwards (capturing a pending order's payment makes it paid)")


@world_tool(name="updatePaymentStatus", title="Change a payment's status", writes=True)
async def updatePaymentStatus(
    payment_id: Annotated[str, Field(description="The payment, e.g. pay-000000", min_length=1)],
    status: Annotated[PaymentStatus, Field(description="The new status")],
    reason: Reason,
) -> PaymentStatusChange:
    """Move a payment to a new status along the allowed paths: pending -> authorized|captured|failed|
    voided; authorized -> captured|voided|failed; captured -> partially_refunded|refunded;
    partially_refunded -> refunded. failed, voided and refunded are final. refunded and
    partially_refunded must match the approved refunds on that payment (refunds are created with
    createRefund or processReturn, which also update the payment). Capturing the payment of a pending
    order also marks the order paid; an order is charged at most once. To void the payment of an
    order the customer no longer wants, cancel the order with updateOrderStatus instead."""
    async with writing() as db:
        payment = await require_row(db, "payments", payment_id, "payment", "find it with searchPayments")
        current = payment["status"]
        _check_move("payment", payment_id, current, status, rules.PAYMENT_TRANSITIONS)
        order = await load_order(db, payment["order_id"])
        await check_payment_move(db, payment, order, status)
        settled = await payment_refunded(db, payment_id, rules.SETTLED_REFUND_STATUSES)
        amount = rules.cents(payment["amount"])
        if status == "refunded" and settled < amount:
            raise InvalidStateError(
                f"payment {payment_id} cannot be marked refunded: approved refunds on it total {settled} of {amount}"
            )
        if status == "partially_refunded" and not 0 < settled < amount:
            raise InvalidStateError(
                f"payment {payment_id} cannot be marked partially_refunded: approved refunds on it total {settled} of "
                f"{amount}" + ("; use refunded" if settled >= amount else "; create an approved refund first")
            )
        now = now_text()
        order_status = order["status"]
        if status == "captured":
            await db.execute("UPDATE payments SET status = ?, captured_at = ? WHERE id = ?", (status, now, payment_id))
            if order_status == "pending":  # a pending order with a captured payment is paid
                order_status = "paid"
                await _set_order_status(db, order, "paid", f"payment {payment_id} captured: {reason.strip()}", now)
        else:
            await db.execute("UPDATE payments SET status = ? WHERE id = ?", (status, payment_id))
        return PaymentStatusChange(
            payment_id=payment_id, order_id=payment["order_id"], previous_status=current, status=status,
            reason=reason.strip(), amount=float(amount), refunded_amount=float(settled), order_status=order_status,
        )


class TicketStatusChange(BaseModel):
    ticket_id: str
    previous_status: str
    status: str
    closure_reason: str | None
    assignee_id: str | None
    updated_at: str


@world_tool(name="updateTicketStatus", title="Change a ticket's status", writes=True)
async def updateTicketStatus(
    ticket_id: Annotated[str, Field(description="The ticket, e.g. tkt-00000", min_length=1)],
    status: Annotated[TicketStatus, Field(description="The new status")],
    closure_reason: Annotated[
        str | None, Field(description="Required for resolved and closed: why the ticket ends", min_length=5, max_length=MAX_REASON_CHARS)
    ] = None,
    assignee_id: Annotated[str | None, Field(description="Optionally (re)assign the ticket to this employee id")] = None,
) -> TicketStatusChange:
    """Move a ticket along the allowed paths: new -> open|pending_customer|resolved|closed; open ->
    pending_customer|resolved|closed; pending_customer -> open|resolved|closed; resolved ->
    open|closed; closed is final. resolved and closed need a closure_reason; resolved also needs a
    resolution recorded on the ticket (createResolution). Reopening clears the closure reason.
    Passing the current status with assignee_id only reassigns the ticket."""
    async with writing() as db:
        ticket = await require_row(db, "support_tickets", ticket_id, "ticket", "find it with searchTickets")
        current = ticket["status"]
        reassign_only = status == current and assignee_id is not None and current != "closed"
        if not reassign_only:
            _check_move("ticket", ticket_id, current, status, rules.TICKET_TRANSITIONS)
        if assignee_id is not None:
            await require_employee(db, assignee_id, "assignee_id")
        if status not in ("resolved", "closed") and closure_reason:
            raise InvalidArgumentError(f"closure_reason is only for resolved or closed, not {status}; leave it empty")
        if not reassign_only and status in ("resolved", "closed") and not closure_reason:
            raise InvalidArgumentError(f"setting ticket {ticket_id} to {status} needs a closure_reason")
        if not reassign_only and status == "resolved":
            resolution = await row(db, "SELECT id FROM resolutions WHERE ticket_id = ? LIMIT 1", (ticket_id,))
            if resolution is None:
                raise PolicyViolationError(
                    f"ticket {ticket_id} has no resolution on record; record one with createResolution before "
                    "resolving it (or close it with a closure_reason if nothing was resolved)"
                )
        reason = closure_reason.strip() if closure_reason else (ticket["closure_reason"] if reassign_only else None)
        assignee = assignee_id if assignee_id is not None else ticket["assignee_id"]
        now = now_text()
        await db.execute(
            "UPDATE support_tickets SET status = ?, closure_reason = ?, assignee_id = ?, updated_at = ? WHERE id = ?",
            (status, reason, assignee, now, ticket_id),
        )
        return TicketStatusChange(
            ticket_id=ticket_id, previous_status=current, status=status, closure_reason=reason,
            assignee_id=assignee, updated_at=now,
        )
