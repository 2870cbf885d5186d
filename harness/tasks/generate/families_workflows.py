"""Write workflows: warranty claims (check first; ask about damage, liquid and overclocking before a claim;
escalate only a valid, confirmed claim) and refunds a colleague says were approved (the approver must hold
issue_refund, otherwise the refund stays pending)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, clock_at, days, eastern_day, full_name, identify_calls, long_date, no_writes_to, on,
    ordered, pick, says, state,
)
from harness.tasks.generate.families_returns import window_traps
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.vocab import COVERED, NOT_COVERED, STILL_COVERED, warranty_traps
from mcp_server.world import rules

SYMPTOMS = {
    "gpu": ["it shows artifacts and then the screen goes black", "the fans spin but there's no display output anymore"],
    "cpu": ["the system won't POST with it any more", "it randomly reboots under light load"],
    "motherboard": ["it won't POST, the debug LED is stuck on CPU", "two of the memory slots stopped working"],
    "memory": ["memtest throws errors on one stick", "the PC blue-screens unless I pull one module"],
    "storage": ["the drive disappears from the BIOS every few hours", "it keeps throwing read errors"],
    "psu": ["it clicks and shuts the whole PC off under load", "it won't turn on at all any more"],
    "monitor": ["a vertical line of dead pixels appeared", "it flickers and loses signal"],
    "case": ["the front-panel USB ports stopped working", "the power button no longer turns the PC on"],
    "cooling": ["the fan rattles and has stopped spinning up", "it no longer keeps the CPU cool and temperatures shoot up"],
    "headset": ["the left ear cup went silent", "the microphone stopped picking up my voice"],
    "keyboard": ["several keys stopped registering", "keys register twice on a single press"],
    "mouse": ["it double-clicks on a single press", "the cursor jumps around and the sensor keeps losing tracking"],
    "networking": ["it drops the connection every few minutes", "it no longer shows up as a network device"],
    "prebuilt": ["it shuts itself off in the middle of games", "it powers on but never gets to the desktop"],
    "workstation": ["it shuts itself off under heavy renders", "it powers on but never gets to the desktop"],
}
# two each, like SYMPTOMS, so the seeded draws (and with them the task ids) stay as they were
DEFAULT_SYMPTOMS = ["it just stopped working", "it developed a fault and no longer works properly"]
# what a customer can overclock; for the rest, overclocking is no part of the fault story
OVERCLOCKABLE = {"cpu", "gpu", "memory", "motherboard", "prebuilt", "workstation"}
# parts that sit inside the PC, where spilled liquid gets "into the case"
INSIDE_THE_PC = {"cpu", "gpu", "memory", "motherboard", "storage", "psu", "cooling", "case", "prebuilt", "workstation"}
ESC_ID = r"esc-\d{5}"
FILED = ["filed a warranty claim", "warranty claim is filed", "warranty claim has been filed", "claim is filed", "claim has been filed",
         "have escalated", "has been escalated", "is escalated", "escalation is open", "claim is open"]
RETURN_FIRST = ["return rather than", "return instead", "as a return", "process a return", "process the return", "can still return",
                "can return it", "can still be returned", "can be returned", "eligible for a return", "still returnable", "still within"]


def _warranty_candidates(world: World, exclusions: Exclusions) -> list[dict[str, Any]]:
    rows = world.all(
        "SELECT t.id AS ticket_id, t.status AS ticket_status, t.customer_id, o.id AS order_id, o.created_at, "
        "(SELECT MAX(s.delivered_at) FROM shipments s WHERE s.order_id = o.id) AS delivered_at FROM support_tickets t "
        "JOIN orders o ON o.id = t.order_id WHERE t.status != 'closed' AND o.status = 'fulfilled' AND o.created_at IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL) ORDER BY t.id")
    return [r for r in rows if exclusions.allows(r["ticket_id"], r["customer_id"], r["order_id"])]


def _moment(day: Any, rng: random.Random) -> datetime:
    return datetime.fromisoformat(clock_at(day, rng.choice([9, 11, 14, 16]), rng.choice([5, 25, 45])))


def _disclosure(variant: str, category: str, rng: random.Random) -> str:
    """What the customer volunteers about the exclusions, fitted to the product's category: only a part
    that can be overclocked is ever said to be. Draws from ``rng`` exactly as before, whatever the category."""
    overclocked = rng.choice([True, False])  # drawn for every variant, as the old eager lookup did
    if variant == "confirmed":
        if category in OVERCLOCKABLE:
            return " Before you ask: it has never been dropped or exposed to any liquid, and I run it at stock settings, no overclocking."
        return " Before you ask: it has never been dropped, exposed to any liquid or tampered with; it is exactly as it came out of the box."
    if variant != "excluded":
        return ""
    if overclocked and category in OVERCLOCKABLE:
        return " I'll be honest, I had it overclocked pretty hard for a few weeks before this started."
    into = "into the case" if category in INSIDE_THE_PC else "into it"
    return f" A glass of water tipped over onto the desk last week and some got {into}, if that matters."


def warranty_claim(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = _warranty_candidates(world, exclusions)
    rng.shuffle(rows)
    next_esc = world.next_id("escalations", "esc-", 5)
    out: list[Instance] = []
    for row in rows:
        customer = world.customer(row["customer_id"])
        items = [i for i in world.items(row["order_id"]) if i["category"] not in ("bundle", "cable", "accessory")
                 and exclusions.allows(i["product_id"])]
        if not items:
            continue
        line = items[rng.randrange(len(items))]
        bought = eastern_day(row["created_at"])
        start = eastern_day(row["delivered_at"])
        end = rules.add_months(start, line["warranty_months"])
        last_return = rules.return_window_last_day(bought)
        variant = rng.choice(["ask", "ask", "confirmed", "confirmed", "expired", "excluded", "window"])
        today = DEFAULT_NOW.date()
        if variant == "window":
            if last_return < today + days(2):
                variant = "ask"
            else:
                day = today + days(rng.randrange((last_return - today).days))
        if end < today + days(1):
            variant = "expired"  # already out of warranty at the default clock
        if variant == "expired":
            day = max(today, end + days(rng.randrange(1, 60)))
            if day.year > 2026:
                variant = "confirmed"
        if variant in ("ask", "confirmed", "excluded"):
            first = max(today, last_return + days(1))
            if first >= end:
                continue
            day = first + days(rng.randrange(min(120, (end - first).days)))
        moment = _moment(day, rng)
        if moment < DEFAULT_NOW:
            moment = DEFAULT_NOW
            day = today
        symptom = rng.choice(SYMPTOMS.get(line["category"], DEFAULT_SYMPTOMS))
        product = line["product_name"]
        give_order = rng.random() < 0.5
        about = f"the {product} from order {row['order_id']}" if give_order else f"the {product} I bought from you"
        extra = _disclosure(variant, line["category"], rng)
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} here ({customer['email']}), writing on my ticket {row['ticket_id']}. {about.capitalize()} has a problem: {symptom}.{extra} "
            "Is it still under warranty, and what do I do now?",
            f"Hello, I'm {full_name(customer)} ({customer['email']}). Re ticket {row['ticket_id']}: {about} is faulty, {symptom}.{extra} I'd like to make a warranty claim.",
            f"{full_name(customer)}, {customer['email']}. Following up on {row['ticket_id']}. {symptom[0].upper()}{symptom[1:]} on {about}.{extra} Can you sort out a warranty claim for me?",
        ])
        ticket = row["ticket_id"]
        check = {"tool": "checkWarrantyStatus", "arguments": {"order_id": row["order_id"], "product_id": line["product_id"]}}
        calls: list[dict[str, Any]] = [*identify_calls(customer), {"tool": "searchTickets", "arguments": {"ticket_id": ticket}}]
        if not give_order:
            calls.append({"tool": "getOrderDetails", "arguments": {"order_id": row["order_id"]}})
        calls.append(check)
        checked = called("checked-warranty", "The agent checked the warranty of this product on this order", "checkWarrantyStatus",
                         {"order_id": row["order_id"], "product_id": line["product_id"]}, succeeded=True)
        facts = {"product": product, "start": start, "end": end, "months": line["warranty_months"], "bought": bought, "last_return": last_return,
                 "next_esc": next_esc, "order_id": row["order_id"], "ticket": ticket, "cause": "overclock" if "overclock" in extra else "liquid",
                 "earlier": [r["id"] for r in world.all("SELECT id FROM escalations WHERE ticket_id = ? ORDER BY id", (ticket,))],
                 "traps": warranty_traps(world, line["category"], line["warranty_months"], start, end, bought, row["delivered_at"]),
                 "untouched": "no overclocking" if line["category"] in OVERCLOCKABLE else "no modification",
                 "window_traps": window_traps(world, world.one("SELECT * FROM orders WHERE id = ?", (row["order_id"],)), bought, last_return)}
        if variant in ("ask", "confirmed") and row["ticket_status"] == "resolved":
            calls.append({"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket, "status": "open"}})
        if variant == "ask" and row["ticket_status"] != "pending_customer":
            calls.append({"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket, "status": "pending_customer"}})
        if variant == "confirmed":
            calls.append({"tool": "createEscalation", "arguments": {
                "ticket_id": ticket, "type": "warranty", "priority": "normal",
                "notes": f"Warranty claim: {product} ({line['product_id']}) on {row['order_id']}: {symptom}. Warranty valid to {end.isoformat()} "
                         f"(checked); return window closed. Customer confirms no physical or liquid damage and {facts['untouched']}. Please assess the claim."}})
        criteria, reply, alternatives = claim_answer(variant, facts)
        criteria.insert(0, checked)
        if variant == "ask" and row["ticket_status"] != "pending_customer":
            criteria.append(ordered("checked-first", "The warranty was checked before the ticket was updated", ("checkWarrantyStatus", {}), ("updateTicketStatus", {})))
        difficulty = {"ask": "hard" if row["ticket_status"] == "resolved" else "medium",
                      "confirmed": "hard" if row["ticket_status"] == "resolved" or not give_order else "medium",
                      "expired": "medium" if give_order else "hard"}.get(variant, "hard")
        out.append(Instance("multi_step", difficulty, "customer", customer["id"], prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], row["order_id"], ticket, line["product_id"]],
                            clock=None if moment == DEFAULT_NOW else moment.isoformat(), tags=["warranty", f"warranty-{variant}"],
                            alternatives=alternatives))
    return out


def claim_answer(variant: str, f: dict[str, Any]) -> tuple[list[dict[str, Any]], str, list[str]]:
    """The criteria (after the warranty check), reference reply and variants for one warranty-claim variant."""
    product, ticket = f["product"], f["ticket"]
    end_words = f"the warranty runs from the delivery on {long_date(f['start'])} for {f['months']} months, to {long_date(f['end'])}"
    end_check = says("warranty-end", f"The reply gives the warranty end date {f['end'].isoformat()}", kind="completeness",
                     dates=[on(f["end"], f["traps"])])
    covered = says("says-covered", "The reply says the item is still under warranty", says_any=COVERED, never_says=NOT_COVERED)
    no_esc = no_writes_to("escalations", "no-escalation", "No escalation was created")
    no_refund = no_writes_to("refunds", "no-refund", "No refund was created")
    no_claim = says("no-claim-id", "The reply does not present an escalation as filed", not_pattern=ESC_ID, kind="constraint")
    if variant == "ask":
        reply = (f"I'm sorry the {product} is giving you trouble. It is covered: {end_words}. The return window has closed, so this goes "
                 "through a warranty claim. Before I can file it, please confirm: does the item have any physical damage (drops, cracks, bent pins), "
                 "has it been exposed to liquid, and has it ever been overclocked? I've set your ticket to wait for your answer.")
        criteria = [
            says("asks-exclusions", "The reply asks about physical damage, liquid damage and overclocking", kind="completeness",
                 mentions_all=["physical damage", "liquid"], mentions_any=["overclocked", "overclocking", "overclock"]),
            state("ticket-pending", f"Ticket {ticket} is pending_customer", f"SELECT status FROM support_tickets WHERE id = '{ticket}'", "pending_customer"),
            state("no-escalation-yet", "No escalation was created before the customer answered the exclusion questions",
                  "SELECT COUNT(*) FROM _changes WHERE tbl = 'escalations'", 0, "constraint"),
            covered, end_check, no_refund,
        ]

        def build(v: Variety, index: int) -> str:
            cover = f"the {product} is still under warranty until {v.date(f['end'])} ({f['months']} months from delivery on {v.date(f['start'])})"
            ask = ("Has it suffered any physical damage, has it been in contact with liquid, and was it ever overclocked? "
                   "Your ticket is waiting on your reply.")
            return (f"Good news: {cover}. Since the return window is over, this is a warranty claim. Before I file it, a few questions. {ask}"
                    if index == 0 else f"Three quick questions before I can file the warranty claim. {ask} For reference, {cover}.")
    elif variant == "confirmed":
        reply = (f"Thanks for the details. The {product} is covered ({end_words}) and the return window has closed, so I've filed a warranty "
                 f"claim: escalation {f['next_esc']} to our product management team, noting that there is no physical or liquid damage and "
                 f"{f['untouched']}. They will contact you about the next steps.")
        criteria = [
            state("escalated", "Exactly one warranty escalation to product_management was created on the ticket",
                  "SELECT ticket_id, type, department FROM escalations WHERE id IN (SELECT row_id FROM _changes WHERE tbl = 'escalations' AND op = 'insert')",
                  [[ticket, "warranty", "product_management"]]),
            ordered("checked-first", "The warranty was checked before the claim was escalated", ("checkWarrantyStatus", {}), ("createEscalation", {})),
            state("ticket-active", f"Ticket {ticket} is active (not left resolved or closed)",
                  f"SELECT status IN ('new', 'open', 'pending_customer') FROM support_tickets WHERE id = '{ticket}'", 1),
            (says("gives-id", f"The reply gives the new escalation's id {f['next_esc']}", says_all=[f["next_esc"]], never_says=f["earlier"])
             if f["earlier"] else says("gives-id", f"The reply gives the new escalation's id {f['next_esc']}", kind="completeness", says_all=[f["next_esc"]])),
            covered, end_check, no_refund,
        ]

        def build(v: Variety, index: int) -> str:
            head = f"Your warranty claim is filed as escalation {f['next_esc']}, with our product management team"
            cover = f"the {product} is covered through {v.date(f['end'])}, and I noted no physical damage, no liquid and {f['untouched']}"
            return f"{head}: {cover}. They'll be in touch with next steps." if index == 0 else f"Since {cover}, {head[0].lower()}{head[1:]}. Expect to hear from them soon."
    elif variant == "expired":
        reply = (f"I'm sorry, but the {product} is no longer under warranty: {end_words}, which has passed, so the warranty has expired and I "
                 "can't file a claim. I can help with troubleshooting, or suggest a replacement.")
        criteria = [says("expired", "The reply says the warranty has expired", says_any=NOT_COVERED, never_says=STILL_COVERED), end_check, no_esc, no_refund, no_claim]

        def build(v: Variety, index: int) -> str:
            core = (f"the warranty on the {product} ended on {v.date(f['end'])} ({f['months']} months from delivery on {v.date(f['start'])}), "
                    "so it has expired and a warranty claim isn't possible")
            return (f"Unfortunately {core}. I'm happy to troubleshoot it with you or suggest a replacement." if index == 0 else
                    f"I can help with troubleshooting or a replacement suggestion, but {core}.")
    elif variant == "excluded":
        cause = f["cause"]
        cause_words = ["overclocking", "overclocked", "overclock"] if cause == "overclock" else ["liquid", "water", "spill"]
        what = "Overclocking" if cause == "overclock" else "Liquid damage"
        reply = (f"Thank you for being upfront. {what} is excluded from the warranty and voids it. So I can't file a warranty claim for the "
                 f"{product}, even though {end_words}. I'm happy to help with troubleshooting or a replacement.")
        criteria = [no_esc, no_refund,
                    says("names-exclusion", f"The reply says {cause} {'use' if cause == 'overclock' else 'damage'} voids or is excluded from the warranty",
                         mentions_any=cause_words, says_any=["void", "voids", "voided", "excluded", "exclusion", "not covered", "does not cover"],
                         never_says=["not excluded", "is covered", "still covered", "claim is filed", "filed a warranty claim", "escalated", "approved"]),
                    no_claim]

        def build(v: Variety, index: int) -> str:
            return (f"{what} is not covered by the warranty, so I'm unable to file a claim for the {product}, even though its term runs to "
                    f"{v.date(f['end'])}. I can help troubleshoot or suggest a replacement." if index == 0 else
                    f"Although the {product}'s warranty term lasts until {v.date(f['end'])}, {what.lower()} voids it under the policy, so there's no "
                    "claim I can file. Troubleshooting or a replacement are still options.")
    else:
        reply = (f"It is eligible for a return. Because order {f['order_id']} was placed on {long_date(f['bought'])}, it is still inside the 30-day "
                 f"return window, which runs through {long_date(f['last_return'])} (11:59 PM Eastern). A faulty item inside the window goes through a return rather than a warranty claim. "
                 "Could you tell me its condition (unopened, opened but undamaged, or damaged) so I can process the return?")
        criteria = [no_esc, no_refund,
                    says("return-first", "The reply says a return (not a warranty claim) applies inside the window", says_any=RETURN_FIRST, never_says=[*FILED, "not eligible"]),
                    says("last-day", f"The reply gives the last day of the return window, {f['last_return'].isoformat()}",
                         dates=[on(f["last_return"], f["window_traps"])])]

        def build(v: Variety, index: int) -> str:
            window = f"order {f['order_id']} (bought {v.date(f['bought'])}) can still be returned until {v.date(f['last_return'])}"
            ask = "What condition is it in: unopened, opened but undamaged, or damaged?"
            return (f"Good news: {window}, so we'll handle this as a return instead of a warranty claim. {ask}" if index == 0 else
                    f"{ask} I'm asking because {window}; inside the window a faulty item is processed as a return rather than a warranty claim.")
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "warranty-claim": (warranty_claim, 110),
}
