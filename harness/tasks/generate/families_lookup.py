"""Information-retrieval families: order status by name and email, warranty end date, shipment
delay explanation, and counting a product's orders in a US Eastern month (searchOrders cap)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, MONTHS, Exclusions, Instance, World, called, eastern_bounds, eastern_day, full_name,
    identify_calls, long_date, no_writes, num, on, pick, says, utc,
)
from harness.tasks.generate.phrasing import Variety, compose, identity, variants
from harness.tasks.generate.vocab import COVERED, NOT_COVERED, STILL_COVERED, warranty_traps
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag

SHIPPED = ["has shipped", "was shipped", "shipped on", "in transit", "on its way", "on the way", "delivered", "out for delivery"]
# shipment status -> (words that state it, claims that contradict it)
SHIPMENT_STATUS: dict[str, tuple[list[str], list[str]]] = {
    "delivered": (["delivered", "arrived"],
                  ["not delivered", "not been delivered", "not arrived", "in transit",
                   "on its way", "on the way", "out for delivery", "lost", "not shipped"]),
    "in_transit": (["in transit", "on its way", "on the way"],
                   ["not in transit", "delivered", "arrived", "lost", "out for delivery", "not shipped"]),
    "out_for_delivery": (["out for delivery"],
                         ["not out for delivery", "delivered", "arrived", "lost", "not shipped"]),
    "exception": (["delayed", "exception", "failed delivery attempt", "delivery attempt failed", "address issue", "address problem",
                   "could not be delivered", "could not deliver"],
                  ["not delayed", "on time", "on schedule", "delivered", "arrived", "lost", "not shipped"]),
    "lost": (["lost", "declared lost"], ["not lost", "delivered", "arrived", "still in transit", "is in transit", "on its way", "on time", "not shipped"]),
    "label_created": (["not shipped", "not been shipped", "not been picked up", "not picked up"], SHIPPED + ["picked up by"]),
}
# order status (no shipment yet) -> words that state it
ORDER_STATUS: dict[str, list[str]] = {
    "backorder": ["backorder", "back order", "backordered", "back ordered", "on back order"],
    "paid": ["paid", "being prepared", "preparing", "processing", "being processed"],
    "pending": ["pending", "awaiting payment", "payment is pending"],
}
NOT_SHIPPED = ["not shipped", "not been shipped", "not left"]


def _frontline(world: World, exclusions: Exclusions) -> list[dict[str, Any]]:
    return [e for e in world.employees("support_role IN ('frontline', 'specialist')") if exclusions.allows(e["id"])]


def _asker(world: World, rng: random.Random, exclusions: Exclusions, customer: dict[str, Any]) -> tuple[str, str, str]:
    """(requester, requester_id, voice): a third of the instances come from a colleague."""
    staff = _frontline(world, exclusions)
    if staff and rng.random() < 0.34:
        employee = staff[rng.randrange(len(staff))]
        return "employee", employee["id"], "employee"
    return "customer", customer["id"], "customer"


def order_status(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, s.status AS ship_status, s.carrier AS ship_carrier, s.tracking_number, s.events, s.delivered_at FROM orders o "
        "LEFT JOIN shipments s ON s.order_id = o.id WHERE o.created_at IS NOT NULL AND "
        "(s.id IS NOT NULL OR o.status IN ('backorder', 'paid', 'pending')) ORDER BY o.id")
    rng.shuffle(orders)
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        day = eastern_day(order["created_at"])
        same_day = world.value("SELECT COUNT(*) FROM orders WHERE customer_id = ? AND substr(id, 5, 6) = ?",
                               (customer["id"], order["id"][4:10]))
        if same_day != 1 or world.value("SELECT COUNT(*) FROM shipments WHERE order_id = ?", (order["id"],)) > 1:
            continue
        give_id = rng.random() < 0.3
        shared = world.name_is_shared(customer)
        difficulty = "easy" if give_id else ("hard" if shared or order["ship_status"] in ("exception", "lost") else "medium")
        requester, requester_id, voice = _asker(world, rng, exclusions, customer)
        prompt = _status_prompt(rng, voice, customer, order["id"] if give_id else None, day)
        calls = identify_calls(customer)
        if not give_id:
            start, end = eastern_bounds(day, day + timedelta(days=1))
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "created_after": start, "created_before": end}})
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}})
        criteria, reply, alternatives = _status_answer(world, order, customer, day)
        criteria.insert(2, called("looked-up-order", "The agent opened the order's details", "getOrderDetails", {"order_id": order["id"]}))
        criteria.append(no_writes())
        out.append(Instance("information_retrieval", difficulty, requester, requester_id, prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], order["id"]], tags=["discovery", "order-status"], alternatives=alternatives))
    return out


STATUS_ASKS = ("Can you tell me what's going on with {ref}? Has it shipped?", "Where is {ref}? I'd like the current status and tracking.",
               "Could you check {ref} for me? Just want to know where things stand.", "Any news on {ref}?",
               "What's the status of {ref}? Do you have a tracking number?", "I'm still waiting on {ref}. Where is it?",
               "Has {ref} shipped yet? If so, how do I track it?", "Can I get an update on {ref}, please?")
STATUS_ASKS_FOR = ("They want the status of {ref}, with tracking if it shipped. Can you look it up?",
                   "Can you pull up {ref}? I need the order status and where the package is.",
                   "Where does {ref} stand? They're asking for tracking.", "What's the latest on {ref}? Status and tracking please.",
                   "They're chasing {ref}. Has it shipped?")
WHO_FOR = ("Customer on the phone: {name}, {email}.", "I have {name} ({email}) on chat.", "For {name} ({email}):",
           "Customer {name}, email {email}.", "{name} ({email}) emailed in.")


def _status_prompt(rng: random.Random, voice: str, customer: dict[str, Any], order_id: str | None, day: date) -> str:
    when = pick(rng, ["{m} {d}", "{m} {d}th" if day.day not in (1, 2, 3, 21, 22, 23, 31) else "{m} {d}", "{d} {m}"]).format(
        m=MONTHS[day.month - 1], d=day.day)
    if voice == "customer":
        ref = (pick(rng, ["order {id}", "my order {id}", "{id}"]) if order_id else
               pick(rng, ["the order I placed on {when}", "my order from {when}", "what I ordered on {when}", "my {when} order"])
               ).format(id=order_id, when=when)
        intro, signature = identity(rng, full_name(customer), customer["email"])
        return compose(rng, pick(rng, STATUS_ASKS).format(ref=ref), intro=intro, signature=signature)
    ref = (pick(rng, ["order {id}", "their order {id}"]) if order_id else
           pick(rng, ["the order they placed on {when}", "their order from {when}", "their {when} order"])).format(id=order_id, when=when)
    who = pick(rng, WHO_FOR).format(name=full_name(customer), email=customer["email"])
    return compose(rng, f"{who} {pick(rng, STATUS_ASKS_FOR).format(ref=ref)}", colleague=True)


def _status_answer(world: World, order: dict[str, Any], customer: dict[str, Any], day: date) -> tuple[list[dict[str, Any]], str, list[str]]:
    """Criteria (status first), the reference reply and its variants for one order's status."""
    others = [r["id"] for r in world.all("SELECT id FROM orders WHERE customer_id = ? AND id != ? ORDER BY id", (customer["id"], order["id"]))]
    names = (says("names-order", f"The reply identifies the order {order['id']} (not another of the customer's orders)",
                  says_all=[order["id"]], never_says=others) if others else
             says("names-order", f"The reply identifies the order {order['id']}", kind="completeness", says_all=[order["id"]]))
    status = order["ship_status"]
    placed = f"placed on {long_date(day)}"
    if status is None:
        words = ORDER_STATUS[order["status"]]
        state_text = {"backorder": "on backorder: an item is waiting for stock", "paid": "paid and being prepared for shipment",
                      "pending": "pending: the payment has not been confirmed yet"}[order["status"]]
        reply = f"I found order {order['id']}, {placed}. It has not shipped yet: the order is {state_text}. There is no tracking number until it ships."
        criteria = [
            says("gives-status", f"The reply gives the order's status ({order['status']})", says_any=words, never_says=SHIPPED),
            says("not-shipped", "The reply says the order has not shipped yet", says_any=NOT_SHIPPED, never_says=SHIPPED),
            names,
        ]
        alt_state = {"backorder": ["backordered", "on back order"], "paid": ["paid and being processed", "paid and being prepared"],
                     "pending": ["still pending", "pending payment confirmation"]}[order["status"]]

        def build(v: Variety, index: int) -> str:
            first = f"Order {order['id']} ({v.pick(['placed', 'ordered'])} {v.date(day)}) is {v.pick(alt_state)}."
            second = f"It {v.pick(['has not shipped yet', 'has not been shipped so far', 'has not left our warehouse'])}, so there is no tracking number for now."
            return f"{first} {second}" if index == 0 else f"{second} {first}"
        return criteria, reply, variants(reply, build)

    words, wrong = SHIPMENT_STATUS[status]
    last = json.loads(order["events"])[-1]
    scan = f"the latest carrier scan is \"{last['note']}\" at {last['location']}"
    tracking = f"{order['ship_carrier']} tracking number {order['tracking_number']}"
    gives = says("gives-status", f"The reply gives the shipment's current status ({status})", says_any=words, never_says=wrong)
    criteria = [gives, says("gives-tracking", "The reply gives the tracking number", kind="completeness", says_all=[order["tracking_number"]]), names]
    delivered = eastern_day(order["delivered_at"]) if status == "delivered" and order["delivered_at"] else None
    sentence = {
        "delivered": f"It was delivered on {long_date(delivered)}." if delivered else "It was delivered.",
        "in_transit": "It is in transit with the carrier.",
        "out_for_delivery": "It is out for delivery.",
        "exception": "It is delayed. The carrier reported a failed delivery attempt because of an address issue.",
        "lost": f"It is lost: {order['ship_carrier']} has declared the parcel lost.",
        "label_created": "It has not shipped yet: a shipping label was created but the carrier has not picked the parcel up.",
    }[status]
    reply = f"I found order {order['id']}, {placed}. {sentence} Shipment: {tracking}; {scan}."
    if delivered is not None:
        utc_day = utc(order["delivered_at"]).date()
        criteria.insert(1, says("delivery-date", f"The reply gives the delivery date {delivered.isoformat()} (US Eastern)",
                                kind="correctness" if utc_day != delivered else "completeness", dates=[on(delivered, [utc_day])]))
    if status in ("exception", "lost"):
        criteria.append(says("gives-carrier", "The reply names the carrier", kind="completeness", says_all=[order["ship_carrier"]]))
    alt_state = {
        "delivered": ["it was delivered", "it arrived"] if delivered else ["it has been delivered", "it arrived"],
        "in_transit": ["it is in transit", "it is on its way", "it is on the way to you"],
        "out_for_delivery": ["it is out for delivery"],
        "exception": ["it is delayed: a delivery attempt failed over an address issue",
                      "it could not be delivered because of an address problem, so it is delayed"],
        "lost": ["the carrier has declared it lost", "it is lost in transit according to the carrier"],
        "label_created": ["it has not shipped yet: only the label exists so far", "it has not been picked up by the carrier so far"],
    }[status]

    def build(v: Variety, index: int) -> str:
        state_words = v.pick(alt_state) + (f" on {v.date(delivered)}" if delivered else "")
        head = f"Order {order['id']} ({v.pick(['placed', 'ordered'])} {v.date(day)}): {state_words}."
        track = (f"Tracking: {order['tracking_number']} with {order['ship_carrier']}. "
                 f"Last update: {last['note']} ({last['location']}).")
        return f"{head} {track}" if index == 0 else f"{track} {head}"
    return criteria, reply, variants(reply, build)


