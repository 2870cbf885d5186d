"""processReturn end to end: the window and the condition checked by the tool, the refund at the tier the order
was placed with less its promotion share (never shipping), pending unless someone with refund authority
approves it, and the customer's return ticket resolved."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, clock_at, days, eastern_day, full_name, identify_calls, money, no_writes_to,
    num, pick, says, state,
)
from harness.tasks.generate.families_returns import REASONS, _delivered_orders, _refund_for
from harness.tasks.generate.phrasing import Variety, compose, customer_ask, variants
from harness.tasks.generate.vocab import APPROVED, PENDING, refund_basis, refund_traps, unstated
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag


def process_return(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    out: list[Instance] = []
    orders = _delivered_orders(world)
    rng.shuffle(orders)
    approvers = [e for e in world.employees("permissions LIKE '%issue_refund%'") if exclusions.allows(e["id"])]
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        bought = eastern_day(order["created_at"])
        last = rules.return_window_last_day(bought)
        if last < DEFAULT_NOW.date():
            continue
        earliest = max(DEFAULT_NOW.date(), bought + days(3))
        day = earliest + days(rng.randrange((last - earliest).days + 1))
        clock = None if day == DEFAULT_NOW.date() else clock_at(day, rng.choice([10, 12, 15, 17]))
        items = world.items(order["id"])
        chosen = items if len(items) == 1 or rng.random() < 0.3 else [items[rng.randrange(len(items))]]
        damaged = rng.random() < 0.2
        ticket = world.one("SELECT * FROM support_tickets WHERE order_id = ? AND type = 'return' AND status IN ('new', 'open', 'pending_customer')", (order["id"],))
        approver = approvers[rng.randrange(len(approvers))] if approvers and not damaged and rng.random() < 0.3 else None
        reason = rng.choice(sorted(REASONS))
        what = " and ".join(f"the {i['product_name']}" + (f" (all {i['quantity']})" if i["quantity"] > 1 else "") for i in chosen)
        condition = "damaged" if damaged else rng.choice(["unopened", "opened_undamaged"])
        state_words = {"unopened": "It's still sealed in the box.", "opened_undamaged": "I opened it but it's in perfect shape with all the packaging.",
                       "damaged": "One corner got crushed and a connector is bent, I think when I dropped it."}[condition]
        lines = [{"order_item_id": i["id"], "quantity": i["quantity"]} for i in chosen]
        amount = rules.cents(sum((_refund_for(order, i, i["quantity"]) for i in chosen), Decimal(0)))
        calls = [*identify_calls(customer), {"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}}]
        args: dict[str, Any] = {"order_id": order["id"], "lines": lines, "condition": condition, "reason": reason}
        if ticket:
            args["ticket_id"] = ticket["id"]
        if approver:
            args["approved_by"] = approver["id"]
        if not damaged:  # policy refuses a damaged item outright: nothing to submit
            calls.append({"tool": "processReturn", "arguments": args})
        why = rng.choice(REASONS[reason])
        if approver:
            requester, requester_id = "employee", approver["id"]
            them = state_words.replace("I opened", "They opened")
            core = pick(rng, [
                "I'm handling a return for {c}: they're sending back {what} from order {o}. {s} Reason: {why}. Please process it; I'm authorising the refund myself ({a}).",
                "Please process a return on {o} for {c}: {what}. {s} They say {why}. I approve the refund ({a}).",
                "Return for {c}, order {o}, {what}. {s} Reason given: {why}. Go ahead and process it with my approval, {a}.",
                "Can you put through the return of {what} on {o}? Customer {c}; {why}. {s} Approved by me ({a}).",
                "{c} is returning {what} from {o} ({why}). {s} Process it please, I'm signing off on the refund: {a}.",
            ]).format(c=f"{full_name(customer)} ({customer['email']})", what=what, o=order["id"], s=them, why=why, a=approver["id"])
            prompt = compose(rng, core, colleague=True)
        else:
            requester, requester_id = "customer", customer["id"]
            core = pick(rng, [
                "I'd like to return {what} from order {o} because {why}. {s}",
                "I want to send back {what} I ordered ({o}). {s} Reason: {why}.",
                "Please process a return for {what} on order {o}. {s} Honestly, {why}.",
                "Can I return {what} ({o})? {s} {Why}.",
                "{Why}, so I'm sending back {what} from {o}. {s} Please set up the return and refund.",
                "Return request: {what}, order {o}. {s} Reason: {why}.",
            ]).format(what=what, o=order["id"], s=state_words, why=why, Why=why[0].upper() + why[1:])
            prompt = customer_ask(rng, customer, core)
        tier_now = world.customer(order["customer_id"])["loyalty_tier"]
        trap_tags = ([tag("tier_change")] if not damaged and tier_now != order["loyalty_tier"]
                     and ids_by_type()["tier_change"] & {order["id"], customer["id"]} else [])
        if damaged:
            criteria, reply, alternatives = _damaged_answer(order, what)
            difficulty = "medium"
        else:
            status_after = "pending" if not approver else "approved"
            units_total = sum(i["quantity"] for i in items)
            units_back = sum(i["quantity"] for i in chosen)
            order_after = "refund_requested" if not approver else ("refunded" if units_back == units_total else "partially_refunded")
            every = rules.cents(sum((_refund_for(order, i, i["quantity"]) for i in items), Decimal(0))) if len(chosen) < len(items) else None
            reply, alternatives = _done_replies(order, what, condition, amount, approver, chosen)
            wrong = unstated(refund_traps(order, [(i, i["quantity"]) for i in chosen], tier_now=tier_now, every_line=every), reply, *alternatives)
            criteria = [
                state("refund-created", f"One {status_after} refund of {money(amount)} was created on {order['id']}",
                      f"SELECT COUNT(*), ROUND(SUM(amount), 2), MIN(status) FROM refunds WHERE order_id = '{order['id']}'", [[1, float(amount), status_after]]),
                state("refund-lines", "The refund has one line per returned order line with the returned quantities",
                      f"SELECT order_item_id, quantity FROM refund_lines WHERE refund_id IN (SELECT id FROM refunds WHERE order_id = '{order['id']}')",
                      [[i["id"], i["quantity"]] for i in chosen]),
                state("order-status", f"Order {order['id']} is now {order_after}", f"SELECT status FROM orders WHERE id = '{order['id']}'", order_after),
                says("states-amount", f"The reply states the refund amount {money(amount)} (not the price paid, not with shipping)",
                     numbers=[num(amount, wrong)]),
                called("used-return-tool", "The return went through processReturn (window and condition checked)", "processReturn", {"order_id": order["id"]}, succeeded=True),
            ]
            if not approver:
                criteria.append(says("says-pending", "The reply says the refund awaits approval", says_any=PENDING, never_says=APPROVED))
            if ticket:
                refund_id = world.next_id("refunds", "ref-", 5)
                calls.append({"tool": "createResolution", "arguments": {"ticket_id": ticket["id"], "outcome": "refund_issued", "refund_id": refund_id,
                              "summary": f"Return of {what} processed; refund {refund_id} of {money(amount)} created ({status_after})."}})
                calls.append({"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket["id"], "status": "resolved", "closure_reason": "refund_completed"}})
                criteria.append(state("ticket-resolved", f"Ticket {ticket['id']} is resolved with a refund_issued resolution naming the refund",
                                      f"SELECT t.status, r.outcome, r.refund_id IS NOT NULL FROM support_tickets t JOIN resolutions r ON r.ticket_id = t.id WHERE t.id = '{ticket['id']}' AND r.outcome = 'refund_issued'",
                                      [["resolved", "refund_issued", 1]]))
                prompt += f" (This is about my return ticket {ticket['id']}.)" if requester == "customer" else f" Ticket: {ticket['id']}; close it out properly."
            difficulty = "hard" if ticket or len(chosen) > 1 or order["promo_discount"] or day == last else "medium"
        criteria = criteria[:8]
        out.append(Instance("multi_step", difficulty, requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"], *([ticket["id"]] if ticket else [])], clock=clock,
                            tags=["return", "refund-math"] + (["damaged"] if damaged else []) + trap_tags, alternatives=alternatives))
    return out


def _damaged_answer(order: dict[str, Any], what: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    reply = (f"I'm sorry. This return is not accepted because the item is damaged: policy does not allow returns of physically damaged items "
             f"({what} from order {order['id']}). No refund was created. If you believe it is a manufacturing defect, we can look at a "
             "warranty claim; I can also help with troubleshooting.")
    criteria = [
        no_writes_to("refunds", "no-refund", "No refund was created for a damaged item"),
        state("order-unchanged", f"Order {order['id']} is still fulfilled", f"SELECT status FROM orders WHERE id = '{order['id']}'", "fulfilled", "constraint"),
        says("explains-damage", "The reply explains that damaged items cannot be returned", says_any=["damaged", "damage"],
             never_says=["return is accepted", "return was accepted", "return is approved", "return has been processed", "processed the return",
                         "refund was created", "refund has been created", "refund is on its way", "will be refunded"]),
        says("offers-alternative", "The reply offers the warranty or troubleshooting instead", says_any=["warranty", "troubleshooting", "troubleshoot"],
             kind="completeness"),
    ]

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return (f"Unfortunately we can't take {what} back from order {order['id']}: physically damaged items are excluded from returns, "
                    "so there is no refund. A warranty claim is possible if it is a manufacturing fault, and I'm glad to help troubleshoot.")
        return (f"Because it was damaged, the return of {what} (order {order['id']}) is declined under our policy and nothing was refunded. "
                f"{v.pick(['You could try a warranty claim if it is a defect', 'If it is a defect, a warranty claim is the route'])}, "
                "or I can help with troubleshooting.")
    return criteria, reply, variants(reply, build)


def _done_replies(order: dict[str, Any], what: str, condition: str, amount: Decimal, approver: dict[str, Any] | None,
                  chosen: list[dict[str, Any]]) -> tuple[str, list[str]]:
    basis = refund_basis(order, [(i, i["quantity"]) for i in chosen])
    reply = (f"Done: I processed the return of {what} from order {order['id']} (condition: {condition.replace('_', ' ')}). "
             f"The refund is {money(amount)}: {basis}; shipping is not refunded. "
             + (f"It is approved by {approver['name']} ({approver['id']})." if approver else
                "It is pending approval by a colleague with refund authority; you'll hear from us when it has been reviewed."))

    def build(v: Variety, index: int) -> str:
        status = (f"{approver['name']} ({approver['id']}) approved it" if approver else
                  v.pick(["it is awaiting approval from a colleague who can authorise refunds", "it is pending until someone with refund authority signs it off"]))
        amount_text = f"{v.money(amount)} ({basis}, shipping excluded)"
        if index == 0:
            return f"Your return of {what} on {order['id']} is processed and the refund comes to {amount_text}. Status: {status}."
        return f"Refund of {amount_text} set up for {what} from order {order['id']}; {status}. The return is recorded as {condition.replace('_', ' ')}."
    return reply, variants(reply, build)


FAMILIES = {
    "process-return": (process_return, 75),
}
