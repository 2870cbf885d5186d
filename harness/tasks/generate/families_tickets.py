"""Ticket families: escalate to the department the problem needs (type -> department) and SLA
breach checks (customer's tier x ticket priority, hours from creation, US Eastern vs UTC)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, date_pattern, full_name, no_writes, no_writes_to, ordered, pick,
    says, state,
)
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
    staff = [e for e in world.employees("support_role IS NOT NULL") if exclusions.allows(e["id"])]
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
        prompt = pick(rng, [
            f"Can you escalate {which}? {rng.choice(needs).capitalize()}. Use the right escalation type and put a proper note on it; I'm {employee['name']} ({employee['id']}).",
            f"I need {which} escalated: {rng.choice(needs)}. Please raise it with the correct team and tell me the escalation id. ({employee['id']})",
        ])
        calls: list[dict[str, Any]] = []
        if not by_id:
            calls += [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                      {"tool": "searchTickets", "arguments": {"customer_id": customer["id"], "type": ticket["type"]}}]
        calls += [{"tool": "searchTickets", "arguments": {"ticket_id": ticket["id"]}},
                  {"tool": "createEscalation", "arguments": {"ticket_id": ticket["id"], "type": esc_type, "priority": priority, "created_by": employee["id"],
                                                           "notes": f"{ticket['subject']}: {needs[0]}. Ticket {ticket['id']} ({ticket['type']}, {ticket['priority']} priority) for {customer['id']}; please take over."}}]
        reply = (f"I escalated ticket {ticket['id']} ({ticket['subject']}) as {esc_type} to {department.replace('_', ' ')}: escalation {next_esc}, "
                 "with a note on the problem, what was checked and what we need from them.")
        criteria = [
            state("escalated", f"Exactly one escalation of type {esc_type} to {department} was created on {ticket['id']}",
                  "SELECT ticket_id, type, department FROM escalations WHERE id IN (SELECT row_id FROM _changes WHERE tbl = 'escalations' AND op = 'insert')", [[ticket["id"], esc_type, department]]),
            ordered("read-first", "The agent read the ticket before escalating it", ("searchTickets", {}), ("createEscalation", {})),
            says("gives-id", "The reply gives the new escalation's id", pattern=r"esc-\d{5}"),
            says("names-department", f"The reply names the receiving department ({department})", contains_any=[department, department.replace("_", " "), {"engineering": "engineer", "finance": "finance", "order_processing": "order processing", "product_management": "product management"}[department]]),
            no_writes_to("refunds", "no-refund", "No refund was created"),
        ]
        out.append(Instance("multi_step", "medium" if by_id else "hard", "employee", employee["id"], prompt, calls, reply, criteria,
                            entities=[ticket["id"], customer["id"]], tags=["escalation", "department-mapping"]))
    return out


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def sla_check(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    tickets = world.all(
        "SELECT t.*, c.loyalty_tier, s.resolution_hours, s.id AS sla_id FROM support_tickets t JOIN customers c ON c.id = t.customer_id "
        "JOIN slas s ON s.loyalty_tier = c.loyalty_tier AND s.priority = t.priority "
        "WHERE t.status IN ('new', 'open', 'pending_customer') AND t.created_at IS NOT NULL ORDER BY t.id")
    rng.shuffle(tickets)
    staff = [e for e in world.employees("support_role IS NOT NULL") if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for ticket in tickets:
        if not staff:
            break
        due = _utc(ticket["created_at"]) + timedelta(hours=ticket["resolution_hours"])
        now = DEFAULT_NOW
        if due > DEFAULT_NOW and rng.random() < 0.6:
            now = (due + timedelta(hours=rng.choice([-5, -2, -1, 1, 3]), minutes=rng.choice([10, 35]))).astimezone(rules.EASTERN)
            if now < DEFAULT_NOW:
                now = DEFAULT_NOW
        breached = now > due
        employee = staff[rng.randrange(len(staff))]
        due_et = due.astimezone(rules.EASTERN)
        due_pattern = date_pattern(due_et.date()) if due_et.date() == due.date() else f"({date_pattern(due_et.date())}|{date_pattern(due.date())})"
        prompt = pick(rng, [
            f"Is ticket {ticket['id']} breaching its SLA right now? When was (or is) its resolution due?",
            f"Quick SLA check on {ticket['id']}: what's the resolution deadline for this customer's tier and the ticket priority, and are we past it?",
            f"Before standup: has {ticket['id']} blown its resolution SLA? Give me the due time please.",
        ])
        verdict = (says("verdict", "The reply says the ticket is in breach", pattern=r"(breach|overdue|past (the|its) (deadline|due)|missed|exceeded|late)",
                        not_pattern=r"(not (in )?breach|no breach|within (the |its )?sla|not (yet )?overdue|not breached)")
                   if breached else
                   says("verdict", "The reply says the ticket is not (yet) in breach", pattern=r"(not (yet )?(in )?breach|no breach|within (the |its )?sla|not (yet )?overdue|not breached|still (has|within|on track|in time)|hasn't breached|has not breached)"))
        state_words = "is in breach" if breached else "is not in breach yet"
        reply = (f"Ticket {ticket['id']} is {ticket['priority']} priority for a {ticket['loyalty_tier']}-tier customer, so {ticket['sla_id']} gives "
                 f"{ticket['resolution_hours']} hours to resolve from creation ({ticket['created_at']}): resolution was due "
                 f"{due.strftime('%Y-%m-%dT%H:%M:%SZ')} ({due_et.date().isoformat()} {due_et.strftime('%H:%M')} Eastern). It is {ticket['status']}, "
                 f"so it {state_words}.")
        criteria = [
            verdict,
            says("due-date", "The reply gives the resolution due date", pattern=due_pattern),
            says("hours", f"The reply states the {ticket['resolution_hours']}-hour resolution target", numbers=[ticket["resolution_hours"]], kind="completeness"),
            called("read-ticket", "The agent looked the ticket up", "searchTickets", {"ticket_id": ticket["id"]}),
            no_writes(),
        ]
        customer = world.customer(ticket["customer_id"])
        hard = abs((now - due).total_seconds()) < 6 * 3600 or customer["notes"] and "tier" in (customer["notes"] or "").lower()
        out.append(Instance("reasoning", "hard" if hard else "easy", "employee", employee["id"], prompt,
                            [{"tool": "searchTickets", "arguments": {"ticket_id": ticket["id"]}}], reply, criteria,
                            entities=[ticket["id"], ticket["customer_id"]], clock=None if now == DEFAULT_NOW else now.isoformat(),
                            tags=["sla", "time-zone"]))
    return out


FAMILIES = {
    "escalate-ticket": (escalate_ticket, 70),
    "sla-check": (sla_check, 70),
}
