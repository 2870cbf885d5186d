"""Return and refund families: the return window at day N (US Eastern, orders placed near midnight),
refund quotes (tier at purchase, promotion share, no shipping) and processReturn end to end."""

from __future__ import annotations

import random
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, MONTHS, Exclusions, Instance, World, called, clock_at, date_pattern, days, eastern_day, full_name,
    identify_calls, long_date, money, no_writes, no_writes_to, pick, says, state,
)
from mcp_server.world import rules

ELIGIBLE = (r"(still (within|inside|eligible|able|open|in time|returnable)|is eligible|are eligible|(is|are) returnable|"
            r"can (still )?(return|send)|you have until|window (is )?(still )?open|qualif)")
NOT_ELIGIBLE = (r"(not eligible|no longer|all sales (are|were) final|final sale|(window|period) (has |had )?(already )?(closed|expired|ended|passed|lapsed)|"
                r"too late|outside (the|your|of)|past the|cannot (be )?return|can't (be )?return|can no longer|not (be )?returnable)")
WRONG_ELIGIBLE = r"(you are still eligible|still within (the|your) (return )?window|you can still return)"
WRONG_CLOSED = r"(not eligible|no longer eligible|no longer (be )?returnable|window (has )?(already )?(closed|expired|ended)|too late)"
REASONS = {
    "customer_remorse": ["I changed my mind", "I ended up not needing it", "I found I don't need it after all"],
    "incompatible": ["it turns out it doesn't fit my setup", "it's not compatible with my build"],
}


def _wrong_amount_pattern(values: list[Decimal]) -> str | None:
    shown = sorted({f"{v:,.2f}" for v in values} | {f"{v:.2f}" for v in values})
    return (r"(?<![\d.])\$?(" + "|".join(re.escape(s) for s in shown) + r")(?![\d])") if shown else None


def _delivered_orders(world: World) -> list[dict[str, Any]]:
    return world.all(
        "SELECT o.* FROM orders o WHERE o.status = 'fulfilled' AND o.created_at IS NOT NULL "
        "AND o.created_at >= '2025-08-13T04:00:00Z' AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id "
        "AND s.status = 'delivered' AND s.delivered_at IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) "
        "ORDER BY o.id")


def return_window(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    out: list[Instance] = []
    orders = _delivered_orders(world)
    rng.shuffle(orders)
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        bought = eastern_day(order["created_at"])
        late_evening = order["created_at"][:10] != bought.isoformat()
        offset = rng.choice([29, 30, 30, 31, 31, 32])
        day = bought + days(offset)
        hour = rng.choice([9, 13, 16, 21, 23])
        clock = clock_at(day, hour, rng.choice([5, 20, 40, 55]))
        if datetime.fromisoformat(clock) < DEFAULT_NOW:
            continue
        eligible = offset <= 30
        last = rules.return_window_last_day(bought)
        line = world.items(order["id"])[0]
        difficulty = "hard" if late_evening or hour >= 21 else ("medium" if offset in (30, 31) else "easy")
        prompt = pick(rng, [
            f"Hi, I'm {full_name(customer)} ({customer['email']}). I bought a {line['product_name']} from you last month (order {order['id']}). "
            "It's still sealed. Am I still within the return window, and what's the last day I could send it back? I haven't decided yet, so please don't start anything.",
            f"{full_name(customer)} here, email {customer['email']}. Quick question before I decide: can I still return the {line['product_name']} from order {order['id']}? "
            "What is the deadline exactly? Not asking you to process anything yet.",
            f"Hello, is order {order['id']} still returnable today? I'm {full_name(customer)}, {customer['email']}. "
            f"Please tell me the last day of the return window for the {line['product_name']}; I'll get back to you if I go ahead.",
        ])
        calls = [*identify_calls(customer), {"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}},
                 {"tool": "checkWarrantyStatus", "arguments": {"order_id": order["id"], "product_id": line["product_id"]}}]
        placed = f"placed on {long_date(bought)} (US Eastern)"
        if eligible:
            reply = (f"Yes: order {order['id']} was {placed}, so the 30-day return window runs through {long_date(last)} at "
                     f"11:59 PM Eastern. You are still eligible to return the unopened {line['product_name']}; nothing has been started.")
            verdict = says("verdict", "The reply says the item can still be returned", pattern=ELIGIBLE, not_pattern=WRONG_CLOSED)
        else:
            reply = (f"Unfortunately not: order {order['id']} was {placed}, so the 30-day return window ended on {long_date(last)} "
                     "at 11:59 PM Eastern. All sales on it are now final; if the item develops a fault, the warranty applies instead.")
            verdict = says("verdict", "The reply says the return window has closed", pattern=NOT_ELIGIBLE, not_pattern=WRONG_ELIGIBLE)
        criteria = [
            verdict,
            says("last-day", f"The reply gives the last day of the window, {last.isoformat()} (US Eastern)", pattern=date_pattern(last)),
            says("purchase-date", f"The reply gives the purchase date {bought.isoformat()} (US Eastern) the window counts from", pattern=date_pattern(bought), kind="completeness"),
            no_writes("no-return-started", "No return, refund or status change was made (the customer only asked)"),
        ]
        if not eligible:
            criteria.append(says("mentions-warranty", "The reply points to the warranty as the remaining option", contains_any=["warranty"], kind="completeness"))
        out.append(Instance("reasoning", difficulty, "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"]], clock=clock, tags=["return-window", "time-zone"]))
    return out


