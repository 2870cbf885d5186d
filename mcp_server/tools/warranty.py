"""checkWarrantyStatus: warranty and return-window standing of one product on one order."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, InvalidStateError, NotFoundError
from mcp_server.tools.order_dates import delivery_date, purchase_date
from mcp_server.tools.runtime import fetch_all, fetch_one, reading, world_now, world_tool
from mcp_server.world import rules


class WarrantyPolicy(BaseModel):
    id: str
    category: str = Field(description="Product category the policy covers ('default' for the rest)")
    months: int = Field(description="The policy's standard term; the product's own warranty_months decides")
    coverage: str
    exclusions: list[str]
    claim_process: str


class WarrantyStatus(BaseModel):
    order_id: str
    product_id: str
    product_name: str
    category: str
    order_status: str
    purchase_date: str = Field(description="US Eastern date of purchase")
    purchase_date_source: str
    delivery_date: str | None = Field(description="US Eastern date of delivery, if a delivery is recorded")
    warranty_start: str = Field(description="Delivery date, or the purchase date when no delivery is recorded")
    warranty_start_basis: str
    warranty_months: int = Field(description="The product's warranty term")
    warranty_end: str = Field(description="Last day covered (start + warranty months)")
    under_warranty: bool
    days_remaining: int = Field(description="Days from today to warranty_end (0 once expired)")
    within_return_window: bool = Field(description="True while a return (not a warranty claim) is still possible")
    return_window_ends: str = Field(description="Day 30 after purchase, 23:59:59 US Eastern")
    today: str = Field(description="Today's date in US Eastern (world clock)")
    policy: WarrantyPolicy | None = Field(description="The warranty policy for the product's category, if any")
    next_step: str


@world_tool(name="checkWarrantyStatus", title="Check warranty status")
async def checkWarrantyStatus(
    order_id: Annotated[str, Field(description="The order the product was bought on, e.g. ord-250101-000", min_length=1)],
    product_id: Annotated[str, Field(description="The product on that order, e.g. prd-0000", min_length=1)],
) -> WarrantyStatus:
    """Report whether a product bought on an order is under warranty today: warranty start (delivery
    date, or purchase date when no delivery is recorded), the product's warranty months, end date,
    days remaining, whether the 30-day return window is still open (returns come before warranty
    claims), and the category's warranty policy: coverage, exclusions and claim process."""
    async with reading() as db:
        order = await fetch_one("SELECT * FROM orders WHERE id = ?", (order_id,))
        if order is None:
            raise NotFoundError(f"no order with id {order_id!r}; find it with searchOrders")
        product = await fetch_one("SELECT * FROM products WHERE id = ?", (product_id,))
        if product is None:
            raise NotFoundError(f"no product with id {product_id!r}; find it with searchProducts")
        on_order = await fetch_all("SELECT product_id FROM order_items WHERE order_id = ?", (order_id,))
        if product_id not in {r["product_id"] for r in on_order}:
            listing = ", ".join(sorted({r["product_id"] for r in on_order})) or "none"
            raise InvalidArgumentError(
                f"product {product_id} is not on order {order_id} (its products: {listing}); the warranty runs from "
                "the order the product was bought on"
            )
        purchased = await purchase_date(db, order)
        if purchased.day is None:
            raise InvalidStateError(
                f"order {order_id} has no purchase date on record, so its warranty cannot be computed; escalate it "
                "(createEscalation, type warranty)"
            )
        delivered = await delivery_date(db, order_id)
        policy = await _policy_for(product["category"])

    start = delivered.day or purchased.day
    months = int(product["warranty_months"])
    end = rules.add_months(start, months)
    now = world_now()
    today = rules.eastern_date(now)
    cancelled = order["status"] == "cancelled"
    under = today <= end and not cancelled
    in_window = rules.within_return_window(purchased.day, now) and not cancelled
    if cancelled:
        next_step = "The order was cancelled, so nothing was delivered and no return or warranty applies to it."
    elif in_window:
        next_step = "The return window is still open: a return (processReturn) comes before any warranty claim."
    elif under:
        next_step = ("The return window has closed; a warranty claim is possible. Ask about physical damage, liquid "
                     "and overclocking first, then follow the claim process.")
    else:
        next_step = "Both the return window and the warranty have ended; neither a return nor a warranty claim applies."
    return WarrantyStatus(
        order_id=order_id, product_id=product_id, product_name=product["name"], category=product["category"],
        order_status=order["status"], purchase_date=purchased.day.isoformat(), purchase_date_source=purchased.source,
        delivery_date=delivered.day.isoformat() if delivered.day else None,
        warranty_start=start.isoformat(),
        warranty_start_basis="delivery date" if delivered.day else "purchase date (no delivery recorded)",
        warranty_months=months, warranty_end=end.isoformat(), under_warranty=under,
        days_remaining=(end - today).days if under else 0, within_return_window=in_window,
        return_window_ends=rules.return_window_end(purchased.day).isoformat(), today=today.isoformat(),
        policy=policy, next_step=next_step,
    )


async def _policy_for(category: str) -> WarrantyPolicy | None:
    found = await fetch_one(
        "SELECT * FROM warranty_policies WHERE category IN (?, 'default') ORDER BY category = 'default', id LIMIT 1",
        (category,),
    )
    if found is None:
        return None
    return WarrantyPolicy(**{**found, "exclusions": _json_list(found["exclusions"])})


def _json_list(text: str | None) -> list[str]:
    try:
        value: Any = json.loads(text or "[]")
    except ValueError:
        return [text] if text else []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
