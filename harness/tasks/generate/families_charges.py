"""Payment and parcel families: how many times a customer was charged when a failed attempt preceded the
captured payment (trap type failed_then_captured), and where a parcel is when the carrier lost it or hit an
exception, with the next step policy sets (trap type lost_parcel)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, allowed_staff, called, eastern_day, full_name, long_date, money, no_writes, no_writes_to, num, on, says,
    state, utc,
)
from harness.tasks.generate.families_trapkit import asker, colleague_prompt, customer_prompt, planted_first, trap_tags
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.voices import one_of

FAILED_THEN_CAPTURED = "failed_then_captured"
LOST = "lost_parcel"
ONCE = ["charged once", "charged only once", "only charged once", "only once", "one charge", "a single charge", "single charge",
        "only one charge", "1 charge", "only one payment went through", "only one took money", "only one went through", "once"]
TWICE = ["charged twice", "billed twice", "double charged", "two charges", "2 charges", "charged two times", "both went through",
         "both were charged", "both payments went through", "both attempts went through", "a double charge", "not charged once",
         "not only once"]
FAILED = ["failed", "declined", "did not go through", "was refused", "bounced", "was rejected"]
NOT_FAILED = ["not failed", "did not fail", "was not declined", "both went through", "went through twice"]


# --- payment-attempts ----------------------------------------------------------------------------


def payment_attempts(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = world.all(
        "SELECT o.id AS order_id, o.customer_id, f.id AS failed_id, f.amount AS failed_amount, f.created_at AS failed_at, "
        "c.id AS captured_id, c.amount AS captured_amount, c.created_at AS captured_at, c.method, c.card_last4, "
        "(SELECT t.id FROM support_tickets t WHERE t.order_id = o.id AND t.type = 'billing' AND t.status IN ('new', 'open', 'pending_customer') "
        " ORDER BY t.id LIMIT 1) AS ticket_id FROM orders o "
        "JOIN payments f ON f.order_id = o.id AND f.status = 'failed' "
        "JOIN payments c ON c.order_id = o.id AND c.status = 'captured' AND c.created_at > f.created_at "
        "WHERE (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id) = 2 ORDER BY o.id")
    rng.shuffle(rows)
    rows = planted_first(rows, FAILED_THEN_CAPTURED, lambda r: (r["order_id"], r["failed_id"], r["captured_id"], r["ticket_id"]))
    colleagues = allowed_staff(world, exclusions, "department = 'finance' OR support_role IS NOT NULL")
    out: list[Instance] = []
    for row in rows:
        customer = world.customer(row["customer_id"])
        if not exclusions.allows(row["order_id"], customer["id"], row["ticket_id"]):
            continue
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.6)
        about = f"ticket {row['ticket_id']} (order {row['order_id']})" if row["ticket_id"] and rng.random() < 0.6 else f"order {row['order_id']}"
        if voice.colleague:
            core = one_of(rng, [
                f"How many times was {full_name(customer)} actually charged for {about}, and how much money left their account?",
                f"The customer on {about} says they see two payments. Were they charged twice? I need the number of charges and the amount taken.",
                f"Finance question on {about}: count the real charges and give me the amount actually collected. Don't refund or change anything.",
                f"Before I answer {customer['email']} about {about}: how many charges went through and for how much?",
            ])
            prompt = colleague_prompt(rng, voice, core)
        else:
            mine = about.replace("ticket", "my ticket")
            core = one_of(rng, [
                f"My banking app shows two payments for {mine}. How many times did you actually charge me, and how much did you take?",
                f"I think I paid twice for {mine}. How much money actually left my account?",
                f"Can you tell me exactly how many charges there were on {mine} and the total I paid? I'm confused by my statement.",
            ])
            prompt = customer_prompt(rng, voice, core, customer)
        calls: list[dict[str, Any]] = []
        if requester == "customer":
            calls.append({"tool": "searchCustomers", "arguments": {"email": customer["email"]}})
        calls.append({"tool": "searchPayments", "arguments": {"order_id": row["order_id"]}})
        criteria, reply, alternatives = _attempts_answer(row)
        out.append(Instance("reasoning", "medium", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], row["order_id"], row["failed_id"], row["captured_id"], *([row["ticket_id"]] if row["ticket_id"] else [])],
                            tags=["billing", "payments", *trap_tags(FAILED_THEN_CAPTURED, row["order_id"], row["failed_id"], row["captured_id"], row["ticket_id"])],
                            alternatives=alternatives))
    return out


def _attempts_answer(row: dict[str, Any]) -> tuple[list[dict[str, Any]], str, list[str]]:
    taken = Decimal(str(row["captured_amount"]))
    both = taken + Decimal(str(row["failed_amount"]))
    paid_on = long_date(eastern_day(row["captured_at"])) if row["captured_at"] else None
    reply = (f"There were two payment attempts on order {row['order_id']}, but the customer was charged once. Attempt {row['failed_id']} "
             f"failed (declined by the bank), so it took no money. Payment {row['captured_id']} for {money(taken)} was captured"
             + (f" on {paid_on}" if paid_on else "") + f": {money(taken)} is the only amount that left the account. It is not a double "
             "charge and no refund is due; any temporary hold from the declined attempt drops off on its own.")
    criteria = [
        says("charged-once", "The reply says there was one charge, not two", says_any=ONCE, never_says=TWICE),
        says("amount", f"The reply gives the amount actually taken, {money(taken)} (not {money(both)})", numbers=[num(taken, [both])]),
        says("failed-attempt", f"The reply explains that attempt {row['failed_id']} failed and took nothing", says_any=FAILED, never_says=NOT_FAILED),
        called("checked-payments", "The agent listed every payment of the order (the order record shows only the latest)", "searchPayments",
               {"order_id": row["order_id"]}),
        no_writes("no-changes", "No refund or payment change was made"),
    ]

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return (f"Only one charge went through on {row['order_id']}: {row['captured_id']} for {v.money(taken)}. The other attempt, "
                    f"{row['failed_id']}, was declined and took nothing, so {v.money(taken)} is all that was paid. No refund is due.")
        return (f"{v.money(taken)}, charged once. The first attempt on order {row['order_id']} ({row['failed_id']}) failed; the second "
                f"({row['captured_id']}) was captured. The pending hold from the failed one disappears by itself.")
    return criteria, reply, variants(reply, build)


# --- lost-parcel-followup ------------------------------------------------------------------------

STATUS_WORDS = {
    "lost": (["lost", "declared lost", "missing"], ["not lost", "delivered", "arrived", "on its way", "on the way", "is in transit",
                                                    "still in transit", "on schedule", "will arrive", "should arrive"]),
    "exception": (["exception", "delayed", "delivery attempt failed", "failed delivery attempt", "could not be delivered",
                   "could not deliver", "address issue", "address problem", "held up"],
                  ["not delayed", "delivered", "arrived", "on schedule", "on time", "lost", "no problem"]),
}
NEXT_STEPS = {
    "lost": ["trace", "investigate", "investigation", "replacement", "replace", "reship", "re-ship", "escalated", "escalate", "fulfilment",
             "fulfillment", "order processing"],
    "exception": ["confirm", "address", "redeliver", "redelivery", "re-deliver", "carrier", "contact"],
}
PREMISES = {
    "lost": ["The tracking page said it was on its way, so when will it get here?", "I was told it would arrive this week; is it still coming?",
             "Where is my parcel? It should have been here by now.", "Is my package still on the way? Nothing has shown up."],
    "exception": ["Tracking hasn't moved in days. Is it still coming?", "Where is my parcel? The tracking shows some kind of problem.",
                  "It was supposed to be delivered already. What's happening?"],
}


def lost_parcel_followup(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = world.all(
        "SELECT s.*, o.customer_id, (SELECT t.id FROM support_tickets t WHERE t.order_id = o.id AND t.type IN ('shipping', 'order_issue') "
        "AND t.status IN ('new', 'open', 'pending_customer') ORDER BY t.id LIMIT 1) AS ticket_id FROM shipments s "
        "JOIN orders o ON o.id = s.order_id WHERE s.status IN ('lost', 'exception') "
        "AND (SELECT COUNT(*) FROM shipments x WHERE x.order_id = s.order_id) = 1 ORDER BY s.id")
    rng.shuffle(rows)
    rows = planted_first(rows, LOST, lambda r: (r["id"], r["order_id"], r["ticket_id"]))
    colleagues = allowed_staff(world, exclusions)
    next_esc = world.next_id("escalations", "esc-", 5)
    out: list[Instance] = []
    for row in rows:
        customer = world.customer(row["customer_id"])
        if not exclusions.allows(row["id"], row["order_id"], customer["id"], row["ticket_id"]):
            continue
        requester, requester_id, voice = asker(rng, customer, colleagues, 0.5)
        ticket = row["ticket_id"]
        premise = one_of(rng, PREMISES[row["status"]])
        if voice.colleague:
            handle = " Please handle it as policy says and tell me what you did." if ticket else " What do I tell them, and what happens next?"
            core = one_of(rng, [
                f"{full_name(customer)} ({customer['email']}) is asking where order {row['order_id']} is" + (f" (ticket {ticket})." if ticket else ".") + handle,
                (f"Ticket {ticket}: customer wants to know where their parcel is." if ticket else f"Customer {customer['email']} chasing order {row['order_id']}.")
                + f" They wrote: \"{premise}\"" + handle,
                f"Can you look into the shipment for {row['order_id']}? The customer thinks it's still on its way." + handle,
            ])
            prompt = colleague_prompt(rng, voice, core)
        else:
            ref = f"order {row['order_id']}" + (f" (ticket {ticket})" if ticket and rng.random() < 0.6 else "")
            core = one_of(rng, [f"About {ref}: {premise}", f"{premise} It's {ref}.", f"I'm following up on {ref}. {premise} What happens now?"])
            prompt = customer_prompt(rng, voice, core, customer)
        calls: list[dict[str, Any]] = []
        if requester == "customer":
            calls.append({"tool": "searchCustomers", "arguments": {"email": customer["email"]}})
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": row["order_id"]}})
        escalate = row["status"] == "lost" and ticket is not None
        if escalate:
            calls.append({"tool": "createEscalation", "arguments": {
                "ticket_id": ticket, "type": "order_fulfillment", "priority": "high",
                "notes": (f"Shipment {row['id']} (tracking {row['tracking_number']}, {row['carrier']}) for order {row['order_id']} was declared lost "
                          "by the carrier. Please open a trace with the carrier and send a replacement if it is not found.")}})
        criteria, reply, alternatives = _parcel_answer(row, ticket if escalate else None, next_esc)
        out.append(Instance("multi_step" if escalate else "communication", "hard" if escalate else "medium", requester, requester_id, prompt,
                            calls, reply, criteria, entities=[customer["id"], row["order_id"], row["id"], *([ticket] if ticket else [])],
                            tags=["shipping", f"shipment-{row['status']}", *trap_tags(LOST, row["id"], row["order_id"], ticket)],
                            alternatives=alternatives))
    return out


def _parcel_answer(row: dict[str, Any], escalated: str | None, next_esc: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    last = json.loads(row["events"])[-1]
    when, utc_day = eastern_day(last["at"]), utc(last["at"]).date()
    lost = row["status"] == "lost"
    if lost:
        status = f"I'm sorry: the parcel is lost. {row['carrier']} declared it lost on {long_date(when)} (tracking {row['tracking_number']})."
        step = (f"I have escalated ticket {escalated} to order processing (escalation {next_esc}) to trace it with the carrier and send a "
                "replacement if it is not found." if escalated else
                "The next step is a trace with the carrier and, if it is not found, a replacement from our fulfilment team.")
    else:
        status = (f"The parcel is delayed: {row['carrier']} reported a delivery exception on {long_date(when)} "
                  f"({last['note'].rstrip('.')}; tracking {row['tracking_number']}).")
        step = "Please confirm your full delivery address and a phone number so the carrier can redeliver it."
    reply = f"{status} It is not on its way to you at the moment. {step} You won't pay anything extra for this."
    words, wrong = STATUS_WORDS[row["status"]]
    criteria = [
        says("status", f"The reply says the shipment is {row['status']} (not on its way)", says_any=words, never_says=wrong),
        says("tracking", "The reply gives the tracking number", kind="completeness", says_all=[row["tracking_number"]]),
        says("event-date", f"The reply gives the day of the carrier's last event, {when.isoformat()} (US Eastern)",
             kind="correctness" if utc_day != when else "completeness", dates=[on(when, [utc_day])]),
        says("next-step", "The reply says what happens next", kind="completeness", says_any=NEXT_STEPS[row["status"]]),
    ]
    if escalated:
        criteria.append(state("escalated", f"Ticket {escalated} was escalated to order fulfilment (order processing)",
                              f"SELECT COUNT(*) >= 1 FROM escalations WHERE ticket_id = '{escalated}' AND type = 'order_fulfillment'", 1))
        criteria.append(no_writes_to("refunds", "no-refund", "No refund was created"))
    else:
        criteria.append(no_writes())

    def build(v: Variety, index: int) -> str:
        if lost:
            head = f"{row['carrier']} declared the parcel for {row['order_id']} lost on {v.date(when)} (tracking {row['tracking_number']})"
            tail = (f"I've escalated {escalated} to our order processing team ({next_esc}) for a carrier trace and a replacement" if escalated
                    else "we'll have it traced with the carrier and, failing that, our fulfilment team sends a replacement")
        else:
            head = (f"your parcel for {row['order_id']} is delayed: the carrier logged a failed delivery attempt on {v.date(when)} "
                    f"(tracking {row['tracking_number']})")
            tail = "could you confirm your complete address and a phone number? The carrier will then redeliver"
        return f"{head[0].upper()}{head[1:]}. {tail[0].upper()}{tail[1:]}." if index == 0 else f"Sorry for the trouble: {head}, so {tail}."
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "payment-attempts": (payment_attempts, 45),
    "lost-parcel-followup": (lost_parcel_followup, 45),
}
