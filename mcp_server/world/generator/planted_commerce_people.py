"""World v2 helpers shared by the planted commerce traps: new customers with names of their own, their
fulfilled orders, and the namesake and tier-change instances.

New customers take names from pools that the original world never uses, so that no held-out search by
name or email (emails here end in @example.org) finds one of them, and no name is shared by accident.
Their orders and tickets keep to the order traps' guards (planted_orders_base): no product a held-out
task cites or a search_cap instance counts, no order on the business day a held-out task counts, and
tickets only in queues no held-out task reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mcp_server.world.generator.commerce import place_order, settle_order
from mcp_server.world.generator.common import NOW, Row, World, eastern, random_moment, utc_text
from mcp_server.world.generator.people import CITIES, TIERS, _customer
from mcp_server.world.generator.planted_orders_base import ASSIGNEES, Planter, check_moment, order_moment
from mcp_server.world.generator.support import make_ticket, parse

FIRST = ["Alder", "Briar", "Cosmo", "Della", "Ezra", "Fiona", "Gemma", "Harlan", "Ingrid", "Jovan", "Keira", "Lucian",
         "Marisol", "Nico", "Odette", "Percy", "Rowena", "Silas", "Thea", "Ulla", "Vivian", "Wilder", "Yvette", "Zora",
         "Anouk", "Bram", "Celeste", "Dashiell", "Elio", "Flora", "Griffin", "Helena", "Inez", "Juno", "Kasper", "Linnea",
         "Milo", "Nell", "Otto", "Pia"]
LAST = ["Ashcombe", "Birchall", "Calloway", "Darrow", "Eastwick", "Farrow", "Gilchrist", "Hartigan", "Iverson",
        "Jankowski", "Kinsella", "Lockridge", "Merriweather", "Nolan", "Ormsby", "Penhallow", "Radcliffe", "Sandoval",
        "Thorne", "Ueda", "Varga", "Wetherby", "Yardley", "Zamora", "Ainsworth", "Bellamy", "Corrigan", "Devereux",
        "Eriksen", "Fitzroy", "Garrity", "Halvorsen", "Kimura", "Lacroix", "Moreau", "Novak", "Ostrander", "Pryce",
        "Quinlan", "Rourke"]
SERVICES = ["standard", "express", "overnight"]
NAMESAKE_GROUPS = (2,) * 15 + (3,) * 3  # 39 customers in 18 groups
TIER_CHANGES = 36


class Names:
    """Full names not yet used by any customer, drawn from the pools above."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.used = {(c["first_name"], c["last_name"]) for c in world.rows("customers")}

    def draw(self) -> tuple[str, str]:
        for _ in range(10_000):
            name = (self.world.rng.choice(FIRST), self.world.rng.choice(LAST))
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("the planted-customer name pools are exhausted: add names to FIRST or LAST")


def new_customer(world: World, first: str, last: str, tier: str, *, style: int = 0) -> Row:
    """A customer through people.py's helper, with an @example.org email in one of three shapes."""
    number = world.counters["cus"] + 1
    local = [f"{first}.{last}{number}", f"{first[0]}{last}{number}", f"{last}.{first}{number}"][style % 3].lower()
    return _customer(world, first, last, tier, email=f"{local}@example.org")


def move_to(world: World, customer: Row, city: tuple[str, str, str]) -> None:
    name, region, zip_prefix = city
    customer.update(city=name, region=region, postal_code=f"{zip_prefix}{world.rng.randint(100, 999)}")


def fulfilled_order(planter: Planter, customer: Row, moment: datetime) -> Row:
    """A fulfilled order of one to five lines the guards allow (commerce.py's helpers), placed at ``moment``."""
    world = planter.world
    count = world.rng.choices([1, 2, 3, 4, 5], weights=[42, 30, 15, 8, 5])[0]
    lines = planter.lines(check_moment(moment), count)
    order = place_order(world, customer["id"], moment, lines, world.rng.choices(SERVICES, weights=[65, 25, 10])[0])
    settle_order(world, order, "fulfilled", moment)
    return order


def guard_assignee(world: World, ticket: Row) -> Row:
    """Give a live ticket to staff whose queues no held-out task reads (make_ticket draws from all support)."""
    ticket["assignee_id"] = None if ticket["status"] == "new" else world.rng.choice(ASSIGNEES)
    return ticket


