from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from view_support import BASELINE, write_run

from harness.view import plots
from harness.view.model import load_run
from harness.view.summary import summarize


def test_the_heat_map_has_a_cell_per_task_and_criterion_coloured_by_verdict_with_task_ids_escaped(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", {"t-pass": "passed", "t-fail": "failed", "t-judge": "ungraded"}))
    run.episodes[0].task_id = "<b>t</b>"  # a task id from a record file is text, whatever it holds
    svg = str(plots.heatmap(run.episodes, "heat"))
    assert svg.count("<rect ") == 9
    assert f'fill="{plots.FAILED}"' in svg and f'fill="{plots.UNDECIDED}"' in svg and f'fill="{plots.MET}"' in svg
    assert "&lt;b&gt;t&lt;/b&gt; · refund_amount" in svg and "<b>" not in svg


def test_pass_rate_bars_draw_an_interval_for_graded_groups_and_say_when_nothing_is_graded(tmp_path: Path) -> None:
    summary = summarize(load_run(write_run(tmp_path / "run", {"t-pass": "passed", "t-judge": "ungraded"})))
    empty = replace(summary.total, name="empty", graded=0, pass_rate=None, pass_interval=None)
    groups = [*summary.by_category, empty]
    svg = str(plots.pass_rate_bars(groups, "bars"))
    assert "100 % (n=1)" in svg and 'stroke="#222"' in svg  # the whisker
    assert "no graded episodes (2)" in svg


def test_a_histogram_stacks_episodes_by_outcome_in_whole_number_bins(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", BASELINE))
    svg = str(plots.histogram(run.episodes, lambda e: e.turns, "turns", "turns"))
    assert "3 turns: 2 passed episode(s)" in svg and "3 turns: 1 unverified episode(s)" in svg


def test_cost_bars_say_so_when_nothing_cost_anything(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", {"t-pass": "passed"}))
    assert "<rect" in str(plots.cost_bars(run.episodes, "cost"))
    assert run.episodes[0].record is not None
    run.episodes[0].record.cost_usd = 0.0
    assert "No cost recorded" in str(plots.cost_bars(run.episodes, "cost"))
