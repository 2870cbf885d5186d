"""The committed world loads into a template, and episode copies are private."""

from __future__ import annotations

from mcp_server.world import store

MIN_ENTITIES = 2500


def test_template_loads_with_at_least_2500_entities_of_the_fourteen_types() -> None:
    conn = store.load_template().connect_sync()
    counts = store.world_counts(conn)
    assert sum(counts[name] for name in store.ENTITY_TYPES) >= MIN_ENTITIES


def test_every_entity_type_and_supporting_record_type_is_populated() -> None:
    conn = store.load_template().connect_sync()
    empty = [name for name, count in store.world_counts(conn).items() if count == 0]
    assert empty == []
