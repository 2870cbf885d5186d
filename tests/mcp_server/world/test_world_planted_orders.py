"""The order trap instances planted for the training split (generator/planted_orders*.py): enough of each
type out of reach of the held-out tasks, each one really showing its trap in the committed world, and
none of them changing what a held-out task counts."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from harness.tasks.entities import task_ids
from harness.tasks.generate.core import Exclusions, World, heldout_tasks
from mcp_server.world.clock import EARLIEST_CLOCK
from mcp_server.world.coherence import check_rules
from mcp_server.world.generator.planted_orders_base import ASSIGNEES, BUSY_DAY, HELDOUT_PRODUCTS
from mcp_server.world.invariants import check_coherence, check_invariants
from mcp_server.world.store import DEFAULT_CLOCK, load_template
from mcp_server.world.trap_types import TrapInstance, load_manifest

ROOT = Path(__file__).resolve().parents[3]
EASTERN = ZoneInfo("America/New_York")
TYPES = ("search_cap", "midnight_boundary", "return_window_edge", "failed_then_captured", "lost_parcel")
ORIGINAL = "original: "
CLOCK = datetime.fromisoformat(DEFAULT_CLOCK)


@pytest.fixture(scope="module")
def exclusions() -> Exclusions:
    return Exclusions.from_heldout(World.load(), heldout_tasks(ROOT))


def instances(trap_type: str, *, original: bool | None = None) -> list[TrapInstance]:
    """The manifest's instances of a type; ``original=False``: those planted by planted_orders, whose
    orders all belong to customers added after the original world's cus-00600."""
    found = [i for i in load_manifest() if i.type == trap_type]
    if original is None:
        return found
    return [i for i in found if _is_original(i) == original]


def _is_original(instance: TrapInstance) -> bool:
    if instance.name.startswith(ORIGINAL):
        return True
    return bool(set(instance.ids) & _original_orders())


@cache
def _original_orders() -> frozenset[str]:
    conn = load_template().connect_sync()
    try:
        return frozenset(r[0] for r in conn.execute("SELECT id FROM orders WHERE customer_id <= 'cus-00600'"))
    finally:
        conn.close()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _eastern(text: str) -> date:
    return _when(text).astimezone(EASTERN).date()


def _row(world: sqlite3.Connection, table: str, ident: str) -> sqlite3.Row:
    row = world.execute(f"SELECT * FROM {table} WHERE id = ?", (ident,)).fetchone()
    assert row is not None, f"{ident} is not in {table}"
    return row


def _one(instance: TrapInstance, prefix: str) -> str:
    found = [i for i in instance.ids if i.startswith(prefix)]
    assert len(found) == 1, f"{instance.name}: expected one {prefix} id in {instance.ids}"
    return found[0]


def _purchase_date(world: sqlite3.Connection, order_id: str) -> date:
    order = _row(world, "orders", order_id)
    paid = world.execute("SELECT MIN(created_at) FROM payments WHERE order_id = ?", (order_id,)).fetchone()[0]
    return _eastern(order["created_at"] or paid)  # policy.md section 5: the first payment stands in


@pytest.mark.parametrize("trap_type", TYPES)
def test_each_order_trap_type_has_thirty_instances_no_heldout_task_can_reach(trap_type: str, exclusions: Exclusions) -> None:
    reachable = [i.name for i in instances(trap_type, original=False) if not exclusions.allows(*i.ids)]
    assert reachable == []
    assert len([i for i in instances(trap_type) if exclusions.allows(*i.ids)]) >= 30


@pytest.mark.parametrize("trap_type", TYPES)
def test_the_original_worlds_instances_of_each_order_trap_type_are_listed_too(trap_type: str) -> None:
    assert instances(trap_type, original=True)


def test_the_heldout_product_list_covers_every_product_a_heldout_task_cites() -> None:
    cited = {i for task in heldout_tasks(ROOT) for i in task_ids(task) if i.startswith("prd-")}
    assert cited <= HELDOUT_PRODUCTS


def test_every_search_cap_instance_lists_all_of_more_than_ten_orders_of_its_product_in_one_eastern_month(world: sqlite3.Connection) -> None:
    for instance in instances("search_cap"):
        product, orders = instance.ids[0], set(instance.ids[1:])
        months = {_eastern(_row(world, "orders", o)["created_at"]).strftime("%Y-%m") for o in orders}
        assert len(months) == 1, instance.name
        month = months.pop()
        assert month in instance.name
        all_in_month = {oid for oid, created in world.execute(
            "SELECT DISTINCT o.id, o.created_at FROM orders o JOIN order_items i ON i.order_id = o.id "
            "WHERE i.product_id = ? AND o.created_at IS NOT NULL", (product,)) if _eastern(created).strftime("%Y-%m") == month}
        assert all_in_month == orders and len(orders) > 10, instance.name


def test_every_midnight_boundary_order_has_another_date_in_utc(world: sqlite3.Connection) -> None:
    month_flips = 0
    for instance in instances("midnight_boundary"):
        order = _row(world, "orders", _one(instance, "ord-"))
        assert order["customer_id"] == _one(instance, "cus-")
        eastern_day = _eastern(order["created_at"])
        assert eastern_day.isoformat() != order["created_at"][:10], instance.name
        assert _when(order["created_at"]).astimezone(EASTERN).hour >= 20, instance.name
        month_flips += eastern_day.month != int(order["created_at"][5:7])
    assert month_flips >= 10  # about a third cross into another month in UTC


