from __future__ import annotations

from pathlib import Path

import pytest
from view_support import BASELINE, write_run

from harness.grading.records import GRADES_FILE, TRANSCRIPTS_FILE
from harness.view.model import ViewError, load_run, load_runs


def test_a_run_joins_each_transcript_with_its_grade_and_names_every_outcome(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", BASELINE))
    outcomes = {e.task_id: e.outcome for e in run.episodes}
    assert outcomes == BASELINE
    assert all(e.record is not None and e.grade is not None for e in run.episodes)
    assert [e.anchor for e in run.episodes] == [f"r0e{i}" for i in range(len(BASELINE))]
    assert run.warnings == []


def test_a_damaged_grades_line_is_skipped_and_becomes_a_warning(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", BASELINE, damaged_line=True))
    assert len(run.grades) == len(BASELINE)
    assert any("skipped damaged line 2" in w and GRADES_FILE in w for w in run.warnings)


def test_transcripts_without_grades_show_as_not_graded_with_a_warning_saying_what_to_run(tmp_path: Path) -> None:
    directory = write_run(tmp_path / "run", {"t-pass": "passed"})
    (directory / GRADES_FILE).unlink()
    run = load_run(directory)
    assert [e.outcome for e in run.episodes] == ["not graded"]
    assert any("corecraft grade" in w for w in run.warnings)


def test_an_errored_transcript_without_a_grade_is_an_error_not_a_missing_grade(tmp_path: Path) -> None:
    directory = write_run(tmp_path / "run", {"t-infra": "error"})
    (directory / GRADES_FILE).unlink()
    assert [e.outcome for e in load_run(directory).episodes] == ["error"]


def test_grades_without_transcripts_still_show_with_a_warning(tmp_path: Path) -> None:
    directory = write_run(tmp_path / "run", {"t-pass": "passed"})
    (directory / TRANSCRIPTS_FILE).unlink()
    run = load_run(directory)
    assert [e.outcome for e in run.episodes] == ["passed"] and run.episodes[0].record is None
    assert any(TRANSCRIPTS_FILE in w for w in run.warnings)


def test_a_directory_without_record_files_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ViewError, match="neither transcripts.jsonl nor grades.jsonl"):
        load_run(tmp_path)
    with pytest.raises(ViewError, match="not a directory"):
        load_run(tmp_path / "missing")


def test_runs_with_the_same_directory_name_get_distinct_labels(tmp_path: Path) -> None:
    first = write_run(tmp_path / "a" / "run", {"t-pass": "passed"})
    second = write_run(tmp_path / "b" / "run", {"t-pass": "failed"})
    runs = load_runs([first, second])
    assert [r.label for r in runs] == ["run (1)", "run (2)"]
    assert [r.episodes[0].anchor for r in runs] == ["r0e0", "r1e0"]
