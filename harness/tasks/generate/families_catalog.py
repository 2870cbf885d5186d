"""Catalogue families on stock per warehouse (getProduct's inventory levels).

``restock-eta``: a product with nothing available in any warehouse: is it out of stock, can it be
backordered, when is the earliest restock expected, and what can the customer do. Careless answers:
"in stock" from the product's name alone, the inventory row's last update taken for the restock date.
``warehouse-stock``: which warehouse can ship N units, or how many units are available overall and in
one warehouse. Careless answer: units on hand, forgetting the ones reserved for other orders.
"""

from __future__ import annotations

import random
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, allowed_customers, allowed_staff, called, eastern_day, long_date, no_writes, num, on, says,
)
from harness.tasks.generate.families_askkit import (
    cap, colleague_prompt, who_is, wrong_values,
)
from harness.tasks.generate.phrasing import Variety, customer_ask, variants

OUT_OF_STOCK = ["out of stock", "not in stock", "sold out", "none available", "no units available", "0 units available",
                "zero units available", "currently unavailable", "none in stock", "nothing in stock", "no stock"]
IN_STOCK = ["it is in stock", "it is available now", "we have it in stock", "have it in stock", "we have plenty", "ready to ship now"]
CAN_BACKORDER = ["can be backordered", "can backorder", "place a backorder", "backorder it", "is backorderable",
                 "available to backorder", "order it on backorder", "can still order it"]
CANNOT_BACKORDER = ["cannot be backordered", "can't be backordered", "not backorderable", "cannot backorder", "can't backorder",
                    "not available for backorder", "not available to backorder", "no backorders", "unable to backorder"]
NO_DATE = ["no restock date", "no restock eta", "no expected restock", "no eta", "no date", "no scheduled restock",
           "no restock scheduled", "no restock is scheduled", "not scheduled", "unknown", "do not have a restock date"]
DATED = ["back in stock on", "expected back on", "restock is expected on", "will be restocked on", "restocked by"]


def _inventory(world: World, product_id: str) -> list[dict[str, Any]]:
    return world.all("SELECT warehouse, on_hand, reserved, MAX(on_hand - reserved, 0) AS available, backorderable, restock_eta, "
                     "updated_at FROM inventory WHERE product_id = ? ORDER BY warehouse", (product_id,))


