"""Time-zone families: the US Eastern date of an order placed near midnight (the UTC date is the next day),
a customer's spend in an Eastern month when a late-evening order sits on the month's edge, and the return
deadline of a ticket that arrives on day 30 or 31 of the window (trap types midnight_boundary and
return_window_edge)."""

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
    EASTERN_WORDS, asker, clock_after, colleague_prompt, customer_prompt, eastern_time, month_bounds, ordinal, planted_first,
    trap_tags,
)
from harness.tasks.generate.phrasing import Variety, number_words, variants
from harness.tasks.generate.vocab import ELIGIBLE, NOT_ELIGIBLE, WRONG_ELIGIBLE, unstated
from harness.tasks.generate.voices import one_of
from mcp_server.world import rules

MIDNIGHT = "midnight_boundary"
EDGE = "return_window_edge"
SPEND_STATUSES = ("fulfilled", "paid", "backorder")  # orders whose total the customer paid and still owes nothing on


# how a reply states when an order was placed, and the denials of it
PLACED = ["placed", "ordered", "bought", "purchased", "purchase date", "order date", "went through", "dated", "date of purchase", "made"]
NOT_PLACED = ["not placed", "was not placed", "purchase date is not", "order date is not", "not purchased", "not ordered", "did not go through"]
SPENT = ["total", "totals", "totalling", "totaling", "came to", "comes to", "come to", "add up to", "adds up to", "spent", "altogether", "in all"]
NOT_SPENT = ["total is not", "total was not", "not total", "did not spend", "not spend", "not come to", "not add up"]


def _month(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


# --- order-date-eastern ------------------------------------------------------------------------


def order_date_eastern(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = [o for o in world.all("SELECT * FROM orders WHERE created_at IS NOT NULL ORDER BY id")
              if eastern_day(o["created_at"]) != utc(o["created_at"]).date()]
    rng.shuffle(orders)
    orders = planted_first(orders, MIDNIGHT, lambda o: (o["id"], o["customer_id"]))
    colleagues = allowed_staff(world, exclusions, "support_role IN ('frontline', 'specialist') OR department = 'finance'")
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        east, utc_day = eastern_day(order["created_at"]), utc(order["created_at"]).date()
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.35)
        product = _unique_product(world, order)
        give_id = product is None or rng.random() < 0.55
        kind = "month" if east.month != utc_day.month else rng.choice(["date", "receipt", "which"])
        prompt = _date_prompt(rng, voice, customer, order, product, give_id, kind, east, utc_day)
        calls: list[dict[str, Any]] = []
        if requester == "customer" or not give_id:
            calls.append({"tool": "searchCustomers", "arguments": {"email": customer["email"]}})
        if not give_id:
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"]}})
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}})
        criteria, reply, alternatives = _date_answer(order, east, utc_day, kind, give_id)
        out.append(Instance("information_retrieval", "medium" if give_id else "hard", requester, requester_id, prompt, calls, reply,
                            criteria, entities=[customer["id"], order["id"]],
                            tags=["time-zone", "order-date", *trap_tags(MIDNIGHT, order["id"], customer["id"])],
                            alternatives=alternatives))
    return out


def _unique_product(world: World, order: dict[str, Any]) -> str | None:
    """A product name that picks this order out of the customer's (at most ten) orders, or None."""
    if world.value("SELECT COUNT(*) FROM orders WHERE customer_id = ?", (order["customer_id"],)) > 10:
        return None
    for line in world.items(order["id"]):
        seen = world.value("SELECT COUNT(DISTINCT oi.order_id) FROM order_items oi JOIN orders o ON o.id = oi.order_id "
                           "WHERE o.customer_id = ? AND oi.product_id = ?", (order["customer_id"], line["product_id"]))
        if seen == 1:
            return str(line["product_name"])
    return None


