"""Refunds a colleague says were approved: the refund is created with the named approver only when that person
holds issue_refund (otherwise it stays pending), for the lines and quantities approved, at the tier the order was
placed with less its promotion share (never shipping)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, full_name, money, num, ordered, pick, says, state
from harness.tasks.generate.phrasing import Variety, compose, variants
from harness.tasks.generate.vocab import APPROVED, PENDING, refund_basis, refund_traps, unstated
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag


REFUND_REASONS = {
    "defective": "it arrived defective and we can't replace it",
    "shipping_issue": "the courier damaged it in transit",
    "other": "we're making a goodwill gesture after a pricing mistake",
}


REFUND_ASKS = (
    "{a} approved a refund for {c} on {on}: {what}, because {why}. Can you put it through with that approval and tell me the amount?",
    "Please create the refund {a} signed off on: {what} on {on} ({why}). Use the approval and let me know the refund id and amount.",
    "Refund request for {on}, customer {c}: {what}. Reason: {why}. {a} has approved it; go ahead please.",
    "Can you refund {what} on {on} for {c}? {a} gave the OK. Reason: {why}. What amount goes back?",
    "{c} gets a refund for {what} ({on}), {why}. Approved by {a}. Please raise it and send me the amount and refund id.",
    "I've got sign-off from {a} to refund {what} on {on}. Customer is {c}; reason: {why}. Could you create it?",
    "Refund to process: {on}, {what}, for {c}. {a} approved. Why: {why}. Tell me what amount it comes to.",
    "With {a}'s approval, please refund {c} for {what} on {on} ({why}) and let me know the figure.",
)


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
        on = pick(rng, ["ticket {t} (order {o})", "{t} / {o}", "order {o} (ticket {t})"] if ticket else ["order {o}", "{o}"]).format(
            t=ticket["id"] if ticket else "", o=order["id"])
        core = pick(rng, REFUND_ASKS).format(a=approver["name"], c=full_name(customer), on=on, what=what, why=REFUND_REASONS[reason])
        prompt = compose(rng, core[0].upper() + core[1:], colleague=True)
        trap_tags = ([tag("tier_change")] if customer["loyalty_tier"] != order["loyalty_tier"]
                     and ids_by_type()["tier_change"] & {order["id"], customer["id"]} else [])
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
        reply, alternatives = _refund_replies(order, lines, what, amount, approver, valid, order_after, next_ref)
        every = rules.cents(sum((rules.refund_amount_for_line(i["unit_price"], i["quantity"], order["loyalty_tier"], order_subtotal=order["subtotal"],
                                                              order_promo_discount=order["promo_discount"]) for i in items), Decimal(0)))
        wrong = unstated(refund_traps(order, lines, tier_now=customer["loyalty_tier"], every_line=every if units_back < units_total else None),
                         reply, *alternatives)
        criteria = [
            state("refund", f"One {status} refund of {money(amount)} was created on {order['id']}" + (f", approved by {approver['id']}" if valid else " with no approver"),
                  f"SELECT COUNT(*), ROUND(SUM(amount), 2), MIN(status), MIN(approved_by) FROM refunds WHERE order_id = '{order['id']}'",
                  [[1, float(amount), status, approver["id"] if valid else None]]),
            state("lines", "The refund has exactly the approved lines and quantities",
                  f"SELECT order_item_id, quantity FROM refund_lines WHERE refund_id IN (SELECT id FROM refunds WHERE order_id = '{order['id']}')",
                  [[i["id"], q] for i, q in lines]),
            state("order-status", f"Order {order['id']} is now {order_after}", f"SELECT status FROM orders WHERE id = '{order['id']}'", order_after),
            ordered("checked-approver", "The agent looked up the named approver before creating the refund", ("searchEmployees", {}), ("createRefund", {})),
            says("amount", f"The reply states the refund amount {money(amount)} (not the price paid, not with shipping, not at another tier)",
                 numbers=[num(amount, wrong)]),
        ]
        if not valid:
            criteria.append(says("says-pending", "The reply says the refund is pending because the named person cannot approve refunds, and never that it is approved",
                                 says_any=[*PENDING, "not approved"], never_says=[*APPROVED, f"approved by {approver['name']}"]))
        if ticket:
            criteria.append(state("linked", f"The refund is linked to ticket {ticket['id']}", f"SELECT ticket_id FROM refunds WHERE order_id = '{order['id']}'", [ticket["id"]]))
        difficulty = "hard" if not valid or order["promo_discount"] or len(lines) > 1 else ("medium" if order["loyalty_tier"] != "none" else "easy")
        out.append(Instance("multi_step", difficulty, "employee", writer["id"], prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], order["id"], approver["id"], *([ticket["id"]] if ticket else [])],
                            tags=["refund", "approval", *(["approver-lacks-permission"] if not valid else []), *trap_tags], alternatives=alternatives))
    return out


def _refund_replies(order: dict[str, Any], lines: list[tuple[dict[str, Any], int]], what: str, amount: Decimal, approver: dict[str, Any],
                    valid: bool, order_after: str, next_ref: str) -> tuple[str, list[str]]:
    basis = refund_basis(order, lines)
    after = order_after.replace("_", " ")
    if valid:
        reply = (f"Done: refund {next_ref} of {money(amount)} for {what} on order {order['id']}, approved by {approver['name']} ({approver['id']}, "
                 f"who holds the refund permission). The amount is {basis}; shipping is not refunded. The order is now {after}.")
    else:
        reply = (f"I created refund {next_ref} of {money(amount)} for {what} on order {order['id']}, but it is pending: {approver['name']} ({approver['id']}) "
                 "does not have the issue_refund permission, so their approval can't be recorded. It needs approval from someone with refund authority. "
                 f"The amount is {basis}; shipping is not refunded. The order is now {after}.")

    def build(v: Variety, index: int) -> str:
        figure = f"{v.money(amount)} ({basis}; shipping excluded)"
        if valid:
            status = f"{approver['name']} ({approver['id']}) holds refund authority, so it went through approved"
        else:
            status = (f"it is pending: {approver['name']} ({approver['id']}) lacks the issue_refund permission, so it still needs approval "
                      "from someone with refund authority")
        if index == 0:
            return f"Refund {next_ref} is in for {what} on {order['id']}: {figure}. {status[0].upper()}{status[1:]}. Order status: {after}."
        return f"{status[0].upper()}{status[1:]}. The refund ({next_ref}) on order {order['id']} covers {what} and comes to {figure}; the order is now {after}."
    return reply, variants(reply, build)


FAMILIES = {
    "approved-refund": (approved_refund, 150),
}
