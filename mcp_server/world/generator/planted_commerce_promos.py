"""World v2: promotion traps. New customers ask, in open tickets, for a code outside its dates
(promo_expired) or for two running codes on one order (promo_non_stacking).

New promotions are added after promo-015. None of them runs at any clock a held-out task uses
(2025-09-05 10:00 ET and later, up to 2025-09-30): the late-summer ones end on 5 September 00:00 ET,
the future ones start in late October, so getProduct's active promotions and calculatePrice answer
held-out tasks as before. Tickets lie between 2025-08-16 and the default clock, so a task may set its
clock to the ticket's time. Carts, orders and tickets keep to the order traps' guards (planted_orders_base).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from mcp_server.world.generator.commerce import place_order, settle_order
from mcp_server.world.generator.common import NOW, Row, World, eastern, random_moment, utc_text
from mcp_server.world.generator.content import add_promotion
from mcp_server.world.generator.people import TIERS
from mcp_server.world.generator.planted_commerce_people import Names, guard_assignee, new_customer
from mcp_server.world.generator.planted_orders_base import BUSY_DAY, Planter, check_moment
from mcp_server.world.generator.support import make_ticket, parse

# code, name, type, value, category, min_subtotal, stackable with loyalty, starts (y, m, d), ends (y, m, d)
RUNNING_LATE_SUMMER = [
    ("LATESUMMER12", "Late Summer Build Sale", "percent", 12, None, 300, 0, (2025, 8, 16), (2025, 9, 5)),
    ("SSDSURGE15", "Storage Surge", "percent", 15, "storage", 0, 1, (2025, 8, 16), (2025, 9, 5)),
    ("COOLERSWAP20", "Cooler Swap Days", "fixed", 20, "cooling", 80, 1, (2025, 8, 16), (2025, 9, 5)),
    ("RAMRUSH10", "RAM Rush", "percent", 10, "memory", 0, 1, (2025, 8, 18), (2025, 9, 5)),
    ("LABORDAY40", "Labor Day Weekend", "fixed", 40, None, 400, 1, (2025, 8, 29), (2025, 9, 3)),
    ("MOUSEMONTH", "Mouse Month", "percent", 15, "mouse", 0, 1, (2025, 8, 16), (2025, 9, 5)),
]
ENDED = [
    ("SPRINGCLEAN5", "Spring Clean", "percent", 5, None, 100, 0, (2025, 4, 1), (2025, 4, 30)),
    ("JULYGPU30", "July GPU Drop", "fixed", 30, "gpu", 300, 1, (2025, 7, 7), (2025, 7, 28)),
    ("PSUPOWER15", "Power Up Week", "fixed", 15, "psu", 90, 1, (2025, 8, 4), (2025, 8, 11)),
]
UPCOMING = [
    ("HALLOWEENRGB", "Spooky RGB Sale", "percent", 10, "cooling", 0, 1, (2025, 10, 20), (2025, 11, 1)),
    ("BLACKFRIDAY20", "Black Friday 2025", "percent", 20, None, 300, 0, (2025, 11, 24), (2025, 12, 2)),
    ("CYBERGPU75", "Cyber Monday GPU Deal", "fixed", 75, "gpu", 500, 1, (2025, 12, 1), (2025, 12, 3)),
    ("WINTERNVME", "Winter NVMe Sale", "percent", 12, "storage", 0, 1, (2026, 1, 5), (2026, 2, 1)),
]
# Pairs of late-summer codes that both apply to one cart: a customer wants both on one order.
PAIRS = [("LATESUMMER12", "SSDSURGE15"), ("LATESUMMER12", "COOLERSWAP20"), ("RAMRUSH10", "LATESUMMER12"),
         ("LABORDAY40", "MOUSEMONTH"), ("SSDSURGE15", "LABORDAY40"), ("SSDSURGE15", "RAMRUSH10"),
         ("COOLERSWAP20", "MOUSEMONTH"), ("LABORDAY40", "LATESUMMER12"), ("RAMRUSH10", "COOLERSWAP20")]
HELD_OUT_CODES = {"SUMMER25", "BACKTOSCHOOL", "FALLGPU10", "PERIPHERAL15", "PLATINUMPREVIEW"}  # cited by held-out tasks
EXPIRED_COUNT = 40
NON_STACKING_COUNT = 36
FIRST_TICKET = eastern(2025, 8, 16, 8)


def add_promotions(world: World) -> None:
    """The new promotions, numbered after the original ones and written the same way."""
    for spec in RUNNING_LATE_SUMMER + ENDED + UPCOMING:
        add_promotion(world, spec)


def _promo(world: World, code: str) -> Row:
    return next(p for p in world.rows("promotions") if p["code"] == code)


def _cart(planter: Planter, promos: list[Row], asked: datetime) -> list[tuple[Row, int, float]]:
    """Lines that every promotion applies to (its category, its minimum subtotal), at today's prices,
    of products the guards allow in an order placed up to three days before ``asked``."""
    rng = planter.world.rng
    allowed = planter.products(asked - timedelta(days=3))
    categories = [p["category"] for p in promos if p["category"]] or [rng.choice(["gpu", "cpu", "motherboard", "case"])]
    chosen: dict[str, list[Any]] = {}
    for category in categories:
        product = rng.choice([p for p in allowed if p["category"] == category])
        chosen[product["id"]] = [product, rng.choice([1, 1, 2]) if category in ("memory", "storage", "mouse") else 1]
    minimum = max(Decimal(str(p["min_subtotal"])) for p in promos)
    while sum(Decimal(str(p["price"])) * q for p, q in chosen.values()) < minimum:
        extra_category = rng.choice(["gpu", "cpu", "motherboard", "psu"])
        extra = rng.choice([p for p in allowed if p["category"] == extra_category])
        chosen.setdefault(extra["id"], [extra, 0])[1] += 1
    return [(p, q, float(p["price"])) for p, q in chosen.values()]


def _listing(lines: list[tuple[Row, int, float]], bullets: bool) -> str:
    if bullets:
        return "\n".join(f"- {q} x {p['name']}" for p, q, _ in lines)
    return " and ".join(f"{q} x {p['name']}" if q > 1 else f"the {p['name']}" for p, q, _ in lines)


def _order_before(world: World, customer: Row, asked: datetime, lines: list[tuple[Row, int, float]], promo: Row | None,
                  earliest: datetime) -> Row:
    """An order placed a few hours or days before the ticket (not before ``earliest``), paid or
    already fulfilled by now."""
    rng = world.rng
    # at least 42 hours before the clock, so that even a bank transfer is captured by then
    moment = max(min(asked - timedelta(hours=rng.randint(2, 60)), NOW - timedelta(hours=42)), earliest)
    if BUSY_DAY[0] <= moment < BUSY_DAY[1]:  # off the day a held-out task counts: just before it, or just after
        moment = BUSY_DAY[0] - timedelta(minutes=rng.randint(10, 120)) if BUSY_DAY[0] - timedelta(hours=2) >= earliest \
            else BUSY_DAY[1] + timedelta(minutes=rng.randint(10, 60))
    if moment > asked - timedelta(minutes=30):
        raise ValueError(f"no order time for {customer['id']} between {earliest} and {asked} outside the held-out business day")
    check_moment(moment)
    order = place_order(world, customer["id"], moment, lines, rng.choice(["standard", "express"]), promo=promo)
    settle_order(world, order, "paid" if NOW - moment < timedelta(days=4) else "fulfilled", moment)
    return order


def _expired_choices(world: World) -> list[Row]:
    """Promotions outside their dates at some time after 2025-08-16 that no held-out task cites."""
    return [p for p in world.rows("promotions") if p["code"] not in HELD_OUT_CODES
            and (p["ends_at"] <= utc_text(eastern(2025, 9, 5)) or p["starts_at"] > utc_text(NOW))]


def _expired_ask_time(world: World, promo: Row) -> datetime:
    ended = parse(promo["ends_at"])
    start = max(FIRST_TICKET, ended + timedelta(days=1)) if ended <= NOW else FIRST_TICKET
    return random_moment(world.rng, start, NOW - timedelta(hours=2))


def _ask(world: World, customer: Row, kind: str, asked: datetime, order: Row | None, subject: str, body: str) -> Row:
    """The customer's live ticket asking about the codes (new or open, normal priority, a guarded assignee)."""
    return guard_assignee(world, make_ticket(world, customer["id"], kind, asked, order=order, subject=subject, body=body,
                                             status=world.rng.choice(["new", "open"]), priority="normal"))


