"""createRefund: an itemised refund of order lines to the order's captured payment."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from mcp_server.tools.arguments import MAX_NOTE_CHARS
from mcp_server.tools.refund_logic import LineRequest, RefundReason, RefundRecord, issue_refund, load_order
from mcp_server.tools.runtime import world_tool, writing


class RefundLine(BaseModel):
    """One order line to refund and how many of its units."""

    order_item_id: str = Field(description="The order line id (oli-...), as listed by getOrderDetails")
    quantity: int = Field(ge=1, le=100, description="Units of that line to refund")


@world_tool(name="createRefund", title="Create a refund", writes=True)
async def createRefund(
    order_id: Annotated[str, Field(description="The order to refund, e.g. ord-250101-000", min_length=1)],
    lines: Annotated[list[RefundLine], Field(description="Order lines and quantities to refund", min_length=1, max_length=50)],
    reason: Annotated[RefundReason, Field(description="Why the money goes back")],
    ticket_id: Annotated[str | None, Field(description="Support ticket this refund answers; must be the order customer's")] = None,
    approved_by: Annotated[
        str | None,
        Field(description="Employee id of the human who authorised the refund; they must hold the issue_refund permission. "
              "Leave empty to create a pending refund that awaits approval."),
    ] = None,
    notes: Annotated[str | None, Field(description="Free-text note stored on the refund", max_length=MAX_NOTE_CHARS)] = None,
) -> RefundRecord:
    """Refund order lines to the order's captured payment. Each line refunds unit price x quantity
    less the loyalty discount at the tier the order was placed with and less the line's share of any
    promotion; shipping is never refunded. Quantities cannot exceed what was ordered minus what is
    already refunded or awaiting refund, and refunds never exceed the payment. Without approved_by the
    refund is pending and the order becomes refund_requested; with an approver holding issue_refund it
    is approved and the order and payment become refunded or partially_refunded. For returns of
    delivered goods use processReturn, which also checks the return window and item condition."""
    async with writing() as db:
        order = await load_order(db, order_id)
        return await issue_refund(
            db,
            order=order,
            requests=[LineRequest(line.order_item_id, line.quantity) for line in lines],
            reason=reason,
            ticket_id=ticket_id,
            approved_by=approved_by,
            notes=notes,
        )
