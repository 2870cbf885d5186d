"""The generator is deterministic and reproduces the committed data byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_server.world.generator import generate
from mcp_server.world.store import DATA_DIR, data_files
from mcp_server.world.trap_types import MANIFEST_NAME, MANIFEST_PATH


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("world")
    return out, generate(out)


def test_regenerating_the_world_gives_the_committed_files_byte_for_byte(generated: tuple[Path, dict[str, int]]) -> None:
    out, counts = generated
    committed = {p.name: p.read_bytes() for p in data_files(DATA_DIR)}
    fresh = {p.name: p.read_bytes() for p in data_files(out)}
    assert sorted(fresh) == sorted(committed)
    differing = [name for name in committed if committed[name] != fresh[name]]
    assert differing == [], "run `python -m mcp_server.world.generator` and commit the data"
    assert all(count > 0 for count in counts.values())


def test_generated_rows_are_sorted_by_id_with_sorted_keys(generated: tuple[Path, dict[str, int]]) -> None:
    out, _ = generated
    for path in data_files(out):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in rows] == sorted(r["id"] for r in rows), path.name
        assert all(list(r) == sorted(r) for r in rows), path.name


def test_regenerating_the_world_gives_the_committed_trap_manifest(generated: tuple[Path, dict[str, int]]) -> None:
    out, _ = generated
    assert (out / MANIFEST_NAME).read_bytes() == MANIFEST_PATH.read_bytes(), "regenerate the world and commit data/traps.json"
