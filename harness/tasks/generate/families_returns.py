"""Return and refund families: the return window at day N (US Eastern, orders placed near midnight),
refund quotes (tier at purchase, promotion share, no shipping) and processReturn end to end."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, clock_at, days, eastern_day, full_name, identify_calls, long_date, money,
    no_writes, num, on, pick, says, utc,
)
from harness.tasks.generate.phrasing import Variety, compose, identity, order_search, variants
from harness.tasks.generate.vocab import ELIGIBLE, NOT_ELIGIBLE, SHIPPING_REFUNDED, WRONG_ELIGIBLE, refund_traps, unstated
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag

REASONS = {
    "customer_remorse": ["I changed my mind", "I ended up not needing it", "I found I don't need it after all"],
    "incompatible": ["it turns out it doesn't fit my setup", "it's not compatible with my build"],
}


def _delivered_orders(world: World) -> list[dict[str, Any]]:
    return world.all(
        "SELECT o.* FROM orders o WHERE o.status = 'fulfilled' AND o.created_at IS NOT NULL "
        "AND o.created_at >= '2025-08-13T04:00:00Z' AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id "
        "AND s.status = 'delivered' AND s.delivered_at IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) "
        "ORDER BY o.id")


def return_window(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    out: list[Instance] = []
    orders = _delivered_orders(world)
    rng.shuffle(orders)
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        bought = eastern_day(order["created_at"])
        late_evening = order["created_at"][:10] != bought.isoformat()
        traps = ids_by_type()
        on_edge = order["id"] in traps["return_window_edge"]
        offset = rng.choice([30, 31]) if on_edge else rng.choice([29, 30, 30, 31, 31, 32])
        day = bought + days(offset)
        hour = rng.choice([9, 13, 16, 21, 23])
        clock = clock_at(day, hour, rng.choice([5, 20, 40, 55]))
        if datetime.fromisoformat(clock) < DEFAULT_NOW:
            continue
        eligible = offset <= 30
        last = rules.return_window_last_day(bought)
        line = world.items(order["id"])[0]
        difficulty = "hard" if late_evening or hour >= 21 else ("medium" if offset in (30, 31) else "easy")
        search = order_search(world, order["id"], customer["id"], line["product_id"]) if rng.random() < 0.4 else None
        prompt = _window_prompt(rng, customer, order["id"], line["product_name"], with_id=search is None)
        trap_tags = ([tag("return_window_edge")] if on_edge and offset in (30, 31) else []) + (
            [tag("midnight_boundary")] if late_evening and order["id"] in traps["midnight_boundary"] else [])
        if not exclusions.allows(line["product_id"]):
            continue  # after the draws above, so the other instances keep their wording
        calls = [*identify_calls(customer), *([search] if search else []), {"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}}]
        criteria, reply, alternatives = _window_answer(world, order, line["product_name"], bought, last, eligible, late_evening)
        out.append(Instance("reasoning", difficulty, "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"]], clock=clock, tags=["return-window", "time-zone", *trap_tags],
                            alternatives=alternatives))
    return out


WINDOW_ASKS = (
    "I bought {it} from you last month. It's still sealed. Am I still within the return window, and what's the last day I could send it back?",
    "Quick question before I decide: can I still return {it}? What is the deadline exactly?",
    "Is {it} still returnable today? Please tell me the last day of the return window.",
    "What's the last day I can return {it}? Still unopened.",
    "I'm on the fence about {it}. Until when can I send it back?",
    "Can I still send back {it}, and by which date at the latest?",
    "How long do I have left to return {it}? I never opened the box.",
    "Has the return window for {it} closed yet? If not, when does it close?",
)
WINDOW_IDS = ("the {product} from order {id}", "order {id} ({product})", "the {product} (order {id})", "order {id}")
WINDOW_NO_IDS = ("the {product} I ordered", "the {product} I bought", "my {product}", "the {product} I got from you")
NOTHING_YET = ("I haven't decided yet, so please don't start anything.", "Not asking you to process anything yet.",
               "I'll get back to you if I go ahead.", "Please don't open a return yet, I just want to know.",
               "Just asking for now, no return yet please.", "Don't set anything up yet.")


def _window_prompt(rng: random.Random, customer: dict[str, Any], order_id: str, product: str, with_id: bool) -> str:
    it = pick(rng, WINDOW_IDS if with_id else WINDOW_NO_IDS).format(id=order_id, product=product)
    intro, signature = identity(rng, full_name(customer), customer["email"])
    return compose(rng, pick(rng, WINDOW_ASKS).format(it=it), intro=intro, signature=signature, extras=NOTHING_YET)


def window_traps(world: World, order: dict[str, Any], bought: date, last: date) -> list[date]:
    """Last days of the return window an agent can fall into: counted from the UTC day of the order, from
    the delivery, or with the purchase day as day one."""
    delivered = world.value("SELECT MAX(delivered_at) FROM shipments WHERE order_id = ?", (order["id"],))
    wrong = [rules.return_window_last_day(utc(order["created_at"]).date()), last - days(1)]
    if delivered:
        wrong.append(rules.return_window_last_day(eastern_day(delivered)))
    return [w for w in wrong if w not in (last, bought)]


def _window_answer(world: World, order: dict[str, Any], product: str, bought: date, last: date, eligible: bool,
                   late_evening: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    placed = f"placed on {long_date(bought)} (US Eastern)"
    if eligible:
        reply = (f"Yes. Order {order['id']} was {placed}, so the 30-day return window runs through {long_date(last)} at "
                 f"11:59 PM Eastern. You are eligible to return the unopened {product}. Nothing has been started.")
        verdict = says("verdict", "The reply says the item can still be returned", says_any=ELIGIBLE, never_says=NOT_ELIGIBLE)
    else:
        reply = (f"Unfortunately not. Order {order['id']} was {placed}, so the 30-day return window ended on {long_date(last)} "
                 "at 11:59 PM Eastern. It is no longer eligible for a return: all sales on it are now final. "
                 "If the item develops a fault, the warranty applies instead.")
        verdict = says("verdict", "The reply says the return window has closed", says_any=NOT_ELIGIBLE, never_says=WRONG_ELIGIBLE)
    utc_day = utc(order["created_at"]).date()
    criteria = [
        verdict,
        says("last-day", f"The reply gives the last day of the window, {last.isoformat()} (US Eastern)",
             dates=[on(last, window_traps(world, order, bought, last))]),
        says("purchase-date", f"The reply gives the purchase date {bought.isoformat()} (US Eastern) the window counts from",
             kind="correctness" if late_evening else "completeness", dates=[on(bought, [utc_day] if late_evening else [])]),
        no_writes("no-return-started", "No return, refund or status change was made (the customer only asked)"),
    ]
    if not eligible:
        criteria.append(says("mentions-warranty", "The reply points to the warranty as the remaining option", mentions_any=["warranty"], kind="completeness"))

    def build(v: Variety, index: int) -> str:
        bought_text, last_text = v.date(bought), v.date(last)
        if eligible and index == 0:
            return (f"You can still return it. The {product} on order {order['id']} was bought on {bought_text}, so the last day to return it "
                    f"is {last_text} (by 11:59 PM Eastern time). I have not started anything.")
        if eligible:
            return (f"Order {order['id']} was placed {bought_text} (Eastern time). The 30-day window is open through {last_text}, "
                    f"so you're still within it; nothing has been set up on my side.")
        if index == 0:
            return (f"I'm afraid the return window has closed for order {order['id']}. It was bought on {bought_text} and the last day "
                    f"to return it was {last_text}, so sales on it are now final; the warranty still covers faults.")
        return (f"Order {order['id']}: purchased {bought_text} (Eastern), and its 30-day window ended {last_text}. It is too late to "
                "return it now; a fault would go through the warranty.")
    return criteria, reply, variants(reply, build)


def _refund_for(order: dict[str, Any], line: dict[str, Any], qty: int) -> Decimal:
    return rules.refund_amount_for_line(line["unit_price"], qty, order["loyalty_tier"],
                                        order_subtotal=order["subtotal"], order_promo_discount=order["promo_discount"])


def refund_quote(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, c.loyalty_tier AS tier_now FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.status = 'fulfilled' AND (o.loyalty_tier != 'none' OR o.promo_discount > 0 OR o.loyalty_tier != c.loyalty_tier) "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    rng.shuffle(orders)
    staff = [e for e in world.employees("department IN ('support', 'finance', 'operations')") if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for order in orders:
        if not staff or not exclusions.allows(order["id"], order["customer_id"]):
            continue
        customer = world.customer(order["customer_id"])
        items = world.items(order["id"])
        line = items[rng.randrange(len(items))]
        qty = line["quantity"] if line["quantity"] == 1 or rng.random() < 0.5 else rng.randrange(1, line["quantity"])
        amount = _refund_for(order, line, qty)
        every = rules.cents(sum((_refund_for(order, i, i["quantity"]) for i in items), Decimal(0))) if len(items) > 1 else None
        traps = ["shipping"]
        if order["tier_now"] != order["loyalty_tier"]:
            traps.append("tier-at-purchase")
        if order["promo_discount"]:
            traps.append("promotion-share")
        difficulty = "hard" if len(traps) >= 2 else "medium"
        employee = staff[rng.randrange(len(staff))]
        prompt = _quote_prompt(rng, customer, order["id"], line["product_name"], qty)
        if "tier-at-purchase" in traps and ids_by_type()["tier_change"] & {order["id"], customer["id"]}:
            traps.append(tag("tier_change"))
        reply, alternatives = _quote_replies(order, line, qty, amount)
        wrong = unstated(refund_traps(order, [(line, qty)], tier_now=order["tier_now"], every_line=every), reply, *alternatives)
        criteria = [
            says("amount", f"The reply gives the refund amount {money(amount)} (not the price, not with shipping, not at another tier)",
                 numbers=[num(amount, wrong)]),
            says("no-shipping-refund", "The reply does not refund the shipping charge", kind="constraint", never_says=SHIPPING_REFUNDED),
            called("opened-order", "The agent read the order's details (lines, tier at purchase, promotion)", "getOrderDetails", {"order_id": order["id"]}),
            no_writes("nothing-created", "No refund or status change was made (only a quote was asked for)"),
        ]
        if "tier-at-purchase" in traps:
            tier_words = [order["loyalty_tier"]] if order["loyalty_tier"] != "none" else ["no loyalty discount", "no loyalty tier", "without a tier"]
            criteria.insert(2, says("order-tier", f"The reply uses the {order['loyalty_tier']} tier the order was placed with",
                                    kind="completeness", says_any=tier_words))
        out.append(Instance("reasoning", difficulty, "employee", employee["id"], prompt,
                            [{"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}}], reply, criteria,
                            entities=[order["id"], customer["id"]], tags=["refund-math", *traps], alternatives=alternatives))
    return out


QUOTE_ASKS = (
    "{who} wants to return {units} of the {product} on {order}. Before I set anything up: what exactly would the refund be under our policy?",
    "Can you work out the refund amount for a return of {units} of {product} from {order}? Just the number and how you got it; I'll process it myself.",
    "Finance check: if {who} on {order} sends back {units} of the {product}, what do we refund? Please show the math.",
    "What would we refund for {units} of the {product} on {order} ({who})?",
    "{who} is asking what they'd get back for {units} of the {product} ({order}). Can you calculate it?",
    "Refund quote needed: {order}, {units} of {product}, customer {who}. What's the figure?",
    "I'm drafting a reply to {who}. How much would a return of {units} of the {product} from {order} refund?",
    "If {units} of the {product} on {order} come back, what's the refund amount? It's for {who}.",
)
NO_CHANGES = ("Don't create anything yet.", "No changes in the system, please.", "Just the quote, please don't process it.",
              "Please don't create the refund.", "Nothing should be created yet.")


def _quote_prompt(rng: random.Random, customer: dict[str, Any], order_id: str, product: str, qty: int) -> str:
    units = pick(rng, ["the unit", "one unit", "a single unit"]) if qty == 1 else f"{qty} units"
    who = pick(rng, ["{name}", "the customer", "customer {name}", "{name} ({email})"]).format(name=full_name(customer), email=customer["email"])
    order = pick(rng, ["order {id}", "{id}"]).format(id=order_id)
    core = pick(rng, QUOTE_ASKS).format(who=who, units=units, product=product, order=order)
    return compose(rng, core, colleague=True, extras=NO_CHANGES)


def _quote_replies(order: dict[str, Any], line: dict[str, Any], qty: int, amount: Decimal) -> tuple[str, list[str]]:
    gross = rules.cents(Decimal(str(line["unit_price"])) * qty)
    tier, pct = order["loyalty_tier"], rules.LOYALTY_DISCOUNT_PCT[order["loyalty_tier"]]
    loyalty = rules.loyalty_discount(gross, tier)
    promo = rules.promo_share(gross, order["subtotal"], order["promo_discount"])
    shipping = rules.SHIPPING_COST[order["shipping_service"]]
    units = "the unit" if qty == 1 else f"{qty} units"
    parts = [f"{money(gross)} for {units} at {money(line['unit_price'])}"]
    if tier != "none":
        parts.append(f"less the {pct}% {tier} discount the order was placed with ({money(loyalty)})")
    if order["promo_discount"]:
        parts.append(f"less the line's share of the promotion ({money(promo)})")
    if tier == "none":  # say so: the customer's current tier would give a discount the order never had
        parts.append("with no loyalty discount, as the order was placed without a tier")
    reply = (f"The refund would be {money(amount)}: " + ", ".join(parts) + f". Shipping is never refunded (it was {money(shipping)}). "
             "Nothing has been created.")

    def build(v: Variety, index: int) -> str:
        if index == 0:
            steps = [v.money(gross)]
            if tier != "none":
                steps.append(f"minus {v.money(loyalty)} ({pct}% {tier} discount at purchase)")
            if order["promo_discount"]:
                steps.append(f"minus {v.money(promo)} (the line's promotion share)")
            math = " ".join(steps) + f" = {v.money(amount)}" if len(steps) > 1 else f"{v.money(amount)}, the price paid for {units}"
            none = " (no loyalty discount: the order had no tier)" if tier == "none" else ""
            return f"{math}{none}. That is the refund for {units} of the {line['product_name']}; the shipping charge is not refundable."
        deductions = [d for d, keep in ((f"the {tier} loyalty discount", tier != "none"), ("the promotion share", bool(order["promo_discount"]))) if keep]
        basis = "the price paid for the line" + (" after " + " and ".join(deductions) if deductions else "")
        basis += ", with no loyalty discount since the order was placed without a tier" if tier == "none" else ""
        return (f"I haven't created anything. For {units} of the {line['product_name']} on {order['id']} we would refund "
                f"{v.money(amount)}: {basis}. The shipping charge stays with us.")
    return reply, variants(reply, build)


FAMILIES = {
    "return-window": (return_window, 75),
    "refund-quote": (refund_quote, 100),
}
