"""Damaged transcript and grade files, as `run`, `grade` and `report` meet them: each command reads
them under the same policy (harness.jsonl), prints the same one-line warning and never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.grading.records import GRADES_FILE, TRANSCRIPTS_FILE

TORN_EURO = b'{"version": 1, "key": "dmg-b#1", "final_reply": "10 \xe2\x82'  # cut inside a 3-byte character


def write_task(root: Path, task_id: str) -> None:
    task = {
        "id": task_id, "split": "heldout", "category": "information_retrieval", "difficulty": "easy",
        "requester": "employee", "requester_id": "emp-001", "prompt": "What loyalty tier is cus-00001 in?",
        "reference": {"calls": [{"tool": "searchCustomers", "arguments": {"customer_id": "cus-00001"}}], "reply": "Gold."},
    }
    rubric = {"task_id": task_id, "criteria": [{"id": "replied", "text": "The reply is not empty", "kind": "format",
                                                "check": {"method": "response", "pattern": "."}}]}
    for kind, body in (("tasks", task), ("rubrics", rubric)):
        path = root / kind / "heldout" / f"{task_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body), encoding="utf-8")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A task root with two tasks and a finished scripted run over them (copied by each test)."""
    base = tmp_path_factory.mktemp("damaged")
    for task_id in ("dmg-a", "dmg-b"):
        write_task(base / "suite", task_id)
    assert run(base / "suite", base / "run") == 0
    return base / "suite", base / "run"


def run(root: Path, out: Path) -> int:
    return main(["run", "--model", "scripted/reference", "--split", "heldout", "--out", str(out), "--tasks-root", str(root)])


def grade(root: Path, out: Path) -> int:
    return main(["grade", str(out), "--judge", "none", "--tasks-root", str(root)])


@pytest.fixture
def run_dir(finished_run: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    root, done = finished_run
    shutil.copytree(done, tmp_path / "run")
    return root, tmp_path / "run"


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_run_reruns_a_damaged_episode_and_grade_and_report_then_read_everything_with_the_same_warning(
    run_dir: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = run_dir
    path = out / TRANSCRIPTS_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"\x00" * 48 + b"\n" + lines[1] + TORN_EURO)  # the first record lost, a torn tail
    capsys.readouterr()

    assert run(root, out) == 0  # resumes: reruns the lost episode only
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == [
        f"warning: {path}: skipped damaged line 1 (not valid JSON); ignored a torn last line (a run killed mid-write)"
    ]
    assert "1 episodes finished in this run" in captured.out and "1 already done before" in captured.out

    assert grade(root, out) == 0
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == [f"warning: {path}: skipped damaged line 1 (not valid JSON)"]
    assert "2 episodes: 2 graded (2 passed, 0 failed)" in captured.out

    assert main(["report", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == [f"warning: {path}: skipped damaged line 1 (not valid JSON)"]
    report = json.loads(captured.out)
    assert (report["episodes"], report["passed"], report["usage"]["episodes"]) == (2, 2, 2)


def test_grade_ignores_a_last_line_torn_inside_a_multibyte_character(
    run_dir: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = run_dir
    path = out / TRANSCRIPTS_FILE
    with path.open("ab") as handle:
        handle.write(TORN_EURO)
    capsys.readouterr()
    assert grade(root, out) == 0
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == [f"warning: {path}: ignored a torn last line (a run killed mid-write)"]
    assert "2 episodes: 2 graded" in captured.out and "Traceback" not in captured.err


def test_grade_takes_the_last_record_of_a_repeated_key_without_a_warning(
    run_dir: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = run_dir
    path = out / TRANSCRIPTS_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    errored = json.loads(lines[0]) | {"status": "error", "stop_reason": "provider", "error": "HTTP 500"}
    path.write_bytes(json.dumps(errored).encode() + b"\n" + lines[1] + lines[0])
    capsys.readouterr()
    assert grade(root, out) == 0
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == []
    assert "2 episodes: 2 graded (2 passed, 0 failed)" in captured.out and "0 infrastructure errors" in captured.out


def test_report_skips_a_damaged_grade_line_and_says_which(
    run_dir: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = run_dir
    assert grade(root, out) == 0
    grades = out / GRADES_FILE
    first, second = grades.read_bytes().splitlines(keepends=True)
    grades.write_bytes(first + b'{"key": "dmg-x#1", "status": "graded"}\n' + second)
    capsys.readouterr()
    assert main(["report", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    (warning,) = warnings_in(captured.err)
    assert warning.startswith(f"warning: {grades}: skipped damaged line 2 (not a EpisodeGrade: task_id: Field required")
    assert json.loads(captured.out)["episodes"] == 2


def test_empty_files_are_graded_and_reported_as_nothing_without_a_warning(
    run_dir: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = run_dir
    (out / TRANSCRIPTS_FILE).write_bytes(b"")
    capsys.readouterr()
    assert grade(root, out) == 0
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == [] and "0 episodes: 0 graded" in captured.out
    assert (out / GRADES_FILE).read_bytes() == b""
    assert main(["report", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    assert warnings_in(captured.err) == [] and json.loads(captured.out)["episodes"] == 0
