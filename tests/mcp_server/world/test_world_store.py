"""The committed world loads into a template, and episode copies are private."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

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


def _load_fresh(monkeypatch: pytest.MonkeyPatch) -> store.Template:
    monkeypatch.setattr(store, "_TEMPLATES", {})  # forget the process's copy: read the disk cache again
    return store.load_template()


def _cached_image(cache: Path) -> Path:
    [image] = cache.glob("world-*.sqlite")
    return image


def test_the_cached_image_is_written_with_a_digest_of_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORECRAFT_CACHE_DIR", str(tmp_path))
    template = _load_fresh(monkeypatch)
    image = _cached_image(tmp_path)
    assert image.read_bytes() == template.image
    assert (tmp_path / f"{image.name}.sha256").read_text() == hashlib.sha256(template.image).hexdigest()


def test_an_edited_cache_image_is_rebuilt_from_the_data_not_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORECRAFT_CACHE_DIR", str(tmp_path))
    genuine = _load_fresh(monkeypatch).image
    edit = sqlite3.connect(_cached_image(tmp_path))
    try:  # what the probe did: every permission for everyone
        edit.execute("""UPDATE employees SET permissions = '["issue_refund","edit_order","cancel_order","escalate","kb_edit","policy_override"]'""")
        edit.commit()
    finally:
        edit.close()
    assert _cached_image(tmp_path).read_bytes() != genuine
    reloaded = _load_fresh(monkeypatch)
    assert reloaded.image == genuine
    assert _cached_image(tmp_path).read_bytes() == genuine  # the cache is repaired, too


def test_a_cache_image_without_its_digest_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORECRAFT_CACHE_DIR", str(tmp_path))
    genuine = _load_fresh(monkeypatch).image
    image = _cached_image(tmp_path)
    image.write_bytes(genuine[: len(genuine) // 2])  # cut short, and its digest lost
    (tmp_path / f"{image.name}.sha256").unlink()
    assert _load_fresh(monkeypatch).image == genuine
    assert (tmp_path / f"{image.name}.sha256").read_text() == hashlib.sha256(genuine).hexdigest()
