"""Account and catalogue families: units or buyers of a product in an Eastern month with more orders than one
search returns (search_cap), a namesake customer's latest order (namesake), and the loyalty discount or refund
of an order placed at an earlier tier (tier_change)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    MONTHS, Exclusions, Instance, World, allowed_staff, called, days, eastern_bounds, eastern_day, full_name, long_date, money, no_writes,
    num, on, says, utc,
)
from harness.tasks.generate.families_trapkit import (
    EASTERN_WORDS, asker, colleague_prompt, customer_prompt, month_bounds, planted_first, trap_tags,
)
from harness.tasks.generate.phrasing import Variety, number_words, variants
from harness.tasks.generate.vocab import unstated
from harness.tasks.generate.voices import one_of
from mcp_server.world import rules

CAP = "search_cap"
NAMESAKE = "namesake"
TIER = "tier_change"
SEARCH_CAP = 10
NOT_COUNTED = ["count is not", "not ordered", "were not ordered", "total is not", "not the count"]


# --- capped-month-units --------------------------------------------------------------------------


def capped_month_units(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    pairs = world.all(
        "SELECT oi.product_id, substr(o.id, 5, 4) AS ym, COUNT(DISTINCT o.id) AS n, p.name FROM order_items oi "
        "JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id WHERE o.created_at IS NOT NULL "
        "GROUP BY 1, 2 HAVING n > ? ORDER BY 1, 2", (SEARCH_CAP,))
    asks = [(p, what) for p in pairs for what in ("units", "customers")]
    rng.shuffle(asks)
    asks = planted_first(asks, CAP, lambda a: (a[0]["product_id"],))
    colleagues = allowed_staff(world, exclusions, "department IN ('product_management', 'marketing', 'operations', 'finance')")
    out: list[Instance] = []
    for pair, what in asks:
        year, month = 2000 + int(pair["ym"][:2]), int(pair["ym"][2:])
        lo, hi = month_bounds(year, month)
        rows = world.all("SELECT o.id, o.customer_id, o.created_at, oi.quantity FROM orders o JOIN order_items oi ON oi.order_id = o.id "
                         "WHERE oi.product_id = ? AND o.created_at IS NOT NULL ORDER BY o.created_at, o.id", (pair["product_id"],))
        inside = [r for r in rows if lo <= eastern_day(r["created_at"]) < hi]
        if not colleagues or not exclusions.allows(pair["product_id"], *(r["id"] for r in inside)) or len(inside) <= SEARCH_CAP:
            continue
        by_utc = [r for r in rows if lo <= utc(r["created_at"]).date() < hi]
        value, capped, utc_value = (_measure(what, inside), _measure(what, _first_orders(inside, SEARCH_CAP)), _measure(what, by_utc))
        if value == capped:
            continue  # the cap would not mislead here
        employee = colleagues[rng.randrange(len(colleagues))]
        voice = asker(rng, {"id": ""}, [employee], 1.0)[2]
        name = f"{MONTHS[month - 1]} {year}"
        core = one_of(rng, {
            "units": [f"How many units of the {pair['name']} did we sell in {name}? Every order counts, whatever its status, by our Eastern business day.",
                      f"For the {name} sales review: total units ordered of {pair['name']}, all order statuses included (US Eastern dates).",
                      f"Can you total the quantity of {pair['name']} ordered in {name}? Count every order's units, cancelled ones too.",
                      f"I need units, not orders: how many {pair['name']} went out on orders placed in {name} (Eastern time)?"],
            "customers": [f"How many different customers ordered the {pair['name']} in {name}? Any order status, Eastern dates.",
                          f"Marketing wants the number of distinct buyers of {pair['name']} in {name} (US Eastern), whatever the order status.",
                          f"Count the unique customers who had {pair['name']} on an order placed in {name}, please. Every status counts.",
                          f"How many people bought the {pair['name']} in {name}? Count each customer once, all order statuses, Eastern time."],
        }[what])
        prompt = colleague_prompt(rng, voice, core)
        calls: list[dict[str, Any]] = [{"tool": "searchProducts", "arguments": {"query": pair["name"]}}]
        for start_day, end_day in _windows(inside, lo, hi):
            start, end = eastern_bounds(start_day, end_day)
            calls.append({"tool": "searchOrders", "arguments": {"product_id": pair["product_id"], "created_after": start, "created_before": end, "limit": 50}})
        if what == "units":
            calls += [{"tool": "getOrderDetails", "arguments": {"order_id": oid}} for oid in dict.fromkeys(r["id"] for r in inside)]
        criteria, reply, alternatives = _units_answer(pair, what, name, value, [capped, utc_value])
        out.append(Instance("information_retrieval", "hard", "employee", employee["id"], prompt, calls, reply, criteria,
                            entities=[pair["product_id"], *dict.fromkeys(r["id"] for r in inside)],
                            tags=["search-cap", "count", *trap_tags(CAP, pair["product_id"])], alternatives=alternatives))
    return out


def _measure(what: str, rows: list[dict[str, Any]]) -> int:
    return sum(r["quantity"] for r in rows) if what == "units" else len({r["customer_id"] for r in rows})


def _first_orders(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The lines of the first ``n`` orders (what one capped search of the month shows)."""
    keep = list(dict.fromkeys(r["id"] for r in rows))[:n]
    return [r for r in rows if r["id"] in keep]


