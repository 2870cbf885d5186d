"""The committed world loads into a template, and episode copies are private."""

from __future__ import annotations

import json
import sqlite3

from mcp_server.world import store

MIN_ENTITIES = 2500

def _a_fulfilled_order(conn: sqlite3.Connection) -> str:
    return str(conn.execute("SELECT id FROM orders WHERE status = 'fulfilled' ORDER BY id").fetchone()[0])


def test_template_loads_with_at_least_2500_entities_of_the_fourteen_types() -> None:
    conn = store.load_template().connect_sync()
    counts = store.world_counts(conn)
    assert sum(counts[name] for name in store.ENTITY_TYPES) >= MIN_ENTITIES


def test_every_entity_type_and_supporting_record_type_is_populated() -> None:
    conn = store.load_template().connect_sync()
    empty = [name for name, count in store.world_counts(conn).items() if count == 0]
    assert empty == []


def test_a_write_in_one_episode_copy_is_invisible_to_another_copy_and_to_the_template() -> None:
    template = store.load_template()
    first, second = template.connect_sync(), template.connect_sync()
    order = _a_fulfilled_order(first)
    first.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (order,))
    assert first.execute("SELECT status FROM orders WHERE id = ?", (order,)).fetchone()[0] == "cancelled"
    assert second.execute("SELECT status FROM orders WHERE id = ?", (order,)).fetchone()[0] == "fulfilled"
    assert template.connect_sync().execute("SELECT status FROM orders WHERE id = ?", (order,)).fetchone()[0] == "fulfilled"


def test_episode_copies_start_with_no_changes_and_record_each_write_in_changes() -> None:
    conn = store.load_template().connect_sync()
    assert conn.execute("SELECT COUNT(*) FROM _changes").fetchone()[0] == 0
    assert conn.execute("SELECT status FROM support_tickets WHERE id = 'tkt-00001'").fetchone()[0] == "open"
    conn.execute("UPDATE support_tickets SET status = 'pending_customer' WHERE id = 'tkt-00001'")
    table, row_id, op, before, after = conn.execute("SELECT tbl, row_id, op, before, after FROM _changes").fetchone()
    assert (table, row_id, op) == ("support_tickets", "tkt-00001", "update")
    assert json.loads(before)["status"] == "open"
    assert json.loads(after)["status"] == "pending_customer"


def test_a_clock_override_sets_the_copy_clock_and_leaves_the_default_elsewhere() -> None:
    template = store.load_template()
    moved = template.connect_sync(clock="2025-10-01T09:00:00-04:00")
    assert moved.execute("SELECT value FROM _meta WHERE key = 'clock'").fetchone()[0] == "2025-10-01T09:00:00-04:00"
    assert moved.execute("SELECT COUNT(*) FROM _changes").fetchone()[0] == 0
    default = template.connect_sync()
    assert default.execute("SELECT value FROM _meta WHERE key = 'clock'").fetchone()[0] == store.DEFAULT_CLOCK


def test_json_columns_hold_real_json_lists_and_objects() -> None:
    conn = store.load_template().connect_sync()
    specs, permissions = conn.execute(
        "SELECT p.specs, e.permissions FROM products p, employees e WHERE p.id = 'prd-0001' AND e.id = 'emp-001'"
    ).fetchone()
    assert isinstance(json.loads(specs), dict)
    assert "issue_refund" in json.loads(permissions)
