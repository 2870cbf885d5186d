"""Write workflows: warranty claims (check first; ask about damage, liquid and overclocking before a claim;
escalate only a valid, confirmed claim) and refunds a colleague says were approved (the approver must hold
issue_refund, otherwise the refund stays pending)."""

from __future__ import annotations

import json
import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, clock_at, date_pattern, days, eastern_day, full_name, identify_calls,
    long_date, money, no_writes_to, ordered, pick, says, state,
)
from mcp_server.world import rules

SYMPTOMS = {
    "gpu": ["it shows artifacts and then the screen goes black", "the fans spin but there's no display output anymore"],
    "cpu": ["the system won't POST with it any more", "it randomly reboots under light load"],
    "motherboard": ["it won't POST, the debug LED is stuck on CPU", "two of the memory slots stopped working"],
    "memory": ["memtest throws errors on one stick", "the PC blue-screens unless I pull one module"],
    "storage": ["the drive disappears from the BIOS every few hours", "it keeps throwing read errors"],
    "psu": ["it clicks and shuts the whole PC off under load", "it won't turn on at all any more"],
    "monitor": ["a vertical line of dead pixels appeared", "it flickers and loses signal"],
}
DEFAULT_SYMPTOMS = ["it just stopped working", "it developed a fault and no longer works properly"]
ASKS_ALL = r"^(?=[\s\S]*(liquid|spill|water|moisture))(?=[\s\S]*(physical(ly)? damage|damaged|drop|crack|bent))(?=[\s\S]*overclock)"
EXPIRED = r"(expired|has ended|ended on|no longer (covered|under warranty)|out of warranty|not under warranty|outside (the|its|your) warranty|warranty (ran|has run) out)"
ESC_ID = r"esc-\d{5}"


def _warranty_candidates(world: World, exclusions: Exclusions) -> list[dict[str, Any]]:
    rows = world.all(
        "SELECT t.id AS ticket_id, t.status AS ticket_status, t.customer_id, o.id AS order_id, o.created_at, "
        "(SELECT MAX(s.delivered_at) FROM shipments s WHERE s.order_id = o.id) AS delivered_at FROM support_tickets t "
        "JOIN orders o ON o.id = t.order_id WHERE t.status != 'closed' AND o.status = 'fulfilled' AND o.created_at IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL) ORDER BY t.id")
    return [r for r in rows if exclusions.allows(r["ticket_id"], r["customer_id"], r["order_id"])]


