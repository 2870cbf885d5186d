"""Policy arithmetic shared by the data generator and the tools, so both agree by construction."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

LOYALTY_DISCOUNT_PCT: dict[str, int] = {"none": 0, "silver": 5, "gold": 10, "platinum": 15}
SHIPPING_COST: dict[str, Decimal] = {
    "standard": Decimal("9.99"),
    "express": Decimal("19.99"),
    "overnight": Decimal("39.99"),
}
RETURN_WINDOW_DAYS = 30
CANCELLABLE_ORDER_STATUSES = ("pending", "paid")

# Escalation type -> the department that receives it.
ESCALATION_DEPARTMENT: dict[str, str] = {
    "technical": "engineering",
    "policy_exception": "operations",
    "product_specialist": "product_management",
    "warranty": "product_management",
    "order_fulfillment": "order_processing",
    "billing_payment": "finance",
    "support_escalation": "support",
}

# Ticket status moves the policy allows.
TICKET_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending_customer", "resolved", "closed"),
    "open": ("pending_customer", "resolved", "closed"),
    "pending_customer": ("open", "resolved", "closed"),
    "resolved": ("open", "closed"),
    "closed": (),
}


def cents(value: Decimal | float | int | str) -> Decimal:
    """Round half-up to cents (the one rounding rule everywhere)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def loyalty_discount(amount: Decimal | float, tier: str) -> Decimal:
    return cents(Decimal(str(amount)) * LOYALTY_DISCOUNT_PCT[tier] / 100)


def refund_amount_for_line(
    unit_price: Decimal | float,
    quantity: int,
    tier: str,
    *,
    order_subtotal: Decimal | float = 0,
    order_promo_discount: Decimal | float = 0,
) -> Decimal:
    """What a returned line refunds: its price times quantity less the loyalty discount at the
    order's tier and less its share of any promotion; shipping is never refunded."""
    gross = cents(Decimal(str(unit_price)) * quantity)
    return cents(gross - loyalty_discount(gross, tier) - promo_share(gross, order_subtotal, order_promo_discount))


def promo_share(line_gross: Decimal, order_subtotal: Decimal | float, order_promo_discount: Decimal | float) -> Decimal:
    """The part of an order's promotional discount that belongs to one line (pro rata to its
    price); policy deducts it from that line's refund along with the loyalty discount."""
    subtotal = Decimal(str(order_subtotal))
    promo = Decimal(str(order_promo_discount))
    if subtotal <= 0 or promo <= 0:
        return Decimal("0.00")
    return cents(promo * line_gross / subtotal)