def _windows(rows: list[dict[str, Any]], lo: date, hi: date) -> list[tuple[date, date]]:
    """Eastern-day windows covering the month, each holding at most ten orders (so no search is cut short)."""
    found: list[tuple[date, date]] = []
    start = lo
    while start < hi:
        end = start + days(1)
        while end < hi and len({r["id"] for r in rows if start <= eastern_day(r["created_at"]) < end + days(1)}) <= SEARCH_CAP:
            end += days(1)
        found.append((start, end))
        start = end
    return found


def _units_answer(pair: dict[str, Any], what: str, name: str, value: int, traps: list[int]) -> tuple[list[dict[str, Any]], str, list[str]]:
    noun = "units" if what == "units" else "customers"
    if what == "units":
        reply = (f"{value} units of the {pair['name']} ({pair['product_id']}) were ordered in {name}. That count is by US Eastern date and "
                 "includes every order status; I searched the month in smaller windows because a single order search is silently capped.")
    else:
        reply = (f"{value} distinct customers ordered the {pair['name']} ({pair['product_id']}) in {name}. That count is by US Eastern date and "
                 "includes every order status; I searched the month in smaller windows because a single order search is silently capped.")

    def build(v: Variety, index: int) -> str:
        count = v.count(value)
        if index == 0:
            return f"{count[0].upper()}{count[1:]} {noun} in total for the {pair['name']} in {name}, counting every order status by Eastern date."
        return f"I went through {name} week by week (Eastern time, all statuses): the total is {count} {noun} for {pair['product_id']}."
    alternatives = variants(reply, build)
    stated = [f"{n} {noun}" for n in (str(value), number_words(value))] + [f"{value} distinct", f"{value} different", f"{value} unique",
                                                                             f"total is {value}", f"{value} in total", f"total of {value}"]
    criteria = [
        says("count", f"The reply gives {value} {noun} (the Eastern month, past the 10-order search cap)", says_any=stated, never_says=NOT_COUNTED,
             numbers=[num(value, unstated(traps, reply, *alternatives))]),
        says("eastern", "The reply counts by US Eastern date", kind="completeness", mentions_any=EASTERN_WORDS),
        called("narrowed", "The agent narrowed the date window (several searches for the product), since one search returns at most 10",
               "searchOrders", {"product_id": pair["product_id"]}, min_calls=2),
        no_writes(),
    ]
    return criteria, reply, alternatives


# --- namesake-lookup -----------------------------------------------------------------------------