def warranty_end(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = world.all(
        "SELECT oi.order_id, oi.product_id, p.name, p.warranty_months, p.category, o.customer_id, o.created_at, "
        "(SELECT MAX(delivered_at) FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL) AS delivered "
        "FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id "
        "WHERE o.status IN ('fulfilled', 'partially_refunded') AND o.created_at < '2025-08-01' "
        "AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.status = 'delivered') ORDER BY oi.id")
    rng.shuffle(rows)
    out: list[Instance] = []
    today = rules.eastern_date(DEFAULT_NOW)
    seen: set[str] = set()
    for row in rows:
        customer = world.customer(row["customer_id"])
        if row["customer_id"] in seen or not exclusions.allows(row["order_id"], row["customer_id"], row["product_id"]):
            continue
        dupes = world.value("SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id "
                            "WHERE o.customer_id = ? AND oi.product_id = ?", (customer["id"], row["product_id"]))
        if dupes != 1:
            continue
        seen.add(row["customer_id"])
        no_delivery = row["delivered"] is None
        start = eastern_day(row["delivered"]) if row["delivered"] else eastern_day(row["created_at"])
        end = rules.add_months(start, row["warranty_months"])
        under = today <= end
        bought = eastern_day(row["created_at"])
        give_id = rng.random() < 0.35
        difficulty = "easy" if give_id else ("hard" if no_delivery or not under or (end - today).days < 45 else "medium")
        requester, requester_id, voice = _asker(world, rng, exclusions, customer)
        prompt = _warranty_prompt(rng, voice, customer, row["name"], row["order_id"] if give_id else None, bought)
        calls = identify_calls(customer)
        if not give_id:
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "product_id": row["product_id"]}})
        calls.append({"tool": "checkWarrantyStatus", "arguments": {"order_id": row["order_id"], "product_id": row["product_id"]}})
        criteria, reply, alternatives = _warranty_answer(world, row, today)
        out.append(Instance("information_retrieval", difficulty, requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], row["order_id"], row["product_id"]], tags=["warranty", "discovery"],
                            alternatives=alternatives))
    return out


