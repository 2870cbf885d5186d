"""The new order trap instances (planted_orders.py): one builder per trap type, each planting at least
36 instances so that the training split can draw 30 tasks per type with margin."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta

from mcp_server.world.generator.commerce import place_order, settle_order
from mcp_server.world.generator.common import NOW, Row, World, eastern, eastern_date
from mcp_server.world.generator.planted_orders_base import Planter, check_moment, eastern_text
from mcp_server.world.generator.planted_orders_cases_text import billing_text, return_text, shipping_text
from mcp_server.world.generator.support import parse

SERVICES = ["standard", "express", "overnight"]
SEARCH_CAP_MONTHS = [(2024, 9), (2024, 10), (2024, 11), (2024, 12), (2025, 1), (2025, 2), (2025, 3), (2025, 4),
                     (2025, 5), (2025, 6), (2025, 7), (2025, 8)]


def _service(world: World) -> str:
    return world.rng.choices(SERVICES, weights=[65, 25, 10])[0]


def _at(day: date, hour: int, world: World) -> datetime:
    return eastern(day.year, day.month, day.day, hour, world.rng.randint(0, 59), world.rng.randint(0, 59))


def _day_between(world: World, first: date, last: date) -> date:
    return first + timedelta(days=world.rng.randint(0, (last - first).days))


def _fulfilled(planter: Planter, customer: Row, moment: datetime, lines: list[tuple[Row, int, float]], *,
               retried: bool = False, shipment_fate: str | None = None) -> Row:
    world = planter.world
    order = place_order(world, customer["id"], check_moment(moment), lines, _service(world))
    settle_order(world, order, "fulfilled", moment, retried=retried, shipment_fate=shipment_fate)
    return order


def _shipment(world: World, order: Row) -> Row:
    return next(s for s in world.rows("shipments") if s["order_id"] == order["id"])


# --- search_cap -----------------------------------------------------------------------------------


def _ordered_months(world: World) -> set[tuple[str, str]]:
    """(product, Eastern month) pairs that already have orders: the new counts start from zero."""
    created = {o["id"]: o["created_at"] for o in world.rows("orders") if o["created_at"]}
    return {(i["product_id"], eastern_date(parse(created[i["order_id"]])).strftime("%Y-%m"))
            for i in world.rows("order_items") if i["order_id"] in created}


def search_cap(planter: Planter) -> None:
    """40 product x month pairs with 11-16 orders each, in months where the product had none, so the
    whole count is new. Times stay between 08:00 and 20:00 Eastern: the Eastern and UTC months agree,
    and the only trap is searchOrders' silent cap of 10."""
    world, rng = planter.world, planter.world.rng
    taken = _ordered_months(world)
    customers = [planter.customer(eastern(2024, 9, 1)) for _ in range(48)]
    for index, (year, month) in enumerate(SEARCH_CAP_MONTHS):
        start, days = eastern(year, month, 1), monthrange(year, month)[1]
        label = f"{year}-{month:02d}"
        candidates = [p for p in planter.products(start) if (p["id"], label) not in taken]
        targets = rng.sample(candidates, 4 if index % 3 == 0 else 3)
        planter.reserved.update(p["id"] for p in targets)
        need = {p["id"]: rng.randint(11, 16) for p in targets}
        orders: dict[str, list[Row]] = {p["id"]: [] for p in targets}
        while any(need.values()):
            open_ = [p for p in targets if need[p["id"]]]
            chosen = [max(open_, key=lambda p: (need[p["id"]], p["id"]))]
            others = [p for p in open_ if p is not chosen[0]]
            if others and rng.random() < 0.35:  # some customers buy two of the month's popular items together
                chosen.append(rng.choice(others))
            moment = _at(date(year, month, rng.randint(1, days)), rng.randint(8, 19), world)
            lines = [(p, planter.quantity(p), float(p["price"])) for p in chosen]
            lines += planter.lines(moment, rng.choices([0, 1, 2], weights=[45, 40, 15])[0])
            order = _fulfilled(planter, rng.choice(customers), moment, lines)
            for product in chosen:
                need[product["id"]] -= 1
                orders[product["id"]].append(order)
        for product in targets:
            placed = sorted(orders[product["id"]], key=lambda o: (o["created_at"], o["id"]))
            world.plant("search_cap", f"{product['id']} in {label} (Eastern): {len(placed)} orders",
                        product["id"], *(o["id"] for o in placed))


