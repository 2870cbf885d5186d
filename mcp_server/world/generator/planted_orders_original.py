"""The original world's instances of the order trap types, recorded in the manifest.

The designed ones come from the marks traps.py leaves in ``world.notes`` (docs/world-guide.md,
"Designed traps"); failed-then-captured payments and lost or stuck parcels also arise in the order
history (history.py: about 4 % of orders retry a payment, about 2.5 % of older shipments go astray),
and those are recorded as well.
"""

from __future__ import annotations

from mcp_server.world.generator.common import Row, World, eastern_date
from mcp_server.world.generator.support import parse

RETURN_WINDOW_MARKS = ("return_window_day30_last_day", "return_window_day31_too_late",
                       "return_window_day31_utc_says_day30", "return_window_day30_null_created_at")


def _utc_date_differs(order: Row) -> bool:
    created = order["created_at"]
    return bool(created) and eastern_date(parse(created)).isoformat() != created[:10]


def _search_cap(world: World) -> None:
    for mark in world.notes["popular_product_month"]:  # "prd-0044@2025-08:14"
        product_id, rest = mark.split("@")
        month, count = rest.split(":")
        lines = {i["order_id"] for i in world.rows("order_items") if i["product_id"] == product_id}
        orders = sorted((o for o in (world.get(oid) for oid in lines) if o["created_at"]
                         and eastern_date(parse(o["created_at"])).strftime("%Y-%m") == month), key=lambda o: (o["created_at"], o["id"]))
        world.plant("search_cap", f"original: {product_id} in {month} (Eastern): {count} orders", product_id, *(o["id"] for o in orders))


def _midnight_boundary(world: World) -> None:
    late = [*world.notes["near_midnight_eastern"], world.notes["return_window_day31_utc_says_day30"][0]]
    for order_id in late:
        order = world.get(order_id)
        if _utc_date_differs(order):  # the 00:0x ET orders keep their date in UTC: not this trap
            world.plant("midnight_boundary", f"original: placed {order['created_at']} UTC, a day earlier in Eastern",
                        order_id, order["customer_id"])


def _return_window_edge(world: World) -> None:
    for mark in RETURN_WINDOW_MARKS:
        order_id, ticket_id = world.notes[mark]
        name = mark.removeprefix("return_window_").replace("_", " ")
        world.plant("return_window_edge", f"original: {name} at the default clock", ticket_id, order_id, world.get(order_id)["customer_id"])


def _failed_then_captured(world: World) -> None:
    ticket_id, designed = world.notes["failed_payment_looks_like_double_charge"]
    payments: dict[str, list[Row]] = {}
    for payment in world.rows("payments"):
        payments.setdefault(payment["order_id"], []).append(payment)
    for order_id, rows in sorted(payments.items()):
        failed = [p for p in rows if p["status"] == "failed"]
        taken = [p for p in rows if p["captured_at"]]
        if len(rows) != 2 or len(failed) != 1 or len(taken) != 1 or failed[0]["created_at"] >= taken[0]["created_at"]:
            continue
        customer = world.get(order_id)["customer_id"]
        if order_id == designed:
            world.plant("failed_then_captured", "original: failed attempt then capture, billing ticket says charged twice",
                        order_id, failed[0]["id"], taken[0]["id"], ticket_id, customer)
        else:
            world.plant("failed_then_captured", f"original: history, {failed[0]['method']} attempt failed, then {taken[0]['method']} captured",
                        order_id, failed[0]["id"], taken[0]["id"], customer)


def _lost_parcel(world: World) -> None:
    for shipment in world.rows("shipments"):
        if shipment["status"] not in ("lost", "exception"):
            continue
        order = world.get(shipment["order_id"])
        tickets = [t["id"] for t in world.rows("support_tickets") if t["order_id"] == order["id"] and t["type"] == "shipping"]
        world.plant("lost_parcel", f"original: history, shipment {shipment['status']}", shipment["id"], order["id"], order["customer_id"], *tickets)


def plant_original(world: World) -> None:
    _search_cap(world)
    _midnight_boundary(world)
    _return_window_edge(world)
    _failed_then_captured(world)
    _lost_parcel(world)
