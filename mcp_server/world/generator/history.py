"""The order history: ~1,500 orders from 1 Sep 2024 to the world clock, and the refunds on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from mcp_server.world import rules

from mcp_server.world.generator.builds import build_parts
from mcp_server.world.generator.commerce import (
    ORDER_COUNT,
    fate_for,
    issue_refund,
    order_items,
    order_moment,
    pick_lines,
    place_order,
    promo_discount_for,
    settle_order,
    sold_out_products,
)
from mcp_server.world.generator.common import EASTERN, HISTORY_START, NOW, Row, World, eastern_date, utc_text
from mcp_server.world.generator.people import employees_where

SERVICES = ["standard", "express", "overnight"]
REFUND_COUNT = 80


def _when_created(customer: Row) -> datetime:
    return datetime.fromisoformat(customer["created_at"].replace("Z", "+00:00"))


def _choose_promo(world: World, customer_id: str, moment: datetime, lines: list[tuple[Row, int, float]]) -> Row | None:
    rng = world.rng
    if rng.random() > 0.18:
        return None
    tier = world.customer_tier_at(customer_id, moment)
    subtotal = sum((rules.cents(Decimal(str(price)) * qty) for _, qty, price in lines), Decimal("0"))
    promos = [p for p in world.rows("promotions") if p["stackable_with_loyalty"] or tier == "none"]
    rng.shuffle(promos)
    for promo in promos:
        if promo_discount_for(promo, lines, subtotal, moment) > 0:
            return promo
    return None


def _settle(world: World, order: Row, moment: datetime, lines: list[tuple[Row, int, float]], sold_out: set[str]) -> None:
    rng = world.rng
    fate = fate_for(world, moment, lines, sold_out)
    age_days = (NOW - moment).total_seconds() / 86400
    shipment_fate = None
    if fate == "fulfilled" and age_days > 6:
        roll = rng.random()
        shipment_fate = "exception" if roll < 0.015 else ("lost" if roll < 0.025 else None)
    if fate == "paid" and rng.random() < 0.5:
        shipment_fate = "label_created"
    retried = fate not in ("cancelled_failed",) and rng.random() < 0.04
    settle_order(world, order, fate, moment, retried=retried, shipment_fate=shipment_fate)


def build_orders(world: World) -> None:
    rng = world.rng
    customers = world.rows("customers")
    activity = [rng.choice([0.2, 0.5, 1, 1, 1, 1.5, 2, 3, 5]) for _ in customers]
    sold_out = sold_out_products(world)
    ordered_builds = rng.sample(world.rows("builds"), 95)
    for build in sorted(ordered_builds, key=lambda b: b["id"]):
        created = datetime.fromisoformat(build["created_at"].replace("Z", "+00:00")).astimezone(EASTERN)
        moment = max(created + timedelta(days=rng.randint(0, 12), hours=rng.randint(1, 20)), HISTORY_START + timedelta(hours=rng.randint(9, 200)))
        if moment > NOW - timedelta(hours=2):
            continue
        lines = [(product, qty, float(product["price"])) for product, qty in build_parts(world, build["id"])]
        order = place_order(world, build["customer_id"], moment, lines, rng.choices(SERVICES, weights=[60, 28, 12])[0], build_id=build["id"])
        _settle(world, order, moment, lines, sold_out)
    while len(world.rows("orders")) < ORDER_COUNT:
        moment = order_moment(world)
        customer = rng.choices(customers, weights=activity)[0]
        if _when_created(customer) > moment:
            continue
        lines = pick_lines(world, moment)
        if NOW - moment < timedelta(days=10) and rng.random() < 0.08 and sold_out:
            product = world.get(rng.choice(sorted(sold_out)))
            lines.append((product, 1, float(product["price"])))
            lines = list({p["id"]: (p, q, pr) for p, q, pr in lines}.values())
        promo = _choose_promo(world, customer["id"], moment, lines)
        order = place_order(world, customer["id"], moment, lines, rng.choices(SERVICES, weights=[65, 25, 10])[0], promo=promo)
        _settle(world, order, moment, lines, sold_out)


def _window_end(order: Row) -> datetime:
    purchase = eastern_date(datetime.fromisoformat(order["created_at"].replace("Z", "+00:00")))
    last = purchase + timedelta(days=rules.RETURN_WINDOW_DAYS)
    return datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=EASTERN)


def refund_candidates(world: World) -> list[tuple[Row, Row]]:
    """Fulfilled, delivered orders whose delivery came inside the return window."""
    delivered = {s["order_id"]: s for s in world.rows("shipments") if s["status"] == "delivered" and s["delivered_at"]}
    out = []
    for order in world.rows("orders"):
        shipment = delivered.get(order["id"])
        if order["status"] == "fulfilled" and shipment and order["created_at"]:
            if datetime.fromisoformat(shipment["delivered_at"].replace("Z", "+00:00")) < _window_end(order) - timedelta(days=2):
                out.append((order, shipment))
    return out


def build_refunds(world: World) -> None:
    rng = world.rng
    approvers = [e["id"] for e in employees_where(world, permission="issue_refund") if e["department"] in ("support", "operations", "finance")]
    candidates = refund_candidates(world)
    recent = [c for c in candidates if c[0]["created_at"] > utc_text(NOW - timedelta(days=28))]
    older = [c for c in candidates if c not in recent]
    chosen = rng.sample(older, REFUND_COUNT - 8) + rng.sample(recent, 8)  # recent ones are mostly still pending
    for n, (order, shipment) in enumerate(sorted(chosen, key=lambda c: c[0]["id"])):
        delivered = datetime.fromisoformat(shipment["delivered_at"].replace("Z", "+00:00"))
        latest = min(_window_end(order), NOW - timedelta(hours=3))
        created = delivered + timedelta(seconds=rng.randint(3600, max(3601, int((latest - delivered).total_seconds()))))
        items = order_items(world, order["id"])
        picked = rng.sample(items, rng.randint(1, len(items)))
        lines = [(item, item["quantity"] if rng.random() < 0.85 else max(1, item["quantity"] - 1)) for item in picked]
        reason = rng.choices(["customer_remorse", "defective", "incompatible", "shipping_issue", "other"], weights=[35, 30, 20, 10, 5])[0]
        recent = NOW - created < timedelta(days=25)
        status = rng.choices(["pending", "approved", "processed", "rejected"], weights=[60, 20, 10, 10] if recent else [0, 45, 45, 10])[0]
        approved_by = rng.choice(approvers) if status in ("approved", "processed") else None
        notes = {
            "customer_remorse": "Returned unopened.", "defective": "Item arrived faulty; returned opened and undamaged.",
            "incompatible": "Part did not fit the customer's build; returned opened and undamaged.",
            "shipping_issue": "Box arrived crushed; item returned.", "other": "Duplicate purchase returned.",
        }[reason]
        if status == "rejected":
            notes = rng.choice(["Rejected: inspection found liquid damage.", "Rejected: original packaging missing.",
                                "Rejected: item shows physical damage (bent pins)."])
        issue_refund(world, order, lines, reason, status, created, approved_by=approved_by, notes=notes)
        if status in ("approved", "processed") and n % 12 == 0:
            remaining = [(i, i["quantity"]) for i in items if i not in picked]
            if remaining:  # a second, later refund on the same payment
                later = min(created + timedelta(days=rng.randint(1, 6)), _window_end(order), NOW - timedelta(hours=2))
                issue_refund(world, order, remaining[:1], "defective", "approved", later, approved_by=rng.choice(approvers),
                             notes="Second item from the same order returned as faulty.")
                world.mark("order_with_two_refunds", order["id"])
