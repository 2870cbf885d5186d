"""Order families: cancellation requests (allowed only for pending or paid orders without refunds;
captured payments refunded in full, shipping included) and "double charge" explanations (a failed
attempt followed by the captured payment)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, allowed_staff, called, eastern_day, full_name, identify_calls, long_date, money, no_writes, no_writes_to,
    num, pick, says, state,
)
from harness.tasks.generate.phrasing import Variety, compose, identity, order_search, variants
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag

CANCELLED = ["cancelled", "canceled"]
NOT_CANCELLED = ["not able to cancel", "unable to cancel", "can't cancel", "can't be cancelled", "can't be canceled", "too late to cancel",
                 "not possible to cancel", "no longer be cancelled", "not cancellable"]
# the order's state -> (what the reply says it is, claims that contradict it)
NOT_CANCELLABLE_BECAUSE = {
    "backorder": (["backorder", "back order", "backordered", "back ordered"], ["has shipped", "delivered", "in transit", "on its way"]),
    "delivered": (["delivered", "arrived"], ["once it arrives", "when it arrives", "in transit", "on its way", "not delivered"]),
    "in_transit": (["shipped", "in transit", "on its way"], ["delivered", "arrived", "not shipped"]),
    "out_for_delivery": (["shipped", "out for delivery", "on its way"], ["delivered", "arrived", "not shipped"]),
}


def cancel_request(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, p.id AS pay_id, p.status AS pay_status, p.amount AS pay_amount, "
        "(SELECT s.status FROM shipments s WHERE s.order_id = o.id ORDER BY s.id DESC LIMIT 1) AS ship_status FROM orders o "
        "JOIN payments p ON p.order_id = o.id AND p.status != 'failed' "
        "WHERE o.status IN ('pending', 'paid', 'backorder') OR (o.status = 'fulfilled' AND o.created_at >= '2025-09-01') ORDER BY o.id")
    rng.shuffle(orders)
    next_ref = world.next_id("refunds", "ref-", 5)
    out: list[Instance] = []
    for order in orders:
        if order["status"] == "fulfilled" and order["ship_status"] not in NOT_CANCELLABLE_BECAUSE:
            continue  # a parcel stuck at the label or with a carrier exception is another conversation
        customer = world.customer(order["customer_id"])
        items = world.items(order["id"])
        what = items[0]["product_name"] + (f" and {len(items) - 1} more item(s)" if len(items) > 1 else "")
        search = order_search(world, order["id"], customer["id"], items[0]["product_id"]) if rng.random() < 0.4 else None
        prompt = _cancel_prompt(rng, customer, order["id"], what, items[0]["product_name"], with_id=search is None)
        calls: list[dict[str, Any]] = [*identify_calls(customer), *([search] if search else []),
                                       {"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}}]
        if order["status"] in rules.CANCELLABLE_ORDER_STATUSES:
            calls.append({"tool": "updateOrderStatus", "arguments": {"order_id": order["id"], "status": "cancelled", "reason": "Customer asked to cancel before shipment"}})
            criteria, reply, alternatives = _cancelled(order, next_ref)
            difficulty, category = ("medium" if order["pay_status"] == "captured" else "easy"), "multi_step"
        else:
            criteria, reply, alternatives = _not_cancelled(order)
            difficulty, category = ("hard" if order["status"] == "backorder" else "medium"), "reasoning"
        out.append(Instance(category, difficulty, "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"]], tags=["cancellation"], alternatives=alternatives))
    return out


CANCEL_ASKS = (
    "Please cancel {ref}; I don't need it anymore.",
    "I'd like to cancel {ref}. Can you do that and tell me what happens to my money?",
    "Could you cancel {ref}?",
    "Is it still possible to cancel {ref}? If it is, please go ahead and cancel it.",
    "I changed my mind about {ref}, please cancel it.",
    "cancel {ref} please, found it cheaper elsewhere",
    "I ordered by mistake. Can you cancel {ref} and tell me what happens with the payment?",
    "My plans changed and I won't need {ref}. I want to cancel it. What happens to what I paid?",
    "I need to cancel {ref} as soon as possible.",
)
ID_REFS = ("my order {id} ({what})", "order {id}", "{id}", "the {what} I ordered (order {id})", "order {id}, the {what}")
NO_ID_REFS = ("my order of the {what}", "the {what} I ordered", "my {product} order", "the order with the {product} in it")


def _cancel_prompt(rng: random.Random, customer: dict[str, Any], order_id: str, what: str, product: str, with_id: bool) -> str:
    ref = pick(rng, ID_REFS if with_id else NO_ID_REFS).format(id=order_id, what=what, product=product)
    intro, signature = identity(rng, full_name(customer), customer["email"])
    return compose(rng, pick(rng, CANCEL_ASKS).format(ref=ref), intro=intro, signature=signature)


def _cancelled(order: dict[str, Any], next_ref: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    captured = order["pay_status"] == "captured"
    pay_after = "refunded" if captured else "voided"
    shipping = rules.SHIPPING_COST[order["shipping_service"]]
    reply = (f"Order {order['id']} is cancelled. "
             + (f"Your payment of {money(order['pay_amount'])} is refunded in full, shipping included since nothing shipped (refund {next_ref})."
                if captured else "Your payment had not been captured, so the authorisation is voided and you will not be charged."))
    criteria = [
        state("order-cancelled", f"Order {order['id']} is cancelled", f"SELECT status FROM orders WHERE id = '{order['id']}'", "cancelled"),
        state("payment", f"Payment {order['pay_id']} is {pay_after}", f"SELECT status FROM payments WHERE id = '{order['pay_id']}'", pay_after),
        says("confirms", "The reply confirms the cancellation", says_any=CANCELLED, never_says=NOT_CANCELLED),
        called("checked-order", "The agent checked the order before cancelling", "getOrderDetails", {"order_id": order["id"]}),
    ]
    if captured:
        criteria.insert(2, state("full-refund", f"An approved refund of the full payment {money(order['pay_amount'])} (shipping included) was created",
                                 f"SELECT ROUND(SUM(amount), 2), MIN(status) FROM refunds WHERE order_id = '{order['id']}'", [[order["pay_amount"], "approved"]]))
        criteria.append(says("amount", "The reply states the refunded amount (the whole payment, shipping included)",
                             numbers=[num(order["pay_amount"], [Decimal(str(order["pay_amount"])) - shipping])]))
    else:
        criteria.append(says("no-charge", "The reply says the uncaptured payment is voided, not refunded",
                             says_any=["voided", "void", "not be charged", "not charged", "released"],
                             never_says=["is refunded", "will be refunded", "refund of", "been refunded"]))

    def build(v: Variety, index: int) -> str:
        if captured:
            money_text = (f"the full {v.money(order['pay_amount'])} you paid, shipping included, is refunded" if index == 0 else
                          f"a refund of {v.money(order['pay_amount'])} (everything, shipping too) is on its way back to you")
        else:
            money_text = v.pick(["the card authorisation was voided, so you won't be charged", "you will not be charged: the payment was only authorised and is now void"])
        head = f"{v.pick(['Done', 'All set'])}: I've cancelled order {order['id']}"
        return f"{head}, and {money_text}." if index == 0 else f"{money_text[0].upper()}{money_text[1:]}. {head}."
    return criteria, reply, variants(reply, build)


def _not_cancelled(order: dict[str, Any]) -> tuple[list[dict[str, Any]], str, list[str]]:
    why = "backorder" if order["status"] == "backorder" else order["ship_status"]
    words, wrong = NOT_CANCELLABLE_BECAUSE[why]
    last = rules.return_window_last_day(eastern_day(order["created_at"]))
    if why == "backorder":
        reply = (f"I'm sorry. Support is not able to cancel order {order['id']}: it is on backorder, and we only cancel orders that are "
                 "pending or paid. I've left the order as it is and nothing was changed.")
    else:
        state_text = "it has already been delivered" if why == "delivered" else "it has already shipped"
        then = "You can" if why == "delivered" else "Once it arrives you can"
        reply = (f"I'm sorry. It is too late to cancel order {order['id']}: {state_text}. {then} return it within 30 days of purchase "
                 f"(until {long_date(last)}) if it is unopened or undamaged. Nothing was changed.")
    criteria = [
        state("not-cancelled", f"Order {order['id']} keeps its status {order['status']}", f"SELECT status FROM orders WHERE id = '{order['id']}'", order["status"], "constraint"),
        no_writes_to("refunds", "no-refund", "No refund was created"),
        says("declines", "The reply says the order cannot be cancelled", says_any=NOT_CANCELLED,
             never_says=[*CANCELLED, "able to cancel", "can be cancelled", "can be canceled", "not too late", "cancellation is confirmed"]),
        says("reason", f"The reply gives the reason: the order is {why.replace('_', ' ')}", says_any=words, never_says=wrong),
        called("checked-order", "The agent checked the order's status", "getOrderDetails", {"order_id": order["id"]}),
    ]
    if why != "backorder":
        criteria.append(says("offers-return", "The reply offers a return instead", says_any=["return"], kind="completeness"))

    def build(v: Variety, index: int) -> str:
        if why == "backorder":
            first = f"Order {order['id']} is backordered, and support can't cancel a backordered order (only pending or paid ones)"
            second = "I have not changed anything on it"
        else:
            first = (f"Order {order['id']} has {'been delivered' if why == 'delivered' else 'shipped'} already, so it's too late to cancel it")
            second = (f"{'You' if why == 'delivered' else 'When it reaches you, you'} can send it back unopened or undamaged by "
                      f"{v.date(last)} for a return instead")
        return f"{first}. {second}." if index == 0 else f"{second[0].upper()}{second[1:]}: {first[0].lower()}{first[1:]}."
    return criteria, reply, variants(reply, build)


def double_charge(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.id, o.customer_id, o.total, f.id AS failed_id, f.amount AS failed_amount, f.method, c.id AS captured_id, c.amount AS captured_amount, c.card_last4 "
        "FROM orders o JOIN payments f ON f.order_id = o.id AND f.status = 'failed' "
        "JOIN payments c ON c.order_id = o.id AND c.status IN ('captured', 'partially_refunded', 'refunded') ORDER BY o.id")
    rng.shuffle(orders)
    staff = allowed_staff(world, exclusions, "support_role IS NOT NULL OR department = 'finance'")
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        employee_asks = bool(staff) and rng.random() < 0.35
        items = world.items(order["id"])
        search = order_search(world, order["id"], customer["id"], items[0]["product_id"]) if rng.random() < 0.4 else None
        ref = (pick(rng, ["order {id}", "{id}", "their order {id}" if employee_asks else "my order {id}"]) if search is None else
               pick(rng, ["the {product} order", "the order for the {product}", "their {product} order" if employee_asks else "my {product} order"])
               ).format(id=order["id"], product=items[0]["product_name"])
        if employee_asks:
            employee = staff[rng.randrange(len(staff))]
            requester, requester_id = "employee", employee["id"]
            who = pick(rng, ["{name} ({email})", "A customer, {name} ({email}),", "Customer {name} / {email}"]).format(
                name=full_name(customer), email=customer["email"])
            core = pick(rng, [
                f"{who} says they were charged twice for {ref} and wants one charge refunded. Can you check the payments and tell me what to say?",
                f"{who} is on chat: their bank shows two payments for {ref}. Is that a real double charge?",
                f"I have {who} claiming a duplicate charge on {ref}. What actually happened with the payments?",
                f"{who} wants the 'duplicate' payment on {ref} refunded. Can you look into it first?",
            ])
            prompt = compose(rng, core, colleague=True, extras=[
                "Don't refund anything unless it's really a duplicate.", "Please don't touch the payments unless it's a genuine duplicate.",
                "No refunds unless it's real, please.", "Hold off on any refund until we know."])
        else:
            requester, requester_id = "customer", customer["id"]
            intro, signature = identity(rng, full_name(customer), customer["email"])
            core = pick(rng, [
                f"I think you charged me twice for {ref}! I see two attempts. Please refund the duplicate.",
                f"My bank app shows two payments for {ref}. Why was I double charged?",
                f"There are two charges for {ref} on my card statement. Can you explain?",
                f"I've been billed twice for {ref}, I want the extra one back.",
                f"Why do I see two payments for {ref}? I only ordered once.",
                f"Looks like {ref} went through twice on my card. Could you check and fix it?",
            ])
            prompt = compose(rng, core, intro=intro, signature=signature)
        calls = [*([] if employee_asks and search is None else identify_calls(customer)), *([search] if search else []),
                 {"tool": "searchPayments", "arguments": {"order_id": order["id"]}}]
        traps = ids_by_type()["failed_then_captured"]
        trap_tags = [tag("failed_then_captured")] if traps & {order["id"], order["failed_id"], order["captured_id"]} else []
        criteria, reply, alternatives = _one_charge(order)
        out.append(Instance("communication", "medium", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"], order["failed_id"], order["captured_id"]], tags=["billing", "double-charge", *trap_tags],
                            alternatives=alternatives))
    return out


CHARGED_TWICE = ["charged twice", "billed twice", "double charged", "is a double charge", "was a double charge", "duplicate charge",
                 "refund the duplicate", "refunded the duplicate", "duplicate was refunded", "duplicate has been refunded",
                 "duplicate will be refunded", "both went through", "both payments went through", "both were charged"]


def _one_charge(order: dict[str, Any]) -> tuple[list[dict[str, Any]], str, list[str]]:
    amount = Decimal(str(order["captured_amount"]))
    reply = (f"I checked order {order['id']}: there are two payment records, but only one took money. Payment {order['failed_id']} failed "
             f"(declined, nothing was charged) and payment {order['captured_id']} for {money(amount)} is the one that went through. "
             "This is not a double charge, so no refund is due. Any pending hold from the failed attempt drops off on its own.")
    criteria = [
        says("explains-failed", "The reply explains that one attempt failed and did not take money",
             says_any=["failed", "declined", "did not go through", "didn't go through"], never_says=["both went through", "both were charged", "both payments went through"]),
        says("amount", f"The reply states the single captured amount {money(amount)} (not twice that)",
             numbers=[num(amount, [amount + Decimal(str(order["failed_amount"]))])]),
        no_writes("no-refund", "No refund or payment change was made for a failed attempt"),
        called("checked-payments", "The agent looked at the order's payments", "searchPayments", {"order_id": order["id"]}),
        says("not-duplicate", "The reply says this is not a double charge and no refund is due",
             says_any=["not a double charge", "not a duplicate", "charged once", "only charged once", "only one charge", "only one took money",
                       "only one payment went through", "no double charge", "not charged twice", "no refund is due", "nothing to refund"],
             never_says=[*CHARGED_TWICE, "refund is due", "will refund"]),
    ]

    def build(v: Variety, index: int) -> str:
        failed = f"{order['failed_id']} was declined and took nothing"
        paid = f"{order['captured_id']} charged {v.money(amount)} once"
        if index == 0:
            return (f"Good news: you were only charged once for {order['id']}. Of the two payment attempts, {failed}; {paid}. "
                    "Any temporary hold from the declined attempt will fall off by itself, and there is nothing to refund.")
        return (f"Two attempts show on {order['id']}, {v.pick(['though', 'but'])} only one payment went through: {paid}, while {failed} "
                "(it failed). So it is not a double charge and no refund is due.")
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "cancel-request": (cancel_request, 75),
    "double-charge": (double_charge, 45),
}
