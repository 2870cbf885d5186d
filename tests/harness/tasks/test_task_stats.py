from __future__ import annotations

from corecraft_test_support import fixture_server

from harness.tasks.entities import ids_in, table_of_id, task_ids
from harness.tasks.replay import replay_references
from harness.tasks.stats import render_stats, task_stats


def test_ids_are_recognised_by_their_prefix() -> None:
    assert table_of_id("ord-250830-110") == "orders"
    assert table_of_id("shp-000001") == "shipments"
    assert table_of_id("inv-prd-0001-east") == "inventory"
    assert table_of_id("gold") is None and table_of_id("opened_undamaged") is None and table_of_id("cus-") is None
    assert list(ids_in({"lines": [{"order_item_id": "oli-000003", "qty": 1}], "note": "see tkt-00012", "id": "ref-00001"})) == [
        "oli-000003", "ref-00001",
    ]


def test_task_ids_gather_requester_entities_and_reference_arguments(suite) -> None:  # type: ignore[no-untyped-def]
    assert task_ids(suite["fx-no-third-party-pii"].task) == ["cus-00003", "cus-00001"]
    assert task_ids(suite["fx-account-note"].task) == ["emp-001", "cus-00001"]


async def test_replay_records_the_tables_reference_calls_read_and_write(template, suite) -> None:  # type: ignore[no-untyped-def]
    pairs = list(suite.values())
    replays, tools = await replay_references([p.task for p in pairs], template, server_factory=fixture_server)
    by_id = {r.task.id: r for r in replays}
    assert by_id["fx-account-note"].tables_written == {"customers"}
    assert by_id["fx-tier-discount"].tables_read == {"customers"} and by_id["fx-tier-discount"].tables_written == set()
    assert tools == {"searchCustomers", "setCustomerNote"}
    stats = task_stats(pairs, replays=replays, tool_names=tools)
    assert stats["tools_not_covered"] == []
    assert stats["splits"] == {"train": 1, "heldout": 2}


def test_stats_count_families_skeletons_and_backed_trap_tags_per_split(suite) -> None:  # type: ignore[no-untyped-def]
    pairs = list(suite.values())
    ids = {"namesake": {pairs[0].task.requester_id}}
    pairs[0].task.tags.append("trap:namesake")
    try:
        stats = task_stats(pairs, trap_ids=ids, world_traps={"all": {"namesake": 3}, "outside_heldout": {"namesake": 1}})
    finally:
        pairs[0].task.tags.remove("trap:namesake")
    split = pairs[0].task.split
    assert stats["by_split"][split]["trap_coverage"]["namesake"] == 1
    assert stats["by_split"]["train"]["skeletons"] <= stats["by_split"]["train"]["tasks"]
    assert sum(v["tasks"] for s in stats["by_split"].values() for v in s["by_family"].values()) == len(pairs)
    assert "trap instances in the world (all / outside held-out): namesake 3/1" in render_stats(stats)