# --- midnight_boundary ----------------------------------------------------------------------------


def midnight_boundary(planter: Planter) -> None:
    """39 orders placed 20:00-23:59 Eastern (already the next day in UTC); 13 of them on the last day of
    a month, so the UTC month differs too."""
    world, rng = planter.world, planter.world.rng
    month_ends = [date(y, m, monthrange(y, m)[1]) for y, m in SEARCH_CAP_MONTHS]
    days = month_ends + [rng.choice(month_ends)]
    while len(days) < 39:
        day = _day_between(world, date(2024, 10, 1), date(2025, 9, 8))
        if day not in month_ends:
            days.append(day)
    for day in days:
        moment = _at(day, rng.choices([20, 21, 22, 23], weights=[2, 3, 4, 4])[0], world)
        customer = planter.customer(moment)
        order = _fulfilled(planter, customer, moment, planter.lines(moment, rng.choices([1, 2, 3], weights=[55, 30, 15])[0]))
        utc_day = order["created_at"][:10]
        month_note = ", a month earlier than in UTC" if utc_day[:7] != day.strftime("%Y-%m") else ""
        world.plant("midnight_boundary", f"placed {eastern_text(moment)} ET: {utc_day} in UTC{month_note}", order["id"], customer["id"])


# --- return_window_edge ---------------------------------------------------------------------------

# (day of the window the ticket comes in on, how a UTC reading goes wrong, how many)
RETURN_CASES = [(30, "plain", 14), (30, "late_ticket", 6), (31, "plain", 14), (31, "late_order", 6)]


def return_window_edge(planter: Planter) -> None:
    """40 delivered orders with an open return ticket that came in on day 30 (eligible) or day 31 (too
    late) after the Eastern purchase date. Tickets lie between the earliest world clock and the default
    clock, so a task can set its clock to the ticket's time. In 12 of them a UTC reading flips the
    answer: a day-30 ticket sent after 20:00 Eastern, or a day-31 ticket on an order placed after 20:00."""
    world, rng = planter.world, planter.world.rng
    for day_number, flavour, count in RETURN_CASES:
        for _ in range(count):
            asked_day = _day_between(world, date(2025, 8, 16), date(2025, 9, 14 if flavour == "late_ticket" else 15))
            if flavour == "late_ticket":
                asked = _at(asked_day, rng.randint(20, 23), world)
            else:
                asked = _at(asked_day, rng.randint(8, 12 if asked_day == NOW.date() else 19), world)
            purchase_day = asked_day - timedelta(days=day_number)
            moment = _at(purchase_day, rng.randint(20, 23) if flavour == "late_order" else rng.randint(7, 19), world)
            customer = planter.customer(moment)
            lines = planter.lines(moment, rng.choices([1, 2], weights=[70, 30])[0])
            order = _fulfilled(planter, customer, moment, lines)
            shipment = _shipment(world, order)
            if shipment["status"] != "delivered" or parse(shipment["delivered_at"]) > asked - timedelta(days=1):
                raise ValueError(f"{order['id']}: the return ticket needs a delivery well before {asked}")
            product = rng.choice(lines)[0]
            subject, body = return_text(world, customer, order, product, purchase_day)
            ticket = planter.ticket(customer, "return", asked, order, subject, body, priority=rng.choice(["low", "normal", "normal"]))
            verdict = "eligible" if day_number == 30 else "too late"
            name = f"day{day_number}: {verdict}, purchased {purchase_day} ET, asked {eastern_text(asked)} ET"
            if flavour == "late_ticket":
                name += " (UTC reading says day31)"
            elif flavour == "late_order":
                name += f" (ordered {eastern_text(moment)} ET; UTC reading says day30)"
            world.plant("return_window_edge", name, ticket["id"], order["id"], customer["id"])


