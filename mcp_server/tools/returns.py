"""processReturn: the return workflow in one step (window, condition, itemised refund, statuses)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidStateError, PolicyViolationError
from mcp_server.tools.arguments import MAX_NOTE_CHARS
from mcp_server.tools.order_dates import purchase_date
from mcp_server.tools.refund_logic import LineRequest, RefundReason, RefundRecord, issue_refund, load_order
from mcp_server.tools.runtime import world_now, world_tool, writing
from mcp_server.world import rules

Condition = Literal["unopened", "opened_undamaged", "damaged", "liquid_damage", "missing_packaging", "modified"]

# Why each refused condition is refused, and what the agent can offer instead.
_REFUSED_CONDITION: dict[str, str] = {
    "damaged": "physically damaged items cannot be returned for a refund. If the damage is a defect (not caused by "
    "the customer), check the warranty with checkWarrantyStatus; otherwise offer troubleshooting",
    "liquid_damage": "items with liquid damage cannot be returned, and liquid damage is also excluded from warranty",
    "missing_packaging": "items returned without their original packaging cannot be refunded; the customer can return "
    "them once the packaging is found, within the return window",
    "modified": "modified items (e.g. physically altered or flashed with unofficial firmware) cannot be returned; "
    "check warranty exclusions with checkWarrantyStatus before promising anything",
}


class ReturnLine(BaseModel):
    """One order line being returned and how many of its units."""

    order_item_id: str = Field(description="The order line id (oli-...), as listed by getOrderDetails")
    quantity: int = Field(ge=1, le=100, description="Units of that line returned")


class ReturnResult(BaseModel):
    order_id: str
    purchase_date: str = Field(description="US Eastern date the order was placed")
    return_window_ends: str = Field(description="Last moment a return is accepted (day 30, 23:59:59 US Eastern)")
    condition: str
    refund: RefundRecord


@world_tool(name="processReturn", title="Process a return", writes=True)
async def processReturn(
    order_id: Annotated[str, Field(description="The order the items come from, e.g. ord-250101-000", min_length=1)],
    lines: Annotated[list[ReturnLine], Field(description="Order lines and quantities being returned", min_length=1, max_length=50)],
    condition: Annotated[Condition, Field(description="The state of the returned items, as established with the customer")],
    reason: Annotated[RefundReason, Field(description="Why the customer returns them")],
    ticket_id: Annotated[str | None, Field(description="Support ticket of this return; must be the order customer's")] = None,
    approved_by: Annotated[
        str | None,
        Field(description="Employee id of the human authorising the refund (needs issue_refund); "
              "empty leaves the refund pending approval"),
    ] = None,
    notes: Annotated[str | None, Field(description="Free-text note stored on the refund", max_length=MAX_NOTE_CHARS)] = None,
) -> ReturnResult:
    """Process a customer return of delivered order lines. Checks that the order is returnable
    (fulfilled, refund_requested or partially_refunded), that today is inside the 30-day return window
    (through 23:59:59 US Eastern on day 30 after the purchase date; later, all sales are final and the
    warranty applies), and that the items are unopened or opened_undamaged (damaged, liquid_damage,
    missing_packaging and modified are refused). Then creates the itemised refund: unit price x
    quantity less the loyalty discount at the order's tier and the line's promotion share, never
    shipping. It is pending (order -> refund_requested) unless approved_by names an employee with
    issue_refund, in which case it is approved and the order and payment become refunded or
    partially_refunded. Refusals explain why and what can be offered instead."""
    async with writing() as db:
        order = await load_order(db, order_id)
        if order["status"] not in rules.RETURNABLE_ORDER_STATUSES:
            raise InvalidStateError(_not_returnable(order_id, order["status"]))
        purchased = await purchase_date(db, order)
        if purchased.day is None:
            raise InvalidStateError(
                f"order {order_id} has no purchase date on record (no created_at and no payment date), so the return "
                "window cannot be checked; escalate it (createEscalation, type order_fulfillment)"
            )
        window_end = rules.return_window_end(purchased.day)
        now = world_now()
        if not rules.within_return_window(purchased.day, now):
            raise PolicyViolationError(
                f"order {order_id} was purchased on {purchased.day.isoformat()} (US Eastern); its 30-day return window "
                f"ended {window_end.strftime('%Y-%m-%d %H:%M:%S')} US Eastern and today is "
                f"{rules.eastern_date(now).isoformat()}, so all sales on it are final. Check the warranty with "
                "checkWarrantyStatus and offer a warranty claim instead if the item is faulty"
            )
        if condition not in rules.RETURN_ELIGIBLE_CONDITIONS:
            raise PolicyViolationError(
                f"return refused for condition {condition}: {_REFUSED_CONDITION[condition]}. Only unopened or "
                "opened-but-undamaged items are returnable"
            )
        refund = await issue_refund(
            db,
            order=order,
            requests=[LineRequest(line.order_item_id, line.quantity) for line in lines],
            reason=reason,
            ticket_id=ticket_id,
            approved_by=approved_by,
            notes=notes,
        )
        return ReturnResult(
            order_id=order_id,
            purchase_date=purchased.day.isoformat(),
            return_window_ends=window_end.isoformat(),
            condition=condition,
            refund=refund,
        )


def _not_returnable(order_id: str, status: str) -> str:
    advice = {
        "pending": "it has not shipped; cancel it with updateOrderStatus instead",
        "paid": "it has not shipped; cancel it with updateOrderStatus instead",
        "backorder": "it has not shipped yet",
        "cancelled": "it was cancelled, so nothing was delivered",
        "refunded": "it is already fully refunded",
    }.get(status, "")
    return f"order {order_id} is {status} and cannot take a return" + (f": {advice}" if advice else "") + (
        "; returns are for orders that are fulfilled, refund_requested or partially_refunded"
    )