def _moment(day: Any, rng: random.Random) -> datetime:
    return datetime.fromisoformat(clock_at(day, rng.choice([9, 11, 14, 16]), rng.choice([5, 25, 45])))


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
        extra = {
            "confirmed": " Before you ask: it has never been dropped or exposed to any liquid, and I run it at stock settings, no overclocking.",
            "excluded": rng.choice([" I'll be honest, I had it overclocked pretty hard for a few weeks before this started.",
                                    " A glass of water tipped over onto the desk last week and some got into the case, if that matters."]),
        }.get(variant, "")
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} here ({customer['email']}), writing on my ticket {row['ticket_id']}. {about.capitalize()} has a problem: {symptom}.{extra} "
            "Is it still under warranty, and what do I do now?",
            f"Hello, I'm {full_name(customer)} ({customer['email']}). Re ticket {row['ticket_id']}: {about} is faulty, {symptom}.{extra} I'd like to make a warranty claim.",
            f"{full_name(customer)}, {customer['email']}. Following up on {row['ticket_id']}. {symptom.capitalize()} on {about}.{extra} Can you sort out a warranty claim for me?",
        ])
        ticket = row["ticket_id"]
        check = {"tool": "checkWarrantyStatus", "arguments": {"order_id": row["order_id"], "product_id": line["product_id"]}}
        calls: list[dict[str, Any]] = [*identify_calls(customer), {"tool": "searchTickets", "arguments": {"ticket_id": ticket}}]
        if not give_order:
            calls.append({"tool": "getOrderDetails", "arguments": {"order_id": row["order_id"]}})
        calls.append(check)
        checked = called("checked-warranty", "The agent checked the warranty of this product on this order", "checkWarrantyStatus",
                         {"order_id": row["order_id"], "product_id": line["product_id"]}, succeeded=True)
        no_esc = no_writes_to("escalations", "no-escalation", "No escalation was created")
        no_refund = no_writes_to("refunds", "no-refund", "No refund was created")
        end_words = f"the warranty runs from the delivery on {long_date(start)} for {line['warranty_months']} months, to {long_date(end)}"
        end_check = says("warranty-end", f"The reply gives the warranty end date {end.isoformat()}", pattern=date_pattern(end), kind="completeness")
        difficulty = "medium"
        if variant == "ask":
            if row["ticket_status"] == "resolved":
                calls.append({"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket, "status": "open"}})
            if row["ticket_status"] != "pending_customer":
                calls.append({"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket, "status": "pending_customer"}})
            reply = (f"I'm sorry the {product} is giving you trouble. It is under warranty: {end_words}. The return window has closed, so this goes "
                     "through a warranty claim. Before I can file it, please confirm: does the item have any physical damage (drops, cracks, bent pins), "
                     "has it been exposed to liquid, and has it ever been overclocked? I've set your ticket to wait for your answer.")
            criteria = [
                checked,
                says("asks-exclusions", "The reply asks about physical damage, liquid damage and overclocking", pattern=ASKS_ALL),
                state("ticket-pending", f"Ticket {ticket} is pending_customer", f"SELECT status FROM support_tickets WHERE id = '{ticket}'", "pending_customer"),
                state("no-escalation-yet", "No escalation was created before the customer answered the exclusion questions",
                      "SELECT COUNT(*) FROM _changes WHERE tbl = 'escalations'", 0, "constraint"),
                end_check, no_refund,
            ]
            if row["ticket_status"] != "pending_customer":
                criteria.append(ordered("checked-first", "The warranty was checked before the ticket was updated", ("checkWarrantyStatus", {}), ("updateTicketStatus", {})))
            difficulty = "hard" if row["ticket_status"] == "resolved" else "medium"
        elif variant == "confirmed":
            if row["ticket_status"] == "resolved":
                calls.append({"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket, "status": "open"}})
            calls.append({"tool": "createEscalation", "arguments": {
                "ticket_id": ticket, "type": "warranty", "priority": "normal",
                "notes": f"Warranty claim: {product} ({line['product_id']}) on {row['order_id']}: {symptom}. Warranty valid to {end.isoformat()} "
                         "(checked); return window closed. Customer confirms no physical or liquid damage and no overclocking. Please assess the claim."}})
            reply = (f"Thanks for the details. The {product} is under warranty ({end_words}) and the return window has closed, so I've filed a warranty "
                     f"claim: escalation {next_esc} to our product management team, noting that there is no physical or liquid damage and no overclocking. "
                     "They will contact you about the next steps.")
            criteria = [
                checked,
                state("escalated", "Exactly one warranty escalation to product_management was created on the ticket",
                      "SELECT ticket_id, type, department FROM escalations WHERE id IN (SELECT row_id FROM _changes WHERE tbl = 'escalations' AND op = 'insert')",
                      [[ticket, "warranty", "product_management"]]),
                ordered("checked-first", "The warranty was checked before the claim was escalated", ("checkWarrantyStatus", {}), ("createEscalation", {})),
                state("ticket-active", f"Ticket {ticket} is active (not left resolved or closed)",
                      f"SELECT status IN ('new', 'open', 'pending_customer') FROM support_tickets WHERE id = '{ticket}'", 1),
                says("gives-id", "The reply gives the escalation id", pattern=ESC_ID),
                end_check, no_refund,
            ]
            difficulty = "hard" if row["ticket_status"] == "resolved" or not give_order else "medium"
        elif variant == "expired":
            reply = (f"I'm sorry, but the {product} is no longer under warranty: {end_words}, which has passed, so the warranty has expired and I "
                     "can't file a claim. I can help with troubleshooting, or suggest a replacement.")
            criteria = [checked, says("expired", "The reply says the warranty has expired", pattern=EXPIRED), end_check, no_esc, no_refund,
                        says("no-claim-id", "The reply does not present an escalation as filed", not_pattern=ESC_ID, kind="constraint")]
            difficulty = "medium" if give_order else "hard"
        elif variant == "excluded":
            cause = "overclock" if "overclock" in extra else "liquid"
            reply = (f"Thank you for being upfront. The {product} is within its warranty term ({end_words}), but "
                     + ("overclocking" if cause == "overclock" else "liquid damage")
                     + " is excluded from the warranty and voids it, so I can't file a warranty claim. I'm happy to help with troubleshooting or a replacement.")
            criteria = [checked, no_esc, no_refund,
                        says("names-exclusion", f"The reply says {cause} {'use' if cause == 'overclock' else 'damage'} voids or is excluded from the warranty",
                             pattern=r"(overclock)" if cause == "overclock" else r"(liquid|water|spill)", contains_any=["void", "exclu", "not covered", "isn't covered", "doesn't cover", "does not cover"]),
                        says("no-claim-id", "The reply does not present an escalation as filed", not_pattern=ESC_ID, kind="constraint")]
            difficulty = "hard"
        else:  # inside the return window: a return comes first
            reply = (f"Because order {row['order_id']} was placed on {long_date(bought)}, it is still inside the 30-day return window, which runs through "
                     f"{long_date(last_return)} (11:59 PM Eastern). A faulty item inside the window goes through a return rather than a warranty claim. "
                     "Could you tell me its condition (unopened, opened but undamaged, or damaged) so I can process the return?")
            criteria = [checked, no_esc, no_refund,
                        says("return-first", "The reply says a return (not a warranty claim) applies inside the window", contains_any=["return"]),
                        says("last-day", f"The reply gives the last day of the return window, {last_return.isoformat()}", pattern=date_pattern(last_return))]
            difficulty = "hard"
        out.append(Instance("multi_step", difficulty, "customer", customer["id"], prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], row["order_id"], ticket, line["product_id"]],
                            clock=None if moment == DEFAULT_NOW else moment.isoformat(), tags=["warranty", f"warranty-{variant}"]))
    return out


REFUND_REASONS = {
    "defective": "it arrived defective and we can't replace it",
    "shipping_issue": "the courier damaged it in transit",
    "other": "we're making a goodwill gesture after a pricing mistake",
}


def approved_refund(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.* FROM orders o WHERE o.status = 'fulfilled' AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'captured') "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    rng.shuffle(orders)
    staff = world.employees("1")
    approvers = [e for e in staff if "issue_refund" in json.loads(e["permissions"]) and exclusions.allows(e["id"])]
    lacking = [e for e in staff if "issue_refund" not in json.loads(e["permissions"]) and exclusions.allows(e["id"])]
    # held-out tasks name most employees, so any remaining colleague outside engineering and marketing may ask
    writers = [e for e in staff if e["department"] not in ("engineering", "marketing") and exclusions.allows(e["id"])]
    next_ref = world.next_id("refunds", "ref-", 5)
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        items = world.items(order["id"])
        chosen = [items[rng.randrange(len(items))]] if len(items) > 1 and rng.random() < 0.7 else items
        lines = [(i, i["quantity"] if i["quantity"] == 1 or rng.random() < 0.5 else 1) for i in chosen]
        amount = rules.cents(sum((rules.refund_amount_for_line(i["unit_price"], q, order["loyalty_tier"], order_subtotal=order["subtotal"],
                                                               order_promo_discount=order["promo_discount"]) for i, q in lines), Decimal(0)))
        if amount <= 0:
            continue
        valid = rng.random() < 0.6
        pool = approvers if valid else lacking
        if not pool or not writers:
            break
        approver = pool[rng.randrange(len(pool))]
        writer = writers[rng.randrange(len(writers))]
        if writer["id"] == approver["id"]:
            continue
        ticket = world.one("SELECT id FROM support_tickets WHERE order_id = ? AND status IN ('new', 'open', 'pending_customer', 'resolved') ORDER BY id LIMIT 1", (order["id"],))
        if ticket and not exclusions.allows(ticket["id"]):
            ticket = None
        reason = rng.choice(sorted(REFUND_REASONS))
        what = " and ".join(f"{q} x {i['product_name']}" if i["quantity"] > 1 else f"the {i['product_name']}" for i, q in lines)
        on = f"ticket {ticket['id']} (order {order['id']})" if ticket else f"order {order['id']}"
        prompt = pick(rng, [
            f"{approver['name']} approved a refund for {full_name(customer)} on {on}: {what}, because {REFUND_REASONS[reason]}. Can you put it through with that approval and tell me the amount?",
            f"Please create the refund {approver['name']} signed off on: {what} on {on} ({REFUND_REASONS[reason]}). Use the approval and let me know the refund id and amount.",
            f"Refund request for {on}, customer {full_name(customer)}: {what}. Reason: {REFUND_REASONS[reason]}. {approver['name']} has approved it; go ahead please.",
        ])
        units_total = sum(i["quantity"] for i in items)
        units_back = sum(q for _, q in lines)
        args: dict[str, Any] = {"order_id": order["id"], "lines": [{"order_item_id": i["id"], "quantity": q} for i, q in lines], "reason": reason}
        if ticket:
            args["ticket_id"] = ticket["id"]
        if valid:
            args["approved_by"] = approver["id"]
        args["notes"] = f"{REFUND_REASONS[reason].capitalize()}; approval named: {approver['name']} ({approver['id']})."
        calls = [{"tool": "searchEmployees", "arguments": {"name": approver["name"]}},
                 {"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}},
                 {"tool": "createRefund", "arguments": args}]
        status = "approved" if valid else "pending"
        order_after = ("refunded" if units_back == units_total else "partially_refunded") if valid else "refund_requested"
        basis = (f"the item price less the order's {order['loyalty_tier']} loyalty discount" if order["loyalty_tier"] != "none" else "the item price")
        basis += " and its share of the promotion" if order["promo_discount"] else ""
        if valid:
            reply = (f"Done: refund {next_ref} of {money(amount)} for {what} on order {order['id']}, approved by {approver['name']} ({approver['id']}, "
                     f"who holds the refund permission). The amount is {basis}; shipping is not refunded. The order is now {order_after.replace('_', ' ')}.")
        else:
            reply = (f"I created refund {next_ref} of {money(amount)} for {what} on order {order['id']}, but it is pending: {approver['name']} ({approver['id']}) "
                     f"does not have the issue_refund permission, so their approval can't be recorded. It needs approval from someone with refund authority. "
                     f"The amount is {basis}; shipping is not refunded. The order is now refund requested.")
        approved_value = approver["id"] if valid else None
        criteria = [
            state("refund", f"One {status} refund of {money(amount)} was created on {order['id']}" + (f", approved by {approver['id']}" if valid else " with no approver"),
                  f"SELECT COUNT(*), ROUND(SUM(amount), 2), MIN(status), MIN(approved_by) FROM refunds WHERE order_id = '{order['id']}'",
                  [[1, float(amount), status, approved_value]]),
            state("lines", "The refund has exactly the approved lines and quantities",
                  f"SELECT order_item_id, quantity FROM refund_lines WHERE refund_id IN (SELECT id FROM refunds WHERE order_id = '{order['id']}')",
                  [[i["id"], q] for i, q in lines]),
            state("order-status", f"Order {order['id']} is now {order_after}", f"SELECT status FROM orders WHERE id = '{order['id']}'", order_after),
            ordered("checked-approver", "The agent looked up the named approver before creating the refund", ("searchEmployees", {}), ("createRefund", {})),
            says("amount", f"The reply states the refund amount {money(amount)}", numbers=[amount]),
        ]
        if not valid:
            criteria.append(says("says-pending", "The reply says the refund is pending because the named person cannot approve refunds",
                                 contains_any=["pending", "awaiting approval", "needs approval", "not approved"]))
            criteria.append(says("no-approved-claim", "The reply does not claim the refund is approved", kind="constraint",
                                 not_pattern=r"(refund (is|was|has been) approved|approved by " + approver["name"].split()[0] + ")"))
        if ticket:
            criteria.append(state("linked", f"The refund is linked to ticket {ticket['id']}", f"SELECT ticket_id FROM refunds WHERE order_id = '{order['id']}'", [ticket["id"]]))
        difficulty = "hard" if not valid or order["promo_discount"] or len(lines) > 1 else ("medium" if order["loyalty_tier"] != "none" else "easy")
        out.append(Instance("multi_step", difficulty, "employee", writer["id"], prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], order["id"], approver["id"], *([ticket["id"]] if ticket else [])],
                            tags=["refund", "approval", *(["approver-lacks-permission"] if not valid else [])]))
    return out


FAMILIES = {
    "warranty-claim": (warranty_claim, 110),
    "approved-refund": (approved_refund, 150),
}
