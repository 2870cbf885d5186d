"""The commerce trap instances planted for the training split (generator/planted_commerce*.py): enough of
each type, out of reach of the held-out tasks, and each one really showing its trap in the committed world."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from mcp import Client

from harness.tasks.generate.core import Exclusions, World, heldout_tasks
from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.generator.common import NOW, utc_text
from mcp_server.world.generator.people import CUSTOMER_COUNT
from mcp_server.world.generator.planted_commerce_builds import verdict
from mcp_server.world.generator.planted_orders_base import ASSIGNEES, BUSY_DAY, HELDOUT_PRODUCTS
from mcp_server.world.store import load_template
from mcp_server.world.trap_types import TrapInstance, load_manifest

ROOT = Path(__file__).resolve().parents[3]
TYPES = ("namesake", "tier_change", "incompatible_build", "promo_expired", "promo_non_stacking")
ORIGINAL = "original: "  # how the instances of the original (held-out) world are named


def _row(world: sqlite3.Connection, table: str, ident: str) -> sqlite3.Row:
    row = world.execute(f"SELECT * FROM {table} WHERE id = ?", (ident,)).fetchone()
    assert row is not None, f"{ident} is not in {table}"
    return row


def instances(trap_type: str, *, original: bool | None = None) -> list[TrapInstance]:
    return [i for i in load_manifest() if i.type == trap_type
            and (original is None or i.name.startswith(ORIGINAL) == original)]


def _ids(instance: TrapInstance, prefix: str) -> list[str]:
    return [i for i in instance.ids if i.startswith(prefix)]


@pytest.mark.parametrize("trap_type", TYPES)
def test_each_commerce_trap_type_has_at_least_thirty_planted_instances(trap_type: str) -> None:
    assert len(instances(trap_type, original=False)) >= 30


@pytest.mark.parametrize("trap_type", TYPES)
def test_the_original_worlds_instances_are_listed_too(trap_type: str) -> None:
    assert instances(trap_type, original=True)


def test_no_planted_commerce_id_is_reachable_from_a_heldout_task(world: sqlite3.Connection) -> None:
    excluded = Exclusions.from_heldout(World(world), heldout_tasks(ROOT))
    reachable = {(i.type, ident) for t in TYPES for i in instances(t, original=False) for ident in i.ids if not excluded.allows(ident)}
    assert not reachable


def test_no_heldout_customer_search_finds_a_planted_customer(world: sqlite3.Connection) -> None:
    planted = {ident for t in TYPES for i in instances(t, original=False) for ident in _ids(i, "cus-")}
    for task in heldout_tasks(ROOT):
        for call in task.reference.calls:
            if call.tool != "searchCustomers":
                continue
            for column, value in (("first_name || ' ' || last_name", call.arguments.get("name")), ("email", call.arguments.get("email"))):
                if value:
                    found = {r[0] for r in world.execute(f"SELECT id FROM customers WHERE {column} LIKE ?", (f"%{value}%",))}
                    assert not found & planted, (task.id, value)


def test_no_new_customers_order_or_ticket_touches_what_heldout_tasks_count(world: sqlite3.Connection) -> None:
    """Every planted step (order, commerce and content traps) alike: no held-out product, no order on
    the business day ir-008 counts, no held-out queue. (search_cap months keep exactly their listed
    orders: test_world_planted_orders.py.)"""
    new = f"cus-{CUSTOMER_COUNT:05d}"
    busy = (utc_text(BUSY_DAY[0]), utc_text(BUSY_DAY[1]))
    lines = world.execute("SELECT o.id, o.created_at, i.product_id FROM orders o JOIN order_items i ON i.order_id = o.id "
                          "WHERE o.customer_id > ?", (new,)).fetchall()
    assert len({order for order, _, _ in lines}) > 300
    assert [o for o, created, _ in lines if busy[0] <= created < busy[1]] == []
    assert [(o, p) for o, _, p in lines if p in HELDOUT_PRODUCTS] == []
    owners = {r[0] for r in world.execute("SELECT DISTINCT assignee_id FROM support_tickets WHERE customer_id > ?", (new,))}
    assert owners <= {*ASSIGNEES, None}


def test_namesakes_share_the_full_name_and_differ_in_email(world: sqlite3.Connection) -> None:
    for instance in instances("namesake"):
        group = [_row(world, "customers", c) for c in _ids(instance, "cus-")]
        assert len(group) >= 2 and len({(c["first_name"], c["last_name"]) for c in group}) == 1, instance
        assert len({c["email"] for c in group}) == len(group), instance
        for order_id in _ids(instance, "ord-"):
            assert _row(world, "orders", order_id)["customer_id"] == group[0]["id"], instance


def test_planted_namesakes_differ_in_tier_and_city_and_each_has_an_order(world: sqlite3.Connection) -> None:
    for instance in instances("namesake", original=False):
        group = [_row(world, "customers", c) for c in _ids(instance, "cus-")]
        assert len({c["loyalty_tier"] for c in group}) == len({c["city"] for c in group}) == len(group), instance
        assert _ids(instance, "ord-"), instance


def test_other_planted_customers_share_their_name_with_nobody(world: sqlite3.Connection) -> None:
    """Only the namesake groups share a name: an accidental namesake would blur every other trap."""
    namesakes = {c for i in instances("namesake") for c in _ids(i, "cus-")}
    others = {c for t in TYPES if t != "namesake" for i in instances(t, original=False) for c in _ids(i, "cus-")} - namesakes
    assert others
    for customer_id in sorted(others):
        customer = _row(world, "customers", customer_id)
        sharing = world.execute("SELECT COUNT(*) FROM customers WHERE first_name = ? AND last_name = ?",
                                (customer["first_name"], customer["last_name"])).fetchone()[0]
        assert sharing == 1, customer_id


def test_tier_change_orders_carry_a_tier_other_than_the_customers_current_one(world: sqlite3.Connection) -> None:
    for instance in instances("tier_change"):
        customer = _row(world, "customers", instance.ids[0])
        orders = [_row(world, "orders", o) for o in _ids(instance, "ord-")]
        assert orders, instance
        for order in orders:
            assert order["customer_id"] == customer["id"] and order["loyalty_tier"] != customer["loyalty_tier"], instance


def test_half_of_the_planted_tier_changes_have_an_open_return_on_an_old_tier_order(world: sqlite3.Connection) -> None:
    planted = instances("tier_change", original=False)
    with_ticket = [i for i in planted if _ids(i, "tkt-")]
    assert len(with_ticket) * 2 >= len(planted)
    for instance in with_ticket:
        ticket = _row(world, "support_tickets", _ids(instance, "tkt-")[0])
        assert (ticket["type"], ticket["status"]) == ("return", "open") and ticket["order_id"] in instance.ids, instance
        assert _row(world, "orders", ticket["order_id"])["status"] == "fulfilled", instance


async def test_each_incompatible_build_fails_exactly_its_named_check_by_the_rule_code() -> None:
    registry = EpisodeRegistry(load_template())
    try:
        async with Client(build_server(registry=registry)) as client:
            for instance in instances("incompatible_build"):
                defect = instance.name.removeprefix(ORIGINAL).split(" ")[0]
                report = (await client.call_tool("validateBuildCompatibility", {"build_id": instance.ids[0]})).structured_content
                found = (sorted({e["check_kind"] for e in report["errors"]}), sorted({w["check_kind"] for w in report["warnings"]}))
                assert found == verdict(defect), instance
    finally:
        await registry.close_all()


def _asked_at(world: sqlite3.Connection, instance: TrapInstance) -> str:
    """When the customer asked (the ticket's time); the original instances are about the default clock."""
    tickets = _ids(instance, "tkt-")
    return str(_row(world, "support_tickets", tickets[0])["created_at"]) if tickets else utc_text(NOW)


def test_an_expired_promotion_is_outside_its_dates_when_the_customer_asks(world: sqlite3.Connection) -> None:
    for instance in instances("promo_expired"):
        (promo,) = [_row(world, "promotions", p) for p in _ids(instance, "promo-")]
        asked = _asked_at(world, instance)
        assert not promo["starts_at"] <= asked < promo["ends_at"], instance


def test_both_promotions_of_a_stacking_ask_are_running_when_the_customer_asks(world: sqlite3.Connection) -> None:
    for instance in instances("promo_non_stacking"):
        promos = [_row(world, "promotions", p) for p in _ids(instance, "promo-")]
        asked = _asked_at(world, instance)
        assert len(promos) == 2 and all(p["starts_at"] <= asked < p["ends_at"] for p in promos), instance


@pytest.mark.parametrize("trap_type", ["promo_expired", "promo_non_stacking"])
def test_planted_promotion_asks_are_live_tickets_naming_every_code(world: sqlite3.Connection, trap_type: str) -> None:
    for instance in instances(trap_type, original=False):
        ticket = _row(world, "support_tickets", _ids(instance, "tkt-")[0])
        assert ticket["status"] in ("new", "open") and ticket["customer_id"] == _ids(instance, "cus-")[0], instance
        for promo in _ids(instance, "promo-"):
            assert _row(world, "promotions", promo)["code"] in ticket["body"], instance


def test_no_new_promotion_runs_at_a_clock_a_heldout_task_uses(world: sqlite3.Connection) -> None:
    """getProduct lists the promotions running at the world clock: held-out answers must not change."""
    clocks = {utc_text(NOW)} | {utc_text(datetime.fromisoformat(t.clock)) for t in heldout_tasks(ROOT) if t.clock}
    new = world.execute("SELECT code, starts_at, ends_at FROM promotions WHERE id > 'promo-015'").fetchall()
    assert new
    for promo in new:
        assert not any(promo["starts_at"] <= clock < promo["ends_at"] for clock in clocks), promo["code"]
