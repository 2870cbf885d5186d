"""Commerce: orders and their lines, payments, shipments, refunds and refund lines.

The helpers here (``place_order``, ``settle_order``, ``issue_refund``) are the only way the generator
creates these records, so arithmetic and status agreement hold by construction; traps.py uses the same
helpers with fixed parameters.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from mcp_server.world import rules
from mcp_server.world.generator.common import EASTERN, HISTORY_START, NOW, Row, World, eastern, eastern_date, money, utc_text

CARRIERS = {"Parcelwise": "PW", "Meridian Post": "MP", "SwiftRoute": "SR"}
TRANSIT_DAYS = {"standard": (3, 6), "express": (2, 2), "overnight": (1, 1)}
METHODS = ["card", "paypal", "apple_pay", "google_pay", "bank_transfer"]
HUBS = ["Harrisburg, PA", "Reno, NV", "Kansas City, MO", "Memphis, TN", "Columbus, OH", "Salt Lake City, UT"]
ORDER_COUNT = 1500


def promo_discount_for(promo: Row | None, lines: list[tuple[Row, int, float]], subtotal: Decimal, moment: datetime | None) -> Decimal:
    """The promotion's discount for these lines, or 0 when the order does not qualify."""
    if promo is None or moment is None:
        return Decimal("0")
    stamp = utc_text(moment)
    if not (promo["starts_at"] <= stamp < promo["ends_at"]) or subtotal < Decimal(str(promo["min_subtotal"])):
        return Decimal("0")
    matching = sum((rules.cents(Decimal(str(price)) * qty) for product, qty, price in lines
                    if promo["category"] is None or product["category"] == promo["category"]), Decimal("0"))
    if matching <= 0:
        return Decimal("0")
    if promo["discount_type"] == "percent":
        return rules.cents(matching * Decimal(str(promo["discount_value"])) / 100)
    return min(rules.cents(promo["discount_value"]), matching)


def place_order(world: World, customer_id: str, moment: datetime, lines: list[tuple[Row, int, float]], service: str, *,
                promo: Row | None = None, build_id: str | None = None, number: int | None = None) -> Row:
    """Create an order (status pending) and its lines; the price of each line is given explicitly."""
    rng = world.rng
    customer = world.get(customer_id)
    tier = world.customer_tier_at(customer_id, moment)
    subtotal = sum((rules.cents(Decimal(str(price)) * qty) for _, qty, price in lines), Decimal("0"))
    loyalty = rules.loyalty_discount(subtotal, tier)
    promo_off = promo_discount_for(promo, lines, subtotal, moment)
    shipping = rules.SHIPPING_COST[service]
    oid = world.order_id(eastern_date(moment), number)
    address = None
    if customer["address_line1"]:
        address = f"{customer['address_line1']}, {customer['city']}, {customer['region']} {customer['postal_code']}"
    order = world.add("orders", {
        "id": oid, "customer_id": customer_id, "status": "pending", "build_id": build_id,
        "subtotal": money(subtotal), "loyalty_tier": tier, "loyalty_discount": money(loyalty),
        "promotion_id": promo["id"] if promo_off > 0 and promo else None, "promo_discount": money(promo_off),
        "shipping_service": service, "shipping_cost": money(shipping),
        "total": money(subtotal - loyalty - promo_off + shipping),
        "ship_name": f"{customer['first_name']} {customer['last_name']}", "ship_address": address,
        "carrier": rng.choice(list(CARRIERS)), "eta": None,
        "created_at": utc_text(moment), "updated_at": utc_text(moment), "notes": None,
    })
    for product, qty, price in lines:
        world.add("order_items", {
            "id": world.next_id("oli", 6), "order_id": oid, "product_id": product["id"], "quantity": qty,
            "unit_price": money(price), "line_total": money(rules.cents(Decimal(str(price)) * qty)),
        })
    return order


def order_items(world: World, order_id: str) -> list[Row]:
    return [i for i in world.rows("order_items") if i["order_id"] == order_id]


def _payment(world: World, order: Row, method: str, status: str, created: datetime, captured: datetime | None) -> Row:
    rng = world.rng
    return world.add("payments", {
        "id": world.next_id("pay", 6), "order_id": order["id"], "method": method, "status": status, "amount": order["total"],
        "card_last4": f"{rng.randint(0, 9999):04d}" if method == "card" else None,
        "processor_ref": f"pr_{rng.getrandbits(48):012x}", "created_at": utc_text(created),
        "captured_at": utc_text(captured) if captured else None,
    })