def _date_prompt(rng: random.Random, voice: Any, customer: dict[str, Any], order: dict[str, Any], product: str | None, give_id: bool,
                 kind: str, east: date, utc_day: date) -> str:
    mine = f"order {order['id']}" if give_id else one_of(rng, [f"the order with the {product}", f"my {product} order",
                                                                f"the {product} I bought"])
    first, second = (east, utc_day) if rng.random() < 0.5 else (utc_day, east)
    asks = {
        "date": [f"What date did I place {mine}?", f"On which day exactly did {mine} go through?",
                 f"I need the purchase date of {mine} for my records. What is it?"],
        "receipt": [f"Which day does my receipt for {mine} show?", f"My bank and my email disagree about the day of {mine}. Which date is the real purchase date?",
                    f"What's the official order date on {mine}? I'm filling in an expense form."],
        "which": [f"Did I place {mine} on the {ordinal(first.day)} or the {ordinal(second.day)}?",
                  f"Was {mine} placed on {MONTHS[first.month - 1]} {first.day} or {MONTHS[second.month - 1]} {second.day}? I can't remember."],
        "month": [f"Was {mine} an {MONTHS[first.month - 1]} or a {MONTHS[second.month - 1]} purchase?",
                  f"For my budget: does {mine} count in {MONTHS[first.month - 1]} or in {MONTHS[second.month - 1]}?",
                  f"Which month was {mine} placed in, {MONTHS[first.month - 1]} or {MONTHS[second.month - 1]}?"],
    }[kind]
    core = one_of(rng, asks)
    if voice.colleague:
        who = f"{full_name(customer)} ({customer['email']})"
        core = one_of(rng, [f"{who} asks: \"{core}\" Can you check?", f"Customer {who} wants to know the purchase date: {core.replace('I ', 'they ').replace('my ', 'their ')}",
                            f"On a call with {who}. {core} Please look it up."])
        return colleague_prompt(rng, voice, core)
    return customer_prompt(rng, voice, core, customer)