WARRANTY_ASKS = ("Is {what} still under warranty, and until what date?", "How long is the warranty on {what}? I need the exact end date.",
                 "Quick question about {what}: when does the warranty run out?", "When does the warranty on {what} end?",
                 "Is {what} still covered? What's the last day of the warranty?", "{What} is acting up. Am I still under warranty, and till when?",
                 "Could you check the warranty end date for {what}?", "I'd like to know until when {what} is covered by the warranty.")
WARRANTY_ASKS_FOR = ("{who} is asking whether {what} is still covered by warranty and until when. Can you check?",
                     "Warranty question from {who}: what's the warranty end date for {what}?",
                     "Can you find the warranty end date for {what}? Customer is {who}.",
                     "{who} wants to know if {what} is still in warranty. Exact end date please.",
                     "Is {what} still under warranty? Asking for {who}.")


def _warranty_prompt(rng: random.Random, voice: str, customer: dict[str, Any], product: str, order_id: str | None, bought: date) -> str:
    when = pick(rng, ["in {m} {y}", "back in {m} {y}", "in {m} {y}"]).format(m=MONTHS[bought.month - 1], y=bought.year)
    mine = voice == "customer"
    what = (pick(rng, ["the {p} from order {id}", "the {p} on order {id}", "my {p} (order {id})" if mine else "their {p} (order {id})"]) if order_id else
            pick(rng, ["the {p} I bought {when}", "my {p}, bought {when}", "the {p} I ordered {when}"] if mine else
                 ["the {p} they bought {when}", "their {p}, bought {when}", "the {p} they ordered {when}"])
            ).format(p=product, id=order_id, when=when)
    if mine:
        intro, signature = identity(rng, full_name(customer), customer["email"])
        return compose(rng, pick(rng, WARRANTY_ASKS).format(what=what, What=what[0].upper() + what[1:]), intro=intro, signature=signature)
    who = pick(rng, ["{name} ({email})", "{name}, {email}", "customer {name} / {email}"]).format(name=full_name(customer), email=customer["email"])
    core = pick(rng, WARRANTY_ASKS_FOR).format(who=who, what=what)
    return compose(rng, core[0].upper() + core[1:], colleague=True)


