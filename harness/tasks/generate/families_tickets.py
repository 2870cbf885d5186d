"""Ticket families: escalate to the department the problem needs (type -> department) and SLA
breach checks (customer's tier x ticket priority, hours from creation, US Eastern vs UTC)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, allowed_staff, called, full_name, long_date, no_writes, no_writes_to, num, on, ordered, pick,
    says, state, utc,
)
from harness.tasks.generate.phrasing import Variety, compose, variants
from mcp_server.world import rules

# ticket type -> (escalation type, how a colleague describes what is needed)
NEEDS = {
    "billing": ("billing_payment", ["the charge on the customer's card needs to be investigated by the people who handle payments",
                                     "we need someone who can look into the payment itself and reconcile it"]),
    "shipping": ("order_fulfillment", ["the shipment needs to be traced and, if needed, re-shipped by the team that fulfils orders",
                                        "someone who handles fulfilment has to chase the carrier and sort out the delivery"]),
    "order_issue": ("order_fulfillment", ["the order itself needs correcting by the team that processes and ships orders",
                                          "the people who fulfil orders need to fix what was packed and sent"]),
    "troubleshooting": ("technical", ["we've exhausted the KB steps; it needs a hardware/firmware engineer to dig in",
                                      "this needs engineering to diagnose, the standard troubleshooting didn't help"]),
    "recommendation": ("product_specialist", ["the customer needs an expert product opinion beyond what we can give from the catalogue",
                                              "this needs a product specialist who knows the line-up in depth"]),
}


def escalate_ticket(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    tickets = world.all("SELECT * FROM support_tickets WHERE status IN ('new', 'open', 'pending_customer') AND type IN "
                        "('billing', 'shipping', 'order_issue', 'troubleshooting', 'recommendation') ORDER BY id")
    rng.shuffle(tickets)
    staff = allowed_staff(world, exclusions)
    next_esc = world.next_id("escalations", "esc-", 5)
    out: list[Instance] = []
    for ticket in tickets:
        if not staff:
            break
        employee = staff[rng.randrange(len(staff))]
        customer = world.customer(ticket["customer_id"])
        esc_type, needs = NEEDS[ticket["type"]]
        department = rules.ESCALATION_DEPARTMENT[esc_type]
        priority = "high" if ticket["priority"] == "high" else rng.choice(["normal", "high"])
        by_id = rng.random() < 0.5
        which = ticket["id"] if by_id else f"the open {ticket['type'].replace('_', ' ')} ticket from {full_name(customer)} ({customer['email']})"
        need = rng.choice(needs)
        core = pick(rng, [
            f"Can you escalate {which}? {need[0].upper()}{need[1:]}. Use the right escalation type and put a proper note on it.",
            f"I need {which} escalated: {need}. Please raise it with the correct team and tell me the escalation id.",
            f"Please escalate {which}, {need}. Which team did it go to and what's the escalation id?",
            f"{which[0].upper()}{which[1:]} needs to go up a level: {need}. Can you raise the escalation?",
            f"Escalation request for {which}. Reason: {need}. Pick the right type and note it properly.",
            f"Could you hand {which} to the right team as an escalation? {need[0].upper()}{need[1:]}.",
        ])
        me = pick(rng, ["I'm {name} ({id}).", "({id})", "This is {name}, {id}.", "Created by me please, {id}.", "My id: {id}."]).format(
            name=employee["name"], id=employee["id"])
        prompt = compose(rng, f"{core} {me}", colleague=True)
        calls: list[dict[str, Any]] = []
        if not by_id:
            calls += [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                      {"tool": "searchTickets", "arguments": {"customer_id": customer["id"], "type": ticket["type"]}}]
        calls += [{"tool": "searchTickets", "arguments": {"ticket_id": ticket["id"]}},
                  {"tool": "createEscalation", "arguments": {"ticket_id": ticket["id"], "type": esc_type, "priority": priority, "created_by": employee["id"],
                                                           "notes": f"{ticket['subject']}: {needs[0]}. Ticket {ticket['id']} ({ticket['type']}, {ticket['priority']} priority) for {customer['id']}; please take over."}}]
        criteria, reply, alternatives = _escalated(world, ticket, esc_type, department, next_esc)
        out.append(Instance("multi_step", "medium" if by_id else "hard", "employee", employee["id"], prompt, calls, reply, criteria,
                            entities=[ticket["id"], customer["id"]], tags=["escalation", "department-mapping"], alternatives=alternatives))
    return out


DEPARTMENT_WORDS = {
    "engineering": ["engineering", "engineers", "engineering team"], "finance": ["finance", "finance team"],
    "order_processing": ["order processing", "order_processing"], "product_management": ["product management", "product_management"],
    "operations": ["operations"], "support": ["support escalations"],
}


def _escalated(world: World, ticket: dict[str, Any], esc_type: str, department: str, next_esc: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    earlier = [r["id"] for r in world.all("SELECT id FROM escalations WHERE ticket_id = ? ORDER BY id", (ticket["id"],))]
    others = [w for d, words in DEPARTMENT_WORDS.items() if d != department and d != "support" for w in words if w not in ticket["subject"].lower()]
    team = department.replace("_", " ")
    reply = (f"I escalated ticket {ticket['id']} ({ticket['subject']}) as {esc_type} to {team}: escalation {next_esc}, "
             "with a note on the problem, what was checked and what we need from them.")
    criteria = [
        state("escalated", f"Exactly one escalation of type {esc_type} to {department} was created on {ticket['id']}",
              "SELECT ticket_id, type, department FROM escalations WHERE id IN (SELECT row_id FROM _changes WHERE tbl = 'escalations' AND op = 'insert')",
              [[ticket["id"], esc_type, department]]),
        ordered("read-first", "The agent read the ticket before escalating it", ("searchTickets", {}), ("createEscalation", {})),
        (says("gives-id", f"The reply gives the new escalation's id {next_esc} (not an earlier escalation of the ticket)", says_all=[next_esc],
              never_says=earlier) if earlier else
         says("gives-id", f"The reply gives the new escalation's id {next_esc}", kind="completeness", says_all=[next_esc])),
        says("names-department", f"The reply names the receiving department ({department})", says_any=DEPARTMENT_WORDS[department], never_says=others),
        no_writes_to("refunds", "no-refund", "No refund was created"),
    ]

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return (f"Escalation {next_esc} is raised: ticket {ticket['id']} went to {DEPARTMENT_WORDS[department][0]} as a {esc_type.replace('_', ' ')} "
                    "escalation, with notes on the issue and what we need.")
        return (f"Done - {team} now has ticket {ticket['id']} ({ticket['subject']}). The escalation id is {next_esc} "
                f"({v.pick(['type', 'escalation type'])} {esc_type}), and the note explains the problem and the ask.")
    return criteria, reply, variants(reply, build)


def sla_check(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    tickets = world.all(
        "SELECT t.*, c.loyalty_tier, s.resolution_hours, s.id AS sla_id FROM support_tickets t JOIN customers c ON c.id = t.customer_id "
        "JOIN slas s ON s.loyalty_tier = c.loyalty_tier AND s.priority = t.priority "
        "WHERE t.status IN ('new', 'open', 'pending_customer') AND t.created_at IS NOT NULL ORDER BY t.id")
    rng.shuffle(tickets)
    staff = allowed_staff(world, exclusions)
    out: list[Instance] = []
    for ticket in tickets:
        if not staff:
            break
        due = utc(ticket["created_at"]) + timedelta(hours=ticket["resolution_hours"])
        now = DEFAULT_NOW
        if due > DEFAULT_NOW and rng.random() < 0.6:
            now = (due + timedelta(hours=rng.choice([-5, -2, -1, 1, 3]), minutes=rng.choice([10, 35]))).astimezone(rules.EASTERN)
            if now < DEFAULT_NOW:
                now = DEFAULT_NOW
        breached = now > due
        employee = staff[rng.randrange(len(staff))]
        ref = pick(rng, ["ticket {id}", "{id}", "the ticket {id}"]).format(id=ticket["id"])
        core = pick(rng, [
            f"Is {ref} breaching its SLA right now? When was (or is) its resolution due?",
            f"Quick SLA check on {ref}: what's the resolution deadline for this customer's tier and the ticket priority, and are we past it?",
            f"Before standup: has {ref} blown its resolution SLA? Give me the due time please.",
            f"When is {ref} due for resolution under our SLA, and is it overdue yet?",
            f"Can you tell me if {ref} is within its resolution SLA? I need the exact due time.",
            f"What's the SLA resolution deadline on {ref}? Are we in breach?",
            f"{ref[0].upper()}{ref[1:]}: due when, and have we missed it?",
            f"My team lead wants to know whether {ref} is past its resolution target. What's the deadline?",
        ])
        prompt = compose(rng, core, colleague=True)
        criteria, reply, alternatives = _sla_answer(world, ticket, due, breached)
        customer = world.customer(ticket["customer_id"])
        hard = abs((now - due).total_seconds()) < 6 * 3600 or customer["notes"] and "tier" in (customer["notes"] or "").lower()
        out.append(Instance("reasoning", "hard" if hard else "easy", "employee", employee["id"], prompt,
                            [{"tool": "searchTickets", "arguments": {"ticket_id": ticket["id"]}}], reply, criteria,
                            entities=[ticket["id"], ticket["customer_id"]], clock=None if now == DEFAULT_NOW else now.isoformat(),
                            tags=["sla", "time-zone"], alternatives=alternatives))
    return out


BREACHED = ["in breach", "breached", "overdue", "past due", "missed", "past its deadline", "past the deadline", "exceeded"]
NOT_BREACHED = ["not in breach", "not breached", "within sla", "within the sla", "within its sla", "on track", "not overdue",
                "still has time", "still within", "has not breached", "not past due"]


def _sla_answer(world: World, ticket: dict[str, Any], due: datetime, breached: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    """Verdict, due date (US Eastern, not the UTC day nor the first-response deadline) and the resolution target."""
    first_hours = world.value("SELECT first_response_hours FROM slas WHERE id = ?", (ticket["sla_id"],))
    hours = ticket["resolution_hours"]
    created = utc(ticket["created_at"])
    due_et = due.astimezone(rules.EASTERN)
    first_due = (created + timedelta(hours=first_hours)).astimezone(rules.EASTERN)
    tier = "none (no loyalty tier)" if ticket["loyalty_tier"] == "none" else ticket["loyalty_tier"]
    when = f"{long_date(due_et.date())} at {due_et.strftime('%H:%M')} Eastern"
    verdict_sentence = "It is in breach." if breached else "It is not in breach."
    reply = (f"Ticket {ticket['id']} is {ticket['priority']} priority and the customer's loyalty tier is {tier}. The resolution target for that is "
             f"{hours} hours from creation ({long_date(created.astimezone(rules.EASTERN).date())} at "
             f"{created.astimezone(rules.EASTERN).strftime('%H:%M')} Eastern), so resolution was due {when}. "
             f"The ticket is still {ticket['status'].replace('_', ' ')}. {verdict_sentence}")
    wrong_days = [d for d in (due.date(), first_due.date()) if d != created.astimezone(rules.EASTERN).date()]
    criteria = [
        says("verdict", "The reply says the ticket is in breach" if breached else "The reply says the ticket is not in breach",
             says_any=BREACHED if breached else NOT_BREACHED, never_says=NOT_BREACHED if breached else BREACHED),
        says("due-date", f"The reply gives the resolution due date {due_et.date().isoformat()} (US Eastern)",
             dates=[on(due_et.date(), wrong_days)]),
        says("hours", f"The reply states the {hours}-hour resolution target (not the {first_hours}-hour first-response target)",
             numbers=[num(hours, [first_hours])]),
        called("read-ticket", "The agent looked the ticket up", "searchTickets", {"ticket_id": ticket["id"]}),
        no_writes(),
    ]
    if not criteria[1]["check"]["dates"][0].get("wrong"):
        criteria[1]["kind"] = "completeness"

    def build(v: Variety, index: int) -> str:
        verdict = (v.pick(["it has breached its SLA", "it is overdue"]) if breached else v.pick(["it is within its SLA", "it is on track"]))
        due_text = f"{v.date(due_et.date())}, {due_et.strftime('%I:%M %p').lstrip('0')} Eastern"
        if index == 0:
            return (f"Resolution for {ticket['id']} was due {due_text}: a {ticket['priority']}-priority ticket for this customer's tier gets "
                    f"{v.count(hours)} hours to resolve. As it is still {ticket['status'].replace('_', ' ')}, {verdict}.")
        return (f"{verdict[0].upper()}{verdict[1:]}. The SLA allows {hours} hours from creation for a {ticket['priority']}-priority ticket at this "
                f"tier, which puts the resolution deadline at {due_text}.")
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "escalate-ticket": (escalate_ticket, 70),
    "sla-check": (sla_check, 70),
}
