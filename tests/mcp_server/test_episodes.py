"""The episode registry: private worlds, capacity, idle expiry, exports, and the inline connection."""

from __future__ import annotations

import sqlite3
import time

import aiosqlite
import anyio
import pytest

from mcp_server.episodes import EpisodeExport, EpisodeRegistry, InlineConnection
from mcp_server.errors import EpisodeError
from mcp_server.world.store import load_template

TEMPLATE = load_template()


async def first_customer_id(db: aiosqlite.Connection) -> str:
    async with db.execute("SELECT id FROM customers ORDER BY id LIMIT 1") as cursor:
        row = await cursor.fetchone()
    assert row is not None, "the world has no customers"
    return str(row[0])


async def customer_notes(db: aiosqlite.Connection, customer_id: str) -> str | None:
    async with db.execute("SELECT notes FROM customers WHERE id = ?", (customer_id,)) as cursor:
        row = await cursor.fetchone()
    return row[0]


def collector() -> tuple[list[EpisodeExport], object]:
    exports: list[EpisodeExport] = []

    async def on_close(export: EpisodeExport) -> None:
        exports.append(export)

    return exports, on_close


async def test_each_episode_writes_to_its_own_copy_of_the_world() -> None:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        first, second = await registry.get("ep-1"), await registry.get("ep-2")
        customer = await first_customer_id(first.db)
        original = await customer_notes(second.db, customer)
        await first.db.execute("UPDATE customers SET notes = 'changed in ep-1' WHERE id = ?", (customer,))
        assert await customer_notes(first.db, customer) == "changed in ep-1"
        assert await customer_notes(second.db, customer) == original
        assert [c.op for c in await first.changes()] == ["update"]
        assert await second.changes() == []
    finally:
        await registry.close_all()


async def test_the_same_id_returns_the_same_episode() -> None:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        assert await registry.get("ep-1") is await registry.get("ep-1")
        assert len(registry) == 1
        assert registry.opened_total == 1
    finally:
        await registry.close_all()


async def test_a_full_registry_refuses_new_episodes_with_a_clear_error() -> None:
    registry = EpisodeRegistry(TEMPLATE, max_episodes=2)
    try:
        await registry.get("ep-1")
        await registry.get("ep-2")
        with pytest.raises(EpisodeError, match=r"maximum of 2 episodes.*DELETE /episodes/<id>"):
            await registry.get("ep-3")
        assert await registry.get("ep-1") is not None  # existing episodes are still served
    finally:
        await registry.close_all()


async def test_a_full_registry_makes_room_by_retiring_idle_episodes() -> None:
    exports, on_close = collector()
    registry = EpisodeRegistry(TEMPLATE, max_episodes=1, idle_timeout_s=60, on_close=on_close)  # type: ignore[arg-type]
    try:
        old = await registry.get("old")
        old.last_used = time.monotonic() - 120
        await registry.get("new")
        assert registry.ids() == ["new"]
        assert old.closed
        assert [(e.episode_id, e.end_reason) for e in exports] == [("old", "expired")]
    finally:
        await registry.close_all()


async def test_expire_idle_retires_only_episodes_past_the_timeout() -> None:
    exports, on_close = collector()
    registry = EpisodeRegistry(TEMPLATE, idle_timeout_s=60, on_close=on_close)  # type: ignore[arg-type]
    try:
        (await registry.get("idle")).last_used = time.monotonic() - 61
        await registry.get("busy")
        assert await registry.expire_idle() == 1
        assert registry.ids() == ["busy"]
        assert [e.episode_id for e in exports] == ["idle"]
    finally:
        await registry.close_all()


async def test_run_expiry_retires_idle_episodes_in_the_background() -> None:
    retired = anyio.Event()
    exports: list[EpisodeExport] = []

    async def on_close(export: EpisodeExport) -> None:
        exports.append(export)
        retired.set()

    registry = EpisodeRegistry(TEMPLATE, idle_timeout_s=0.01, on_close=on_close)
    try:
        await registry.get("ep-1")
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(registry.run_expiry, 0.01)
                await retired.wait()
                tasks.cancel_scope.cancel()
        assert len(registry) == 0
        assert exports[0].end_reason == "expired"
    finally:
        await registry.close_all()