def _warranty_answer(world: World, row: dict[str, Any], today: date) -> tuple[list[dict[str, Any]], str, list[str]]:
    no_delivery = row["delivered"] is None
    bought = eastern_day(row["created_at"])
    start = bought if no_delivery else eastern_day(row["delivered"])
    end = rules.add_months(start, row["warranty_months"])
    under = today <= end
    basis = "the purchase date, since no delivery date is recorded" if no_delivery else "the delivery date"
    if under:
        verdict = f"It is covered until {long_date(end)}, so it is still under warranty ({(end - today).days} days from today)."
        status = says("says-covered", "The reply says the item is still under warranty", says_any=COVERED, never_says=NOT_COVERED)
    else:
        verdict = f"Its warranty ended on {long_date(end)}, so it is no longer covered."
        status = says("says-expired", "The reply says the warranty has ended", says_any=NOT_COVERED,
                      never_says=STILL_COVERED)
    reply = (f"The {row['name']} on order {row['order_id']} has a {row['warranty_months']}-month warranty counted from "
             f"{basis} ({long_date(start)}). {verdict}")
    criteria = [
        says("end-date", f"The reply gives the warranty end date {end.isoformat()}", dates=[on(end, warranty_traps(world, row["category"], row["warranty_months"], start, end, bought, row["delivered"]))]),
        status,
        called("checked-warranty", "The agent checked the warranty with checkWarrantyStatus for this order and product",
               "checkWarrantyStatus", {"order_id": row["order_id"], "product_id": row["product_id"]}),
        no_writes(),
    ]
    if no_delivery:
        criteria.insert(2, says("from-purchase", "The reply says the warranty runs from the purchase date (no delivery recorded)",
                                says_any=["purchase date", "date of purchase", "from purchase", "order date", "day you bought", "day it was bought"],
                                never_says=["from the delivery date", "from delivery", "from the date of delivery", "from the delivery"]))
    counted = "the purchase date (no delivery is on record)" if no_delivery else "delivery"

    def build(v: Variety, index: int) -> str:
        if under:
            head = f"Yes, the {row['name']} from order {row['order_id']} is {v.pick(['still under warranty', 'still covered'])}"
            tail = (f"its {row['warranty_months']}-month warranty started at {counted} on {v.date(start)} and "
                    f"{v.pick(['runs until', 'runs through', 'is valid until'])} {v.date(end)}")
        else:
            head = f"The warranty on the {row['name']} (order {row['order_id']}) has {v.pick(['expired', 'run out'])}"
            tail = f"it covered {row['warranty_months']} months from {counted} on {v.date(start)} and ended on {v.date(end)}"
        return f"{head}: {tail}." if index == 0 else f"{tail[0].upper()}{tail[1:]}. {head}."
    return criteria, reply, variants(reply, build)


