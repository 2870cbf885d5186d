"""World invariants: what must be true of any world state, and what the committed story must agree on.

``check_invariants`` lists violations of rules that hold in the committed data and after any sequence
of policy-abiding tool writes (creating refunds, escalations and resolutions, moving statuses): money
arithmetic, refund limits, references, enums and stock. ``check_coherence`` is stricter: it checks that
order, payment, shipment and refund statuses tell one consistent story, which the committed data does
and tools that follow docs/policy-decisions.md keep. Both return human-readable messages; an empty list
means the world is fine.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from mcp_server.world import rules

EFFECTIVE_REFUND = ("approved", "processed")  # refunds that move money
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("orders", "status"): ("pending", "paid", "fulfilled", "cancelled", "backorder", "refund_requested", "refunded", "partially_refunded"),
    ("orders", "shipping_service"): tuple(rules.SHIPPING_COST),
    ("orders", "loyalty_tier"): tuple(rules.LOYALTY_DISCOUNT_PCT),
    ("payments", "status"): ("pending", "authorized", "captured", "failed", "refunded", "partially_refunded", "voided"),
    ("payments", "method"): ("card", "paypal", "apple_pay", "google_pay", "bank_transfer"),
    ("shipments", "status"): ("label_created", "in_transit", "out_for_delivery", "delivered", "exception", "lost"),
    ("shipments", "service"): tuple(rules.SHIPPING_COST),
    ("refunds", "status"): ("pending", "approved", "rejected", "processed"),
    ("refunds", "reason"): ("customer_remorse", "defective", "incompatible", "shipping_issue", "other"),
    ("support_tickets", "status"): tuple(rules.TICKET_TRANSITIONS),
    ("support_tickets", "type"): ("return", "troubleshooting", "recommendation", "order_issue", "shipping", "billing", "other"),
    ("support_tickets", "channel"): ("email", "chat", "phone", "web_form"),
    ("support_tickets", "priority"): ("low", "normal", "high"),
    ("escalations", "type"): tuple(rules.ESCALATION_DEPARTMENT),
    ("escalations", "status"): ("open", "acknowledged", "closed"),
    ("escalations", "priority"): ("low", "normal", "high"),
    ("resolutions", "outcome"): ("refund_issued", "replacement_sent", "recommendation_provided", "troubleshooting_steps", "order_updated", "no_action"),
    ("customers", "loyalty_tier"): tuple(rules.LOYALTY_DISCOUNT_PCT),
    ("employees", "department"): ("support", "engineering", "operations", "product_management", "order_processing", "finance", "marketing"),
    ("slas", "priority"): ("low", "normal", "high"),
    ("compatibility_rules", "severity"): ("error", "warning"),
    ("promotions", "discount_type"): ("percent", "fixed"),
}
Check = Callable[[sqlite3.Connection], list[str]]


def _d(value: float | int | str | None) -> Decimal:
    return rules.cents(value if value is not None else 0)


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def check_foreign_keys(conn: sqlite3.Connection) -> list[str]:
    return [f"{table} row {rowid}: reference to missing {parent}" for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")]


def check_enums(conn: sqlite3.Connection) -> list[str]:
    out = []
    for (table, column), allowed in ENUMS.items():
        marks = ", ".join("?" for _ in allowed)
        for row_id, value in conn.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" NOT IN ({marks})', allowed):
            out.append(f"{table} {row_id}: {column} {value!r} is not one of {', '.join(allowed)}")
    for row_id, role in conn.execute("SELECT id, support_role FROM employees WHERE support_role IS NOT NULL AND support_role NOT IN ('frontline', 'specialist', 'tech_lead', 'admin')"):
        out.append(f"employees {row_id}: support_role {role!r} is not a known role")
    return out


def check_order_arithmetic(conn: sqlite3.Connection) -> list[str]:
    out = []
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for item in _rows(conn, "SELECT id, order_id, quantity, unit_price, line_total FROM order_items"):
        if item["quantity"] <= 0:
            out.append(f"order_items {item['id']}: quantity {item['quantity']} is not positive")
        if _d(item["line_total"]) != rules.cents(_d(item["unit_price"]) * item["quantity"]):
            out.append(f"order_items {item['id']}: line_total {item['line_total']} != unit_price {item['unit_price']} x {item['quantity']}")
        lines[item["order_id"]] += _d(item["line_total"])
    for order in _rows(conn, "SELECT * FROM orders"):
        oid, subtotal = order["id"], _d(order["subtotal"])
        if oid not in lines:
            out.append(f"orders {oid}: has no line items")
        elif subtotal != lines[oid]:
            out.append(f"orders {oid}: subtotal {subtotal} != sum of line totals {lines[oid]}")
        if order["loyalty_tier"] in rules.LOYALTY_DISCOUNT_PCT and _d(order["loyalty_discount"]) != rules.loyalty_discount(subtotal, order["loyalty_tier"]):
            out.append(f"orders {oid}: loyalty_discount {order['loyalty_discount']} != {rules.loyalty_discount(subtotal, order['loyalty_tier'])} for tier {order['loyalty_tier']}")
        if order["shipping_service"] in rules.SHIPPING_COST and _d(order["shipping_cost"]) != rules.SHIPPING_COST[order["shipping_service"]]:
            out.append(f"orders {oid}: shipping_cost {order['shipping_cost']} does not match {order['shipping_service']} shipping")
        promo = _d(order["promo_discount"])
        if promo < 0 or (promo > 0 and order["promotion_id"] is None):
            out.append(f"orders {oid}: promo_discount {promo} without a promotion or negative")
        expected = subtotal - _d(order["loyalty_discount"]) - promo + _d(order["shipping_cost"])
        if _d(order["total"]) != expected:
            out.append(f"orders {oid}: total {order['total']} != subtotal - discounts + shipping = {expected}")
    return out


def check_payments(conn: sqlite3.Connection) -> list[str]:
    out = []
    for pid, oid, amount, total in conn.execute("SELECT p.id, p.order_id, p.amount, o.total FROM payments p JOIN orders o ON o.id = p.order_id"):
        if _d(amount) != _d(total):
            out.append(f"payments {pid}: amount {amount} != total {total} of order {oid}")
    for oid, n in conn.execute("SELECT order_id, COUNT(*) FROM payments WHERE status IN ('captured', 'partially_refunded', 'refunded') GROUP BY order_id HAVING COUNT(*) > 1"):
        out.append(f"orders {oid}: {n} payments were captured (at most one may be)")
    return out


def _is_cancellation_refund(refund: dict[str, Any], payment_amount: Any) -> bool:
    """Cancelling a captured order refunds the whole payment, shipping included: not line arithmetic."""
    return refund["order_status"] == "cancelled" and _d(refund["amount"]) == _d(payment_amount)


def check_refunds(conn: sqlite3.Connection) -> list[str]:
    out = []
    refunds = _rows(conn, "SELECT r.*, p.amount AS payment_amount, p.order_id AS payment_order, o.status AS order_status, "
                          "o.loyalty_tier, o.subtotal, o.promo_discount FROM refunds r JOIN payments p ON p.id = r.payment_id "
                          "JOIN orders o ON o.id = r.order_id")
    lines_by_refund: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in _rows(conn, "SELECT rl.*, oi.order_id AS item_order, oi.unit_price, oi.quantity AS ordered FROM refund_lines rl JOIN order_items oi ON oi.id = rl.order_item_id"):
        lines_by_refund[str(line["refund_id"])].append(line)
    per_payment: dict[str, Decimal] = defaultdict(Decimal)
    payment_amount: dict[str, Decimal] = {}
    per_item: dict[str, int] = defaultdict(int)
    ordered: dict[str, int] = {}
    approvers = {eid for eid, perms in conn.execute("SELECT id, permissions FROM employees") if "issue_refund" in (perms or "")}
    for refund in refunds:
        rid, amount = refund["id"], _d(refund["amount"])
        lines = lines_by_refund.get(rid, [])
        cancellation = _is_cancellation_refund(refund, refund["payment_amount"])
        if amount <= 0:
            out.append(f"refunds {rid}: amount {amount} is not positive")
        if refund["payment_order"] != refund["order_id"]:
            out.append(f"refunds {rid}: payment {refund['payment_id']} belongs to order {refund['payment_order']}, not {refund['order_id']}")
        if not lines and not cancellation:
            out.append(f"refunds {rid}: has no refund lines and is not a cancellation refund")
        if lines and not cancellation and sum(_d(line["amount"]) for line in lines) != amount:
            out.append(f"refunds {rid}: amount {amount} != sum of its lines {sum(_d(line['amount']) for line in lines)}")
        for line in lines:
            if line["item_order"] != refund["order_id"]:
                out.append(f"refund_lines {line['id']}: item {line['order_item_id']} is not on order {refund['order_id']}")
            if int(line["quantity"]) <= 0:
                out.append(f"refund_lines {line['id']}: quantity {line['quantity']} is not positive")
            expected = rules.refund_amount_for_line(line["unit_price"], int(line["quantity"]), refund["loyalty_tier"],
                                                    order_subtotal=refund["subtotal"], order_promo_discount=refund["promo_discount"])
            if not cancellation and _d(line["amount"]) != expected:
                out.append(f"refund_lines {line['id']}: amount {line['amount']} != {expected} (price x qty less loyalty and promo share)")
            if refund["status"] != "rejected":
                per_item[str(line["order_item_id"])] += int(line["quantity"])
                ordered[str(line["order_item_id"])] = int(line["ordered"])
        if refund["status"] != "rejected":
            per_payment[refund["payment_id"]] += amount
            payment_amount[refund["payment_id"]] = _d(refund["payment_amount"])
        if refund["status"] in EFFECTIVE_REFUND and not cancellation and refund["approved_by"] not in approvers:
            out.append(f"refunds {rid}: {refund['status']} without approval by an employee with issue_refund (approved_by={refund['approved_by']})")
    for pid, total in per_payment.items():
        if total > payment_amount[pid]:
            out.append(f"payments {pid}: refunds total {total}, more than the payment amount {payment_amount[pid]}")
    for item_id, qty in per_item.items():
        if qty > ordered[item_id]:
            out.append(f"order_items {item_id}: {qty} units refunded but only {ordered[item_id]} ordered")
    return out


def check_inventory(conn: sqlite3.Connection) -> list[str]:
    return [f"inventory {iid}: on_hand {on_hand}, reserved {reserved} (negative, or more reserved than on hand)"
            for iid, on_hand, reserved in conn.execute("SELECT id, on_hand, reserved FROM inventory WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand")]


def check_tickets(conn: sqlite3.Connection) -> list[str]:
    out = []
    for tid, cid, oid, owner in conn.execute("SELECT t.id, t.customer_id, t.order_id, o.customer_id FROM support_tickets t JOIN orders o ON o.id = t.order_id WHERE o.customer_id != t.customer_id"):
        out.append(f"support_tickets {tid}: customer {cid} but order {oid} belongs to {owner}")
    for tid, cid, bid, owner in conn.execute("SELECT t.id, t.customer_id, t.build_id, b.customer_id FROM support_tickets t JOIN builds b ON b.id = t.build_id WHERE b.customer_id != t.customer_id"):
        out.append(f"support_tickets {tid}: customer {cid} but build {bid} belongs to {owner}")
    for tid, status in conn.execute("SELECT id, status FROM support_tickets WHERE status IN ('resolved', 'closed') AND (closure_reason IS NULL OR closure_reason = '')"):
        out.append(f"support_tickets {tid}: {status} without a closure_reason")
    for (tid,) in conn.execute("SELECT id FROM support_tickets t WHERE status = 'resolved' AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.ticket_id = t.id)"):
        out.append(f"support_tickets {tid}: resolved without a resolution record")
    for res_id, refund_id, ticket_order, refund_order in conn.execute(
        "SELECT r.id, r.refund_id, t.order_id, f.order_id FROM resolutions r JOIN support_tickets t ON t.id = r.ticket_id "
        "LEFT JOIN refunds f ON f.id = r.refund_id WHERE r.outcome = 'refund_issued'"
    ):
        if refund_id is None or ticket_order is None or refund_order != ticket_order:
            out.append(f"resolutions {res_id}: refund_issued must name a refund on the ticket's order (refund {refund_id}, order {ticket_order})")
    for eid, kind, department in conn.execute("SELECT id, type, department FROM escalations"):
        if rules.ESCALATION_DEPARTMENT.get(kind) != department:
            out.append(f"escalations {eid}: type {kind} goes to {rules.ESCALATION_DEPARTMENT.get(kind)}, not {department}")
    return out


INVARIANT_CHECKS: tuple[Check, ...] = (check_foreign_keys, check_enums, check_order_arithmetic, check_payments,
                                       check_refunds, check_inventory, check_tickets)


def check_invariants(conn: sqlite3.Connection) -> list[str]:
    """Violations of the rules every world state must satisfy (empty = fine)."""
    return [message for check in INVARIANT_CHECKS for message in check(conn)]


def _by_order(conn: sqlite3.Connection, sql: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(conn, sql):
        grouped[row["order_id"]].append(row)
    return grouped


def _order_story(order: dict[str, Any], payments: list[dict[str, Any]], shipments: list[dict[str, Any]],
                 refunds: list[dict[str, Any]], units_ordered: int, units_refunded: int) -> list[str]:
    """What an order's status says about its payments, shipment and refunds (policy-decisions.md)."""
    status = order["status"]
    pay = {p["status"] for p in payments}
    ship = {s["status"] for s in shipments}
    ref = {r["status"] for r in refunds}
    moving = bool(ref & set(EFFECTIVE_REFUND))
    problems = []
    if status == "pending" and (pay & {"captured", "partially_refunded", "refunded"} or shipments or refunds):
        problems.append("pending but it has a captured payment, a shipment or a refund")
    if status == "paid" and ("captured" not in pay or ship - {"label_created"} or refunds):
        problems.append("paid needs a captured payment, no shipment beyond a label, and no refunds")
    if status == "backorder" and (not pay & {"authorized", "captured"} or ship - {"label_created"}):
        problems.append("backorder needs an authorised or captured payment and nothing shipped")
    if status == "fulfilled" and (not shipments or not pay & {"captured"} or moving or "pending" in ref):
        problems.append("fulfilled needs a shipment, a captured payment and no open or approved refunds")
    if status == "cancelled":
        if ship - {"label_created"}:
            problems.append("cancelled but something shipped")
        if pay & {"captured", "partially_refunded", "pending", "authorized"}:
            problems.append("cancelled but a payment is still live (not voided, failed or refunded)")
    if status == "refund_requested" and "pending" not in ref:
        problems.append("refund_requested without a pending refund")
    if status == "partially_refunded" and (not moving or units_refunded >= units_ordered):
        problems.append(f"partially_refunded needs approved refunds for some but not all units ({units_refunded}/{units_ordered})")
    if status == "refunded" and (not moving or units_refunded < units_ordered):
        problems.append(f"refunded needs approved refunds for every unit ({units_refunded}/{units_ordered})")
    return [f"orders {order['id']}: {p}" for p in problems]