def namesake_lookup(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    people = world.all(
        "SELECT c.* FROM customers c WHERE EXISTS (SELECT 1 FROM customers d WHERE d.id != c.id AND d.first_name = c.first_name "
        "AND d.last_name = c.last_name) AND (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id) BETWEEN 1 AND 10 "
        "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.created_at IS NULL) ORDER BY c.id")
    rng.shuffle(people)
    people = planted_first(people, NAMESAKE, lambda c: (c["id"],))
    colleagues = allowed_staff(world, exclusions)
    out: list[Instance] = []
    for customer in people:
        others = world.all("SELECT * FROM customers WHERE first_name = ? AND last_name = ? AND id != ? ORDER BY id",
                           (customer["first_name"], customer["last_name"], customer["id"]))
        latest = _latest(world, customer["id"])
        rivals = [r for r in (_latest(world, o["id"]) for o in others) if r is not None]
        if latest is None or not rivals or not exclusions.allows(customer["id"], latest["id"]):
            continue
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.6)
        name = full_name(customer)
        by_city = bool(customer["city"]) and all(o["city"] != customer["city"] for o in others) and rng.random() < 0.5
        if voice.colleague:
            who = f"{name} from {customer['city']}" if by_city else f"{name} ({customer['email']})"
            core = one_of(rng, [
                f"{who} is on the phone asking about their latest order: which one is it, when was it placed and what was the total?",
                f"Can you pull up the most recent order of {who}? I need the order id, its date and the amount.",
                f"Customer {who} wants to know what their last order came to and when they placed it.",
                f"What's the latest order on file for {who}? Order number, date and total please.",
            ])
            prompt = colleague_prompt(rng, voice, core)
        else:
            core = one_of(rng, [f"What was my most recent order, and how much did it come to?", f"Can you tell me the date and total of my latest order?",
                                f"I can't find the confirmation for my last order. Which order was it, when did I place it and what did I pay?"])
            prompt = customer_prompt(rng, voice, core, customer)
        find = {"name": name} if by_city and voice.colleague else {"email": customer["email"]}
        calls = [{"tool": "searchCustomers", "arguments": find},
                 {"tool": "searchOrders", "arguments": {"customer_id": customer["id"]}},
                 {"tool": "getOrderDetails", "arguments": {"order_id": latest["id"]}}]
        criteria, reply, alternatives = _latest_answer(customer, latest, rivals)
        out.append(Instance("information_retrieval", "hard" if by_city else "medium", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], latest["id"]], tags=["identity", "namesake", *trap_tags(NAMESAKE, customer["id"], latest["id"])],
                            alternatives=alternatives))
    return out


def _latest(world: World, customer_id: str) -> dict[str, Any] | None:
    return world.one("SELECT * FROM orders WHERE customer_id = ? AND created_at IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1", (customer_id,))


def _latest_answer(customer: dict[str, Any], latest: dict[str, Any], rivals: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str, list[str]]:
    day = eastern_day(latest["created_at"])
    reply = (f"The latest order of {full_name(customer)} ({customer['email']}) is {latest['id']}, placed on {long_date(day)} (US Eastern), "
             f"with a total of {money(latest['total'])}. It is the most recent of the orders on that account.")

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return f"Most recent order: {latest['id']}, from {v.date(day)}, total {v.money(latest['total'])} (account {customer['email']})."
        return f"On the {customer['email']} account the last order was placed {v.date(day)}: {latest['id']}, which came to {v.money(latest['total'])}."
    alternatives = variants(reply, build)
    criteria = [
        says("order", f"The reply names {latest['id']}, not a namesake's order", says_all=[latest["id"]], never_says=[r["id"] for r in rivals]),
        says("total", f"The reply gives the order's total {money(latest['total'])}",
             numbers=[num(latest["total"], unstated([r["total"] for r in rivals], reply, *alternatives))]),
        says("date", f"The reply gives the order's date {day.isoformat()} (US Eastern)",
             dates=[on(day, [eastern_day(r["created_at"]) for r in rivals] + [utc(latest["created_at"]).date()])]),
        says("latest", "The reply presents it as the most recent order", says_any=["latest", "most recent", "last order", "newest"],
             never_says=["not the latest", "not the most recent", "not your latest", "not the last", "not their latest"]),
        called("right-customer", "The agent searched the orders of the right customer", "searchOrders", {"customer_id": customer["id"]}),
        no_writes(),
    ]
    return criteria, reply, alternatives


# --- tier-at-purchase ----------------------------------------------------------------------------

AT_PURCHASE = ["tier at purchase", "at purchase", "when the order was placed", "when you placed", "at the time of purchase", "at the time of the order",
               "order's tier", "placed with", "at the time you ordered", "tier on the order", "tier recorded on the order", "when it was placed"]
NOT_AT_PURCHASE = ["not based on the tier at purchase", "not the tier at purchase", "not at purchase", "not the order's tier", "based on your current",
                   "current tier applies", "uses your current tier", "use your current tier"]