def settle_order(world: World, order: Row, fate: str, moment: datetime, *, retried: bool = False,
                 shipment_fate: str | None = None) -> None:
    """Give an order its payments and shipment for a fate: pending | paid | backorder | fulfilled |
    cancelled_voided | cancelled_failed | cancelled_refunded. ``shipment_fate`` forces exception/lost/
    label_created for a shipment."""
    rng = world.rng
    method = rng.choices(METHODS, weights=[60, 15, 10, 8, 7])[0]
    at = moment + timedelta(seconds=rng.randint(5, 90))
    if retried or fate == "cancelled_failed":
        _payment(world, order, method, "failed", at, None)
        if fate == "cancelled_failed":
            order["status"] = "cancelled"
            order["notes"] = "Payment declined; the customer did not retry, order cancelled automatically."
            order["updated_at"] = utc_text(at + timedelta(hours=48))
            return
        at += timedelta(minutes=rng.randint(3, 600))
        method = rng.choice(["card", "paypal"])
    capture = at + (timedelta(hours=rng.randint(6, 40)) if method == "bank_transfer" else timedelta(minutes=rng.randint(1, 30)))
    last = at
    if fate == "pending":
        _payment(world, order, method, rng.choice(["pending", "authorized"]), at, None)
        order["status"] = "pending"
    elif fate == "cancelled_voided":
        _payment(world, order, method, "voided", at, None)
        order["status"], last = "cancelled", at + timedelta(hours=rng.randint(1, 20))
        order["notes"] = "Cancelled at the customer's request before capture; authorisation voided."
    elif fate == "backorder":
        captured = rng.random() < 0.5
        _payment(world, order, method, "captured" if captured else "authorized", at, capture if captured else None)
        order["status"], last = "backorder", at + timedelta(hours=1)
    elif fate == "cancelled_refunded":
        payment = _payment(world, order, method, "refunded", at, capture)
        when = capture + timedelta(hours=rng.randint(2, 30))
        world.add("refunds", {
            "id": world.next_id("ref", 5), "payment_id": payment["id"], "order_id": order["id"], "ticket_id": None,
            "amount": payment["amount"], "reason": "customer_remorse", "status": "approved", "approved_by": None,
            "notes": "Order cancelled before shipment: full payment refunded, shipping included.", "created_at": utc_text(when),
        })
        order["status"], last = "cancelled", when
    else:  # paid or fulfilled
        _payment(world, order, method, "captured", at, capture)
        order["status"], last = "paid", capture
        if fate == "fulfilled" or shipment_fate == "label_created":
            last = _ship(world, order, capture, shipment_fate)
            if shipment_fate != "label_created":
                order["status"] = "fulfilled"
    order["updated_at"] = utc_text(min(last, NOW))


def _ship(world: World, order: Row, ready: datetime, shipment_fate: str | None) -> datetime:
    rng = world.rng
    service = order["shipping_service"]
    carrier = order["carrier"]
    labelled = ready + timedelta(hours=rng.randint(2, 30))
    shipped = labelled + timedelta(hours=rng.randint(3, 20))
    low, high = TRANSIT_DAYS[service]
    eta = (shipped + timedelta(days=rng.randint(low, high))).astimezone(EASTERN).replace(hour=20, minute=0, second=0)
    delivered = eta - timedelta(hours=rng.randint(0, 9)) + (timedelta(days=1) if rng.random() < 0.08 else timedelta(0))
    hub = rng.choice(HUBS)
    # a label due after the world clock was printed between payment and now (no draw: later records keep their values)
    label_at = labelled if labelled <= NOW else ready + (max(NOW, ready) - ready) / 2
    events = [{"at": utc_text(label_at), "status": "label_created", "location": "CoreCraft fulfillment center", "note": "Shipping label created"}]
    status, shipped_at, delivered_at = "label_created", None, None
    if shipment_fate != "label_created" and shipped <= NOW:
        shipped_at = shipped
        events.append({"at": utc_text(shipped), "status": "in_transit", "location": hub, "note": "Picked up by carrier"})
        status = "in_transit"
        if shipment_fate in ("exception", "lost"):
            when = shipped + timedelta(days=1, hours=rng.randint(0, 20))
            note = "Address issue: delivery attempt failed" if shipment_fate == "exception" else "Package not scanned for 10 days; declared lost"
            if shipment_fate == "lost":
                when = shipped + timedelta(days=10)
            if when <= NOW:
                events.append({"at": utc_text(when), "status": shipment_fate, "location": hub, "note": note})
                status = shipment_fate
        elif delivered <= NOW:
            out = delivered.replace(hour=8, minute=rng.randint(0, 59))
            events.append({"at": utc_text(out), "status": "out_for_delivery", "location": order["ship_address"] and order["ship_address"].split(", ", 1)[-1] or "local depot", "note": "Out for delivery"})
            events.append({"at": utc_text(delivered), "status": "delivered", "location": "Front door", "note": "Delivered"})
            status, delivered_at = "delivered", delivered
        elif delivered.date() == NOW.date():
            status = "out_for_delivery"
            events.append({"at": utc_text(NOW - timedelta(hours=4)), "status": "out_for_delivery", "location": "local depot", "note": "Out for delivery"})
    world.add("shipments", {
        "id": world.next_id("shp", 6), "order_id": order["id"], "carrier": carrier, "service": service,
        "tracking_number": f"{CARRIERS[carrier]}{rng.randint(10**11, 10**12 - 1)}", "status": status,
        "shipped_at": utc_text(shipped_at) if shipped_at else None, "eta": utc_text(eta),
        "delivered_at": utc_text(delivered_at) if delivered_at else None, "events": events,
    })
    order["eta"] = utc_text(eta)
    return min(max(datetime.fromisoformat(e["at"].replace("Z", "+00:00")) for e in events), NOW)


