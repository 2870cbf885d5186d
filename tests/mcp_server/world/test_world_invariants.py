"""The committed world passes its invariants, and each check catches the breakage it is for."""

from __future__ import annotations

import sqlite3

import pytest

from mcp_server.world import store
from mcp_server.world.invariants import check_coherence, check_invariants


@pytest.fixture
def world() -> sqlite3.Connection:
    return store.load_template().connect_sync()


def test_the_committed_world_has_no_invariant_violations(world: sqlite3.Connection) -> None:
    assert check_invariants(world) == []


def test_the_committed_world_tells_one_consistent_status_story(world: sqlite3.Connection) -> None:
    assert check_coherence(world) == []


def _first(world: sqlite3.Connection, sql: str) -> str:
    return str(world.execute(sql).fetchone()[0])


def test_a_payment_that_differs_from_its_order_total_is_reported(world: sqlite3.Connection) -> None:
    payment = _first(world, "SELECT id FROM payments WHERE status = 'captured' ORDER BY id")
    world.execute("UPDATE payments SET amount = amount + 1 WHERE id = ?", (payment,))
    assert any(payment in v and "amount" in v for v in check_invariants(world))


def test_an_order_total_that_ignores_the_loyalty_discount_is_reported(world: sqlite3.Connection) -> None:
    order = _first(world, "SELECT id FROM orders WHERE loyalty_tier = 'gold' ORDER BY id")
    world.execute("UPDATE orders SET loyalty_discount = 0 WHERE id = ?", (order,))
    assert any(order in v and "loyalty_discount" in v for v in check_invariants(world))


def test_refunds_that_exceed_their_payment_are_reported(world: sqlite3.Connection) -> None:
    refund = _first(world, "SELECT id FROM refunds WHERE status = 'approved' AND order_id IN (SELECT id FROM orders WHERE status != 'cancelled') ORDER BY id")
    world.execute("UPDATE refunds SET amount = amount + 100000 WHERE id = ?", (refund,))
    assert any("more than the payment amount" in v for v in check_invariants(world))
    assert any(refund in v and "sum of its lines" in v for v in check_invariants(world))


def test_refunding_more_units_than_were_ordered_is_reported(world: sqlite3.Connection) -> None:
    line = _first(world, "SELECT rl.id FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id WHERE r.status != 'rejected' ORDER BY rl.id")
    world.execute("UPDATE refund_lines SET quantity = quantity + 5 WHERE id = ?", (line,))
    assert any("units refunded" in v for v in check_invariants(world))


def test_an_approved_refund_without_an_authorised_approver_is_reported(world: sqlite3.Connection) -> None:
    refund = _first(world, "SELECT id FROM refunds WHERE status = 'approved' AND approved_by IS NOT NULL ORDER BY id")
    world.execute("UPDATE refunds SET approved_by = 'emp-011' WHERE id = ?", (refund,))  # a frontline agent
    assert any(refund in v and "issue_refund" in v for v in check_invariants(world))


def test_a_ticket_about_another_customers_order_is_reported(world: sqlite3.Connection) -> None:
    ticket, owner = world.execute("SELECT id, customer_id FROM support_tickets WHERE order_id IS NOT NULL ORDER BY id").fetchone()
    stranger = _first(world, f"SELECT id FROM customers WHERE id != '{owner}' ORDER BY id")
    world.execute("UPDATE support_tickets SET customer_id = ? WHERE id = ?", (stranger, ticket))
    assert any(ticket in v and "belongs to" in v for v in check_invariants(world))


def test_more_stock_reserved_than_on_hand_is_reported(world: sqlite3.Connection) -> None:
    world.execute("UPDATE inventory SET reserved = on_hand + 1 WHERE id = 'inv-prd-0001-east'")
    assert any("inv-prd-0001-east" in v for v in check_invariants(world))


def test_an_escalation_sent_to_the_wrong_department_is_reported(world: sqlite3.Connection) -> None:
    escalation = _first(world, "SELECT id FROM escalations WHERE type = 'technical' ORDER BY id")
    world.execute("UPDATE escalations SET department = 'finance' WHERE id = ?", (escalation,))
    assert any(escalation in v for v in check_invariants(world))


def test_a_status_outside_its_enum_is_reported(world: sqlite3.Connection) -> None:
    world.execute("UPDATE orders SET status = 'shipped' WHERE id = ?", (_first(world, "SELECT id FROM orders ORDER BY id"),))
    assert any("'shipped'" in v for v in check_invariants(world))


def test_a_resolved_ticket_without_a_resolution_is_reported(world: sqlite3.Connection) -> None:
    world.execute("UPDATE support_tickets SET status = 'resolved', closure_reason = 'issue_resolved' WHERE id = 'tkt-00001'")
    assert any("tkt-00001" in v and "resolution" in v for v in check_invariants(world))


def test_a_dangling_reference_is_reported(world: sqlite3.Connection) -> None:
    world.execute("PRAGMA foreign_keys = OFF")
    world.execute("UPDATE order_items SET product_id = 'prd-9999' WHERE id = 'oli-000001'")
    assert any("order_items" in v and "missing" in v for v in check_invariants(world))


def test_a_refunded_order_without_refunds_breaks_the_status_story(world: sqlite3.Connection) -> None:
    order = _first(world, "SELECT id FROM orders WHERE status = 'fulfilled' ORDER BY id")
    world.execute("UPDATE orders SET status = 'refunded' WHERE id = ?", (order,))
    assert any(order in v for v in check_coherence(world))


def test_an_approved_refund_left_out_of_the_payment_status_breaks_the_status_story(world: sqlite3.Connection) -> None:
    payment = _first(world, "SELECT payment_id FROM refunds WHERE status = 'approved' AND order_id IN (SELECT id FROM orders WHERE status = 'partially_refunded') ORDER BY id")
    world.execute("UPDATE payments SET status = 'captured' WHERE id = ?", (payment,))
    assert any(payment in v for v in check_coherence(world))