def tier_at_purchase(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, c.loyalty_tier AS tier_now FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.loyalty_tier != c.loyalty_tier "
        "AND o.status = 'fulfilled' AND o.created_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    asks = [(o, kind) for o in orders for kind in ("discount", "refund")]
    rng.shuffle(asks)
    asks = planted_first(asks, TIER, lambda a: (a[0]["id"], a[0]["customer_id"]))
    colleagues = allowed_staff(world, exclusions, "department IN ('support', 'finance')")
    out: list[Instance] = []
    for order, kind in asks:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]) or (kind == "discount" and order["loyalty_tier"] == "none"):
            continue
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.4)
        now = order["tier_now"]
        ask = {
            "discount": [f"What loyalty discount did I get on order {order['id']}? I'm {now} now, so I expected the {now} rate.",
                         f"How much was the member discount on order {order['id']}, and at which tier?",
                         f"Order {order['id']}: did my loyalty discount get applied? What was it in dollars?"],
            "refund": [f"If I send back everything on order {order['id']}, how much would I get back? I'm {now} tier now, so use that rate please.",
                       f"What would a full return of order {order['id']} refund me? Nothing to process yet.",
                       f"I'm thinking of returning all of order {order['id']}. With my {now} status, what's the refund?"],
        }[kind]
        core = one_of(rng, ask)
        if voice.colleague:
            core = one_of(rng, [f"{full_name(customer)} ({customer['email']}) asks: \"{core}\" What's the right figure?",
                                f"For customer {customer['email']}: {core.replace('I ', 'they ').replace('my ', 'their ').replace(' me', ' them')} Please check."])
            prompt = colleague_prompt(rng, voice, core)
        else:
            prompt = customer_prompt(rng, voice, core, customer)
        calls: list[dict[str, Any]] = []
        if requester == "customer":
            calls.append({"tool": "searchCustomers", "arguments": {"email": customer["email"]}})
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}})
        criteria, reply, alternatives = _tier_answer(world, order, kind)
        out.append(Instance("reasoning", "hard" if kind == "refund" else "medium", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"]], tags=["loyalty", "tier-at-purchase", *trap_tags(TIER, order["id"], customer["id"])],
                            alternatives=alternatives))
    return out


def _tier_answer(world: World, order: dict[str, Any], kind: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    tier, now = order["loyalty_tier"], order["tier_now"]
    pct = rules.LOYALTY_DISCOUNT_PCT[tier]
    items = world.items(order["id"])
    shipping = Decimal(str(order["shipping_cost"]))

    def refund(at: str) -> Decimal:
        return rules.cents(sum((rules.refund_amount_for_line(i["unit_price"], i["quantity"], at, order_subtotal=order["subtotal"],
                                                             order_promo_discount=order["promo_discount"]) for i in items), Decimal(0)))
    if kind == "discount":
        value = Decimal(str(order["loyalty_discount"]))
        traps = [rules.loyalty_discount(order["subtotal"], now)]
        reply = (f"The loyalty discount on order {order['id']} was {money(value)}: {pct}% of the {money(order['subtotal'])} subtotal. "
                 f"It is based on the tier at purchase ({tier}), not on your current {now} tier, because an order keeps the tier it was placed with.")
    else:
        value = refund(tier)
        traps = [refund(now), value + shipping, Decimal(str(order["subtotal"])), Decimal(str(order["total"]))]
        reply = (f"A full return of order {order['id']} would refund {money(value)}: the items' price less the {pct}% {tier} discount"
                 + (" and the promotion" if order["promo_discount"] else "") + f". It is based on the tier at purchase ({tier}), not on your "
                 f"current {now} tier. Shipping ({money(shipping)}) is not refunded. Nothing has been processed.")

    def build(v: Variety, index: int) -> str:
        what = "loyalty discount" if kind == "discount" else "refund for returning everything"
        if index == 0:
            return f"{v.money(value)} is the {what} on {order['id']}. The order was placed with the {tier} tier ({pct}%), and that is what counts, whatever your tier is today."
        return f"Order {order['id']} uses the tier recorded on the order, {tier} at {pct}%, so the {what} comes to {v.money(value)}."
    alternatives = variants(reply, build)
    criteria = [
        says("amount", f"The reply gives {money(value)} (at the {tier} tier of the order, not today's {now})",
             numbers=[num(value, unstated(traps, reply, *alternatives))]),
        says("tier-at-purchase", f"The reply says the order's tier at purchase ({tier}) applies", says_any=AT_PURCHASE, never_says=NOT_AT_PURCHASE),
        says("names-tier", f"The reply names the {tier} tier", kind="completeness", says_any=[tier]),
        called("opened-order", "The agent read the order (its tier at purchase)", "getOrderDetails", {"order_id": order["id"]}),
        no_writes(),
    ]
    return criteria, reply, alternatives


FAMILIES = {
    "capped-month-units": (capped_month_units, 50),
    "namesake-lookup": (namesake_lookup, 50),
    "tier-at-purchase": (tier_at_purchase, 50),
}
