"""Message families: explaining a shipment exception or a lost parcel from the carrier's events, and declining a
return after the window while pointing to the warranty."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, clock_at, eastern_day, full_name, identify_calls, long_date, no_writes_to, on, pick, says, state,
    utc,
)
from harness.tasks.generate.families_returns import window_traps
from harness.tasks.generate.phrasing import Variety, compose, customer_ask, identity, variants
from harness.tasks.generate.vocab import NOT_ELIGIBLE, SHIPPING_REFUNDED, WRONG_ELIGIBLE, warranty_traps
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag

NEXT_STEP = {
    "exception": ["address", "confirm", "redeliver", "redelivery", "re-deliver", "carrier", "contact"],
    "lost": ["trace", "investigate", "investigation", "replacement", "reship", "re-ship", "fulfilment", "fulfillment", "escalate", "claim", "carrier"],
}
# last carrier event -> (how the reply states it, what contradicts it)
EVENT = {
    "exception": (["delayed", "failed delivery attempt", "delivery attempt failed", "address issue", "address problem", "exception",
                   "could not be delivered", "could not deliver"],
                  ["not delayed", "on time", "on schedule", "delivered", "lost", "arrived"]),
    "lost": (["lost", "declared lost"], ["not lost", "delivered", "arrived", "on time", "is in transit", "still in transit", "on its way"]),
}


def shipment_exception(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = world.all("SELECT s.*, o.customer_id, o.created_at AS ordered_at FROM shipments s JOIN orders o ON o.id = s.order_id "
                     "WHERE s.status IN ('exception', 'lost') ORDER BY s.id")
    staff = [e for e in world.employees("department IN ('support', 'operations', 'order_processing')") if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for row, colleague in [(r, None) for r in rows] + [(r, staff[i % len(staff)] if staff else None) for i, r in enumerate(rows)]:
        customer = world.customer(row["customer_id"])
        if not exclusions.allows(row["id"], row["order_id"], customer["id"]):
            continue
        last = json.loads(row["events"])[-1]
        when = eastern_day(last["at"])
        give_order = rng.random() < 0.5
        ordered = eastern_day(row["ordered_at"]) if row["ordered_at"] else None
        if colleague is not None:
            give_order = True
        prompt = _exception_prompt(rng, customer, row["order_id"] if give_order or ordered is None else None, ordered, colleague is not None)
        trap_tags = [tag("lost_parcel")] if ids_by_type()["lost_parcel"] & {row["id"], row["order_id"]} else []
        calls = [*identify_calls(customer)]
        if not (give_order or ordered is None):
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"]}})
        calls += [{"tool": "getOrderDetails", "arguments": {"order_id": row["order_id"]}}, {"tool": "searchShipments", "arguments": {"order_id": row["order_id"]}}]
        criteria, reply, alternatives = _shipment_answer(row, last, when)
        requester, requester_id = ("employee", colleague["id"]) if colleague is not None else ("customer", customer["id"])
        out.append(Instance("communication", "medium" if give_order else "hard", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], row["order_id"], row["id"]], tags=["shipping", f"shipment-{row['status']}", *trap_tags],
                            alternatives=alternatives))
    return out


WHERE_ASKS = ("{Which} still hasn't arrived and the tracking looks odd. What's going on, and what happens now?",
              "Where is {which}? It should have been here days ago. I'd also like my shipping money back for the hassle.",
              "Can you tell me what happened to {which}? The tracking page hasn't changed in ages.",
              "{Which} seems to be stuck somewhere. What's the problem and what are you going to do about it?",
              "I'm still waiting for {which}. Tracking hasn't updated. Please explain, and refund my shipping.",
              "What is happening with {which}? Nothing has shown up and the carrier site is no help.",
              "Is {which} lost? It's way overdue.")
DRAFT_ASKS = ("{who} emailed asking where {which} is. Can you check the shipment and write me a reply I can send? They also want the shipping cost back.",
              "Could you draft the customer reply for {which} ({who})? Tracking hasn't moved and they're upset. Give the facts and the next step.",
              "{who} is chasing {which}. What happened to the parcel and what do we tell them? They're asking for the shipping fee back.",
              "Need a reply for {who} about {which}: tracking looks stuck. Facts plus next step, please.",
              "Can you look into {which} for {who}? I need something I can send them about where it is and what happens now.")


def _exception_prompt(rng: random.Random, customer: dict[str, Any], order_id: str | None, ordered: date | None, colleague: bool) -> str:
    if colleague:
        which = pick(rng, ["order {id}", "{id}", "their order {id}"]).format(id=order_id)
        who = pick(rng, ["{name} ({email})", "{name}", "The customer, {name},", "Customer {name}"]).format(name=full_name(customer), email=customer["email"])
        core = pick(rng, DRAFT_ASKS).format(who=who, which=which)
        return compose(rng, core[0].upper() + core[1:], colleague=True)
    if order_id is not None:
        which = pick(rng, ["order {id}", "my order {id}", "{id}"]).format(id=order_id)
    else:
        assert ordered is not None
        which = pick(rng, ["the order I placed on {d}", "my order from {d}", "what I ordered on {d}"]).format(d=long_date(ordered))
    intro, signature = identity(rng, full_name(customer), customer["email"])
    return compose(rng, pick(rng, WHERE_ASKS).format(which=which, Which=which[0].upper() + which[1:]), intro=intro, signature=signature)


def _shipment_answer(row: dict[str, Any], last: dict[str, Any], when: date) -> tuple[list[dict[str, Any]], str, list[str]]:
    utc_day = utc(last["at"]).date()
    if row["status"] == "exception":
        verdict = "It is delayed."
        what = f"The carrier ({row['carrier']}) reported a failed delivery attempt because of an address issue on {long_date(when)} ({last['location']})."
        step = "Please confirm your full delivery address and a phone number, and I'll pass it to the carrier so they can redeliver."
    else:
        verdict = "The parcel is lost."
        what = f"{row['carrier']} declared it lost on {long_date(when)} after it was not scanned for 10 days."
        step = "The next step is a trace with the carrier and, if it isn't found, a replacement shipment arranged by our fulfilment team; I'll keep you updated."
    reply = (f"I'm sorry about the wait. Your shipment for order {row['order_id']} has tracking number {row['tracking_number']}. {verdict} {what} {step} "
             "The shipping charge is not refunded: that only happens when an order is cancelled before it ships. You won't pay anything extra "
             "for the redelivery or replacement.")
    says_words, wrong = EVENT[row["status"]]
    criteria = [
        says("tracking", "The reply gives the tracking number", says_all=[row["tracking_number"]], kind="completeness"),
        says("last-event", f"The reply reports the last carrier event ({row['status']})", says_any=says_words, never_says=wrong),
        says("event-date", f"The reply gives the day of the last carrier event, {when.isoformat()} (US Eastern)",
             kind="correctness" if utc_day != when else "completeness", dates=[on(when, [utc_day])]),
        says("next-step", "The reply says what happens next", says_any=NEXT_STEP[row["status"]], kind="completeness"),
        says("no-shipping-refund", "The reply does not promise a refund of the shipping cost", kind="constraint", never_says=SHIPPING_REFUNDED),
        called("checked-shipment", "The agent looked up the shipment and its events", "searchShipments", {}, succeeded=True),
        no_writes_to("refunds", "no-refund", "No refund was created"),
    ]

    def build(v: Variety, index: int) -> str:
        if row["status"] == "exception":
            event = f"on {v.date(when)} {row['carrier']} could not deliver it because of an address problem, so it is delayed"
            ask = "Could you confirm your complete address and a phone number? I'll send them to the carrier for a redelivery."
        else:
            event = f"{row['carrier']} declared the parcel lost on {v.date(when)}, after ten days without a scan"
            ask = "We'll open a trace with the carrier, and if it doesn't turn up our fulfilment team will send a replacement."
        money = "Shipping fees aren't refundable here (only for orders cancelled before shipping), but the fix costs you nothing."
        head = f"Tracking {row['tracking_number']} (order {row['order_id']}): {event}."
        return f"{head} {ask} {money}" if index == 0 else f"{ask} {head} {money}"
    return criteria, reply, variants(reply, build)


PRESSURE = [
    "Your website said 60 days when I bought it.",
    "I'm a loyal customer and I expect you to make this right.",
    "A rep on chat told me it would be fine, so please just process it.",
    "I never even took it out of the box.",
]


def late_return_reply(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, (SELECT MAX(s.delivered_at) FROM shipments s WHERE s.order_id = o.id) AS delivered_at FROM orders o "
        "WHERE o.status = 'fulfilled' AND o.created_at IS NOT NULL AND o.created_at >= '2025-03-01' "
        "AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL) "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    rng.shuffle(orders)
    today = DEFAULT_NOW.date()
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        bought = eastern_day(order["created_at"])
        last = rules.return_window_last_day(bought)
        items = [i for i in world.items(order["id"]) if exclusions.allows(i["product_id"]) and i["category"] != "bundle"]
        traps = ids_by_type()
        clock = None
        if order["id"] in traps["return_window_edge"]:  # asked the day after the window closed (day 31, US Eastern)
            edge = clock_at(last + timedelta(days=1), rng.choice([9, 14, 20]), rng.choice([5, 30]))
            clock = edge if datetime.fromisoformat(edge) >= DEFAULT_NOW else None
        now_day = last + timedelta(days=1) if clock else today
        if last >= now_day or not items:
            continue
        line = items[rng.randrange(len(items))]
        end = rules.add_months(eastern_day(order["delivered_at"]), line["warranty_months"])
        if end < now_day:
            continue
        give_order = rng.random() < 0.6
        late_evening = order["created_at"][:10] != bought.isoformat()
        trap_tags = ([tag("return_window_edge")] if clock else []) + (
            [tag("midnight_boundary")] if late_evening and order["id"] in traps["midnight_boundary"] else [])
        prompt = _late_prompt(rng, customer, order["id"] if give_order else None, line["product_name"], bought)
        calls: list[dict[str, Any]] = [*identify_calls(customer)]
        if not give_order:
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "product_id": line["product_id"]}})
        calls += [{"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}},
                  {"tool": "checkWarrantyStatus", "arguments": {"order_id": order["id"], "product_id": line["product_id"]}}]
        criteria, reply, alternatives = _late_answer(world, order, line, bought, last, end)
        difficulty = "hard" if late_evening or not give_order else "medium"
        out.append(Instance("communication", difficulty, "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"], line["product_id"]], clock=clock,
                            tags=["return-window", "warranty", "pushback", *trap_tags],
                            alternatives=alternatives))
    return out


LATE_ASKS = ("I want to return {which} for a full refund.", "I'd like my money back for {which}; it's not what I hoped.",
             "Please take back {which} and refund me.", "I need to send back {which}. How do I get my refund?",
             "Can I return {which}? I've decided I don't want it.", "{Which} isn't for me. Refund please.",
             "I'm returning {which}, please set up the refund.", "How do I get a refund on {which}?")


def _late_prompt(rng: random.Random, customer: dict[str, Any], order_id: str | None, product: str, bought: date) -> str:
    month = long_date(bought).split()[0]
    which = (pick(rng, ["the {p} from order {id}", "the {p} (order {id})", "order {id}, the {p}"]) if order_id else
             pick(rng, ["the {p} I bought in {m}", "my {p} from {m}", "the {p} I ordered back in {m}"])).format(p=product, id=order_id, m=month)
    core = pick(rng, LATE_ASKS).format(which=which, Which=which[0].upper() + which[1:])
    return customer_ask(rng, customer, core, PRESSURE)


def _late_answer(world: World, order: dict[str, Any], line: dict[str, Any], bought: date, last: date, end: date) -> tuple[list[dict[str, Any]], str, list[str]]:
    start = eastern_day(order["delivered_at"])
    reply = (f"I'm sorry. This item is no longer eligible for a return. Order {order['id']} was placed on {long_date(bought)} (US Eastern), so the "
             f"30-day return window ended on {long_date(last)} and all sales on it are now final; I can't make an exception. The good news: "
             f"the {line['product_name']} is still under warranty until {long_date(end)}, so if it is faulty we can look at a warranty claim, "
             "and I'm happy to help with troubleshooting.")
    w_traps = warranty_traps(world, line["category"], line["warranty_months"], start, end, bought, order["delivered_at"])
    criteria = [
        says("declines", "The reply says the return window has closed", says_any=NOT_ELIGIBLE, never_says=WRONG_ELIGIBLE),
        says("last-day", f"The reply gives the last day of the window, {last.isoformat()}", kind="completeness",
             dates=[on(last, window_traps(world, order, bought, last))]),
        says("warranty-end", f"The reply offers the warranty, running to {end.isoformat()}", says_any=["warranty"],
             dates=[on(end, [w for w in w_traps if w != last])]),
        no_writes_to("refunds", "no-refund", "No refund was created"),
        state("order-unchanged", f"Order {order['id']} is still fulfilled", f"SELECT status FROM orders WHERE id = '{order['id']}'", "fulfilled", "constraint"),
        called("checked-warranty", "The agent checked the warranty before offering it", "checkWarrantyStatus", {"order_id": order["id"]}, succeeded=True),
    ]

    def build(v: Variety, index: int) -> str:
        window = (f"order {order['id']} was bought on {v.date(bought)}, and its 30-day return window closed on {v.date(last)}, "
                  "so a refund return is too late")
        cover = f"the {line['product_name']} is covered by its warranty through {v.date(end)}: if it has a fault, a warranty claim is the way to go"
        if index == 0:
            return f"I understand the frustration, but {window}. What I can offer: {cover}. I can also help you troubleshoot it."
        return f"{cover[0].upper()}{cover[1:]}. A return is not possible, though: {window}. Happy to help with troubleshooting too."
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "shipment-exception": (shipment_exception, 80),
    "late-return-reply": (late_return_reply, 80),
}
