"""Loyalty families: an order's total explained line by line, and what the customer's tier gives today.

``order-breakdown``: subtotal, the loyalty discount at the tier the order was placed with, any
promotion, shipping and the total, all from the order record (they add up). Careless answers: the
discount at the customer's tier of today, or another tier's rate.
``loyalty-benefits``: the customer's tier today, its discount, the next tier up and its discount,
and what the discount takes off a product. Careless answer: the tier an older order was placed with.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, allowed_customers, allowed_staff, called, money, no_writes, num, says,
)
from harness.tasks.generate.families_askkit import (
    cap, colleague_prompt, who_is, wrong_values,
)
from harness.tasks.generate.families_trapkit import trap_tags
from harness.tasks.generate.phrasing import Variety, customer_ask, order_search, variants
from mcp_server.world import rules

TIER = "tier_change"
TIER_NAME = {"none": "Standard", "silver": "Silver", "gold": "Gold", "platinum": "Platinum"}
NEXT_TIER = {"none": "silver", "silver": "gold", "gold": "platinum"}
NOT_APPLIED = ["discount was not applied", "loyalty discount was not applied", "loyalty discount did not apply",
               "discount does not apply", "does not apply", "did not get a loyalty discount"]


def _round_robin(buckets: list[list[Any]], limit: int) -> list[Any]:
    out: list[Any] = []
    while any(buckets) and len(out) < limit:
        for bucket in buckets:
            if bucket and len(out) < limit:
                out.append(bucket.pop(0))
    return out


# --- order-breakdown ---------------------------------------------------------------------------

BREAKDOWN_ASKS = (
    "Can you explain the total on {ref}? I paid {total} and I'd like to see how you got there.",
    "Why did {ref} come to {total}? I don't get the maths.",
    "Please break down {ref} for me: what discounts did I get, and what did shipping cost?",
    "I'm confused by the total on {ref}. Which discounts were applied, and how much was each?",
    "My receipt for {ref} says {total}. Is that right? Walk me through it.",
    "how was the total for {ref} calculated? subtotal, discounts, shipping please",
)
BREAKDOWN_COLLEAGUE = (
    "{who} is asking why order {id} totals {total}. Can you break it down (discounts, shipping)?",
    "Could you itemise order {id} for {who}? They want subtotal, each discount and shipping, and to see it add up.",
    "{who} thinks order {id} was overcharged at {total}. Can you check how the total was built?",
    "Need the breakdown of order {id} ({who}): which loyalty rate was used, any promo, shipping.",
)
ID_REFS = ("order {id}", "my order {id}", "{id}", "my order {id} (the {product})")
NO_ID_REFS = ("my order with the {product}", "the {product} order", "my {product} purchase")


def order_breakdown(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = [o for o in world.all(
        "SELECT o.*, c.loyalty_tier AS tier_now, pr.code AS promo_code FROM orders o JOIN customers c ON c.id = o.customer_id "
        "LEFT JOIN promotions pr ON pr.id = o.promotion_id WHERE o.loyalty_discount > 0 AND o.created_at IS NOT NULL "
        "AND (o.promotion_id IS NULL OR o.promo_discount > 0) ORDER BY o.id") if exclusions.allows(o["id"], o["customer_id"])]
    rng.shuffle(orders)
    changed = sorted((o for o in orders if o["loyalty_tier"] != o["tier_now"]), key=lambda o: not trap_tags(TIER, o["id"], o["customer_id"]))
    promo = [o for o in orders if o["promo_discount"] > 0 and o not in changed]
    plain = [o for o in orders if o not in changed and o not in promo]
    staff = allowed_staff(world, exclusions)
    out: list[Instance] = []
    for order in _round_robin([changed, promo, plain], 45):
        customer = world.customer(order["customer_id"])
        items = world.items(order["id"])
        total = money(order["total"])
        colleague = bool(staff) and rng.random() < 0.35
        search = None if colleague or rng.random() < 0.6 else order_search(world, order["id"], customer["id"], items[0]["product_id"])
        calls: list[dict[str, Any]] = [] if colleague else [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}}]
        if search:
            calls.append(search)
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}})
        if colleague:
            employee = staff[rng.randrange(len(staff))]
            core = rng.choice(BREAKDOWN_COLLEAGUE).format(who=who_is(rng, customer), id=order["id"], total=total)
            prompt, requester, requester_id = colleague_prompt(rng, employee, cap(core)), "employee", employee["id"]
        else:
            ref = rng.choice(NO_ID_REFS if search else ID_REFS).format(id=order["id"], product=items[0]["product_name"])
            prompt = customer_ask(rng, customer, rng.choice(BREAKDOWN_ASKS).format(ref=ref, total=total))
            requester, requester_id = "customer", customer["id"]
        criteria, reply, alternatives = _breakdown(order, colleague)
        plain_ask = "communication" if requester == "customer" else "information_retrieval"
        out.append(Instance("reasoning" if order["loyalty_tier"] != order["tier_now"] else plain_ask,
                            "hard" if order["loyalty_tier"] != order["tier_now"] else "medium", requester, requester_id, prompt, calls,
                            reply, criteria, entities=[customer["id"], order["id"]],
                            tags=["loyalty", "order-total", *trap_tags(TIER, order["id"], customer["id"])], alternatives=alternatives))
    return out


def _breakdown(order: dict[str, Any], colleague: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    s, loyalty, promo, ship, total = (Decimal(str(order[k])) for k in ("subtotal", "loyalty_discount", "promo_discount", "shipping_cost", "total"))
    tier, now = order["loyalty_tier"], order["tier_now"]
    pct = rules.LOYALTY_DISCOUNT_PCT[tier]
    stated = [s, loyalty, promo, ship, total, pct]
    other_discounts = [rules.loyalty_discount(s, t) for t in rules.LOYALTY_DISCOUNT_PCT if t != tier]
    wrong_totals = [s - rules.loyalty_discount(s, now) - promo + ship] if now != tier else []
    numbers = [num(s), num(loyalty, wrong_values(other_discounts, stated)), num(ship), num(total, wrong_values(wrong_totals, stated))]
    if promo:
        numbers.insert(2, num(promo))
    name = TIER_NAME[tier]
    never = [*NOT_APPLIED, f"not at the {tier} tier", f"not {tier}"]
    if now != tier:
        never += [f"{now} discount", f"{now} rate", f"at the {now} tier", f"{now} tier discount", f"{TIER_NAME[now]} discount"]
    criteria = [
        called("read-order", "The agent read the order record", "getOrderDetails", {"order_id": order["id"]}),
        says("amounts", "The reply gives subtotal, discounts, shipping and total as recorded on the order (they add up)", numbers=numbers),
        says("tier", f"The reply says the loyalty discount was taken at the {name} tier the order was placed with",
             says_any=[tier, name], never_says=never),
    ]
    if promo:
        code = order["promo_code"]
        criteria.append(says("promotion", f"The reply names the promotion {code} and its discount", says_any=[code],
                             never_says=[f"{code} expired", f"{code} did not apply", f"{code} was not applied", "promotion was not applied",
                                         "code was not applied"]))
    criteria.append(no_writes())
    whose = "their" if colleague else "your"
    changed = (f" ({'they are' if colleague else 'you are'} {TIER_NAME[now]} today, but an order keeps the tier it was placed with)"
               if now != tier else "")
    promo_text = f" Promotion {order['promo_code']}: -{money(promo)}." if promo else ""
    reply = (f"Here is how order {order['id']} adds up. Items subtotal: {money(s)}. Loyalty discount at the {name} tier {whose} order "
             f"was placed with ({pct}%): -{money(loyalty)}{changed}.{promo_text} {cap(order['shipping_service'])} shipping: +{money(ship)}. "
             f"Total: {money(total)}. The loyalty discount was applied at the {name} rate.")

    def build(v: Variety, index: int) -> str:
        promo_part = f", minus {v.money(promo)} for code {order['promo_code']}" if promo else ""
        if index == 0:
            return (f"{v.money(s)} in items, minus the {name} loyalty discount of {v.money(loyalty)}{promo_part}, plus "
                    f"{v.money(ship)} {order['shipping_service']} shipping, gives the {v.money(total)} total on {order['id']}.")
        return (f"The total of {v.money(total)} is right. The order was placed at the {name} tier, so {pct}% ({v.money(loyalty)}) came off "
                f"the {v.money(s)} subtotal{promo_part}; shipping added {v.money(ship)}.")
    return criteria, reply, variants(reply, build)


# --- loyalty-benefits --------------------------------------------------------------------------

BENEFIT_ASKS = (
    "What does my loyalty tier actually get me, and what would the next tier give me?",
    "Which loyalty tier am I on now, and what discount comes with it? What's the tier above mine?",
    "Can you remind me of my member benefits? How much off do I get, and what's the next level?",
    "I'm not sure what tier I'm in these days. What's my discount, and what does the next tier offer?",
    "what's my loyalty status and discount? and what does the next tier up get you",
)
PRICE_ASKS = (
    " Also, how much would my discount take off the {p}?",
    " And if I bought the {p} today, what would my discount be worth on it?",
    " I'm eyeing the {p}: what would it cost me after my member discount?",
)
BENEFIT_COLLEAGUE = (
    "{who} asks which loyalty tier they are on and what it gives them, and what the next tier offers.",
    "Can you tell me {who}'s current loyalty tier, its discount, and the next tier up?",
    "{who} wants to know their member discount right now and what they'd get one tier higher.",
)


def loyalty_benefits(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    customers = allowed_customers(world, exclusions)
    last_tier = {r["customer_id"]: r["loyalty_tier"] for r in world.all(
        "SELECT customer_id, loyalty_tier FROM orders WHERE created_at IS NOT NULL ORDER BY created_at, id")}
    rng.shuffle(customers)
    changed = sorted((c for c in customers if last_tier.get(c["id"], c["loyalty_tier"]) != c["loyalty_tier"]),
                     key=lambda c: not trap_tags(TIER, c["id"]))
    by_tier = [[c for c in customers if c["loyalty_tier"] == t and c not in changed] for t in ("none", "silver", "gold", "platinum")]
    products = world.all("SELECT * FROM products WHERE discontinued = 0 AND price BETWEEN 80 AND 2500 ORDER BY id")
    staff = allowed_staff(world, exclusions)
    out: list[Instance] = []
    for customer in _round_robin([changed, changed, *by_tier], 40):
        tier, old = customer["loyalty_tier"], last_tier.get(customer["id"], customer["loyalty_tier"])
        product = products[rng.randrange(len(products))] if tier != "none" and rng.random() < 0.5 else None
        colleague = bool(staff) and rng.random() < 0.3
        calls: list[dict[str, Any]] = [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                                       {"tool": "searchKnowledgeBase", "arguments": {"query": "loyalty tiers"}}]
        if product:
            calls.append({"tool": "calculatePrice", "arguments": {"items": [{"product_id": product["id"], "quantity": 1}], "loyalty_tier": tier}})
        ask = rng.choice(PRICE_ASKS).format(p=product["name"]) if product else ""
        if colleague:
            employee = staff[rng.randrange(len(staff))]
            core = cap(rng.choice(BENEFIT_COLLEAGUE).format(who=who_is(rng, customer))) + ask.replace(" my ", " their ").replace(" I ", " they ")
            prompt, requester, requester_id = colleague_prompt(rng, employee, core), "employee", employee["id"]
        else:
            prompt = customer_ask(rng, customer, rng.choice(BENEFIT_ASKS) + ask)
            requester, requester_id = "customer", customer["id"]
        criteria, reply, alternatives = _benefits(customer, old, product, colleague)
        out.append(Instance("information_retrieval" if tier == old else "reasoning", "medium" if tier == old else "hard", requester,
                            requester_id, prompt, calls, reply, criteria, entities=[customer["id"], *([product["id"]] if product else [])],
                            tags=["loyalty", "loyalty-benefits", *trap_tags(TIER, customer["id"])], alternatives=alternatives))
    return out


def _tier_says(tier: str, old: str) -> dict[str, Any]:
    name = TIER_NAME[tier]
    said = [f"{tier} tier", f"{name} tier", f"{tier} member", f"{name} status"] if tier != "none" else [
        "standard", "no loyalty tier", "not in a loyalty tier", "not in any loyalty tier", "no tier", "standard tier"]
    never = [f"not in the {name} tier", f"not currently in the {name}", f"not currently {name}"]
    for other in (t for t in TIER_NAME if t != tier):
        phrases = ["currently in the {o}", "currently {o}", "you are currently {o}"]
        if other != NEXT_TIER.get(tier):
            phrases += ["you are {o}", "you are a {o}", "you are in the {o}", "your {o} tier", "your {o} status", "still {o}"]
        never += [p.format(o=TIER_NAME[other] if other != "none" else "standard") for p in phrases]
    return says("tier", f"The reply gives the customer's tier today, {name}" + (f" (not {TIER_NAME[old]}, the tier of an older order)" if old != tier else ""),
                says_any=said, never_says=never)


def _benefits(customer: dict[str, Any], old: str, product: dict[str, Any] | None, colleague: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    tier = customer["loyalty_tier"]
    pct, name, nxt = rules.LOYALTY_DISCOUNT_PCT[tier], TIER_NAME[tier], NEXT_TIER.get(tier)
    you, your = ("they are", "their") if colleague else ("you are", "your")
    stated: list[Any] = [pct] + ([rules.LOYALTY_DISCOUNT_PCT[nxt]] if nxt else [])
    criteria = [called("looked-up", "The agent looked the customer up to read today's tier", "searchCustomers",
                       {"email": customer["email"]}), _tier_says(tier, old)]
    if tier == "none":
        head = f"{cap(you)} currently in the Standard tier, so {you} not in a loyalty tier yet and get no loyalty discount."
    else:
        head = f"{cap(you)} currently in the {name} tier, which gives {pct}% off every order."
        criteria.append(says("discount", f"The reply gives the {name} discount, {pct}%", numbers=[num(pct, wrong_values(
            [rules.LOYALTY_DISCOUNT_PCT[old]], stated))], never_says=["discount does not apply", "does not apply"]))
    if nxt:
        npct = rules.LOYALTY_DISCOUNT_PCT[nxt]
        tail = f" The next tier up is {TIER_NAME[nxt]}, which gives {npct}% off."
        criteria.append(says("next-tier", f"The reply names the next tier, {TIER_NAME[nxt]}, and its {npct}% discount", "completeness",
                             mentions_any=[nxt, TIER_NAME[nxt]], numbers=[num(npct)]))
    else:
        tail = " Platinum is the top tier, so there is no higher tier to reach."
        criteria.append(says("next-tier", "The reply says Platinum is the top tier", says_any=["top tier", "highest tier", "no higher tier"],
                             never_says=["next tier is", "next tier up is", "tier above platinum"]))
    price_text = ""
    if product:
        price = Decimal(str(product["price"]))
        off = rules.loyalty_discount(price, tier)
        wrong = [rules.loyalty_discount(price, t) for t in rules.LOYALTY_DISCOUNT_PCT if t != tier]
        criteria.append(says("price", f"The reply gives the {name} discount on the {product['name']}: {money(off)} off {money(price)}",
                             numbers=[num(off, wrong_values(wrong, [price, price - off, *stated])), num(price - off,
                                      wrong_values([price - w for w in wrong], [price, off, *stated]))]))
        price_text = f" On the {product['name']} ({money(price)}), {your} {pct}% discount takes {money(off)} off, so it is {money(price - off)} before shipping."
    criteria.append(no_writes())
    note = f" ({cap(your)} older order was placed at {TIER_NAME[old]}, but today's tier is what counts now.)" if old != tier else ""
    reply = head + note + tail + price_text

    def build(v: Variety, index: int) -> str:
        now = (f"Today {you} in the {name} tier ({pct}% off every order)" if tier != "none" else
               f"{cap(you)} in the Standard tier, no loyalty tier yet, so no discount")
        up = (f"one level up, {TIER_NAME[nxt]}, gives {rules.LOYALTY_DISCOUNT_PCT[nxt]}% off" if nxt else "that is the top tier, so no higher tier exists")
        money_part = ""
        if product:
            price = Decimal(str(product["price"]))
            off = rules.loyalty_discount(price, tier)
            money_part = f" The {product['name']} would come to {v.money(price - off)} after {v.money(off)} off its {v.money(price)} price."
        return f"{now}; {up}.{money_part}" if index == 0 else f"{cap(up)}.{money_part} {now}."
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "order-breakdown": (order_breakdown, 45),
    "loyalty-benefits": (loyalty_benefits, 40),
}
