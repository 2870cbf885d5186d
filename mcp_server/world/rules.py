"""Policy arithmetic shared by the data generator and the tools, so both agree by construction."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

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
    return percent_of(amount, LOYALTY_DISCOUNT_PCT[tier])


def percent_of(amount: Decimal | float, pct: float) -> Decimal:
    return cents(Decimal(str(amount)) * Decimal(str(pct)) / 100)


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


# --- Status machines, return and warranty dates, promotions (shared by the tools and the data) ---

# Order and payment status moves the policy allows (final statuses map to no moves).
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("paid", "cancelled", "backorder"),
    "paid": ("fulfilled", "cancelled", "backorder", "refund_requested"),
    "backorder": ("paid", "fulfilled"),
    "fulfilled": ("refund_requested", "partially_refunded", "refunded"),
    "refund_requested": ("partially_refunded", "refunded", "fulfilled"),
    "partially_refunded": ("refunded", "refund_requested"),
    "cancelled": (),
    "refunded": (),
}
PAYMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("authorized", "captured", "failed", "voided"),
    "authorized": ("captured", "voided", "failed"),
    "captured": ("partially_refunded", "refunded"),
    "partially_refunded": ("refunded",),
    "failed": (),
    "voided": (),
    "refunded": (),
}
RETURNABLE_ORDER_STATUSES = ("fulfilled", "refund_requested", "partially_refunded")
RETURN_ELIGIBLE_CONDITIONS = ("unopened", "opened_undamaged")
# Refund statuses that count against what an order line or a payment still has to refund.
LIVE_REFUND_STATUSES = ("pending", "approved", "processed")
# Refund statuses that mean the money is (being) paid back.
SETTLED_REFUND_STATUSES = ("approved", "processed")

EASTERN = ZoneInfo("America/New_York")


def eastern_date(moment: datetime) -> date:
    """The US Eastern calendar date of an aware moment (policy dates are Eastern dates)."""
    return moment.astimezone(EASTERN).date()


def return_window_last_day(purchase_date: date) -> date:
    """The last day (US Eastern) a return is accepted: day 30 after the purchase date."""
    return purchase_date + timedelta(days=RETURN_WINDOW_DAYS)


def return_window_end(purchase_date: date) -> datetime:
    """The last moment of the return window: 23:59:59 US Eastern on day 30 after purchase."""
    last = return_window_last_day(purchase_date)
    return datetime.combine(last, time(23, 59, 59), tzinfo=EASTERN)


def within_return_window(purchase_date: date, now: datetime) -> bool:
    return eastern_date(now) <= return_window_last_day(purchase_date)


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def promotion_amount(discount_type: str, discount_value: Decimal | float, eligible_subtotal: Decimal | float) -> Decimal:
    """What a promotion takes off the subtotal of the lines it applies to (never more than those lines)."""
    eligible = cents(eligible_subtotal)
    if discount_type == "percent":
        amount = cents(eligible * Decimal(str(discount_value)) / 100)
    else:
        amount = cents(discount_value)
    return min(amount, eligible)


def combine_discounts(loyalty: Decimal, promotion: Decimal, stackable: bool) -> tuple[Decimal, Decimal]:
    """(loyalty, promo) actually granted: both when stackable, else only the larger one
    (loyalty on a tie)."""
    if stackable:
        return loyalty, promotion
    if promotion > loyalty:
        return Decimal("0.00"), promotion
    return loyalty, Decimal("0.00")