def issue_refund(world: World, order: Row, lines: list[tuple[Row, int]], reason: str, status: str, created: datetime, *,
                 approved_by: str | None = None, notes: str | None = None, ticket_id: str | None = None) -> Row:
    """An itemised refund on the order's captured payment; order and payment statuses follow policy."""
    payment = next(p for p in world.rows("payments") if p["order_id"] == order["id"] and p["status"] in ("captured", "partially_refunded"))
    refund_id = world.next_id("ref", 5)
    total = Decimal("0")
    for item, qty in lines:
        amount = rules.refund_amount_for_line(item["unit_price"], qty, order["loyalty_tier"],
                                              order_subtotal=order["subtotal"], order_promo_discount=order["promo_discount"])
        total += amount
        world.add("refund_lines", {"id": world.next_id("rfl", 5), "refund_id": refund_id, "order_item_id": item["id"], "quantity": qty, "amount": money(amount)})
    refund = world.add("refunds", {
        "id": refund_id, "payment_id": payment["id"], "order_id": order["id"], "ticket_id": ticket_id, "amount": money(total),
        "reason": reason, "status": status, "approved_by": approved_by, "notes": notes, "created_at": utc_text(created),
    })
    apply_refund_statuses(world, order, payment)
    order["updated_at"] = max(order["updated_at"] or "", utc_text(created))
    return refund


def apply_refund_statuses(world: World, order: Row, payment: Row) -> None:
    refunds = [r for r in world.rows("refunds") if r["order_id"] == order["id"]]
    effective = [r for r in refunds if r["status"] in ("approved", "processed")]
    if any(r["status"] == "pending" for r in refunds):
        order["status"] = "refund_requested"
    elif effective:
        ordered = sum(i["quantity"] for i in order_items(world, order["id"]))
        effective_ids = {r["id"] for r in effective}
        returned = sum(rl["quantity"] for rl in world.rows("refund_lines") if rl["refund_id"] in effective_ids)
        order["status"] = "refunded" if returned >= ordered else "partially_refunded"
    if effective:
        paid_back = sum(Decimal(str(r["amount"])) for r in effective if r["payment_id"] == payment["id"])
        payment["status"] = "refunded" if paid_back >= Decimal(str(payment["amount"])) else "partially_refunded"


def order_moment(world: World) -> datetime:
    """A time in the history, busier around the holidays and in the evening (Eastern)."""
    rng = world.rng
    days = (NOW.date() - HISTORY_START.date()).days
    while True:
        day = HISTORY_START.date() + timedelta(days=rng.randint(0, days))
        if rng.random() < 0.035:  # business has picked up: the last week is busier
            day = NOW.date() - timedelta(days=rng.randint(0, 6))
        boost = 1.8 if (day.month == 11 and day.day >= 20) or (day.month == 12 and day.day <= 20) else 1.0
        if rng.random() < boost / 1.8:
            break
    hour = rng.choices(range(24), weights=[3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 6, 5])[0]
    moment = eastern(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))
    return min(moment, NOW - timedelta(minutes=rng.randint(5, 600)))


def pick_lines(world: World, moment: datetime) -> list[tuple[Row, int, float]]:
    rng = world.rng
    products = [p for p in world.rows("products") if p["category"] != "bundle" or rng.random() < 0.5]
    weights = [world.popularity[p["id"]] for p in products]
    count = rng.choices([1, 2, 3, 4, 5], weights=[42, 30, 15, 8, 5])[0]
    chosen: dict[str, Row] = {}
    while len(chosen) < count:
        product = rng.choices(products, weights=weights)[0]
        chosen[product["id"]] = product
    lines = []
    for product in chosen.values():
        qty = rng.choice([1, 1, 1, 2]) if product["category"] in ("memory", "storage", "cable", "accessory") else 1
        price = float(product["price"])
        if moment < eastern(2025, 3, 1) and rng.random() < 0.05:  # the price was higher back then
            price = float(int(price * rng.uniform(1.05, 1.15))) + 0.99
            world.mark("historical_unit_price", product["id"])
        lines.append((product, qty, price))
    return lines


def sold_out_products(world: World) -> set[str]:
    stock: dict[str, int] = {}
    for level in world.rows("inventory"):
        stock[level["product_id"]] = stock.get(level["product_id"], 0) + level["on_hand"]
    return {pid for pid, units in stock.items() if units == 0}


def fate_for(world: World, moment: datetime, lines: list[tuple[Row, int, float]], sold_out: set[str]) -> str:
    rng = world.rng
    age_days = (NOW - moment).total_seconds() / 86400
    if age_days < 14 and any(p["id"] in sold_out for p, _, _ in lines):
        return "backorder"
    if age_days < 1:
        return rng.choices(["pending", "paid"], weights=[45, 55])[0]
    if age_days < 4:
        return rng.choices(["paid", "fulfilled", "cancelled_voided"], weights=[30, 65, 5])[0]
    return rng.choices(["fulfilled", "cancelled_voided", "cancelled_refunded", "cancelled_failed"], weights=[93, 3, 2, 2])[0]
