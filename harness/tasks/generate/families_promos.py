"""Promotion families: a code used outside its dates (expired or not started yet) and two codes on one
basket (they never stack: the better single code wins). Prices are computed the way calculatePrice
computes them, with mcp_server.world.rules, at the task's clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, allowed_customers, allowed_staff, called, clock_at, full_name, long_date, money, no_writes, num, on, says,
    utc,
)
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.vocab import unstated
from harness.tasks.generate.voices import Voice, one_of
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag

FIRST_DAY, LAST_DAY = date(2025, 8, 16), date(2025, 9, 15)  # task clocks: after the earliest settable clock, up to the default
SHIPPING = ("standard", "express", "overnight")
NOT_VALID = ["expired", "has expired", "has ended", "ended on", "not valid", "no longer valid", "isn't valid", "not active",
             "no longer active", "can't be used", "cannot be used", "can't apply", "cannot apply", "won't work", "doesn't work",
             "not started", "has not started", "hasn't started", "not running", "not usable", "can't use"]
VALID = ["can be used", "can be applied", "will apply", "does apply", "applies", "is valid", "still valid", "code is active", "is still active", "still running", "has been applied", "is applied", "code works",
         "code still works", "you can use it", "can use the code", "it applies", "still works"]


@dataclass
class Quote:
    subtotal: Decimal
    loyalty: Decimal
    promo: Decimal
    shipping: Decimal
    total: Decimal


def quote(lines: list[tuple[dict[str, Any], int]], tier: str, shipping: str, promo: dict[str, Any] | None = None) -> Quote:
    """calculatePrice's arithmetic (dates aside): the promotion on its category's lines, combined with the loyalty discount."""
    subtotal = rules.cents(sum((rules.cents(Decimal(str(p["price"])) * q) for p, q in lines), Decimal(0)))
    loyalty, off = rules.loyalty_discount(subtotal, tier), Decimal("0.00")
    if promo is not None:
        eligible = sum((rules.cents(Decimal(str(p["price"])) * q) for p, q in lines if promo["category"] in (None, p["category"])), Decimal(0))
        off = rules.promotion_amount(promo["discount_type"], promo["discount_value"], eligible)
        loyalty, off = rules.combine_discounts(loyalty, off, bool(promo["stackable_with_loyalty"]))
    ship = rules.SHIPPING_COST[shipping]
    return Quote(subtotal, loyalty, off, ship, rules.cents(subtotal - loyalty - off + ship))


def promo_usable(promo: dict[str, Any], lines: list[tuple[dict[str, Any], int]]) -> bool:
    """Whether the basket meets the code's minimum and holds a product of its category (dates aside)."""
    subtotal = sum((Decimal(str(p["price"])) * q for p, q in lines), Decimal(0))
    return subtotal >= Decimal(str(promo["min_subtotal"] or 0)) and any(promo["category"] in (None, p["category"]) for p, _ in lines)


def eastern(text: str) -> datetime:
    return utc(text).astimezone(rules.EASTERN)


def draw_clock(rng: random.Random) -> tuple[str, datetime]:
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    hour = rng.randrange(9, 14 if day == LAST_DAY else 20)
    text = clock_at(day, hour, rng.choice((0, 10, 25, 40, 55)))
    return text, datetime.fromisoformat(text)


def active(promo: dict[str, Any], now: datetime) -> bool:
    return utc(promo["starts_at"]) <= now < utc(promo["ends_at"])


def products_by_category(world: World, exclusions: Exclusions) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in world.all("SELECT * FROM products WHERE discontinued = 0 AND category NOT IN ('workstation', 'prebuilt') ORDER BY id"):
        if exclusions.allows(row["id"]):
            found.setdefault(row["category"], []).append(row)
    return found


Setting = tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]], list[dict[str, Any]], list[str]]


def _setting(world: World, exclusions: Exclusions) -> Setting:
    """What both promotion families draw from: the promotions, products by category, customers and support
    staff ids a training task may use."""
    promos = [p for p in world.all("SELECT * FROM promotions ORDER BY id") if exclusions.allows(p["id"])]
    staff = [e["id"] for e in allowed_staff(world, exclusions)]
    return promos, products_by_category(world, exclusions), allowed_customers(world, exclusions), staff


