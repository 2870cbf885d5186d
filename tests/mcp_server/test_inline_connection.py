"""Copy-on-write worlds: episodes read the shared template until they write, and never see each other."""

from __future__ import annotations

from functools import partial

import aiosqlite
import pytest

from mcp_server.episodes import EpisodeRegistry
from mcp_server.inline_connection import CopyOnWriteConnection
from mcp_server.tools.runtime import fetch_all, reset_current_episode, set_current_episode, writing
from mcp_server.world.store import load_template

TEMPLATE = load_template()
CLOCK = "2025-12-24T18:30:00+00:00"


def world(clock: str | None = None) -> CopyOnWriteConnection:
    db = CopyOnWriteConnection(TEMPLATE.reader(), partial(TEMPLATE.connect_sync, clock))
    db.row_factory = aiosqlite.Row
    return db


async def customer_ids(db: aiosqlite.Connection) -> list[str]:
    return [row["id"] for row in await db.execute_fetchall("SELECT id FROM customers ORDER BY id")]


async def test_an_episode_that_only_reads_shares_the_template_reader_and_gets_no_copy() -> None:
    db = world()
    try:
        assert await customer_ids(db) == [row[0] for row in TEMPLATE.reader().execute("SELECT id FROM customers ORDER BY id")]
        async with db.execute("SELECT COUNT(*) FROM _changes") as cursor:
            assert (await cursor.fetchone())[0] == 0
        await db.commit()  # nothing to commit, and no reason to copy the world for it
        assert not db.materialized and not db.in_transaction and db.total_changes == 0
    finally:
        await db.close()


async def test_the_first_write_gives_the_episode_a_private_copy_with_change_capture() -> None:
    first, second = world(), world()
    try:
        [customer, *_] = await customer_ids(first)
        await first.execute("BEGIN IMMEDIATE")
        await first.execute("UPDATE customers SET notes = 'mine' WHERE id = ?", (customer,))
        await first.commit()
        assert first.materialized and not second.materialized
        notes = "SELECT notes FROM customers WHERE id = ?"
        assert (await first.execute_fetchall(notes, (customer,)))[0][0] == "mine"
        assert (await second.execute_fetchall(notes, (customer,)))[0][0] != "mine"
        assert TEMPLATE.reader().execute(notes, (customer,)).fetchone()[0] != "mine"
        changes = await first.execute_fetchall("SELECT tbl, row_id, op FROM _changes")
        assert [tuple(row) for row in changes] == [("customers", customer, "update")]
    finally:
        await first.close()
        await second.close()


async def test_a_write_disguised_as_a_read_runs_in_the_copy_and_leaves_the_reader_untouched() -> None:
    db = world()
    try:
        [customer, *_] = await customer_ids(db)
        await db.execute("WITH target AS (SELECT ?) UPDATE customers SET notes = 'via with' WHERE id IN target", (customer,))
        assert db.materialized
        assert [tuple(r) for r in await db.execute_fetchall("SELECT tbl, op FROM _changes")] == [("customers", "update")]
        reader = TEMPLATE.reader()
        assert reader.execute("PRAGMA query_only").fetchone()[0] == 1 and not reader.in_transaction
        assert reader.execute("SELECT COUNT(*) FROM customers WHERE notes = 'via with'").fetchone()[0] == 0
    finally:
        await db.close()


async def test_an_unwritten_episode_reads_its_own_clock_from_meta() -> None:
    db = world(CLOCK)
    try:
        async with db.execute("SELECT value FROM _meta WHERE key = 'clock'") as cursor:
            assert (await cursor.fetchone())[0] == CLOCK
        assert (await db.execute_fetchall("SELECT COUNT(*) FROM _changes"))[0][0] == 0  # the clock is no change
    finally:
        await db.close()


async def test_interleaved_cursors_of_two_episodes_on_the_shared_reader_each_get_their_own_rows() -> None:
    first, second = world(), world()
    try:
        expected = await customer_ids(first)
        sql = "SELECT id FROM customers WHERE id >= ? ORDER BY id"
        from_start = await first.execute(sql, (expected[0],))
        head = [row["id"] for row in await from_start.fetchmany(5)]
        from_middle = await second.execute(sql, (expected[len(expected) // 2],))  # the same statement text, in use
        assert [row["id"] for row in await from_middle.fetchmany(3)] == expected[len(expected) // 2:][:3]
        # the second episode writes while both cursors are open on the reader: neither cursor notices
        await second.execute("UPDATE customers SET notes = 'second' WHERE id = ?", (expected[0],))
        rest = [row["id"] for row in await from_start.fetchall()]
        assert head + rest == expected
        assert [row["id"] for row in await from_middle.fetchall()] == expected[len(expected) // 2:][3:]
        assert not first.materialized and second.materialized
    finally:
        await first.close()
        await second.close()


async def test_closing_an_unwritten_episode_leaves_the_reader_open_for_the_others() -> None:
    first, second = world(), world()
    await first.close()
    try:
        assert len(await customer_ids(second)) > 0
        with pytest.raises(ValueError, match="closed"):
            await first.execute("SELECT 1")
    finally:
        await second.close()


async def test_hooks_such_as_an_authorizer_give_the_episode_its_copy_and_see_every_later_read() -> None:
    db = world()
    try:
        await db.set_authorizer(None)  # turning a hook off costs nothing
        assert not db.materialized
        tables: set[str] = set()

        def record(action: int, table: str | None, *_: object) -> int:
            if table:
                tables.add(table)
            return 0  # SQLITE_OK

        await db.set_authorizer(record)
        await db.execute_fetchall("SELECT COUNT(*) FROM orders")
        assert db.materialized and "orders" in tables
    finally:
        await db.close()


async def test_episodes_interleaving_tool_reads_and_writes_see_only_their_own_changes() -> None:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        episodes = [await registry.get(f"ep-{n}") for n in range(3)]
        [customer, *_] = await customer_ids(episodes[0].db)

        async def act(index: int) -> list[str]:
            token = set_current_episode(episodes[index])
            try:
                if index != 1:  # episode 1 never writes
                    async with writing() as db:
                        await db.execute("UPDATE customers SET notes = ? WHERE id = ?", (f"by {index}", customer))
                return [row["notes"] for row in await fetch_all("SELECT notes FROM customers WHERE id = ?", (customer,))]
            finally:
                reset_current_episode(token)

        original = TEMPLATE.reader().execute("SELECT notes FROM customers WHERE id = ?", (customer,)).fetchone()[0]
        assert [await act(n) for n in (0, 1, 2)] == [["by 0"], [original], ["by 2"]]
        assert [episode.has_private_copy for episode in episodes] == [True, False, True]
        assert [len(await episode.changes()) for episode in episodes] == [1, 0, 1]
        assert await episodes[1].last_change_seq() == 0
    finally:
        await registry.close_all()