def check_coherence(conn: sqlite3.Connection) -> list[str]:
    """Violations of status agreement between orders, payments, shipments and refunds (empty = fine)."""
    out = []
    payments = _by_order(conn, "SELECT * FROM payments")
    shipments = _by_order(conn, "SELECT * FROM shipments")
    refunds = _by_order(conn, "SELECT * FROM refunds")
    ordered = dict(conn.execute("SELECT order_id, SUM(quantity) FROM order_items GROUP BY order_id").fetchall())
    refunded = dict(conn.execute(
        "SELECT r.order_id, SUM(rl.quantity) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id "
        "WHERE r.status IN ('approved', 'processed') GROUP BY r.order_id").fetchall())
    for order in _rows(conn, "SELECT id, status FROM orders"):
        oid = order["id"]
        out += _order_story(order, payments.get(oid, []), shipments.get(oid, []), refunds.get(oid, []), ordered.get(oid, 0), refunded.get(oid, 0))
    effective: dict[str, Decimal] = defaultdict(Decimal)
    for rows in refunds.values():
        for refund in rows:
            if refund["status"] in EFFECTIVE_REFUND:
                effective[refund["payment_id"]] += _d(refund["amount"])
    for rows in payments.values():
        for payment in rows:
            paid_back, amount = effective.get(payment["id"], Decimal("0")), _d(payment["amount"])
            expected = "refunded" if paid_back >= amount else ("partially_refunded" if paid_back > 0 else None)
            if expected and payment["status"] != expected:
                out.append(f"payments {payment['id']}: {payment['status']} but approved refunds total {paid_back} of {amount}")
            if not expected and payment["status"] in ("refunded", "partially_refunded"):
                out.append(f"payments {payment['id']}: {payment['status']} without approved refunds")
    for sid, status, events in conn.execute("SELECT id, status, events FROM shipments"):
        if status == "delivered" and '"delivered"' not in (events or ""):
            out.append(f"shipments {sid}: delivered without a delivered tracking event")
    return out