def _lookup(rng: random.Random, product: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """How the prompt names the product (name or SKU) and the calls that find it."""
    if rng.random() < 0.25:
        return f"SKU {product['sku']}", [{"tool": "getProduct", "arguments": {"sku": product["sku"]}}]
    return product["name"], [{"tool": "searchProducts", "arguments": {"query": product["name"]}},
                             {"tool": "getProduct", "arguments": {"product_id": product["id"]}}]


def _alternative(world: World, product: dict[str, Any]) -> dict[str, Any] | None:
    """The in-stock product of the same category closest in price (what the reply suggests instead)."""
    return world.one(
        "SELECT p.* FROM products p WHERE p.category = ? AND p.id != ? AND p.discontinued = 0 AND "
        "(SELECT SUM(MAX(on_hand - reserved, 0)) FROM inventory i WHERE i.product_id = p.id) > 0 "
        "ORDER BY ABS(p.price - ?), p.id LIMIT 1", (product["category"], product["id"], product["price"]))


# --- restock-eta -------------------------------------------------------------------------------

RESTOCK_ASKS = (
    "Is the {p} in stock? If not, when will it be back, and can I still order it?",
    "I've been waiting to buy the {p} but it shows as unavailable. When is it coming back in stock?",
    "Can I backorder the {p}, and roughly when would it ship?",
    "Your site won't let me add the {p} to my cart. Is it out of stock? What are my options?",
    "When do you expect to restock the {p}? I'd rather not buy it somewhere else.",
    "Do you have the {p}? I need it for a build and want to know when I could get it.",
    "is the {p} sold out?? when's the restock",
)
RESTOCK_COLLEAGUE = (
    "{who} wants the {p}. Is it in stock anywhere, can they backorder it, and when's the restock?",
    "Customer {who} is asking when the {p} will be back. What do I tell them, and what can they do in the meantime?",
    "Can you check stock on the {p} for {who}? They want to know if it can be backordered and when it's expected.",
    "I have {who} on chat about the {p}. Out of stock? Restock date? Options?",
    "Stock check please: {p}. {who} is asking if they can order it now and when it would arrive in the warehouse.",
)


def restock_eta(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    products = [p for p in world.all(
        "SELECT p.* FROM products p WHERE (SELECT SUM(MAX(on_hand - reserved, 0)) FROM inventory i WHERE i.product_id = p.id) = 0 "
        "AND EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = p.id) ORDER BY p.id") if exclusions.allows(p["id"])]
    customers, staff = allowed_customers(world, exclusions), allowed_staff(world, exclusions)
    out: list[Instance] = []
    for round_ in range(5):  # few products are out everywhere: each is asked about by several people, in different words
        for product in products:
            colleague = bool(staff) and (round_ == 1 or rng.random() < 0.3)
            customer = customers[rng.randrange(len(customers))]
            name, calls = _lookup(rng, product)
            if colleague:
                employee = staff[rng.randrange(len(staff))]
                core = rng.choice(RESTOCK_COLLEAGUE).format(p=name, who=who_is(rng, customer))
                prompt, requester, requester_id = colleague_prompt(rng, employee, cap(core)), "employee", employee["id"]
            else:
                prompt = customer_ask(rng, customer, rng.choice(RESTOCK_ASKS).format(p=name))
                requester, requester_id = "customer", customer["id"]
            criteria, reply, alternatives = _restock_answer(world, product, colleague)
            # a customer is told their options (communication); a colleague gets the facts to pass on
            out.append(Instance("information_retrieval" if colleague else "communication", "medium", requester, requester_id, prompt, calls,
                                reply, criteria, entities=[product["id"]], tags=["stock", "restock"], alternatives=alternatives))
    rng.shuffle(out)
    return out


def _restock_answer(world: World, product: dict[str, Any], colleague: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    rows = _inventory(world, product["id"])
    backorderable = any(r["backorderable"] for r in rows)
    etas = sorted((eastern_day(r["restock_eta"]), r["warehouse"]) for r in rows if r["restock_eta"])
    alt = _alternative(world, product)
    they = "they" if colleague else "you"
    criteria = [
        called("checked-stock", "The agent read the stock per warehouse (getProduct)", "getProduct"),
        says("out-of-stock", f"The reply says the {product['name']} is out of stock in every warehouse", says_any=OUT_OF_STOCK,
             never_says=[*IN_STOCK, f"{product['name']} is in stock"]),
        says("backorder", "The reply says whether it can be backordered (" + ("yes" if backorderable else "no") + ")",
             says_any=CAN_BACKORDER if backorderable else CANNOT_BACKORDER, never_says=CANNOT_BACKORDER if backorderable else CAN_BACKORDER),
    ]
    if etas:
        first, where = etas[0]
        stale = {eastern_day(r["updated_at"]) for r in rows if r["updated_at"]} | {DEFAULT_NOW.date()}
        criteria.append(says("restock-date", f"The reply gives the earliest expected restock, {long_date(first)} (not a stock-update date)",
                             dates=[on(first, wrong=stale - {d for d, _ in etas})], never_says=NO_DATE))
        when = f"The earliest restock expected is {long_date(first)} (at the {where} warehouse)"
    else:
        criteria.append(says("restock-date", "The reply says there is no restock date on record", says_any=NO_DATE, never_says=DATED))
        when = "There is no restock date on record yet"
    options = ["backorder", "alternative", "similar", "instead", "in stock"] + ([alt["name"]] if alt else [])
    criteria += [says("options", "The reply tells the customer what they can do (backorder or an in-stock alternative)", "completeness",
                      mentions_any=options),
                 no_writes()]
    order_now = (f"It can be backordered: {they} can place the order now and it ships once stock arrives." if backorderable else
                 f"It can't be backordered, so {they} would need to order once it is back in stock.")
    other = f" If {they} need something sooner, the {alt['name']} is in stock now as an alternative." if alt else ""
    reply = f"The {product['name']} is out of stock in all our warehouses right now (0 units available). {order_now} {when}.{other}"

    def build(v: Variety, index: int) -> str:
        verdict = v.pick(["can be backordered", "is available to backorder"]) if backorderable else v.pick(["cannot be backordered", "is not available to backorder"])
        date_text = (f"the first restock is due {v.date(etas[0][0])}" if etas else "no restock date is scheduled yet")
        stock = v.pick(["It's sold out everywhere", "We have none in stock at any warehouse", "It's currently out of stock"])
        alt_text = f" The {alt['name']} is in stock instead." if alt else ""
        if index == 0:
            return f"{stock}. It {verdict}; {date_text}.{alt_text}"
        return f"{cap(date_text)}. {stock}, and the {product['name']} {verdict}.{alt_text}"
    return criteria, reply, variants(reply, build)


# --- warehouse-stock ---------------------------------------------------------------------------

SHIP_ASKS = (
    "Which warehouse can ship {n} units of the {p} in one go?",
    "I need {n} x {p} sent from a single warehouse. Which one has enough?",
    "Can any one warehouse cover {n} of the {p}? Which?",
    "{who} is ordering {n} of the {p} and wants it in one shipment. Which warehouse should it ship from?",
    "Bulk order for {who}: {n} units of the {p}. Where do we have enough actually available?",
)
COUNT_ASKS = (
    "How many of the {p} do we have available overall, and how many in the {w} warehouse?",
    "Stock question on the {p}: total available across all warehouses, and what's available at {w}?",
    "{who} wants to know how many {p} we can sell right now. Total, and the {w} warehouse on its own?",
    "What's the real available count for the {p}, all warehouses and {w} only?",
)
CUSTOMER_SHIP_ASKS = (
    "I'd like to order {n} of the {p} and have them all ship together from one place. Is there a warehouse that has that many?",
    "Do you have {n} units of the {p} in a single warehouse? I want one shipment.",
)


def warehouse_stock(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    products = [p for p in world.all("SELECT * FROM products ORDER BY id") if exclusions.allows(p["id"])]
    rng.shuffle(products)
    customers, staff = allowed_customers(world, exclusions), allowed_staff(world, exclusions)
    out: list[Instance] = []
    for product in products:
        rows = _inventory(world, product["id"])
        if len(rows) < 2 or not staff:
            continue
        customer = customers[rng.randrange(len(customers))]
        employee = staff[rng.randrange(len(staff))]
        name, calls = _lookup(rng, product)
        ranked = sorted(rows, key=lambda r: r["available"], reverse=True)
        built = None
        if rng.random() < 0.55 and ranked[0]["available"] > max(2, ranked[1]["available"]):
            built = _ship_from(rng, product, ranked, name, customer)
        elif sum(r["reserved"] for r in rows) > 0 and sum(r["available"] for r in rows) > 0:
            built = _counts(rng, product, rows, name, customer)
        if built is None or not all(n.get("wrong") for c in built[1] for n in c["check"].get("numbers", [])):
            continue  # no on-hand figure to fall for here: the task would not test the reserved units
        core, criteria, reply, alternatives, by_customer = built
        if by_customer:
            prompt, requester, requester_id = customer_ask(rng, customer, core), "customer", customer["id"]
        else:
            prompt, requester, requester_id = colleague_prompt(rng, employee, cap(core)), "employee", employee["id"]
        difficulty = "medium" if len(criteria) == 2 else "easy"  # which warehouse can ship N takes a comparison; counts are a lookup
        out.append(Instance("information_retrieval", difficulty, requester, requester_id, prompt, calls, reply, [calls_check(), *criteria, no_writes()],
                            entities=[product["id"]], tags=["stock", "warehouse"], alternatives=alternatives))
    return out


def calls_check() -> dict[str, Any]:
    return called("checked-stock", "The agent read the stock per warehouse (getProduct)", "getProduct")


def _ship_from(rng: random.Random, product: dict[str, Any], ranked: list[dict[str, Any]], name: str, customer: dict[str, Any]) -> Any:
    best, others = ranked[0], ranked[1:]
    n = rng.randint(max(2, others[0]["available"] + 1), best["available"])
    by_customer = rng.random() < 0.2
    core = rng.choice(CUSTOMER_SHIP_ASKS if by_customer else SHIP_ASKS).format(n=n, p=name, who=who_is(rng, customer))
    w = best["warehouse"]
    never = [phrase.format(o=o["warehouse"]) for o in others for phrase in
             ("{o} can ship", "{o} warehouse can ship", "ship from {o}", "ship from the {o} warehouse", "ship them from {o}", "{o} has enough")]
    never += [f"{w} can not ship", f"{w} cannot ship", f"{w} warehouse can not ship", f"{w} warehouse cannot ship", f"{w} does not have enough"]
    criteria = [
        says("warehouse", f"The reply names the {w} warehouse as the one that can ship {n}", says_any=[w, f"{w} warehouse"],
             never_says=[*never, "no single warehouse", "no warehouse can", "none of the warehouses"]),
        says("available", f"The reply gives {w}'s available units, {best['available']} (on hand less reserved)",
             numbers=[num(best["available"], wrong_values([best["on_hand"]], [best["available"], n, *(o["available"] for o in others)]))]),
    ]
    short = ", ".join(f"{o['warehouse']} {o['available']}" for o in others)
    reply = (f"The {w} warehouse can ship all {n}: it has {best['available']} units available (on hand less what is reserved for "
             f"other orders). The others don't have enough available ({short}).")

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return f"Ship from {w}. {cap(w)} has {v.count(best['available'])} available, enough for {n}; the other warehouses are short ({short})."
        return f"Only the {w} warehouse has enough: {best['available']} units available there, so it can ship the {n} in one go."
    return core, criteria, reply, variants(reply, build), by_customer


def _counts(rng: random.Random, product: dict[str, Any], rows: list[dict[str, Any]], name: str, customer: dict[str, Any]) -> Any:
    one = rows[rng.randrange(len(rows))]
    total = sum(r["available"] for r in rows)
    on_hand = sum(r["on_hand"] for r in rows)
    core = rng.choice(COUNT_ASKS).format(p=name, w=one["warehouse"], who=who_is(rng, customer))
    stated = [total, one["available"]]
    criteria = [
        says("total", f"The reply gives {total} units available over all warehouses (not {on_hand} on hand)",
             numbers=[num(total, wrong_values([on_hand, one["on_hand"]], stated))]),
        says("one-warehouse", f"The reply gives {one['available']} units available at {one['warehouse']}",
             numbers=[num(one["available"], wrong_values([one["on_hand"], on_hand], stated))]),
        says("sellable", "The reply says the units can be sold now", says_any=["can sell", "can ship", "available", "in stock"],
             never_says=["sold out", "cannot sell", "can not sell", "cannot ship", "can not ship", "none to sell", "not available to sell"]),
        says("reserved", "The reply accounts for units reserved for other orders", "completeness",
             mentions_any=["reserved", "allocated", "set aside", "held for", "committed"]),
    ]
    reply = (f"Available now (on hand less units reserved for other orders): {total} units of the {product['name']} over all "
             f"warehouses, of which {one['available']} are at the {one['warehouse']} warehouse. We can sell {total} right now.")

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return (f"At {one['warehouse']}: {v.count(one['available'])} available. Across every warehouse: {v.count(total)} available, "
                    "after taking out the reserved units.")
        return f"Leaving out reserved units, there are {total} available in total and {one['available']} in {one['warehouse']}. We can sell those now."
    return core, criteria, reply, variants(reply, build), False


FAMILIES = {
    "restock-eta": (restock_eta, 39),
    "warehouse-stock": (warehouse_stock, 45),
}