def delivered_at(world: World, order: Row) -> datetime | None:
    shipment = next((s for s in world.rows("shipments") if s["order_id"] == order["id"]), None)
    if shipment is None or shipment["status"] != "delivered" or not shipment["delivered_at"]:
        return None
    return parse(shipment["delivered_at"])


def plant_namesakes(planter: Planter, names: Names) -> None:
    """Groups of new customers sharing a full name, with other emails, tiers and cities, each with orders."""
    world, rng = planter.world, planter.world.rng
    for size in NAMESAKE_GROUPS:
        first, last = names.draw()
        tiers, cities = rng.sample(TIERS, size), rng.sample(CITIES, size)
        members = []
        for index in range(size):
            customer = new_customer(world, first, last, tiers[index], style=index)
            move_to(world, customer, cities[index])
            orders = [fulfilled_order(planter, customer, order_moment(world, eastern(2025, 3, 5), eastern(2025, 9, 5)))
                      for _ in range(rng.choice([1, 1, 2]))]
            members.append((customer, orders))
        for customer, orders in members:
            others = [c["id"] for c, _ in members if c is not customer]
            world.plant("namesake", f"{first} {last} ({customer['loyalty_tier']}, {customer['city']}), one of {size} namesakes",
                        customer["id"], *others, *(o["id"] for o in orders))


def _change_tier(world: World, customer: Row, previous: str, change: datetime) -> None:
    current = customer["loyalty_tier"]
    world.tier_history[customer["id"]] = [(eastern(2000, 1, 1), previous), (change, current)]
    if world.rng.random() < 0.6:  # like the original world, only some records say so
        direction = "upgraded" if TIERS.index(current) > TIERS.index(previous) else "downgraded"
        customer["notes"] = f"Loyalty tier {direction} from {previous} to {current} on {change.strftime('%Y-%m-%d')} after the annual spend review."


def _recent_old_tier_order(planter: Planter, customer: Row) -> tuple[Row, datetime]:
    """A fulfilled order from the second half of August: even the slowest transit delivers it days
    before the clock, so a return can be asked for inside the window."""
    world = planter.world
    order = fulfilled_order(planter, customer, order_moment(world, eastern(2025, 8, 16, 9), eastern(2025, 8, 30, 20)))
    delivered = delivered_at(world, order)
    if delivered is None or delivered > NOW - timedelta(days=2):
        raise RuntimeError(f"planted order {order['id']} was not delivered in time: move its date earlier")
    return order, delivered


def plant_tier_changes(planter: Planter, names: Names) -> None:
    """New customers whose tier changed after their orders; half have an open return ticket on one."""
    world, rng = planter.world, planter.world.rng
    for n in range(TIER_CHANGES):
        previous, current = rng.sample(TIERS, 2)
        customer = new_customer(world, *names.draw(), current, style=n)
        world.tier_history[customer["id"]] = [(eastern(2000, 1, 1), previous)]  # the old tier while ordering
        ticket = None
        if n % 2 == 0:
            order, delivered = _recent_old_tier_order(planter, customer)
            asked = min(delivered + timedelta(hours=rng.randint(4, 96)), NOW - timedelta(hours=rng.randint(1, 20)))
            change = random_moment(rng, parse(order["created_at"]) + timedelta(hours=2), asked - timedelta(hours=1))
            product = world.get(rng.choice([i for i in world.rows("order_items") if i["order_id"] == order["id"]])["product_id"])
            ticket = guard_assignee(world, make_ticket(world, customer["id"], "return", asked, order=order, product=product, status="open"))
            old_orders = [order]
        else:
            old_orders = [fulfilled_order(planter, customer, order_moment(world, eastern(2025, 3, 1), eastern(2025, 7, 10)))
                          for _ in range(rng.choice([1, 2]))]
            last = max(parse(o["created_at"]) for o in old_orders)
            change = random_moment(rng, last + timedelta(days=1), eastern(2025, 9, 1))
        _change_tier(world, customer, previous, change)
        if ticket is None and rng.random() < 0.35:  # a later order at the new tier, for contrast
            fulfilled_order(planter, customer, order_moment(world, change + timedelta(hours=1), eastern(2025, 9, 8)))
        name = f"{previous} -> {current} on {utc_text(change)[:10]}" + (", open return on the old-tier order" if ticket else "")
        world.plant("tier_change", name, customer["id"], *(o["id"] for o in old_orders), *([ticket["id"]] if ticket else []))