def _refund_for(order: dict[str, Any], line: dict[str, Any], qty: int) -> Decimal:
    return rules.refund_amount_for_line(line["unit_price"], qty, order["loyalty_tier"],
                                        order_subtotal=order["subtotal"], order_promo_discount=order["promo_discount"])


def refund_quote(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, c.loyalty_tier AS tier_now FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.status = 'fulfilled' AND (o.loyalty_tier != 'none' OR o.promo_discount > 0 OR o.loyalty_tier != c.loyalty_tier) "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    rng.shuffle(orders)
    staff = [e for e in world.employees("department IN ('support', 'finance', 'operations')") if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for order in orders:
        if not staff or not exclusions.allows(order["id"], order["customer_id"]):
            continue
        customer = world.customer(order["customer_id"])
        items = world.items(order["id"])
        line = items[rng.randrange(len(items))]
        qty = line["quantity"] if line["quantity"] == 1 or rng.random() < 0.5 else rng.randrange(1, line["quantity"])
        amount = _refund_for(order, line, qty)
        gross = rules.cents(Decimal(str(line["unit_price"])) * qty)
        wrong = [amount + rules.SHIPPING_COST[order["shipping_service"]]]
        traps = ["shipping"]
        if order["tier_now"] != order["loyalty_tier"]:
            wrong.append(rules.cents(gross - rules.loyalty_discount(gross, order["tier_now"]) - rules.promo_share(gross, order["subtotal"], order["promo_discount"])))
            traps.append("tier-at-purchase")
        if order["promo_discount"]:
            wrong.append(rules.cents(gross - rules.loyalty_discount(gross, order["loyalty_tier"])))
            traps.append("promotion-share")
        if len(items) > 1:
            wrong.append(rules.cents(sum((_refund_for(order, i, i["quantity"]) for i in items), Decimal(0))))
        wrong = [w for w in wrong if w != amount]
        difficulty = "hard" if len(traps) >= 2 else "medium"
        employee = staff[rng.randrange(len(staff))]
        units = "the unit" if qty == 1 else f"{qty} units"
        prompt = pick(rng, [
            f"{full_name(customer)} wants to return {units} of the {line['product_name']} on order {order['id']}. Before I set anything up: "
            "what exactly would the refund be under our policy? Don't create anything yet.",
            f"Can you work out the refund amount for a return of {units} of {line['product_name']} from {order['id']}? "
            "Just the number and how you got it; I'll process it myself.",
            f"Finance check: if the customer on {order['id']} sends back {units} of the {line['product_name']}, what do we refund? Please show the math; no changes in the system.",
        ])
        parts = [f"{money(gross)} for {units} at {money(line['unit_price'])}"]
        if order["loyalty_tier"] != "none":
            parts.append(f"less the {rules.LOYALTY_DISCOUNT_PCT[order['loyalty_tier']]}% {order['loyalty_tier']} discount the order was placed with ({money(rules.loyalty_discount(gross, order['loyalty_tier']))})")
        if order["promo_discount"]:
            parts.append(f"less the line's share of the promotion ({money(rules.promo_share(gross, order['subtotal'], order['promo_discount']))})")
        reply = (f"The refund would be {money(amount)}: " + ", ".join(parts) + ". Shipping "
                 f"({money(rules.SHIPPING_COST[order['shipping_service']])}) is never refunded. Nothing has been created.")
        criteria = [
            says("amount", f"The reply gives the refund amount {money(amount)}", numbers=[amount]),
            called("opened-order", "The agent read the order's details (lines, tier at purchase, promotion)", "getOrderDetails", {"order_id": order["id"]}),
            no_writes("nothing-created", "No refund or status change was made (only a quote was asked for)"),
        ]
        bad = _wrong_amount_pattern([w for w in wrong if f"{w:,.2f}" not in reply])  # never forbid a figure of the working
        if bad:
            criteria.insert(1, says("no-wrong-amount", "The reply does not give a wrong refund figure (shipping added, current tier, promotion ignored or every line refunded)", kind="constraint", not_pattern=bad))
        if "tier-at-purchase" in traps:
            criteria.insert(2, says("order-tier", f"The reply uses the {order['loyalty_tier']} tier the order was placed with", contains_any=[order["loyalty_tier"]]))
        out.append(Instance("reasoning", difficulty, "employee", employee["id"], prompt,
                            [{"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}}], reply, criteria,
                            entities=[order["id"], customer["id"]], tags=["refund-math", *traps]))
    return out


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
        calls.append({"tool": "processReturn", "arguments": args, **({"expect_error": True} if damaged else {})})
        if approver:
            requester, requester_id = "employee", approver["id"]
            prompt = (f"I'm handling a return for {full_name(customer)} ({customer['email']}): they're sending back {what} from order {order['id']}. "
                      f"{state_words.replace('I opened', 'They opened').replace('It', 'It')} Reason: {rng.choice(REASONS[reason])}. "
                      f"Please process it; I'm authorising the refund myself ({approver['id']}).")
        else:
            requester, requester_id = "customer", customer["id"]
            prompt = pick(rng, [
                f"Hi, {full_name(customer)} here ({customer['email']}). I'd like to return {what} from order {order['id']} because {rng.choice(REASONS[reason])}. {state_words}",
                f"Hello, I want to send back {what} I ordered ({order['id']}). {state_words} Reason: {rng.choice(REASONS[reason])}. My email is {customer['email']}, name {full_name(customer)}.",
            ])
        if damaged:
            reply = (f"I'm sorry, but I can't accept the return of {what} from order {order['id']}: policy does not allow returns of physically damaged items, "
                     "so no refund was created. If you believe it is a manufacturing defect, we can look at a warranty claim; I can also help with troubleshooting.")
            criteria = [
                no_writes_to("refunds", "no-refund", "No refund was created for a damaged item"),
                state("order-unchanged", f"Order {order['id']} is still fulfilled", f"SELECT status FROM orders WHERE id = '{order['id']}'", "fulfilled", "constraint"),
                says("explains-damage", "The reply explains that damaged items cannot be returned", contains_any=["damage"]),
                says("offers-alternative", "The reply offers the warranty or troubleshooting instead", contains_any=["warranty", "troubleshoot"], kind="completeness"),
            ]
            difficulty = "medium"
        else:
            status_after = "pending" if not approver else "approved"
            units_total = sum(i["quantity"] for i in items)
            units_back = sum(i["quantity"] for i in chosen)
            order_after = "refund_requested" if not approver else ("refunded" if units_back == units_total else "partially_refunded")
            reply = (f"Done: I processed the return of {what} from order {order['id']} (condition: {condition.replace('_', ' ')}). "
                     f"The refund is {money(amount)} (item price less the order's {order['loyalty_tier']} loyalty discount"
                     + (" and its share of the promotion" if order["promo_discount"] else "") + "; shipping is not refunded). "
                     + (f"It is approved by {approver['name']} ({approver['id']})." if approver else "It is pending approval by a colleague with refund authority; you'll hear from us once it is approved."))
            criteria = [
                state("refund-created", f"One {status_after} refund of {money(amount)} was created on {order['id']}",
                      f"SELECT COUNT(*), ROUND(SUM(amount), 2), MIN(status) FROM refunds WHERE order_id = '{order['id']}'", [[1, float(amount), status_after]]),
                state("refund-lines", "The refund has one line per returned order line with the returned quantities",
                      f"SELECT order_item_id, quantity FROM refund_lines WHERE refund_id IN (SELECT id FROM refunds WHERE order_id = '{order['id']}')",
                      [[i["id"], i["quantity"]] for i in chosen]),
                state("order-status", f"Order {order['id']} is now {order_after}", f"SELECT status FROM orders WHERE id = '{order['id']}'", order_after),
                says("states-amount", f"The reply states the refund amount {money(amount)}", numbers=[amount]),
                called("used-return-tool", "The return went through processReturn (window and condition checked)", "processReturn", {"order_id": order["id"]}, succeeded=True),
            ]
            if not approver:
                criteria.append(says("says-pending", "The reply says the refund awaits approval", contains_any=["pending", "approval", "approve"]))
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
                            tags=["return", "refund-math"] + (["damaged"] if damaged else [])))
    return out


FAMILIES = {
    "return-window": (return_window, 75),
    "refund-quote": (refund_quote, 100),
    "process-return": (process_return, 75),
}