async def test_close_returns_the_final_export_and_forgets_the_episode() -> None:
    exports, on_close = collector()
    registry = EpisodeRegistry(TEMPLATE, on_close=on_close)  # type: ignore[arg-type]
    episode = await registry.get("ep-1")
    customer = await first_customer_id(episode.db)
    await episode.db.execute("UPDATE customers SET notes = 'x' WHERE id = ?", (customer,))
    export = await registry.close("ep-1")
    assert export is not None and export.end_reason == "closed"
    assert [(c.table, c.row_id, c.op) for c in export.changes] == [("customers", customer, "update")]
    assert exports == [export]
    assert registry.find("ep-1") is None and episode.closed
    assert await registry.close("ep-1") is None


async def test_close_all_hands_every_open_episode_to_the_hook() -> None:
    exports, on_close = collector()
    registry = EpisodeRegistry(TEMPLATE, on_close=on_close)  # type: ignore[arg-type]
    await registry.get("ep-1")
    await registry.get("ep-2")
    await registry.close_all()
    assert sorted((e.episode_id, e.end_reason) for e in exports) == [("ep-1", "shutdown"), ("ep-2", "shutdown")]
    assert len(registry) == 0


async def test_a_failing_hook_does_not_stop_the_episode_from_closing() -> None:
    async def broken(_export: EpisodeExport) -> None:
        raise OSError("disk full")

    registry = EpisodeRegistry(TEMPLATE, on_close=broken)
    episode = await registry.get("ep-1")
    assert await registry.close("ep-1") is not None
    assert episode.closed


@pytest.mark.parametrize("episode_id", ["", "../etc/passwd", ".hidden", "a/b", "a\\b", "c:x", "x" * 129, "ep 1", "é"])
async def test_episode_ids_that_are_not_safe_file_names_are_refused(episode_id: str) -> None:
    registry = EpisodeRegistry(TEMPLATE)
    with pytest.raises(EpisodeError, match="episode ids are"):
        await registry.get(episode_id)
    assert len(registry) == 0


async def test_a_clock_override_is_the_episode_clock_and_is_written_into_its_world() -> None:
    registry = EpisodeRegistry(TEMPLATE, clock="2025-10-01T09:00:00-04:00")
    try:
        default, custom = await registry.get("ep-1"), await registry.get("ep-2", clock="2025-12-24T18:30:00+00:00")
        assert default.clock.isoformat() == "2025-10-01T09:00:00-04:00"
        assert custom.clock.isoformat() == "2025-12-24T18:30:00+00:00"
        async with custom.db.execute("SELECT value FROM _meta WHERE key = 'clock'") as cursor:
            assert (await cursor.fetchone())[0] == "2025-12-24T18:30:00+00:00"
        assert await custom.changes() == []  # configuration, not an episode change
    finally:
        await registry.close_all()


async def test_a_clock_without_time_zone_is_refused_with_how_to_write_it() -> None:
    registry = EpisodeRegistry(TEMPLATE)
    with pytest.raises(EpisodeError, match="time zone"):
        await registry.get("ep-1", clock="2025-09-15T14:00:00")
    assert len(registry) == 0


async def test_the_inline_connection_keeps_the_aiosqlite_api() -> None:
    db = InlineConnection(TEMPLATE.connect_sync())
    db.row_factory = aiosqlite.Row
    assert isinstance(db, aiosqlite.Connection)
    assert await db is db
    async with db.execute("SELECT COUNT(*) AS n FROM customers") as cursor:
        count = (await cursor.fetchone())["n"]
    assert count > 0
    assert len(list(await db.execute_fetchall("SELECT id FROM customers"))) == count
    seen = [row["id"] async for row in await db.execute("SELECT id FROM customers")]
    assert len(seen) == count
    await db.execute("BEGIN IMMEDIATE")
    await db.execute("UPDATE customers SET notes = 'rolled back'")
    await db.rollback()
    async with db.execute("SELECT COUNT(*) FROM customers WHERE notes = 'rolled back'") as cursor:
        assert (await cursor.fetchone())[0] == 0
    copy = sqlite3.connect(":memory:")
    await db.backup(copy)
    assert copy.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == count
    copy.close()
    await db.close()
    await db.close()  # closing twice is harmless
    with pytest.raises(ValueError, match="connection"):
        await db.execute("SELECT 1")


async def test_episode_creation_needs_no_worker_thread() -> None:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        episode = await registry.get("ep-1")
        assert isinstance(episode.db, InlineConnection)
        assert not episode.db._thread.is_alive()
    finally:
        await registry.close_all()


def test_a_bad_default_clock_is_refused_when_the_registry_is_built() -> None:
    with pytest.raises(Exception, match="time zone"):
        EpisodeRegistry(TEMPLATE, clock="2025-09-15")