def product_month_count(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    pairs = world.all(
        "SELECT oi.product_id, substr(o.id, 5, 4) AS ym, COUNT(DISTINCT o.id) AS n, p.name, "
        "SUM(substr(o.created_at, 6, 2) != substr(o.id, 7, 2)) AS crossing, "
        "COUNT(DISTINCT CASE WHEN o.status IN ('cancelled', 'refunded') THEN o.id END) AS dead FROM order_items oi "
        "JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id "
        "GROUP BY 1, 2 HAVING n >= 3 ORDER BY 1, 2")
    rng.shuffle(pairs)
    staff = [e for e in world.employees("department IN ('product_management', 'marketing', 'operations', 'finance')")
             if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for pair in pairs:
        if not staff or not exclusions.allows(pair["product_id"]):
            continue
        year, month = 2000 + int(pair["ym"][:2]), int(pair["ym"][2:])
        first = date(year, month, 1)
        after = date(year + (month == 12), month % 12 + 1, 1)
        orders = [r["id"] for r in world.all(
            "SELECT DISTINCT o.id FROM orders o JOIN order_items oi ON oi.order_id = o.id "
            "WHERE oi.product_id = ? AND substr(o.id, 5, 4) = ? ORDER BY o.id", (pair["product_id"], pair["ym"]))]
        if any(not exclusions.allows(o) for o in orders):
            continue
        employee = staff[rng.randrange(len(staff))]
        cuts = [first, after] if len(orders) < 10 else [first, *(date(year, month, d) for d in (8, 16, 24)), after]
        windows = list(zip(cuts, cuts[1:]))
        calls: list[dict[str, Any]] = [{"tool": "searchProducts", "arguments": {"query": pair["name"]}}]
        for lo, hi in windows:
            start, end = eastern_bounds(lo, hi)
            calls.append({"tool": "searchOrders", "arguments": {"product_id": pair["product_id"], "created_after": start, "created_before": end, "limit": 50}})
        listing = len(orders) <= 5
        difficulty = "hard" if pair["crossing"] or len(orders) >= 10 else ("medium" if listing else "easy")
        month_name = f"{MONTHS[month - 1]} {year}"
        ask_list = pick(rng, [" and list the order ids", ", with the order ids", " (list the ids too)"]) if listing else ""
        core = pick(rng, [
            "How many orders included the {p} in {m}? Count by our business day (US Eastern), every status included{l}.",
            "For a sales review I need the number of orders containing {p} placed in {m}{l}. Every order counts, whatever its status.",
            "Can you count the orders with a {p} on them from {m} (Eastern time){l}? Include cancelled and refunded ones.",
            "How many times was the {p} ordered in {m}? I mean distinct orders, any status, by Eastern date{l}.",
            "Number of orders with the {p} in {m}, please{l}. All statuses count, US Eastern days.",
            "I'm building the monthly report. Orders containing the {p} in {m}: how many{l}? Cancelled and refunded count too.",
            "What's the order count for the {p} in {m} (Eastern business days, all statuses){l}?",
            "Could you tally the orders that had the {p} in {m}{l}? Count every order regardless of status, by US Eastern date.",
        ]).format(p=pair["name"], m=month_name, l=ask_list)
        prompt = compose(rng, core, colleague=True)
        trap_ids = ids_by_type()["search_cap"]
        trap_tags = [tag("search_cap")] if len(orders) > 10 and trap_ids & {pair["product_id"], *orders} else []
        criteria, reply, alternatives = _count_answer(world, pair, orders, month_name)
        if len(orders) >= 10:
            criteria.insert(2, called("narrowed", "The agent narrowed the date window (several order searches for the product), since one search returns at most 10",
                                      "searchOrders", {"product_id": pair["product_id"]}, min_calls=2))
        out.append(Instance("information_retrieval", difficulty, "employee", employee["id"], prompt, calls, reply, criteria,
                            entities=[pair["product_id"], *orders], tags=["search-cap", "time-zone", "count", *trap_tags], alternatives=alternatives))
    return out


EXCLUDED = ["not included", "not counted", "are excluded", "were excluded", "is excluded", "excluding cancelled", "excluding refunded",
            "excluding the cancelled", "excluding the refunded", "left out", "not counting"]


def _count_answer(world: World, pair: dict[str, Any], orders: list[str], month_name: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    """The count criteria: the Eastern-month count, against the capped search, the UTC month and the live orders only."""
    n = len(orders)
    ym = f"20{pair['ym'][:2]}-{pair['ym'][2:]}"
    utc_orders = [r["id"] for r in world.all(
        "SELECT DISTINCT o.id FROM orders o JOIN order_items oi ON oi.order_id = o.id WHERE oi.product_id = ? AND substr(o.created_at, 1, 7) = ? "
        "ORDER BY o.id", (pair["product_id"], ym))]
    wrong = [len(utc_orders), n - pair["dead"]] + ([10] if n > 10 else [])
    stated = [f"{n} orders", f"{n} distinct orders", f"{n} different orders", f"{n} separate orders", f"{n} of them", f"count is {n}",
              f"total of {n}", f"total is {n}", f"{n} in total", f"{n} in all", f"{n} altogether"]
    criteria = [
        says("count", f"The reply gives the count: {n} orders (US Eastern month, every status)", numbers=[num(n, wrong)], says_any=stated,
             never_says=EXCLUDED),
        called("searched-product", "The agent searched orders by the product's id", "searchOrders", {"product_id": pair["product_id"]}),
        says("names-month", f"The reply says which month it counted ({month_name})", kind="completeness", says_any=[month_name]),
        no_writes(),
    ]
    if n <= 5:
        strays = [o for o in utc_orders if o not in orders]
        criteria.insert(1, says("lists-orders", "The reply lists every order id" + (" (and none from outside the Eastern month)" if strays else ""),
                                kind="correctness" if strays else "completeness", says_all=orders, never_says=strays))
    listed = ": " + ", ".join(orders) if n <= 5 else ""
    reply = (f"{n} orders included the {pair['name']} ({pair['product_id']}) in {month_name}, counted by US Eastern date{listed}. "
             "Cancelled and refunded orders are included in that count.")

    def build(v: Variety, index: int) -> str:
        count = v.count(n)
        if index == 0:
            return (f"{count[0].upper()}{count[1:]} orders contained the {pair['name']} in {month_name} (Eastern time, orders of every status "
                    f"counted){listed}.")
        ids = f"Orders with {pair['product_id']} in {month_name}{listed}. " if n <= 5 else ""
        return f"{ids}That makes {count} orders in total for the {pair['name']} in {month_name}, cancelled and refunded ones included, by US Eastern date."
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "order-status": (order_status, 130),
    "warranty-end": (warranty_end, 130),
    "product-month-count": (product_month_count, 90),
}