def plant_expired(planter: Planter, names: Names) -> None:
    world, rng = planter.world, planter.world.rng
    pool = _expired_choices(world)
    for n in range(EXPIRED_COUNT):
        promo = pool[n % len(pool)]
        customer = new_customer(world, *names.draw(), rng.choice(TIERS), style=n)
        asked = _expired_ask_time(world, promo)
        lines = _cart(planter, [promo], asked)
        first, code = customer["first_name"], promo["code"]
        # the code was just as unusable at checkout: an ended code had ended before the order
        earliest = min(asked, parse(promo["ends_at"])) + timedelta(minutes=30) if parse(promo["ends_at"]) < asked else asked - timedelta(days=3)
        order = _order_before(world, customer, asked - timedelta(minutes=40), lines, None, earliest) if n % 3 == 2 else None
        if order:
            kind, subject = "billing", f"Apply {code} to order {order['id']}"
            body = rng.choice([
                f"Hi, I placed order {order['id']} and forgot to enter the code {code} at checkout. Can you apply it and refund the difference?\n{first}",
                f"Hello, my order {order['id']} went through without my discount code {code}. Please add it to the order.\nThanks, {first}",
            ])
        else:
            kind, subject = "other", rng.choice([f"Promo code {code}", f"Can I use {code}?", "Discount code for my next order"])
            body = rng.choice([
                f"Hi, I'd like to order:\n{_listing(lines, True)}\nCan you apply the code {code} before I pay and tell me the total?\n{first}",
                f"Hello, I have the promo code {code} and want to use it on {_listing(lines, False)}. Could you set that up?\n{first} {customer['last_name']}",
                f"Quick question: does {code} work for {_listing(lines, False)}? I'd like to order today.\n{first}",
            ])
        ticket = _ask(world, customer, kind, asked, order, subject, body)
        state = "not started" if parse(promo["starts_at"]) > asked else "ended"
        world.plant("promo_expired", f"{code} {state} when asked ({utc_text(asked)[:10]})",
                    ticket["id"], customer["id"], promo["id"], *([order["id"]] if order else []))


