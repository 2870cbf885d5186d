"""Information-retrieval families: order status by name and email, warranty end date, shipment
delay explanation, and counting a product's orders in a US Eastern month (searchOrders cap)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, MONTHS, Exclusions, Instance, World, called, date_pattern, eastern_bounds, eastern_day, full_name,
    identify_calls, long_date, no_writes, pick, says,
)
from mcp_server.world import rules

SHIPMENT_WORDS = {
    "delivered": ["delivered"],
    "in_transit": ["in transit", "on its way", "on the way"],
    "out_for_delivery": ["out for delivery"],
    "exception": ["exception", "failed", "address issue", "problem", "issue"],
    "lost": ["lost"],
    "label_created": ["label", "not yet shipped", "not shipped", "hasn't shipped", "has not shipped", "not been picked up"],
}
ORDER_WORDS = {
    "backorder": ["backorder", "back order", "back-order"],
    "paid": ["paid", "not shipped", "not yet shipped", "being prepared", "preparing"],
    "pending": ["pending"],
}


def _frontline(world: World, exclusions: Exclusions) -> list[dict[str, Any]]:
    return [e for e in world.employees("support_role IN ('frontline', 'specialist')") if exclusions.allows(e["id"])]


def _asker(world: World, rng: random.Random, exclusions: Exclusions, customer: dict[str, Any]) -> tuple[str, str, str]:
    """(requester, requester_id, voice): a third of the instances come from a colleague."""
    staff = _frontline(world, exclusions)
    if staff and rng.random() < 0.34:
        employee = staff[rng.randrange(len(staff))]
        return "employee", employee["id"], "employee"
    return "customer", customer["id"], "customer"


def order_status(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, s.status AS ship_status, s.carrier AS ship_carrier, s.tracking_number, s.events FROM orders o "
        "LEFT JOIN shipments s ON s.order_id = o.id WHERE o.created_at IS NOT NULL AND "
        "(s.id IS NOT NULL OR o.status IN ('backorder', 'paid', 'pending')) ORDER BY o.id")
    rng.shuffle(orders)
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        day = eastern_day(order["created_at"])
        same_day = world.value("SELECT COUNT(*) FROM orders WHERE customer_id = ? AND substr(id, 5, 6) = ?",
                               (customer["id"], order["id"][4:10]))
        if same_day != 1 or world.value("SELECT COUNT(*) FROM shipments WHERE order_id = ?", (order["id"],)) > 1:
            continue
        words = SHIPMENT_WORDS[order["ship_status"]] if order["ship_status"] else ORDER_WORDS[order["status"]]
        give_id = rng.random() < 0.3
        shared = world.name_is_shared(customer)
        difficulty = "easy" if give_id else ("hard" if shared or order["ship_status"] in ("exception", "lost") else "medium")
        requester, requester_id, voice = _asker(world, rng, exclusions, customer)
        when = f"{MONTHS[day.month - 1]} {day.day}"
        ref = f"order {order['id']}" if give_id else f"the order I placed on {when}"
        if voice == "customer":
            prompt = pick(rng, [
                f"Hi, I'm {full_name(customer)} ({customer['email']}). Can you tell me what's going on with {ref}? Has it shipped?",
                f"Hello - {full_name(customer)} here, email {customer['email']}. Where is {ref}? I'd like the current status and tracking.",
                f"Could you check {ref} for me? Name's {full_name(customer)}, account email {customer['email']}. Just want to know where things stand.",
            ])
        else:
            them = f"order {order['id']}" if give_id else f"the order they placed on {when}"
            prompt = pick(rng, [
                f"Customer on the phone: {full_name(customer)}, {customer['email']}. They want the status of {them}, with tracking if it shipped. Can you look it up?",
                f"Can you pull up {them} for {full_name(customer)} ({customer['email']})? I need the order status and where the package is.",
            ])
        calls = identify_calls(customer)
        if not give_id:
            start, end = eastern_bounds(day, day + timedelta(days=1))
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "created_after": start, "created_before": end}})
        calls.append({"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}})
        criteria = [
            says("names-order", f"The reply identifies the order {order['id']}", contains_all=[order["id"]]),
            says("gives-status", f"The reply gives the current status ({order['ship_status'] or order['status']})", contains_any=words),
            called("looked-up-order", "The agent opened the order's details", "getOrderDetails", {"order_id": order["id"]}),
            no_writes(),
        ]
        reply = f"I found order {order['id']}, placed on {long_date(day)}. "
        if order["ship_status"]:
            last = json.loads(order["events"])[-1]
            reply += (f"Its shipment with {order['ship_carrier']} (tracking {order['tracking_number']}) is {words[0]}: "
                      f"the latest update is \"{last['note']}\" at {last['location']}.")
            criteria.insert(2, says("gives-tracking", "The reply gives the tracking number", contains_all=[order["tracking_number"]]))
            if order["ship_status"] in ("exception", "lost"):
                criteria.insert(3, says("gives-carrier", "The reply names the carrier", contains_all=[order["ship_carrier"]]))
        else:
            reply += f"It has not shipped yet: the order is {words[0]}."
        out.append(Instance("information_retrieval", difficulty, requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"]], tags=["discovery", "order-status"]))
    return out


def warranty_end(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = world.all(
        "SELECT oi.order_id, oi.product_id, p.name, p.warranty_months, p.category, o.customer_id, o.created_at, "
        "(SELECT MAX(delivered_at) FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL) AS delivered "
        "FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id "
        "WHERE o.status IN ('fulfilled', 'partially_refunded') AND o.created_at < '2025-08-01' "
        "AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.status = 'delivered') ORDER BY oi.id")
    rng.shuffle(rows)
    out: list[Instance] = []
    today = rules.eastern_date(DEFAULT_NOW)
    seen: set[str] = set()
    for row in rows:
        customer = world.customer(row["customer_id"])
        if row["customer_id"] in seen or not exclusions.allows(row["order_id"], row["customer_id"], row["product_id"]):
            continue
        dupes = world.value("SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id "
                            "WHERE o.customer_id = ? AND oi.product_id = ?", (customer["id"], row["product_id"]))
        if dupes != 1:
            continue
        seen.add(row["customer_id"])
        no_delivery = row["delivered"] is None
        start = eastern_day(row["delivered"]) if row["delivered"] else eastern_day(row["created_at"])
        end = rules.add_months(start, row["warranty_months"])
        under = today <= end
        bought = eastern_day(row["created_at"])
        give_id = rng.random() < 0.35
        difficulty = "easy" if give_id else ("hard" if no_delivery or not under or (end - today).days < 45 else "medium")
        requester, requester_id, voice = _asker(world, rng, exclusions, customer)
        what = f"the {row['name']}" + (f" from order {row['order_id']}" if give_id else f" I bought in {MONTHS[bought.month - 1]} {bought.year}")
        if voice == "customer":
            prompt = pick(rng, [
                f"Hi, this is {full_name(customer)} ({customer['email']}). Is {what} still under warranty, and until what date?",
                f"{full_name(customer)} here, {customer['email']}. How long is the warranty on {what}? I need the exact end date.",
                f"Quick question about {what}: when does the warranty run out? My email is {customer['email']} ({full_name(customer)}).",
            ])
        else:
            their = what.replace(" I bought", " they bought")
            prompt = pick(rng, [
                f"{full_name(customer)} ({customer['email']}) is asking whether {their} is still covered by warranty and until when. Can you check?",
                f"Warranty question from {full_name(customer)}, {customer['email']}: what's the warranty end date for {their}?",
            ])
        calls = identify_calls(customer)
        if not give_id:
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "product_id": row["product_id"]}})
        calls.append({"tool": "checkWarrantyStatus", "arguments": {"order_id": row["order_id"], "product_id": row["product_id"]}})
        basis = "the purchase date, since no delivery date is recorded" if no_delivery else "the delivery date"
        if under:
            verdict = f"It is still under warranty until {long_date(end)} ({(end - today).days} days from today)."
            status = says("says-covered", "The reply says the item is still under warranty", contains_any=["under warranty", "still covered", "covered until", "covered through", "valid until", "still valid", "active"])
        else:
            verdict = f"Its warranty ended on {long_date(end)}, so it is no longer covered."
            status = says("says-expired", "The reply says the warranty has ended", pattern=r"(expired|ended|no longer|not covered|out of warranty|has run out|ran out)")
        reply = (f"The {row['name']} on order {row['order_id']} has a {row['warranty_months']}-month warranty counted from "
                 f"{basis} ({long_date(start)}). {verdict}")
        criteria = [
            says("end-date", f"The reply gives the warranty end date {end.isoformat()}", pattern=date_pattern(end)),
            status,
            called("checked-warranty", "The agent checked the warranty with checkWarrantyStatus for this order and product",
                   "checkWarrantyStatus", {"order_id": row["order_id"], "product_id": row["product_id"]}),
            no_writes(),
        ]
        if no_delivery:
            criteria.insert(2, says("from-purchase", "The reply says the warranty runs from the purchase date (no delivery recorded)", contains_any=["purchase date", "date of purchase", "purchased", "order date"]))
        out.append(Instance("information_retrieval", difficulty, requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], row["order_id"], row["product_id"]], tags=["warranty", "discovery"]))
    return out


def product_month_count(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    pairs = world.all(
        "SELECT oi.product_id, substr(o.id, 5, 4) AS ym, COUNT(DISTINCT o.id) AS n, p.name, "
        "SUM(substr(o.created_at, 6, 2) != substr(o.id, 7, 2)) AS crossing FROM order_items oi "
        "JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id "
        "GROUP BY 1, 2 HAVING n >= 3 ORDER BY 1, 2")
    rng.shuffle(pairs)
    staff = [e for e in world.employees("department IN ('product_management', 'marketing', 'operations', 'finance')")
             if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for pair in pairs:
        if not staff or not exclusions.allows(pair["product_id"]):
            continue
        year, month = 2000 + int(pair["ym"][:2]), int(pair["ym"][2:])
        first = date(year, month, 1)
        after = date(year + (month == 12), month % 12 + 1, 1)
        orders = [r["id"] for r in world.all(
            "SELECT DISTINCT o.id FROM orders o JOIN order_items oi ON oi.order_id = o.id "
            "WHERE oi.product_id = ? AND substr(o.id, 5, 4) = ? ORDER BY o.id", (pair["product_id"], pair["ym"]))]
        if any(not exclusions.allows(o) for o in orders):
            continue
        employee = staff[rng.randrange(len(staff))]
        cuts = [first, after] if len(orders) < 10 else [first, *(date(year, month, d) for d in (8, 16, 24)), after]
        windows = list(zip(cuts, cuts[1:]))
        calls: list[dict[str, Any]] = [{"tool": "searchProducts", "arguments": {"query": pair["name"]}}]
        for lo, hi in windows:
            start, end = eastern_bounds(lo, hi)
            calls.append({"tool": "searchOrders", "arguments": {"product_id": pair["product_id"], "created_after": start, "created_before": end, "limit": 50}})
        listing = len(orders) <= 5
        difficulty = "hard" if pair["crossing"] or len(orders) >= 10 else ("medium" if listing else "easy")
        month_name = f"{MONTHS[month - 1]} {year}"
        ask_list = " and list the order ids" if listing else ""
        prompt = pick(rng, [
            f"How many orders included the {pair['name']} in {month_name}? Count by our business day (US Eastern){ask_list}.",
            f"For a sales review I need the number of orders containing {pair['name']} placed in {month_name}{ask_list}. Every order counts, whatever its status.",
            f"Can you count the orders with a {pair['name']} on them from {month_name} (Eastern time){ask_list}? Include cancelled and refunded ones.",
        ])
        criteria = [
            says("count", f"The reply gives the count: {len(orders)} orders", numbers=[len(orders)]),
            called("searched-product", "The agent searched orders by the product's id", "searchOrders", {"product_id": pair["product_id"]}),
            no_writes(),
        ]
        if len(orders) >= 10:
            criteria.insert(2, called("narrowed", "The agent narrowed the date window (several order searches for the product), since one search returns at most 10",
                                      "searchOrders", {"product_id": pair["product_id"]}, min_calls=2))
        if listing:
            criteria.insert(1, says("lists-orders", "The reply lists every order id", contains_all=orders))
        reply = (f"{len(orders)} orders included the {pair['name']} ({pair['product_id']}) in {month_name} (US Eastern dates): "
                 + ", ".join(orders) + ".")
        out.append(Instance("information_retrieval", difficulty, "employee", employee["id"], prompt, calls, reply, criteria,
                            entities=[pair["product_id"], *orders], tags=["search-cap", "time-zone", "count"]))
    return out


FAMILIES = {
    "order-status": (order_status, 130),
    "warranty-end": (warranty_end, 130),
    "product-month-count": (product_month_count, 90),
}
