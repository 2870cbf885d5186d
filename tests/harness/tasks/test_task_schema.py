from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.tasks.schema import SCHEMA_FILES, main, stale_schemas

REPO = Path(__file__).parents[3]


def test_committed_schemas_match_the_models() -> None:
    assert stale_schemas(REPO) == [], "run `python -m harness.tasks.schema` and commit the result"


def test_schema_command_writes_both_files_and_check_mode_detects_drift(tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--root", str(tmp_path), "--check"]) == 0
    rubric = json.loads((tmp_path / "rubrics/rubric.schema.json").read_text(encoding="utf-8"))
    assert rubric["title"] == "CoreCraft rubric"
    assert set(rubric["$defs"]) >= {"StateCheck", "TraceCheck", "ResponseCheck", "JudgeCheck", "Criterion"}
    (tmp_path / "tasks/task.schema.json").write_text("{}", encoding="utf-8")
    assert main(["--root", str(tmp_path), "--check"]) == 1


@pytest.mark.parametrize("relative", sorted(SCHEMA_FILES))
def test_schemas_forbid_unknown_fields(relative: str) -> None:
    schema = json.loads((REPO / relative).read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