def draw_basket(rng: random.Random, catalogue: dict[str, list[dict[str, Any]]], must: list[str]) -> list[tuple[dict[str, Any], int]]:
    """One product of each category in ``must`` (None: any), plus perhaps one more, quantities mostly 1."""
    cats = sorted(catalogue)
    chosen: list[dict[str, Any]] = []
    for category in (must or [None]) + ([None] if rng.random() < 0.5 else []):
        pool = catalogue[category] if category else catalogue[cats[rng.randrange(len(cats))]]
        product = pool[rng.randrange(len(pool))]
        if product not in chosen:
            chosen.append(product)
    return [(p, 2 if rng.random() < 0.15 and p["price"] < 200 else 1) for p in chosen]


def basket_text(rng: random.Random, lines: list[tuple[dict[str, Any], int]], with_ids: bool) -> str:
    def one(p: dict[str, Any], q: int) -> str:
        name = f"{p['name']} ({p['id']})" if with_ids else p["name"]
        return f"{q}x {name}" if q > 1 else one_of(rng, (f"the {name}", f"a {name}", name))
    parts = [one(p, q) for p, q in lines]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def price_call(lines: list[tuple[dict[str, Any], int]], tier: str, shipping: str, code: str | None = None, error: bool = False) -> dict[str, Any]:
    args: dict[str, Any] = {"items": [{"product_id": p["id"], "quantity": q} for p, q in lines], "loyalty_tier": tier, "shipping_service": shipping}
    if code:
        args["promo_code"] = code
    call: dict[str, Any] = {"tool": "calculatePrice", "arguments": args}
    if error:
        call["expect_error"] = True
    return call


def breakdown(q: Quote, tier: str, shipping: str, code: str | None = None) -> str:
    parts = [f"subtotal {money(q.subtotal)}"]
    if q.loyalty:
        parts.append(f"{tier} loyalty discount -{money(q.loyalty)}")
    if q.promo:
        parts.append(f"{code} discount -{money(q.promo)}")
    parts.append(f"{shipping} shipping {money(q.shipping)}")
    return ", ".join(parts)


# --- promo-code-check ----------------------------------------------------------------------------

CHECK_CORES = (
    "Can I use the code {code} on {basket}? I'd ship it {shipping}.",
    "I'm about to order {basket} with {shipping} shipping. Does the promo code {code} still work, and what would I pay?",
    "I found the code {code} online. Would it apply to {basket}? What's my total with {shipping} shipping?",
    "Is {code} valid right now? I want {basket}, {shipping} delivery.",
    "Please apply {code} to my basket: {basket}, shipped {shipping}. How much will it be?",
    "My friend gave me the discount code {code}. If I buy {basket} ({shipping} shipping), how much do I save?",
)
CHECK_COLLEAGUE = (
    "{name} ({email}) wants to buy {basket} with {shipping} shipping and use code {code}. Can they, and what's the total?",
    "Customer {email} is asking whether {code} works on {basket}. Shipping would be {shipping}. What do I tell them, with the price?",
    "Can you price {basket} ({shipping} shipping) for {name}, {email}? They want to use {code}.",
)
IDENTIFY = ("My email is {email}.", "Account: {email}.", "This is {name}, {email}.", "{name} here ({email}).", "(my account email is {email})")