def plant_non_stacking(planter: Planter, names: Names) -> None:
    world, rng = planter.world, planter.world.rng
    for n in range(NON_STACKING_COUNT):
        promos = [_promo(world, code) for code in PAIRS[n % len(PAIRS)]]
        start = max(FIRST_TICKET, *(parse(p["starts_at"]) for p in promos)) + timedelta(hours=1)
        end = min(parse(p["ends_at"]) for p in promos) - timedelta(hours=3)
        asked = random_moment(rng, start, end)
        customer = new_customer(world, *names.draw(), rng.choice(TIERS), style=n)
        lines = _cart(planter, promos, asked)
        first, one, two = customer["first_name"], promos[0]["code"], promos[1]["code"]
        used = next((p for p in promos if p["stackable_with_loyalty"] or customer["loyalty_tier"] == "none"), None)
        order = _order_before(world, customer, asked, lines, used, start - timedelta(minutes=30)) if n % 4 == 3 and used else None
        if order and used:
            other = two if used["code"] == one else one
            kind, subject = "billing", f"Add {other} to order {order['id']}"
            body = (f"Hi, I used {used['code']} on order {order['id']}, but I also have {other}. Can you add that one too "
                    f"and refund the difference?\n{first}")
        else:
            kind, subject = "other", rng.choice([f"Using {one} and {two} together", "Two promo codes on one order", f"{one} + {two}?"])
            body = rng.choice([
                f"Hi, I want to order:\n{_listing(lines, True)}\nI have two codes, {one} and {two}. Please apply both and tell me the total.\n{first}",
                f"Hello! Can I stack {one} with {two} on {_listing(lines, False)}? Both are running right now.\n{first} {customer['last_name']}",
                f"I'd like {_listing(lines, False)}. Please put {one} and {two} on the same order so I get both discounts.\n{first}",
            ])
        ticket = _ask(world, customer, kind, asked, order, subject, body)
        world.plant("promo_non_stacking", f"{one} + {two}, both running when asked ({utc_text(asked)[:10]})",
                    ticket["id"], customer["id"], *(p["id"] for p in promos), *([order["id"]] if order else []))