def test_every_return_window_edge_ticket_is_an_open_return_on_day_30_or_31_counted_in_eastern_days(world: sqlite3.Connection) -> None:
    for instance in instances("return_window_edge"):
        ticket = _row(world, "support_tickets", _one(instance, "tkt-"))
        order_id = _one(instance, "ord-")
        assert (ticket["type"], ticket["status"], ticket["order_id"]) == ("return", "open", order_id)
        asked = CLOCK.date() if "default clock" in instance.name else _eastern(ticket["created_at"])
        day = int(re.search(r"day(30|31)", instance.name).group(1))  # type: ignore[union-attr]
        assert (asked - _purchase_date(world, order_id)).days == day, instance.name


def test_new_return_tickets_follow_delivery_and_fall_where_a_task_may_set_its_clock(world: sqlite3.Connection) -> None:
    flipped = 0
    for instance in instances("return_window_edge", original=False):
        ticket = _row(world, "support_tickets", _one(instance, "tkt-"))
        order = _row(world, "orders", _one(instance, "ord-"))
        shipment = world.execute("SELECT * FROM shipments WHERE order_id = ?", (order["id"],)).fetchone()
        asked = _when(ticket["created_at"])
        assert order["status"] == "fulfilled" and shipment["status"] == "delivered"
        assert _when(shipment["delivered_at"]) < asked and EARLIEST_CLOCK < asked < CLOCK, instance.name
        if "UTC reading says" in instance.name:  # counting UTC dates gives the other answer
            utc_days = (date.fromisoformat(ticket["created_at"][:10]) - date.fromisoformat(order["created_at"][:10])).days
            assert utc_days == (31 if "day30" in instance.name.split(":")[0] else 30), instance.name
            flipped += 1
    assert flipped >= 10


def test_every_failed_then_captured_order_failed_once_before_its_capture(world: sqlite3.Connection) -> None:
    for instance in instances("failed_then_captured"):
        order_id = _one(instance, "ord-")
        payments = [_row(world, "payments", p) for p in instance.ids if p.startswith("pay-")]
        assert all(p["order_id"] == order_id for p in payments)
        failed, captured = sorted(payments, key=lambda p: p["created_at"])
        assert failed["status"] == "failed" and failed["captured_at"] is None, instance.name
        assert captured["captured_at"] is not None and captured["created_at"] > failed["created_at"], instance.name
        for ticket_id in (i for i in instance.ids if i.startswith("tkt-")):
            ticket = _row(world, "support_tickets", ticket_id)
            assert (ticket["type"], ticket["order_id"]) == ("billing", order_id)
            assert ticket["created_at"] > captured["created_at"]


def test_every_lost_parcel_shipment_is_lost_or_in_exception_by_its_own_tracking(world: sqlite3.Connection) -> None:
    for instance in instances("lost_parcel"):
        shipment = _row(world, "shipments", _one(instance, "shp-"))
        events = json.loads(shipment["events"])
        assert shipment["order_id"] == _one(instance, "ord-")
        assert shipment["status"] in ("lost", "exception") and events[-1]["status"] == shipment["status"], instance.name
        assert shipment["delivered_at"] is None and all(e["status"] != "delivered" for e in events)
    tickets = [_row(world, "support_tickets", t) for i in instances("lost_parcel", original=False) for t in i.ids if t.startswith("tkt-")]
    assert len(tickets) >= 15 and all(t["type"] == "shipping" for t in tickets)


def _new_records(world: sqlite3.Connection) -> set[str]:
    """Every record of the customers the new order traps created."""
    customers = {i for t in TYPES for inst in instances(t, original=False) for i in inst.ids if i.startswith("cus-")}
    for inst in instances("search_cap", original=False):
        customers |= {_row(world, "orders", o)["customer_id"] for o in inst.ids[1:]}
    ids = set(customers)
    for customer in customers:
        ids |= {r[0] for r in world.execute("SELECT id FROM orders WHERE customer_id = ? UNION SELECT id FROM support_tickets "
                                            "WHERE customer_id = ?", (customer, customer))}
    for order in [i for i in ids if i.startswith("ord-")]:
        ids |= {r[0] for r in world.execute("SELECT id FROM payments WHERE order_id = ? UNION SELECT id FROM shipments "
                                            "WHERE order_id = ?", (order, order))}
    return ids


def test_the_new_order_trap_records_break_no_invariant_or_coherence_rule(world: sqlite3.Connection) -> None:
    mine = _new_records(world)
    messages = check_invariants(world) + check_coherence(world) + [m for v in check_rules(world).values() for m in v]
    assert [m for m in messages if set(re.findall(r"\b[a-z]{3}-[\d-]+\d\b", m)) & mine] == []


def test_the_new_orders_keep_out_of_what_heldout_tasks_count(world: sqlite3.Connection) -> None:
    mine = _new_records(world)
    start, end = (BUSY_DAY[0].astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  BUSY_DAY[1].astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"))
    orders = [o for o in mine if o.startswith("ord-")]
    assert orders and all(not start <= _row(world, "orders", o)["created_at"] < end for o in orders)
    products = {r[0] for o in orders for r in world.execute("SELECT product_id FROM order_items WHERE order_id = ?", (o,))}
    assert not products & HELDOUT_PRODUCTS
    owners = {_row(world, "support_tickets", t)["assignee_id"] for t in mine if t.startswith("tkt-")}
    assert owners <= {*ASSIGNEES, None}
    names = {(r["first_name"], r["last_name"]) for r in world.execute("SELECT * FROM customers WHERE id <= 'cus-00600'")}
    assert all((r["first_name"], r["last_name"]) not in names for c in mine if c.startswith("cus-")
               for r in [_row(world, "customers", c)])
