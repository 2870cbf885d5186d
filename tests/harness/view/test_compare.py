from __future__ import annotations

from pathlib import Path

from view_support import BASELINE, CHALLENGER, MANIFEST, write_run

from harness.view.compare import compare
from harness.view.model import load_runs


def test_flips_pair_episodes_by_task_and_trial_and_lost_ones_come_first(tmp_path: Path) -> None:
    baseline, other = load_runs([write_run(tmp_path / "a", BASELINE), write_run(tmp_path / "b", CHALLENGER, model="m2")])
    result = compare(baseline, other)
    assert [(f.before.task_id, f.before.outcome, f.after.outcome) for f in result.flips] == [
        ("t-pass", "passed", "failed"), ("t-fail", "failed", "passed")]
    assert (result.test.lost, result.test.gained) == (1, 1)
    assert result.test.p_value is not None and result.test.p_value == 1.0
    assert result.paired == 3 and result.difference == 0.0


def test_episodes_not_graded_in_both_runs_are_counted_as_unpaired(tmp_path: Path) -> None:
    smaller = {"t-pass": "passed", "t-judge": "passed"}
    baseline, other = load_runs([write_run(tmp_path / "a", BASELINE), write_run(tmp_path / "b", smaller)])
    result = compare(baseline, other)
    assert result.paired == 1  # t-judge is ungraded in the baseline; the rest are missing from the other run
    assert result.unpaired == len(BASELINE) - 1


def test_criterion_changes_list_each_verdict_that_differs_with_the_new_reason(tmp_path: Path) -> None:
    baseline, other = load_runs([write_run(tmp_path / "a", BASELINE), write_run(tmp_path / "b", CHALLENGER)])
    changes = {(c.after.task_id, c.criterion): (c.was, c.now, c.reason) for c in compare(baseline, other).criterion_changes}
    assert changes[("t-pass", "refund_amount")] == (True, False, "the reply states the wrong claim(s) ['refund approved']")
    assert changes[("t-fail", "refund_amount")][:2] == (False, True)
    assert len(changes) == 2


def test_runs_whose_manifests_hash_a_task_differently_are_warned_about(tmp_path: Path) -> None:
    changed = {"tasks": {**MANIFEST["tasks"], "t-fail": "edited"}}
    baseline, other = load_runs([write_run(tmp_path / "a", BASELINE), write_run(tmp_path / "b", CHALLENGER, manifest=changed)])
    warnings = compare(baseline, other).warnings
    assert len(warnings) == 1 and "1 task(s) differ" in warnings[0] and "t-fail" in warnings[0]
