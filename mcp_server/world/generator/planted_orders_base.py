"""Shared helpers of the order traps (planted_orders.py): new customers, the products and times new
orders may use, and tickets in queues no held-out task reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mcp_server.world.generator.common import EASTERN, NOW, Row, World, eastern, random_moment, utc_text
from mcp_server.world.generator.people import FIRST, LAST, TIERS, _customer
from mcp_server.world.generator.support import make_ticket

# Products any held-out task cites (tasks/heldout: entities and reference arguments). New orders never
# contain them; tests/mcp_server/world/test_world_planted_orders.py keeps this list complete.
HELDOUT_PRODUCTS = frozenset(f"prd-{n:04d}" for n in (
    1, 2, 4, 5, 6, 7, 8, 9, 10, 13, 16, 17, 19, 21, 22, 24, 25, 26, 27, 30, 34, 37, 39, 40, 41, 43, 44, 45, 46, 47,
    49, 50, 51, 52, 53, 54, 56, 57, 60, 61, 63, 64, 66, 68, 69, 70, 72, 73, 74, 75, 78, 80, 83, 85, 89, 91, 95, 97,
    98, 100, 101, 104, 106, 108, 111, 112, 114, 115, 116, 117, 118, 119, 121, 122, 123, 124, 126, 127, 130, 131,
    132, 133, 134, 137, 138, 141, 142, 145, 146, 147, 148, 149, 151, 152, 154, 160, 164, 165, 169, 179, 188, 190,
    191, 194, 198, 200, 209, 212, 213, 222, 228, 235,
))
# Support staff who may own the new tickets: none is named by a held-out task, and held-out tasks read
# the queues of emp-013 and emp-018, which must not grow.
ASSIGNEES = ("emp-004", "emp-005", "emp-006", "emp-009", "emp-010", "emp-014", "emp-017", "emp-019")
# Orders placed here would change held-out ir-008's count of 10 September (Eastern day, or UTC day).
BUSY_DAY = (eastern(2025, 9, 9, 20, 0), eastern(2025, 9, 11, 0, 0))
SIGNUP_LATEST = eastern(2025, 8, 1)  # customer sign-ups stay before the earliest world clock (clock.py)


@dataclass
class Planter:
    """Shared state of the order traps: the names taken, and products reserved by search_cap."""

    world: World
    names: set[tuple[str, str]] = field(init=False, default_factory=set)  # every customer's full name
    reserved: set[str] = field(default_factory=set)  # search_cap products: no other new order contains them

    def __post_init__(self) -> None:
        self.names = {(c["first_name"], c["last_name"]) for c in self.world.rows("customers")}

    def customer(self, first_order: datetime, tier: str | None = None) -> Row:
        """A new customer with a full name nobody else has (searchCustomers by name stays unambiguous),
        signed up before their first order."""
        rng = self.world.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        while (first, last) in self.names:
            first, last = rng.choice(FIRST), rng.choice(LAST)
        self.names.add((first, last))
        latest = min(first_order - timedelta(days=2), SIGNUP_LATEST)
        if rng.random() < 0.15 and latest > eastern(2024, 9, 2):
            created = random_moment(rng, eastern(2024, 9, 1), latest)
        else:
            created = random_moment(rng, eastern(2019, 3, 1), min(latest, eastern(2024, 8, 25)))
        return _customer(self.world, first, last, tier or rng.choices(TIERS, weights=[45, 30, 17, 8])[0], created=created)

    def products(self, moment: datetime, *, exclude: frozenset[str] | set[str] = frozenset()) -> list[Row]:
        """Products a new order may contain at a moment: released a week before, on sale, not cited by
        held-out tasks, not reserved by search_cap."""
        stamp = utc_text(moment - timedelta(days=7))
        return [p for p in self.world.rows("products")
                if p["id"] not in HELDOUT_PRODUCTS and p["id"] not in self.reserved and p["id"] not in exclude
                and not p["discontinued"] and p["category"] != "bundle" and (p["released_at"] or "") < stamp]

    def lines(self, moment: datetime, count: int, *, exclude: frozenset[str] | set[str] = frozenset()) -> list[tuple[Row, int, float]]:
        rng = self.world.rng
        chosen = rng.sample(self.products(moment, exclude=exclude), count)
        return [(p, self.quantity(p), float(p["price"])) for p in chosen]

    def quantity(self, product: Row) -> int:
        small = product["category"] in ("memory", "storage", "cable", "accessory")
        return 2 if small and self.world.rng.random() < 0.25 else 1

    def ticket(self, customer: Row, kind: str, created: datetime, order: Row, subject: str, body: str, *,
               status: str = "open", priority: str = "normal") -> Row:
        """A live (new or open) ticket, owned by staff whose queues no held-out task reads, untouched since it came in."""
        rng = self.world.rng
        if created >= NOW:
            raise ValueError(f"ticket for {order['id']} would be created after the world clock: {created}")
        ticket = make_ticket(self.world, customer["id"], kind, created, order=order, subject=subject, body=body,
                             status=status, priority=priority)
        if ticket["created_at"] != utc_text(created):  # make_ticket moves tickets written before delivery
            raise ValueError(f"{ticket['id']} on {order['id']}: asked at {created}, before the goods arrived")
        ticket["assignee_id"] = None if status == "new" else rng.choice(ASSIGNEES)
        ticket["updated_at"] = utc_text(max(created, min(created + timedelta(minutes=rng.randint(2, 90)), NOW - timedelta(minutes=5))))
        return ticket


def search_cap_products(world: World) -> set[str]:
    """Products of the search_cap instances planted so far (world.planted), original ones included:
    their monthly order counts are the trap, so no other new order may contain them."""
    return {i for t in world.planted if t.type == "search_cap" for i in t.ids if i.startswith("prd-")}


def guarded_planter(world: World) -> Planter:
    """A planter for steps after the order traps: the search_cap products are reserved."""
    return Planter(world, reserved=search_cap_products(world))


def order_moment(world: World, earliest: datetime, latest: datetime) -> datetime:
    """A random time in the span, outside the business day a held-out task counts (BUSY_DAY)."""
    while True:
        moment = random_moment(world.rng, earliest, latest)
        if not BUSY_DAY[0] <= moment < BUSY_DAY[1]:
            return moment


def check_moment(moment: datetime) -> datetime:
    """Refuse an order time that would change what a held-out task counts or lie after the clock."""
    if BUSY_DAY[0] <= moment < BUSY_DAY[1]:
        raise ValueError(f"order at {moment} falls on the business day held-out task ir-008 counts")
    if moment >= NOW:
        raise ValueError(f"order at {moment} is after the world clock")
    return moment


def eastern_text(moment: datetime) -> str:
    return moment.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M")
