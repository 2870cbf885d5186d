from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corecraft_test_support import FIXTURES, fixture_server, fixture_template

import harness.cli.tasks_cmd as tasks_cmd
from harness.cli.main import main


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("tasks", "rubrics"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    monkeypatch.setattr(tasks_cmd, "load_template", fixture_template)
    monkeypatch.setattr(tasks_cmd, "real_server", fixture_server)
    return tmp_path


def test_validate_exits_zero_for_valid_tasks_and_shows_progress(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "validate", "--root", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "3 of 3 tasks valid; 0 failed; 2 judge criteria skipped" in out
    assert "replaying references: 3/3" in err


def test_validate_exits_one_with_a_list_of_failures(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = root / "tasks/heldout/fx-tier-discount.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reference"]["reply"] = "You are Gold."
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["tasks", "validate", "--root", str(root), "--split", "heldout", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "FAIL fx-tier-discount\n  - reference solution fails criterion states-tier: the reply does not state ['platinum']" in out
    assert "1 of 2 tasks valid; 1 failed" in out and err == ""


def test_validate_reports_malformed_files_and_exits_one(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "rubrics/train/fx-no-third-party-pii.json").write_text("[]", encoding="utf-8")
    assert main(["tasks", "validate", "--root", str(root)]) == 1
    assert "rubrics/train/fx-no-third-party-pii.json: Input should be a valid dictionary" in capsys.readouterr().err


def test_stats_json_counts_splits_methods_and_coverage(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "stats", "--root", str(root), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["splits"] == {"train": 1, "heldout": 2}
    assert stats["categories"]["multi_step"] == 1 and stats["difficulties"]["easy"] == 2
    assert stats["criteria"] == 13 and stats["criteria_per_task"]["max"] == 5
    assert stats["criteria_by_method"]["judge"] == {"count": 2, "share": pytest.approx(2 / 13)}
    assert stats["median_reference_calls_by_category"]["multi_step"] == 2
    assert stats["tools_covered"] == ["searchCustomers", "setCustomerNote"]
    assert stats["entity_types_covered"] == ["customers"]
    assert "orders" in stats["entity_types_missing"]


def test_stats_prints_a_readable_summary(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "stats", "--root", str(root), "--no-replay"]) == 0
    out = capsys.readouterr().out
    assert "tasks: 3  (train 1, heldout 2)" in out
    assert "entity types covered (1 of 14, from ids only (no replay)): customers" in out


def test_schema_subcommand_checks_the_committed_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "schema", "--check", "--root", str(Path(__file__).parents[3])]) == 0