# --- failed_then_captured -------------------------------------------------------------------------


def failed_then_captured(planter: Planter) -> None:
    """40 orders whose first payment attempt failed and a second was captured; the 20 recent ones carry
    a billing ticket from a customer who thinks they were charged twice."""
    world, rng = planter.world, planter.world.rng
    for n in range(40):
        with_ticket = n % 2 == 0
        first, last = (date(2025, 8, 16), date(2025, 9, 8)) if with_ticket else (date(2024, 10, 1), date(2025, 9, 8))
        day = _day_between(world, first, last)
        moment = _at(day, rng.randint(8, 21), world)
        customer = planter.customer(moment)
        order = _fulfilled(planter, customer, moment, planter.lines(moment, rng.choices([1, 2, 3], weights=[50, 35, 15])[0]), retried=True)
        payments = [p for p in world.rows("payments") if p["order_id"] == order["id"]]
        failed, captured = payments  # settle_order records the failed attempt first
        if failed["status"] != "failed" or captured["status"] != "captured":
            raise ValueError(f"{order['id']}: expected a failed attempt then a capture, got {[p['status'] for p in payments]}")
        name = f"{failed['method']} attempt failed, then {captured['method']} captured"
        ids = [order["id"], failed["id"], captured["id"]]
        if with_ticket:
            asked = min(parse(captured["captured_at"]) + timedelta(hours=rng.randint(2, 96)), NOW - timedelta(hours=rng.randint(1, 6)))
            subject, body = billing_text(world, customer, order, day)
            ticket = planter.ticket(customer, "billing", asked, order, subject, body,
                                    status=rng.choice(["new", "open", "open"]), priority=rng.choice(["normal", "high"]))
            name += "; billing ticket says charged twice"
            ids.append(ticket["id"])
        world.plant("failed_then_captured", name, *ids, customer["id"])


# --- lost_parcel ----------------------------------------------------------------------------------


def lost_parcel(planter: Planter) -> None:
    """40 shipments that went astray: 28 declared lost, 12 stuck in a delivery exception. The 20 recent
    ones carry a shipping ticket asking where the parcel is, in words that match the tracking."""
    world, rng = planter.world, planter.world.rng
    for n in range(40):
        fate = "lost" if n % 10 < 7 else "exception"
        with_ticket = n % 2 == 0
        latest = date(2025, 8, 30) if fate == "lost" else date(2025, 9, 8)
        first = date(2025, 8, 5) if with_ticket else date(2024, 10, 1)
        moment = _at(_day_between(world, first, latest), rng.randint(8, 21), world)
        customer = planter.customer(moment)
        order = _fulfilled(planter, customer, moment, planter.lines(moment, rng.choices([1, 2], weights=[65, 35])[0]), shipment_fate=fate)
        shipment = _shipment(world, order)
        if shipment["status"] != fate:
            raise ValueError(f"{order['id']}: shipment should be {fate} by the world clock, is {shipment['status']}")
        last_event = shipment["events"][-1]
        name = f"{fate}: '{last_event['note']}' on {eastern_date(parse(last_event['at']))}"
        ids = [shipment["id"], order["id"], customer["id"]]
        if with_ticket:
            asked = parse(last_event["at"]) + timedelta(hours=rng.randint(2, 72))
            asked = min(asked, NOW - timedelta(minutes=rng.randint(40, 300)))
            if asked <= parse(last_event["at"]):
                raise ValueError(f"{order['id']}: the shipping ticket must follow the last tracking event")
            subject, body = shipping_text(world, customer, order, shipment)
            ticket = planter.ticket(customer, "shipping", asked, order, subject, body,
                                    status=rng.choice(["new", "open", "open"]), priority=rng.choice(["normal", "high", "high"]))
            name += "; shipping ticket asks where it is"
            ids.append(ticket["id"])
        world.plant("lost_parcel", name, *ids)

