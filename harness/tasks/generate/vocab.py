"""Phrases the generated rubrics accept and reject, and the trap figures of refund arithmetic.

Phrases are whole words read as claims (harness/grading/claims.py): list every form accepted, never a
stem. Avoid "not yet X": the claims reader ends a clause at "yet", so "not yet eligible" reads
"eligible". A verdict's list of wrong claims names its opposite ("not eligible" next to "eligible").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from harness.grading.claims import read
from mcp_server.world import rules

ELIGIBLE = ["are eligible", "is eligible", "you're eligible", "still eligible", "still within", "still inside", "still returnable",
            "is returnable", "can still return", "can still send", "window is open", "window is still open", "still open",
            "still in time", "still have time"]
NOT_ELIGIBLE = ["not eligible", "no longer eligible", "window has closed", "window closed", "window ended", "window has ended",
                "window expired", "window has expired", "window is closed", "too late", "final sale", "sales are final",
                "sales on it are now final", "can't be returned", "can't return", "no longer returnable", "not returnable",
                "outside the return window", "outside the window", "no longer within", "past the return window"]
# what a reply that wrongly says "eligible" states (the JSON key within_return_window included)
WRONG_ELIGIBLE = [*ELIGIBLE, "within the return window", "within the window", "within return window"]
COVERED = ["still under warranty", "under warranty until", "under warranty through", "is under warranty", "it's under warranty",
           "remains under warranty", "covered until", "covered through", "still covered", "is covered", "it's covered",
           "warranty is active", "warranty is still active", "valid until", "valid through", "runs until", "runs through",
           "in warranty", "within warranty", "within the warranty period"]
NOT_COVERED = ["expired", "warranty has ended", "warranty ended", "ended on", "no longer covered", "no longer under warranty", "not covered",
               "not under warranty", "out of warranty", "ran out", "has run out", "not still under warranty", "not still covered"]
# what a reply that wrongly says an expired warranty still covers the item states
STILL_COVERED = ["still under warranty", "is under warranty", "it's under warranty", "still covered", "is covered", "it's covered",
                 "covered until", "under warranty until", "is active", "still active", "still valid", "not expired"]
SHIPPING_REFUNDED = ["shipping is refunded", "shipping will be refunded", "shipping was refunded", "shipping charge is refunded",
                     "shipping charge will be refunded", "shipping cost is refunded", "shipping costs are refunded", "refund the shipping",
                     "refund your shipping", "shipping included", "including shipping", "plus shipping", "shipping cost back",
                     "shipping money back"]


def refund_traps(order: dict[str, Any], lines: Iterable[tuple[dict[str, Any], int]], *, tier_now: str | None = None,
                 every_line: Decimal | None = None) -> list[Decimal]:
    """Refund figures an agent can fall into for these (line, quantity) pairs: the undiscounted price,
    shipping added, the loyalty discount or the promotion share left in, any other tier's discount
    (the customer's current tier instead of the tier at purchase among them), and (``every_line``) the whole order refunded."""
    lines = list(lines)
    gross = rules.cents(sum((rules.cents(Decimal(str(i["unit_price"])) * q) for i, q in lines), Decimal(0)))

    def refund(tier: str, promo: bool = True) -> Decimal:
        return rules.cents(sum((rules.refund_amount_for_line(i["unit_price"], q, tier, order_subtotal=order["subtotal"],
                                                             order_promo_discount=order["promo_discount"] if promo else 0)
                                for i, q in lines), Decimal(0)))

    right = refund(order["loyalty_tier"])
    traps = [gross, right + rules.SHIPPING_COST[order["shipping_service"]], refund(order["loyalty_tier"], promo=False)]
    traps += [refund(tier) for tier in ("none", "silver", "gold", "platinum")]  # another tier's discount
    if tier_now is not None and tier_now != order["loyalty_tier"]:
        traps.append(refund(tier_now))
    if every_line is not None:
        traps.append(every_line)
    return [t for t in traps if t != right]


def stated_numbers(*texts: str) -> set[float]:
    """Every number the texts state or mention (a trap value must be none of them)."""
    return {round(m.value, 2) for text in texts for m in read(text).numbers}


def unstated(values: Iterable[Decimal | float], *texts: str, tolerance: float = 0.01) -> list[Decimal | float]:
    """The values that none of the texts mentions (a figure of the working is never a trap). A value
    within ``tolerance`` of a stated figure counts as mentioned, as the grader reads it (num()'s
    default tolerance): a $20 code on a $254.57 total is a trap of 234.57, which a $234.58 subtotal meets."""
    seen = stated_numbers(*texts)
    return [v for v in values if not any(abs(round(float(v), 2) - s) <= tolerance + 1e-9 for s in seen)]


PENDING = ["pending", "awaiting approval", "needs approval", "waiting for approval", "pending approval"]
APPROVED = ["is approved", "was approved", "has been approved", "already approved", "refund is issued", "has been issued",
            "refund is complete", "been refunded"]


def refund_basis(order: dict[str, Any], lines: Iterable[tuple[dict[str, Any], int]]) -> str:
    """What a refund is, in words, with what the order deducted (never shipping); never "the item price"
    alone when a discount was deducted."""
    lines = list(lines)
    grosses = [rules.cents(Decimal(str(i["unit_price"])) * q) for i, q in lines]
    loyalty = [rules.loyalty_discount(g, order["loyalty_tier"]) for g in grosses]
    promo = [rules.promo_share(g, order["subtotal"], order["promo_discount"]) for g in grosses]
    deductions = []
    if any(loyalty):
        deductions.append(f"the {order['loyalty_tier']} loyalty discount the order was placed with" + _per_line_sum(loyalty))
    if any(promo):
        deductions.append("the items' share of the order's promotion" + _per_line_sum(promo))
    if not deductions:
        return "the full price paid for the items, as the order had no discount"
    return "what was paid for the items, net of " + " and ".join(deductions)


def _per_line_sum(values: list[Decimal]) -> str:
    """A deduction as the refund tools give it: per line. A total over several lines is no figure a call
    returns, so it is shown as the reply's own sum of the line figures ("$12.00 + $59.10 = $71.10"), which
    the grounding check can follow; over more than three lines, no figure at all."""
    terms = [v for v in values if v]
    if len(terms) == 1:
        return f" (${terms[0]:,.2f})"
    if len(terms) > 3:
        return ""
    return " (" + " + ".join(f"${v:,.2f}" for v in terms) + f" = ${sum(terms, Decimal(0)):,.2f})"


def warranty_traps(world: Any, category: str, months: int, start: date, end: date, bought: date, delivered: str | None) -> list[date]:
    """Warranty end dates an agent can fall into: counted from the purchase date, from the UTC day of the
    delivery, with the category policy's standard term instead of the product's, or a year off. Never the
    start or purchase date a right reply states."""
    wrong = [rules.add_months(bought, months), rules.add_months(start, months - 12), rules.add_months(start, months + 12)]
    if delivered:
        wrong.append(rules.add_months(datetime.fromisoformat(delivered.replace("Z", "+00:00")).date(), months))
    policy = world.value("SELECT months FROM warranty_policies WHERE category IN (?, 'default') ORDER BY category = 'default', id LIMIT 1",
                         (category,))
    if policy:
        wrong.append(rules.add_months(start, policy))
    return [w for w in wrong if w not in (end, start, bought)]
