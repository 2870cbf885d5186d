"""The coherence rules (mcp_server/world/coherence.py): the committed world passes them, and each rule
names a defect planted into a copy of it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli.main import main
from mcp_server.world import coherence
from mcp_server.world.store import DATA_DIR, load_template


@pytest.fixture()
def world() -> Iterator[sqlite3.Connection]:
    conn = load_template().connect_sync()
    yield conn
    conn.close()


def _ticket_on(world: sqlite3.Connection, where: str) -> tuple[str, str]:
    row = world.execute(f"SELECT t.id, t.order_id FROM support_tickets t JOIN shipments s ON s.order_id = t.order_id WHERE {where} ORDER BY t.id LIMIT 1").fetchone()
    assert row is not None, where
    return row[0], row[1]


def test_the_committed_world_passes_every_coherence_rule(world: sqlite3.Connection) -> None:
    assert coherence.check_rules(world) == {name: [] for name in coherence.COHERENCE_RULES}


def test_two_products_with_one_name_are_named(world: sqlite3.Connection) -> None:
    world.execute("UPDATE products SET name = (SELECT name FROM products WHERE id = 'prd-0071') WHERE id = 'prd-0083'")
    found = coherence.unique_product_names(world)
    assert len(found) == 1 and "prd-0071" in found[0] and "prd-0083" in found[0]


@pytest.mark.parametrize(("category", "subject"), [
    ("monitor", "PC won't boot after installing {name}"),
    ("cable", "{name} running hot"),
    ("mouse", "Overclocking my {name} made it unstable"),
])
def test_a_symptom_the_product_cannot_have_is_named(world: sqlite3.Connection, category: str, subject: str) -> None:
    name = world.execute("SELECT name FROM products WHERE category = ? ORDER BY id LIMIT 1", (category,)).fetchone()[0]
    world.execute("UPDATE support_tickets SET subject = ? WHERE id = 'tkt-00200'", (subject.format(name=name),))
    assert any(m.startswith("support_tickets tkt-00200:") for m in coherence.ticket_fits_product(world))


def test_a_return_ticket_written_before_the_delivery_is_named(world: sqlite3.Connection) -> None:
    ticket, order = _ticket_on(world, "t.type = 'return' AND s.status = 'delivered' AND s.delivered_at IS NOT NULL")
    world.execute("UPDATE support_tickets SET created_at = (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', delivered_at, '-1 day') FROM shipments WHERE order_id = ?) WHERE id = ?", (order, ticket))
    assert [m for m in coherence.ticket_after_delivery(world) if ticket in m]


def test_a_troubleshooting_ticket_on_goods_never_delivered_is_named(world: sqlite3.Connection) -> None:
    ticket, order = _ticket_on(world, "t.type = 'shipping' AND s.status = 'lost'")
    world.execute("UPDATE support_tickets SET type = 'troubleshooting', subject = 'Broken', body = 'It stopped working.' WHERE id = ?", (ticket,))
    assert [m for m in coherence.ticket_after_delivery(world) if ticket in m and "never delivered" in m]


def test_marked_delivered_on_a_lost_parcel_is_named_unless_it_is_a_designed_trap(world: sqlite3.Connection) -> None:
    ticket, _ = _ticket_on(world, "t.type = 'shipping' AND s.status IN ('lost', 'exception')")
    world.execute("UPDATE support_tickets SET subject = 'Package marked delivered but not here' WHERE id = ?", (ticket,))
    assert [m for m in coherence.ticket_matches_tracking(world, designed=set()) if ticket in m]
    assert not [m for m in coherence.ticket_matches_tracking(world, designed={ticket}) if ticket in m]


def test_the_committed_lost_parcel_trap_keeps_its_wrong_claim_and_is_in_the_manifest(world: sqlite3.Connection) -> None:
    designed = coherence.designed_lost_parcels()
    assert designed, "the generator plants at least one lost_parcel ticket"
    flagged = {m.split()[1].rstrip(":") for m in coherence.ticket_matches_tracking(world, designed=set())}
    assert flagged and flagged <= designed


def test_a_ticket_saying_its_order_arrived_before_any_delivery_is_named(world: sqlite3.Connection) -> None:
    ticket, _ = _ticket_on(world, "s.status = 'in_transit'")
    world.execute("UPDATE support_tickets SET body = 'My order arrived but the mouse wasn''t in the box.' WHERE id = ?", (ticket,))
    assert [m for m in coherence.ticket_matches_tracking(world) if ticket in m and "arrived" in m]


def test_a_tracking_event_after_the_default_clock_is_named(world: sqlite3.Connection) -> None:
    shipment, events = world.execute("SELECT id, events FROM shipments ORDER BY id LIMIT 1").fetchone()
    moved = json.loads(events)
    moved[-1]["at"] = "2025-09-16T12:00:00Z"
    world.execute("UPDATE shipments SET events = ? WHERE id = ?", (json.dumps(moved), shipment))
    world.execute("UPDATE support_tickets SET updated_at = '2025-09-15T18:00:01Z' WHERE id = 'tkt-00010'")
    found = coherence.nothing_after_clock(world)
    assert any(m.startswith(f"shipments {shipment}: tracking event") for m in found)
    assert any(m.startswith("support_tickets tkt-00010: updated_at") for m in found)


@pytest.mark.parametrize("created_at", ["kept", "null"])
def test_an_order_containing_a_product_released_after_it_was_placed_is_named(world: sqlite3.Connection, created_at: str) -> None:
    # the order time is created_at, or the first payment's time when created_at is NULL
    order, product, created, paid = world.execute(
        "SELECT o.id, i.product_id, o.created_at, (SELECT MIN(p.created_at) FROM payments p WHERE p.order_id = o.id) FROM orders o "
        "JOIN order_items i ON i.order_id = o.id WHERE o.created_at IS NOT NULL ORDER BY o.id DESC LIMIT 1").fetchone()
    placed = created
    if created_at == "null":
        world.execute("UPDATE orders SET created_at = NULL WHERE id = ?", (order,))
        placed = paid
    world.execute("UPDATE products SET released_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?, '+1 hour') WHERE id = ?", (placed, product))
    found = coherence.orders_only_released_products(world)
    assert [m for m in found if m.startswith(f"orders {order}:") and product in m]
    world.execute("UPDATE products SET released_at = ? WHERE id = ?", (placed, product))
    assert not [m for m in coherence.orders_only_released_products(world) if m.startswith(f"orders {order}:")], "released at the moment of the order is in time"


def test_a_build_saved_before_one_of_its_products_was_released_is_named(world: sqlite3.Connection) -> None:
    build, product, saved = world.execute(
        "SELECT b.id, i.product_id, b.created_at FROM builds b JOIN build_items i ON i.build_id = b.id "
        "WHERE b.created_at IS NOT NULL ORDER BY b.id LIMIT 1").fetchone()
    world.execute("UPDATE products SET released_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?, '+1 day') WHERE id = ?", (saved, product))
    assert [m for m in coherence.orders_only_released_products(world) if m.startswith(f"builds {build}:") and product in m]


def test_a_slack_message_posted_before_the_order_it_speaks_of_is_named(world: sqlite3.Connection) -> None:
    message, order, placed = world.execute(
        "SELECT m.id, o.id, o.created_at FROM slack_messages m JOIN orders o ON instr(m.text, o.id) > 0 ORDER BY m.id DESC LIMIT 1").fetchone()
    world.execute("UPDATE slack_messages SET posted_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-1 day') WHERE id = ?", (placed, message))
    assert [m for m in coherence.slack_names_existing_records(world) if m.startswith(f"slack_messages {message}:") and order in m]


def test_a_slack_message_listing_a_ticket_created_after_it_is_named(world: sqlite3.Connection) -> None:
    message = "msg-00400"
    ticket = world.execute("SELECT id FROM support_tickets ORDER BY created_at DESC LIMIT 1").fetchone()[0]
    world.execute("UPDATE slack_messages SET posted_at = '2025-09-01T12:00:00Z', ticket_ids = ? WHERE id = ?", (json.dumps([ticket]), message))
    assert [m for m in coherence.slack_names_existing_records(world) if m.startswith(f"slack_messages {message}:") and ticket in m]


def test_the_original_messages_let_stand_are_exactly_the_worlds_early_mentions(world: sqlite3.Connection) -> None:
    found = {(m.split()[1].rstrip(":"), m.split(" names ")[1].split()[1].rstrip(",")) for m in
             coherence.slack_names_existing_records(world, exempt=frozenset())}
    assert found == coherence.ORIGINAL_EARLY_MENTIONS == {("msg-00354", "tkt-00001")}
    assert all(int(message.split("-")[1]) < 398 for message, _ in found), "only original messages (before msg-00398) are let stand"


def test_world_check_names_the_rule_of_a_planted_violation_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    lines = (data / "products.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    second["name"] = first["name"]
    lines[1] = json.dumps(second, sort_keys=True, ensure_ascii=False)
    (data / "products.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["world", "check", "--data-dir", str(data)]) == 1
    err = capsys.readouterr().err
    assert "unique_product_names (1):" in err and first["id"] in err and second["id"] in err
