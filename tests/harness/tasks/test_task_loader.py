from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corecraft_test_support import copy_fixture_suite, edit_json as edit

from harness.errors import TaskFormatError
from harness.tasks.loader import TaskFilesError, load_rubric, load_suite, load_tasks


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_fixture_suite(tmp_path)



def test_load_tasks_returns_every_task_ordered_by_split_then_id(root: Path) -> None:
    tasks = load_tasks(root)
    assert [(t.split, t.id) for t in tasks] == [
        ("heldout", "fx-account-note"), ("heldout", "fx-tier-discount"), ("train", "fx-no-third-party-pii"),
    ]


def test_load_tasks_filters_by_split_and_ids(root: Path) -> None:
    assert [t.id for t in load_tasks(root, split="train")] == ["fx-no-third-party-pii"]
    assert [t.id for t in load_tasks(root, ids=["fx-tier-discount"])] == ["fx-tier-discount"]


def test_unknown_ids_are_an_error(root: Path) -> None:
    with pytest.raises(TaskFilesError, match="no task with id 'fx-missing'"):
        load_tasks(root, ids=["fx-missing"])


def test_load_rubric_finds_the_rubric_by_task_or_id(root: Path) -> None:
    task = load_tasks(root, ids=["fx-account-note"])[0]
    assert load_rubric(root, task).task_id == "fx-account-note"
    assert [c.id for c in load_rubric(root, "fx-no-third-party-pii").criteria][0] == "checked-own-account"


def test_every_problem_in_every_file_is_reported_with_path_and_field(root: Path) -> None:
    edit(root / "tasks/heldout/fx-tier-discount.json", lambda d: (d.pop("prompt"), d.update(difficulty="extreme")))
    edit(root / "rubrics/heldout/fx-account-note.json", lambda d: d["criteria"][0]["check"].update(sql=""))
    (root / "tasks/train/fx-no-third-party-pii.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TaskFormatError) as caught:
        load_tasks(root)
    message = str(caught.value)
    assert "tasks/heldout/fx-tier-discount.json: prompt: Field required" in message
    assert "tasks/heldout/fx-tier-discount.json: difficulty: Input should be 'easy', 'medium' or 'hard'" in message
    assert "rubrics/heldout/fx-account-note.json: criteria.0.check.state.sql: String should have at least 1 character" in message
    assert "tasks/train/fx-no-third-party-pii.json: invalid JSON at line 1 column 2" in message
    assert len(caught.value.problems) == 4  # type: ignore[attr-defined]
    # a task file that does not parse is not also reported as "rubric without a task"
    assert "rubric has no task" not in message


def test_a_task_without_a_rubric_and_a_rubric_without_a_task_are_errors(root: Path) -> None:
    (root / "rubrics/heldout/fx-tier-discount.json").unlink()
    shutil.copy(root / "rubrics/heldout/fx-account-note.json", root / "rubrics/heldout/fx-orphan.json")
    edit(root / "rubrics/heldout/fx-orphan.json", lambda d: d.update(task_id="fx-orphan"))
    with pytest.raises(TaskFilesError) as caught:
        load_suite(root)
    message = str(caught.value)
    assert "tasks/heldout/fx-tier-discount.json: task has no rubric (expected rubrics/heldout/fx-tier-discount.json)" in message
    assert "rubrics/heldout/fx-orphan.json: rubric has no task" in message


def test_duplicate_task_ids_across_splits_are_an_error(root: Path) -> None:
    shutil.copy(root / "tasks/heldout/fx-tier-discount.json", root / "tasks/train/fx-tier-discount.json")
    edit(root / "tasks/train/fx-tier-discount.json", lambda d: d.update(split="train"))
    with pytest.raises(TaskFilesError, match="duplicate task id 'fx-tier-discount'"):
        load_tasks(root)


def test_file_name_and_directory_must_agree_with_the_content(root: Path) -> None:
    edit(root / "tasks/heldout/fx-tier-discount.json", lambda d: d.update(split="train"))
    edit(root / "rubrics/heldout/fx-account-note.json", lambda d: d.update(task_id="fx-other"))
    with pytest.raises(TaskFilesError) as caught:
        load_tasks(root)
    message = str(caught.value)
    assert "tasks/heldout/fx-tier-discount.json: split: split 'train' differs from the directory 'heldout'" in message
    assert "rubrics/heldout/fx-account-note.json: task_id: task_id 'fx-other' differs from the file name" in message


def test_rubric_rules_are_enforced_when_loading(root: Path) -> None:
    def break_rubric(data: dict) -> None:  # type: ignore[type-arg]
        data["criteria"][2]["check"] = {"method": "trace", "rule": "order", "first": {"tool": "searchCustomers"}}
        data["criteria"][4]["check"] = {"method": "response", "pattern": "(unclosed"}

    edit(root / "rubrics/heldout/fx-account-note.json", break_rubric)
    with pytest.raises(TaskFilesError) as caught:
        load_tasks(root)
    message = str(caught.value)
    assert "criteria.2.check.trace: Value error, rule 'order' needs then" in message
    assert "criteria.4.check.response.pattern: Value error, not a valid regular expression" in message


def test_criterion_ids_must_be_unique_within_a_rubric(root: Path) -> None:
    edit(root / "rubrics/heldout/fx-account-note.json", lambda d: d["criteria"][1].update(id=d["criteria"][0]["id"]))
    with pytest.raises(TaskFilesError, match="rubrics/heldout/fx-account-note.json: Value error, duplicate criterion ids: note-saved"):
        load_tasks(root)


def test_requester_id_must_fit_the_requester_and_the_clock_needs_a_zone(root: Path) -> None:
    edit(root / "tasks/heldout/fx-account-note.json", lambda d: d.update(requester_id="cus-00001", clock="2025-09-15T14:00:00"))
    with pytest.raises(TaskFilesError) as caught:
        load_tasks(root)
    message = str(caught.value)
    assert "clock: Value error, '2025-09-15T14:00:00' needs a time zone offset" in message
    assert "requester_id: Value error, an employee's id must start with 'emp-'" in message
