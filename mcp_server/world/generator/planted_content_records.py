"""World v2: the new customers and orders that planted content traps stand on.

Every record is new. The rules that keep held-out answers unchanged (names nobody has, products and
days held-out tasks do not read, queues they do not list) live in planted_orders_base.Planter, shared
with the commerce traps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mcp_server.world.generator.commerce import order_items, place_order, settle_order
from mcp_server.world.generator.common import NOW, Row, World, random_moment
from mcp_server.world.generator.planted_orders_base import Planter
from mcp_server.world.generator.support import parse



def settled_order(planter: Planter, customer: Row, moment: datetime, product: Row, service: str = "standard") -> Row:
    """A captured one-line order, shipped when its time comes (delivered if old enough)."""
    world = planter.world
    order = place_order(world, customer["id"], moment, [(product, 1, float(product["price"]))], service)
    settle_order(world, order, "fulfilled", moment)
    return order


def shipment_of(world: World, order: Row) -> Row | None:
    return next((s for s in world.rows("shipments") if s["order_id"] == order["id"]), None)


def first_product(world: World, order: Row) -> Row:
    return world.get(order_items(world, order["id"])[0]["product_id"])


def delivered_at(world: World, order: Row) -> datetime | None:
    shipment = shipment_of(world, order)
    if shipment is None or shipment["status"] != "delivered" or not shipment["delivered_at"]:
        return None
    return parse(shipment["delivered_at"])


def ticket_time(world: World, after: datetime, within_days: float = 6) -> datetime:
    """A ticket time a couple of hours after ``after``, and at least an hour before the clock."""
    latest = NOW - timedelta(hours=1)
    start = min(after + timedelta(hours=2), latest - timedelta(minutes=30))
    return random_moment(world.rng, start, min(start + timedelta(days=within_days), latest))