def _date_answer(order: dict[str, Any], east: date, utc_day: date, kind: str, give_id: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    at = eastern_time(order["created_at"])
    month_first = f"It was a {MONTHS[east.month - 1]} purchase. " if kind == "month" else ""
    reply = (f"{month_first}Order {order['id']} was placed on {long_date(east)} at {at} US Eastern time. That is its purchase date, "
             "the date on the receipt and the one every deadline counts from, since our business day runs on Eastern time.")
    criteria = [
        says("eastern-date", f"The reply gives the purchase date {east.isoformat()} (US Eastern), not the UTC date {utc_day.isoformat()}",
             dates=[on(east, [utc_day])], says_any=PLACED, never_says=NOT_PLACED),
        says("eastern-zone", "The reply says the date is in US Eastern time", kind="completeness", mentions_any=EASTERN_WORDS),
        called("opened-order", "The agent read the order's record", "getOrderDetails", {"order_id": order["id"]}),
        no_writes(),
    ]
    if kind == "month":
        right, wrong = MONTHS[east.month - 1], MONTHS[utc_day.month - 1]
        criteria.insert(1, says("month", f"The reply puts the order in {right}, not {wrong}", says_any=[right],
                                never_says=[f"in {wrong}", f"{wrong} purchase", f"{wrong} order", f"counts in {wrong}"]))
    if not give_id:
        criteria.insert(1, says("names-order", f"The reply names the order {order['id']}", kind="completeness", says_all=[order["id"]]))

    def build(v: Variety, index: int) -> str:
        day = v.date(east)
        if index == 0:
            lead = f"{MONTHS[east.month - 1]}: " if kind == "month" else ""
            return f"{lead}you placed {order['id']} on {day}, at {at} Eastern time. That's the purchase date we go by."
        month = f" so it belongs to {MONTHS[east.month - 1]}" if kind == "month" else ""
        return f"By our business clock (US Eastern), order {order['id']} went through at {at} on {day}{month}. Nothing needed changing."
    return criteria, reply, variants(reply, build)


# --- month-spend ---------------------------------------------------------------------------------


def month_spend(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    late = [o for o in world.all("SELECT * FROM orders WHERE created_at IS NOT NULL ORDER BY id")
            if eastern_day(o["created_at"]) != utc(o["created_at"]).date()]
    months = [(o, side) for o in late if eastern_day(o["created_at"]).month != utc(o["created_at"]).date().month for side in ("east", "utc")]
    single_days = [(o, "day") for o in late]
    rng.shuffle(months)
    rng.shuffle(single_days)  # a month on the edge is the sharper question; a day is the fallback
    asks = planted_first(months + single_days, MIDNIGHT, lambda a: (a[0]["id"], a[0]["customer_id"]))
    colleagues = allowed_staff(world, exclusions, "department IN ('finance', 'support', 'marketing')")
    out: list[Instance] = []
    for edge, side in asks:
        customer = world.customer(edge["customer_id"])
        east, utc_day = eastern_day(edge["created_at"]), utc(edge["created_at"]).date()
        if side == "day":
            lo, hi, name = east, east + days(1), long_date(east)
        else:
            lo, hi = month_bounds((east if side == "east" else utc_day).year, (east if side == "east" else utc_day).month)
            name = _month(lo)
        period = _spend_period(world, exclusions, customer, lo, hi)
        if period is None:
            continue
        right, utc_orders = period
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.3)
        when = f"in {name}" if side != "day" else f"on {name}"
        if voice.colleague:
            core = one_of(rng, [
                f"How much did {full_name(customer)} ({customer['email']}) spend with us {when}, and over how many orders?",
                f"Finance needs {full_name(customer)}'s order total {when} (account {customer['email']}): the number of orders and the amount.",
                f"Can you add up what customer {customer['email']} ordered {when}? Number of orders and the total paid, please.",
            ])
            prompt = colleague_prompt(rng, voice, core)
        else:
            core = one_of(rng, [
                f"How much did I spend with you {when}? And how many orders was that?",
                f"I'm doing my budget. What's the total of my orders {when}, and how many were there?",
                f"Could you tell me how many orders I placed {when} and what they came to altogether?",
                f"I want to reconcile my card statement: how many orders did I make {when} and for how much in total?",
            ])
            prompt = customer_prompt(rng, voice, core, customer)
        start, end = eastern_bounds(lo, hi)
        calls = [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                 {"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "created_after": start, "created_before": end, "limit": 50}}]
        criteria, reply, alternatives = _spend_answer(customer, when, right, utc_orders)
        out.append(Instance("reasoning", "hard" if side != "day" else "medium", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], edge["id"]],
                            tags=["time-zone", "count", "spend", *trap_tags(MIDNIGHT, edge["id"], customer["id"])],
                            alternatives=alternatives))
    return out


def _spend_period(world: World, exclusions: Exclusions, customer: dict[str, Any], lo: date, hi: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """(the customer's orders in the Eastern period, those in the same period read in UTC) when the period is a clean
    question: every order near it paid and unrefunded, none held out, at least one order, and the UTC reading differs."""
    near = world.all("SELECT * FROM orders WHERE customer_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at",
                     (customer["id"], f"{(lo - days(1)).isoformat()}T12:00:00Z", f"{hi.isoformat()}T12:00:00Z"))
    if any(o["created_at"] is None or o["status"] not in SPEND_STATUSES or not exclusions.allows(o["id"]) for o in near):
        return None
    if not exclusions.allows(customer["id"]) or world.value("SELECT COUNT(*) FROM orders WHERE customer_id = ? AND created_at IS NULL", (customer["id"],)):
        return None
    right = [o for o in near if lo <= eastern_day(o["created_at"]) < hi]
    wrong = [o for o in near if lo <= utc(o["created_at"]).date() < hi]
    if not right or len(right) > 10 or _total(right) == _total(wrong):
        return None
    return right, wrong


def _total(orders: list[dict[str, Any]]) -> Decimal:
    return rules.cents(sum((Decimal(str(o["total"])) for o in orders), Decimal(0)))


def _spend_answer(customer: dict[str, Any], name: str, right: list[dict[str, Any]], utc_orders: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str, list[str]]:
    n, total = len(right), _total(right)
    listing = "; ".join(f"{o['id']} on {long_date(eastern_day(o['created_at']))} ({money(o['total'])})" for o in right)
    word = "order" if n == 1 else "orders"
    reply = (f"{name[0].upper()}{name[1:]}, counted by US Eastern date (our business day), your total is {money(total)}, across {n} {word}: {listing}.")

    def build(v: Variety, index: int) -> str:
        items = ", ".join(f"{o['id']} ({v.money(o['total'])})" for o in v.shuffled(right))
        if index == 0:
            return f"{v.count(n).capitalize() if n > 2 else n} {word}, {v.money(total)} in total, {name} by Eastern time: {items}."
        return f"Your orders {name} (US Eastern dates) come to {v.money(total)} across {n} {word}. They are {items}."
    alternatives = variants(reply, build)
    strays = [o["id"] for o in utc_orders if o not in right]
    wrong_total = unstated([_total(utc_orders)], reply, *alternatives)
    wrong_counts = sorted({m for m in (n - 1, n + 1, len(utc_orders)) if m > 0 and m != n})
    stated = [f"{n} {word}", f"{number_words(n)} {word}", f"{n} purchases" if n > 1 else "1 purchase"]
    if n == 1:
        stated += ["one order", "a single order", "just one order", "only one order", "only order", "single purchase"]
    criteria = [
        says("total", f"The reply gives the total {money(total)} of the orders placed {name} (US Eastern)", numbers=[num(total, wrong_total)],
             says_any=SPENT, never_says=NOT_SPENT),
        says("count", f"The reply gives the number of orders, {n}", says_any=stated,
             never_says=[f"{m} {'order' if m == 1 else 'orders'}" for m in wrong_counts],
             numbers=[num(n, unstated([len(utc_orders)] if len(utc_orders) != n else [], reply, *alternatives))]),
        says("lists-orders", f"The reply names the orders placed {name}" + (" and none placed outside it by Eastern time" if strays else ""),
             kind="correctness" if strays else "completeness", says_all=[o["id"] for o in right], **({"never_says": strays} if strays else {})),
        called("searched-orders", "The agent searched the customer's orders", "searchOrders", {"customer_id": customer["id"]}),
        no_writes(),
    ]
    return criteria, reply, alternatives


# --- return-deadline -----------------------------------------------------------------------------


def return_deadline(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    tickets = world.all(
        "SELECT t.id AS ticket_id, t.created_at AS asked_at, t.customer_id, o.* FROM support_tickets t JOIN orders o ON o.id = t.order_id "
        "WHERE t.type = 'return' AND t.status IN ('new', 'open', 'pending_customer') AND o.status = 'fulfilled' "
        "AND o.created_at IS NOT NULL AND t.created_at >= '2025-08-15T14:00:00Z' AND t.created_at <= '2025-09-15T18:00:00Z' "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY t.id")
    rng.shuffle(tickets)
    tickets = planted_first(tickets, EDGE, lambda t: (t["ticket_id"], t["id"]))
    colleagues = allowed_staff(world, exclusions)
    out: list[Instance] = []
    for row in tickets:
        bought, asked = eastern_day(row["created_at"]), eastern_day(row["asked_at"])
        if (asked - bought).days not in (30, 31):
            continue
        customer = world.customer(row["customer_id"])
        if not exclusions.allows(row["ticket_id"], row["id"], customer["id"]):
            continue
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.6)
        line = world.items(row["id"])[0]
        if voice.colleague:
            core = one_of(rng, [
                f"Ticket {row['ticket_id']} is a return request for order {row['id']}. Is it still inside the return window? Just the decision and why; don't process anything.",
                f"Can you check whether the return on {row['ticket_id']} ({full_name(customer)}) is in time? I only need a yes/no with the reason for now.",
                f"Quick sanity check before I reply on {row['ticket_id']}: does the {line['product_name']} return still fall within 30 days? No refund yet please.",
                f"Is the return asked for in {row['ticket_id']} eligible on timing? The customer bought order {row['id']} about a month ago.",
            ])
            prompt = colleague_prompt(rng, voice, core)
        else:
            core = one_of(rng, [
                f"Until when can I return order {row['id']}? I haven't decided yet, so please don't start anything.",
                f"What's the last day I can send back the {line['product_name']} from order {row['id']}? Am I still in time today?",
                f"I opened a return ticket ({row['ticket_id']}) for my {line['product_name']}. Before you do anything: am I still within the window, and what was the deadline?",
                f"Is it too late to return the {line['product_name']} (order {row['id']})? When does my return window end?",
            ])
            prompt = customer_prompt(rng, voice, core, customer)
        calls: list[dict[str, Any]] = []
        if requester == "customer":
            calls.append({"tool": "searchCustomers", "arguments": {"email": customer["email"]}})
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": row["id"]}})
        criteria, reply, alternatives = _deadline_answer(world, row, bought, asked)
        out.append(Instance("reasoning", "hard", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], row["id"], row["ticket_id"]], clock=clock_after(row["asked_at"], rng.choice([3, 8, 15])),
                            tags=["return-window", "time-zone", *trap_tags(EDGE, row["ticket_id"], row["id"], customer["id"])],
                            alternatives=alternatives))
    return out


def _deadline_answer(world: World, row: dict[str, Any], bought: date, asked: date) -> tuple[list[dict[str, Any]], str, list[str]]:
    last = rules.return_window_last_day(bought)
    eligible = asked <= last
    delivered = world.value("SELECT MAX(delivered_at) FROM shipments WHERE order_id = ?", (row["id"],))
    traps = [rules.return_window_last_day(utc(row["created_at"]).date()), last - days(1)]
    traps = [t for t in traps if t not in (last, bought, asked)]
    if delivered:
        late = rules.return_window_last_day(eastern_day(delivered))
        traps += [late] if late not in (last, bought, asked) else []
    day = (asked - bought).days
    if eligible:
        reply = (f"Yes, it is still within the return window. Order {row['id']} was placed on {long_date(bought)} (US Eastern), so the 30-day "
                 f"window runs through {long_date(last)} at 11:59 PM Eastern, and today is day {day}. Nothing has been processed.")
        verdict = says("verdict", "The reply says the return is still inside the window", says_any=ELIGIBLE,
                        never_says=[*NOT_ELIGIBLE, "not still within", "not within", "not still inside", "not still returnable"])
    else:
        reply = (f"It is too late to return it. Order {row['id']} was placed on {long_date(bought)} (US Eastern), so the 30-day return window "
                 f"ended on {long_date(last)} at 11:59 PM Eastern; today is day {day}. Sales on it are now final, and a fault would go "
                 "through the warranty instead. Nothing has been processed.")
        verdict = says("verdict", "The reply says the return window has closed", says_any=NOT_ELIGIBLE,
                        never_says=[*WRONG_ELIGIBLE, "not too late", "not final", "not now final", "are not final", "not closed", "has not closed"])
    utc_day = utc(row["created_at"]).date()
    criteria = [
        verdict,
        says("last-day", f"The reply gives the last day of the window, {last.isoformat()} (US Eastern)", dates=[on(last, traps)]),
        says("purchase-date", f"The reply gives the purchase date {bought.isoformat()} (US Eastern)",
             kind="correctness" if utc_day != bought else "completeness", dates=[on(bought, [utc_day] if utc_day not in (last, asked) else [])]),
        called("opened-order", "The agent read the order (its purchase time)", "getOrderDetails", {"order_id": row["id"]}),
        no_writes("nothing-processed", "No return, refund or status change was made (only the decision was asked for)"),
    ]

    def build(v: Variety, index: int) -> str:
        if eligible:
            head = v.pick(["You're still in time", "It is still returnable", "Still within the window"])
            return (f"{head}: {row['id']} was bought on {v.date(bought)} (Eastern), so the last day is {v.date(last)}. I haven't processed anything."
                    if index == 0 else
                    f"The 30-day window for order {row['id']} closes at the end of {v.date(last)}, Eastern time (purchase date {v.date(bought)}). "
                    "The window is still open today; nothing was started.")
        return (f"I'm afraid the window has closed: order {row['id']} was bought on {v.date(bought)} (Eastern) and the last day to return "
                f"it was {v.date(last)}. It's a final sale now; a fault would go through the warranty."
                if index == 0 else
                f"Order {row['id']}: purchased {v.date(bought)} US Eastern, return window ended {v.date(last)}. It is too late to return it "
                "today, so it falls under the warranty for faults. Nothing was processed.")
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "order-date-eastern": (order_date_eastern, 50),
    "month-spend": (month_spend, 45),
    "return-deadline": (return_deadline, 50),
}
