"""The trap manifest: a stable file of typed instances that no tool can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_server.world.store import data_files
from mcp_server.world.trap_types import (
    MANIFEST_PATH, TRAP_TYPES, TrapInstance, TrapManifestError, dump_manifest, ids_by_type, load_manifest, tag, types_of_tags,
)


def test_the_manifest_round_trips_sorted_so_that_regenerating_is_byte_stable(tmp_path: Path) -> None:
    instances = [TrapInstance("namesake", "b", ("cus-00002",)), TrapInstance("lost_parcel", "a", ("shp-000001", "ord-1"))]
    text = dump_manifest(instances)
    assert text == dump_manifest(list(reversed(instances)))
    path = tmp_path / "traps.json"
    path.write_text(text, encoding="utf-8")
    assert [i.type for i in load_manifest(path)] == ["lost_parcel", "namesake"]
    assert ids_by_type(path)["lost_parcel"] == {"shp-000001", "ord-1"} and ids_by_type(path)["search_cap"] == set()


def test_an_unknown_trap_type_is_refused_when_written_and_when_read(tmp_path: Path) -> None:
    with pytest.raises(TrapManifestError, match="unknown trap type"):
        dump_manifest([TrapInstance("made_up", "x", ("cus-00001",))])
    path = tmp_path / "traps.json"
    path.write_text('{"instances": [{"type": "made_up", "name": "x", "ids": []}]}', encoding="utf-8")
    with pytest.raises(TrapManifestError, match="made_up"):
        load_manifest(path)


def test_a_missing_manifest_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(TrapManifestError, match="python -m mcp_server.world.generator"):
        load_manifest(tmp_path / "nowhere.json")


def test_tags_name_known_types_only() -> None:
    assert tag("search_cap") == "trap:search_cap"
    with pytest.raises(KeyError, match="known:"):
        tag("search-cap")
    assert types_of_tags(["refund", "trap:namesake", "trap:lost_parcel"]) == ["namesake", "lost_parcel"]


def test_the_manifest_is_not_world_data_so_no_episode_loads_it() -> None:
    assert MANIFEST_PATH not in data_files(MANIFEST_PATH.parent)
    assert {i.type for i in load_manifest()} <= set(TRAP_TYPES)
