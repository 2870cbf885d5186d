"""Order families: cancellation requests (allowed only for pending or paid orders without refunds;
captured payments refunded in full, shipping included) and "double charge" explanations (a failed
attempt followed by the captured payment)."""

from __future__ import annotations

import random
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, called, full_name, identify_calls, money, no_writes, no_writes_to, pick, says, state,
)


def cancel_request(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, p.id AS pay_id, p.status AS pay_status, p.amount AS pay_amount FROM orders o "
        "JOIN payments p ON p.order_id = o.id AND p.status != 'failed' "
        "WHERE o.status IN ('pending', 'paid', 'backorder') OR (o.status = 'fulfilled' AND o.created_at >= '2025-09-01') ORDER BY o.id")
    rng.shuffle(orders)
    next_ref = world.next_id("refunds", "ref-", 5)
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        items = world.items(order["id"])
        what = items[0]["product_name"] + (f" and {len(items) - 1} more item(s)" if len(items) > 1 else "")
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} ({customer['email']}). Please cancel my order {order['id']} ({what}); I don't need it anymore.",
            f"I'd like to cancel order {order['id']}, the {what}. Can you do that and tell me what happens to my money? - {full_name(customer)}, {customer['email']}",
            f"Hello, could you cancel the {what} I ordered (order {order['id']})? My email is {customer['email']}. Thanks, {full_name(customer)}",
        ])
        calls: list[dict[str, Any]] = [*identify_calls(customer), {"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}}]
        if order["status"] in ("pending", "paid"):
            calls.append({"tool": "updateOrderStatus", "arguments": {"order_id": order["id"], "status": "cancelled", "reason": "Customer asked to cancel before shipment"}})
            captured = order["pay_status"] == "captured"
            pay_after = "refunded" if captured else "voided"
            reply = (f"Order {order['id']} is cancelled. "
                     + (f"Your payment of {money(order['pay_amount'])} is refunded in full, shipping included since nothing shipped (refund {next_ref})."
                        if captured else "Your payment had not been captured, so the authorisation is voided and you will not be charged."))
            criteria = [
                state("order-cancelled", f"Order {order['id']} is cancelled", f"SELECT status FROM orders WHERE id = '{order['id']}'", "cancelled"),
                state("payment", f"Payment {order['pay_id']} is {pay_after}", f"SELECT status FROM payments WHERE id = '{order['pay_id']}'", pay_after),
                says("confirms", "The reply confirms the cancellation", contains_any=["cancelled", "canceled"]),
                called("checked-order", "The agent checked the order before cancelling", "getOrderDetails", {"order_id": order["id"]}),
            ]
            if captured:
                criteria.insert(2, state("full-refund", f"An approved refund of the full payment {money(order['pay_amount'])} (shipping included) was created",
                                         f"SELECT ROUND(SUM(amount), 2), MIN(status) FROM refunds WHERE order_id = '{order['id']}'", [[order["pay_amount"], "approved"]]))
                criteria.append(says("amount", "The reply states the refunded amount", numbers=[order["pay_amount"]]))
            difficulty, category = ("medium" if captured else "easy"), "multi_step"
        else:
            shipped = order["status"] == "fulfilled"
            reply = (f"I'm sorry, but order {order['id']} can't be cancelled: it is {order['status']}"
                     + (", and it has already shipped. Once it arrives you can return it within 30 days of purchase if it is unopened or undamaged."
                        if shipped else ", and support only cancels orders that are pending or paid. I've left the order as it is.")
                     + " Nothing was changed.")
            criteria = [
                state("not-cancelled", f"Order {order['id']} keeps its status {order['status']}", f"SELECT status FROM orders WHERE id = '{order['id']}'", order["status"], "constraint"),
                no_writes_to("refunds", "no-refund", "No refund was created"),
                says("explains", f"The reply says the order cannot be cancelled because it is {order['status']}",
                     pattern=r"(can ?not|can't|unable|isn't possible|is not possible|not able|no longer)",
                     contains_any=["shipped", "fulfilled", "on its way", "in transit", "delivered"] if shipped else ["backorder", "back order", "back-order", "pending or paid", "paid or pending"]),
                called("checked-order", "The agent checked the order's status", "getOrderDetails", {"order_id": order["id"]}),
            ]
            if shipped:
                criteria.append(says("offers-return", "The reply offers a return instead", contains_any=["return"], kind="completeness"))
            difficulty, category = ("hard" if not shipped else "medium"), "reasoning"
        out.append(Instance(category, difficulty, "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"]], tags=["cancellation"]))
    return out


def double_charge(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.id, o.customer_id, o.total, f.id AS failed_id, f.amount AS failed_amount, f.method, c.id AS captured_id, c.amount AS captured_amount, c.card_last4 "
        "FROM orders o JOIN payments f ON f.order_id = o.id AND f.status = 'failed' "
        "JOIN payments c ON c.order_id = o.id AND c.status IN ('captured', 'partially_refunded', 'refunded') ORDER BY o.id")
    rng.shuffle(orders)
    staff = [e for e in world.employees("support_role IS NOT NULL OR department = 'finance'") if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        employee_asks = staff and rng.random() < 0.35
        if employee_asks:
            employee = staff[rng.randrange(len(staff))]
            requester, requester_id = "employee", employee["id"]
            prompt = (f"{full_name(customer)} ({customer['email']}) says they were charged twice for order {order['id']} and wants one charge refunded. "
                      "Can you check the payments and tell me what to say? Don't refund anything unless it's really a duplicate.")
        else:
            requester, requester_id = "customer", customer["id"]
            prompt = pick(rng, [
                f"I think you charged me twice for order {order['id']}! I see two attempts. Please refund the duplicate. {full_name(customer)}, {customer['email']}",
                f"Hi, {full_name(customer)} here ({customer['email']}). My bank app shows two payments for {order['id']}. Why was I double charged?",
            ])
        calls = [*([] if employee_asks else identify_calls(customer)), {"tool": "searchPayments", "arguments": {"order_id": order["id"]}}]
        reply = (f"I checked order {order['id']}: there are two payment records, but only one took money. Payment {order['failed_id']} failed "
                 f"(declined, nothing was charged) and payment {order['captured_id']} for {money(order['captured_amount'])} is the one that went through. "
                 "This is not a double charge, so no refund is due; any pending hold from the failed attempt drops off on its own.")
        criteria = [
            says("explains-failed", "The reply explains that one attempt failed and did not take money", contains_any=["failed", "declined", "did not go through", "didn't go through"]),
            says("amount", f"The reply states the single captured amount {money(order['captured_amount'])}", numbers=[order["captured_amount"]]),
            no_writes("no-refund", "No refund or payment change was made for a failed attempt"),
            called("checked-payments", "The agent looked at the order's payments", "searchPayments", {"order_id": order["id"]}),
            says("not-duplicate", "The reply does not confirm a duplicate charge", not_pattern=r"(you were (indeed )?(charged|billed) twice|refund(ed)? the duplicate|duplicate (charge )?(has been|was|will be) refunded)", kind="constraint"),
        ]
        out.append(Instance("communication", "medium", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"], order["failed_id"], order["captured_id"]], tags=["billing", "double-charge"]))
    return out


FAMILIES = {
    "cancel-request": (cancel_request, 75),
    "double-charge": (double_charge, 45),
}
