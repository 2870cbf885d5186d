"""The labelled set: positives from the task files, negatives from the committed file (checked
against the rubrics, with file and line in every error), and room for a caller's own negatives."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from audit_support import NEGATIVE as GOOD
from audit_support import audit_root, write_negatives
from corecraft_test_support import edit_json

from harness.errors import TaskFormatError
from harness.grading.judge_audit.labelled import NEGATIVES_FILE, LabelledReply, LabelledSetError, labelled_set
from harness.tasks.loader import load_suite
from harness.tasks.models import JudgeCheck

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return audit_root(tmp_path)


def test_positives_come_from_the_task_files_and_pick_up_new_alternatives(root: Path) -> None:
    task_file = root / "tasks/heldout/fx-tier-discount.json"
    written = json.loads(task_file.read_text(encoding="utf-8"))["reference"]
    alternatives = written.get("alternatives", [])
    items = labelled_set(root)
    assert [(i.source, i.met) for i in items] == [
        ("reference", True), *[(f"alternative {n}", True) for n in range(1, len(alternatives) + 1)],
        ("rubrics/judge-audit/negatives.jsonl:1", False), ("rubrics/judge-audit/negatives.jsonl:2", False),
    ]
    assert [i.reply for i in items if i.met] == [written["reply"], *alternatives]
    added = "Hello Bram! Platinum gives you 15% off."
    edit_json(task_file, lambda d: d["reference"].setdefault("alternatives", []).append(added))
    positives = [i for i in labelled_set(root) if i.met]
    assert len(positives) == len(alternatives) + 2
    assert (positives[-1].source, positives[-1].criterion_id, positives[-1].reply) == (f"alternative {len(alternatives) + 1}", "tone", added)
    assert all(i.task_id == "fx-tier-discount" for i in positives)  # train tasks and judge-free rubrics give none


@pytest.mark.parametrize(("line", "problem"), [
    ({**GOOD, "task_id": "fx-no-such-task"}, "rubrics/judge-audit/negatives.jsonl:2: unknown task 'fx-no-such-task'"),
    ({**GOOD, "criterion_id": "tact"}, "rubrics/judge-audit/negatives.jsonl:2: unknown criterion 'tact' for task fx-tier-discount"),
    ({**GOOD, "criterion_id": "looked-up"}, "negatives.jsonl:2: criterion 'looked-up' of fx-tier-discount is not graded by the judge"),
    ({**GOOD, "task_id": "fx-no-third-party-pii", "criterion_id": "declines-politely"}, ":2: unknown task 'fx-no-third-party-pii'"),
    ({k: v for k, v in GOOD.items() if k != "why"}, "negatives.jsonl:2: why: Field required"),
    ({**GOOD, "reply": "Hi Bram, you are a Platinum member, which gives you a 15% loyalty discount on every order."},
     ":2: this negative is also a correct reply of fx-tier-discount"),
    ('{"task_id": "fx-tier-discount",', "negatives.jsonl:2: not a JSON object"),
    (GOOD, "negatives.jsonl:2: the same reply for fx-tier-discount/tone as line 1"),
])
def test_a_bad_negatives_line_is_rejected_with_its_file_and_line(root: Path, line: object, problem: str) -> None:
    write_negatives(root, GOOD, line)
    with pytest.raises(LabelledSetError) as caught:
        labelled_set(root)
    assert isinstance(caught.value, TaskFormatError)
    assert problem in str(caught.value)


def test_every_bad_line_is_reported_at_once(root: Path) -> None:
    write_negatives(root, {**GOOD, "task_id": "nope-1"}, GOOD, "", {**GOOD, "criterion_id": "nope", "reply": "x"})
    with pytest.raises(LabelledSetError) as caught:
        labelled_set(root)
    assert [p.split(": ")[0] for p in caught.value.problems] == [
        "rubrics/judge-audit/negatives.jsonl:1", "rubrics/judge-audit/negatives.jsonl:4"]


def test_extra_negatives_are_added_and_checked_like_the_file(root: Path) -> None:
    adversary = LabelledReply("fx-tier-discount", "tone", "PLATINUM 15 PERCENT", False, "adversary/model-x#3", "shouting")
    without = labelled_set(root)
    items = labelled_set(root, extra_negatives=[adversary])
    assert items[-1] is adversary and items[:-1] == without
    stray = LabelledReply("fx-tier-discount", "politeness", "Hi.", False, "adversary/model-x#4")
    with pytest.raises(LabelledSetError, match=r"adversary/model-x#4: unknown criterion 'politeness'"):
        labelled_set(root, extra_negatives=[stray])


def test_task_ids_narrow_the_set_but_unknown_ids_are_refused(root: Path) -> None:
    assert labelled_set(root, task_ids=["fx-account-note"]) == []
    with pytest.raises(LabelledSetError, match="no held-out task with id 'fx-nope'"):
        labelled_set(root, task_ids=["fx-nope"])


def test_the_committed_set_covers_every_judge_criterion_with_at_least_two_negatives() -> None:
    items = labelled_set(REPO)
    suite = load_suite(REPO, "heldout")
    judged = {(p.task.id, c.id) for p in suite for c in p.rubric.criteria if isinstance(c.check, JudgeCheck)}
    negatives = Counter((i.task_id, i.criterion_id) for i in items if not i.met)
    positives = Counter((i.task_id, i.criterion_id) for i in items if i.met)
    assert judged and set(negatives) == set(positives) == judged
    committed = [line for line in (REPO / NEGATIVES_FILE).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert sum(negatives.values()) == len(committed)  # every committed line is in the set, none dropped
    references = sum(1 + len(p.task.reference.alternatives) for p in suite for c in p.rubric.criteria if isinstance(c.check, JudgeCheck))
    assert sum(positives.values()) == references
    assert min(negatives.values()) >= 2 and min(positives.values()) >= 1
    assert all(i.why for i in items if not i.met)
    assert len({i.reply for i in items if not i.met}) == sum(negatives.values())  # each one written for its criterion