def promo_code_check(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    promos, catalogue, people, staff = _setting(world, exclusions)
    trapped = ids_by_type().get("promo_expired", set())
    out: list[Instance] = []
    for _ in range(600):
        if len(out) >= 70:
            break
        clock, now = draw_clock(rng)
        inactive = [p for p in promos if not active(p, now) and p["category"] in (None, *catalogue)]
        preferred = [p for p in inactive if p["id"] in trapped] or inactive
        promo = rng.choice(preferred if rng.random() < 0.75 else inactive)
        lines = draw_basket(rng, catalogue, [promo["category"]] if promo["category"] else [None])
        if not promo_usable(promo, lines):
            continue
        customer = people[rng.randrange(len(people))]
        tier, shipping = customer["loyalty_tier"], rng.choice(SHIPPING)
        plain, wished = quote(lines, tier, shipping), quote(lines, tier, shipping, promo)
        if wished.total == plain.total:
            continue  # the code would not change the price anyway: no trap to fall into
        out.append(_code_check(rng, staff, customer, promo, lines, tier, shipping, clock, now, plain, wished, promo["id"] in trapped))
    return out


def _code_check(rng: random.Random, staff: list[str], customer: dict[str, Any], promo: dict[str, Any], lines: list[tuple[dict[str, Any], int]],
                tier: str, shipping: str, clock: str, now: datetime, plain: Quote, wished: Quote, trapped: bool) -> Instance:
    started = utc(promo["starts_at"]) <= now
    start_day, end_day = eastern(promo["starts_at"]).date(), eastern(promo["ends_at"]).date()
    voice = Voice.draw(rng, colleague_share=0.3)
    fields = {"code": promo["code"], "basket": basket_text(rng, lines, rng.random() < 0.35), "shipping": shipping,
              "name": full_name(customer), "email": customer["email"]}
    if voice.colleague:
        core = one_of(rng, CHECK_COLLEAGUE).format(**fields)
    else:
        ask, who = one_of(rng, CHECK_CORES).format(**fields), one_of(rng, IDENTIFY).format(**fields)
        core = f"{ask} {who}" if rng.random() < 0.6 else f"{who} {ask}"
    prompt = voice.frame(rng, core)
    why = (f"it ended on {long_date(end_day)} at {eastern(promo['ends_at']):%H:%M} Eastern (it ran from {long_date(start_day)})" if started
           else f"it has not started yet: it only runs from {long_date(start_day)} until {long_date(end_day)}")
    reply = (f"I'm sorry, the code {promo['code']} can't be used on this order: {why}. Without it, the price is "
             f"{breakdown(plain, tier, shipping)}, for a total of {money(plain.total)}.")
    verdict_never = [*VALID, *(["not started", "has not started", "hasn't started", "starts on", "will start"] if started else
                               ["expired", "has expired", "has ended", "ended on", "no longer valid", "no longer active"])]
    verdict_any = (["expired", "has expired", "has ended", "ended on", "no longer valid", "no longer active", "can't be used", "cannot be used"]
                   if started else ["not started", "has not started", "hasn't started", "not valid yet", "only runs from", "only starts",
                                    "starts on", "can't be used", "cannot be used", "not active"])
    wrong_totals = unstated([wished.total, rules.cents(plain.total - plain.loyalty), rules.cents(plain.total - plain.shipping)], reply)
    criteria = [
        says("verdict", f"The reply says {promo['code']} cannot be used ({'expired' if started else 'not started yet'})",
             says_any=verdict_any, never_says=verdict_never),
        says("dates", f"The reply gives the date the code {'ended' if started else 'starts'}", kind="completeness",
             dates=[on(end_day if started else start_day)]),
        says("total", f"The reply gives the price without the code, {money(plain.total)}", numbers=[num(plain.total, wrong_totals)]),
        called("priced", "The agent priced the basket with calculatePrice", "calculatePrice", {}, succeeded=True),
        no_writes("no-writes", "Nothing was changed (a price question)"),
    ]

    def build(v: Variety, index: int) -> str:
        when = (f"{promo['code']} expired: its last moment was {v.date(end_day)} at {eastern(promo['ends_at']):%H:%M} ET" if started
                else f"{promo['code']} has not started yet; it starts on {v.date(start_day)}")
        price = f"{v.money(plain.total)} ({v.money(plain.subtotal)} of products" + (
            f" less {v.money(plain.loyalty)} {tier} discount" if plain.loyalty else "") + f" plus {v.money(plain.shipping)} shipping)"
        if index == 0:
            return f"Unfortunately {when}, so it won't apply. Without a code, your total is {price}."
        return f"Your total comes to {price}. {v.pick(['Sorry', 'Unfortunately'])}, the code cannot be used: {when}."
    tags = ["promotions", "pricing"] + ([tag("promo_expired")] if trapped else [])
    ids = [customer["id"], promo["id"], *[p["id"] for p, _ in lines]]
    requester, requester_id = ("employee", rng.choice(staff)) if voice.colleague else ("customer", customer["id"])
    return Instance("reasoning", "medium" if started else "hard", requester, requester_id, prompt,
                    [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                     price_call(lines, tier, shipping, promo["code"], error=True), price_call(lines, tier, shipping)],
                    reply, criteria, entities=ids, clock=clock, tags=tags, alternatives=variants(reply, build))


FAMILIES = {
    "promo-code-check": (promo_code_check, 50),
}


# --- promo-stacking ------------------------------------------------------------------------------

STACK_CORES = (
    "Can I use both {a} and {b} on {basket}? {shipping} shipping.",
    "I have two codes, {a} and {b}. Please put both on my order: {basket}, shipped {shipping}. What's the total?",
    "If I buy {basket} with {shipping} shipping, can I stack {a} with {b}? How much would I pay?",
    "Do {a} and {b} combine? I'm ordering {basket} ({shipping} delivery) and want the lowest price.",
    "I want {basket}, {shipping} shipping, and I've got the codes {a} and {b}. How much do I pay with both applied?",
)
STACK_COLLEAGUE = (
    "{name} ({email}) wants {a} and {b} both applied to {basket}, {shipping} shipping. Is that allowed, and what should I quote?",
    "Customer {email} is ordering {basket} ({shipping}) and asks to combine {a} + {b}. What's the right price?",
    "Can you work out the best price for {name}, {email}: {basket}, {shipping} shipping, codes {a} and {b}?",
)
# "do stack" and "can be stacked" are what a negated "don't stack" / "cannot be stacked" reads as (the hedge adversary)
STACKS = ["both codes apply", "both apply", "codes stack", "they stack", "do stack", "does stack", "will stack", "can stack", "can be stacked",
          "can combine", "can be combined", "do combine", "combined discount", "both codes together", "apply both", "applied both",
          "with both codes", "can be used together", "can both be used"]
NO_STACK = ["don't stack", "do not stack", "can't be combined", "cannot be combined", "can't combine", "cannot combine", "only one code",
            "one code per order", "only one promotion", "one promotion per order", "not combinable", "can't be stacked", "cannot be stacked",
            "can't stack", "cannot stack", "don't combine", "do not combine"]


def promo_stacking(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    promos, catalogue, people, staff = _setting(world, exclusions)
    trapped = ids_by_type().get("promo_non_stacking", set())
    out: list[Instance] = []
    for _ in range(800):
        if len(out) >= 70:
            break
        clock, now = draw_clock(rng)
        running = [p for p in promos if active(p, now) and p["category"] in (None, *catalogue)]
        if len(running) < 2:
            continue
        first, second = rng.sample(running, 2)
        lines = draw_basket(rng, catalogue, [c for c in dict.fromkeys((first["category"], second["category"])) if c])
        if not (promo_usable(first, lines) and promo_usable(second, lines)):
            continue
        customer = people[rng.randrange(len(people))]
        tier, shipping = customer["loyalty_tier"], rng.choice(SHIPPING)
        qa, qb = quote(lines, tier, shipping, first), quote(lines, tier, shipping, second)
        if qa.total == qb.total:
            continue  # no better code to name
        best, best_q, worse, worse_q = (first, qa, second, qb) if qa.total < qb.total else (second, qb, first, qa)
        # what an agent that stacks both would quote: every discount taken together
        stacked = rules.cents(best_q.total - worse_q.promo - (worse_q.loyalty if not best_q.loyalty else Decimal(0)))
        if stacked == best_q.total:
            continue
        out.append(_stacking(rng, staff, customer, lines, tier, shipping, clock, (best, best_q), (worse, worse_q), stacked,
                             bool({first["id"], second["id"]} & trapped)))
    return out


def _stacking(rng: random.Random, staff: list[str], customer: dict[str, Any], lines: list[tuple[dict[str, Any], int]], tier: str, shipping: str,
              clock: str, better: tuple[dict[str, Any], Quote], other: tuple[dict[str, Any], Quote], stacked: Decimal, trapped: bool) -> Instance:
    (best, bq), (worse, wq) = better, other
    codes = [best["code"], worse["code"]]
    rng.shuffle(codes)
    voice = Voice.draw(rng, colleague_share=0.3)
    fields = {"a": codes[0], "b": codes[1], "basket": basket_text(rng, lines, rng.random() < 0.35), "shipping": shipping,
              "name": full_name(customer), "email": customer["email"]}
    if voice.colleague:
        core = one_of(rng, STACK_COLLEAGUE).format(**fields)
    else:
        ask, who = one_of(rng, STACK_CORES).format(**fields), one_of(rng, IDENTIFY).format(**fields)
        core = f"{ask} {who}" if rng.random() < 0.6 else f"{who} {ask}"
    prompt = voice.frame(rng, core)
    reply = (f"Promotion codes don't stack: only one code can be used per order. I priced both. With {best['code']}: "
             f"{breakdown(bq, tier, shipping, best['code'])}, total {money(bq.total)}. With {worse['code']} the total would be "
             f"{money(wq.total)}. So {best['code']} is the better choice, and your total is {money(bq.total)}.")
    best_words = [f"{best['code']} is the better", f"{best['code']} is better", f"use {best['code']}", f"go with {best['code']}",
                  f"{best['code']} saves more", f"{best['code']} gives the bigger discount", f"{best['code']} is cheaper",
                  f"{best['code']} gives the lower total", f"{best['code']} wins", f"best option is {best['code']}", f"recommend {best['code']}"]
    # the worse code named as the better one, or the better one denied ("X is not the better choice")
    worse_words = [w.replace(best["code"], worse["code"]) for w in best_words] + [
        f"{best['code']} is not the better", f"{best['code']} is not better", "not the better choice", "not the better one",
        f"not use {best['code']}", f"not go with {best['code']}", f"{best['code']} does not save more", f"{best['code']} is not cheaper"]
    criteria = [
        says("no-stacking", "The reply says the two codes cannot be combined", says_any=NO_STACK, never_says=STACKS),
        says("better-code", f"The reply names {best['code']} as the better single code", says_any=best_words, never_says=worse_words),
        says("total", f"The reply gives the total with {best['code']}, {money(bq.total)} (not both codes stacked)",
             numbers=[num(bq.total, unstated([stacked], reply))]),
        called("priced-both", "The agent priced the basket with each code", "calculatePrice", {"promo_code": worse["code"]}, succeeded=True),
        no_writes("no-writes", "Nothing was changed (a price question)"),
    ]

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return (f"Only one promotion code can be used per order, so {best['code']} and {worse['code']} can't be combined. "
                    f"I'd go with {best['code']}: your total is {v.money(bq.total)}, against {v.money(wq.total)} with {worse['code']}.")
        return (f"With {best['code']} you'd pay {v.money(bq.total)}; with {worse['code']}, {v.money(wq.total)}. The codes cannot be stacked, "
                f"so {best['code']} is the better one to use.")
    requester, requester_id = ("employee", rng.choice(staff)) if voice.colleague else ("customer", customer["id"])
    tags = ["promotions", "pricing"] + ([tag("promo_non_stacking")] if trapped else [])
    return Instance("reasoning", "hard", requester, requester_id, prompt,
                    [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                     price_call(lines, tier, shipping, best["code"]), price_call(lines, tier, shipping, worse["code"])],
                    reply, criteria, entities=[customer["id"], best["id"], worse["id"], *[p["id"] for p, _ in lines]], clock=clock,
                    tags=tags, alternatives=variants(reply, build))


FAMILIES["promo-stacking"] = (promo_stacking, 50)
