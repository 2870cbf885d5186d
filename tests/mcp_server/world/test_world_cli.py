"""`corecraft world stats` and `corecraft world check` on the committed world."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main
from mcp_server.world.store import ENTITY_TYPES, SUPPORTING_TYPES


def test_world_stats_json_prints_counts_for_every_entity_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["world", "stats", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload) == ["counts"]
    assert set(payload["counts"]) == set(ENTITY_TYPES) | set(SUPPORTING_TYPES)
    assert all(isinstance(n, int) and n > 0 for n in payload["counts"].values())


def test_world_stats_prints_a_readable_table_with_the_total_of_the_fourteen_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["world", "stats"]) == 0
    out = capsys.readouterr().out
    assert "shipping_records" in out and "the 14 entity types" in out


def test_world_check_passes_on_the_committed_world(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["world", "check"]) == 0
    assert "world ok" in capsys.readouterr().out
