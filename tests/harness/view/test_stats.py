from __future__ import annotations

import sys

import pytest

from harness.view import stats


def test_wilson_interval_matches_the_published_score_interval() -> None:
    interval = stats.wilson(8, 10)  # Wilson (1927): 0.4902 .. 0.9433 for 8 of 10 at 95 %
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))


def test_wilson_interval_of_a_perfect_score_stays_below_certainty() -> None:
    interval = stats.wilson(132, 132)
    assert interval is not None and interval.high == pytest.approx(1.0) and 0.95 < interval.low < 0.99


def test_no_trials_have_no_interval() -> None:
    assert stats.wilson(0, 0) is None
    assert stats.mean_interval([0.5]) is None


def test_the_bootstrap_interval_holds_the_mean_and_is_the_same_every_time() -> None:
    values = [1.0, 0.5, 0.75, 1.0, 0.25, 1.0, 0.5, 1.0]
    first, second = stats.mean_interval(values), stats.mean_interval(values)
    assert first is not None and first == second
    assert first.low < sum(values) / len(values) < first.high


def test_identical_rewards_give_a_point_interval_rather_than_a_warning() -> None:
    assert stats.mean_interval([1.0] * 20) == stats.Interval(1.0, 1.0)


def test_the_paired_test_is_the_exact_two_sided_binomial_on_the_flips() -> None:
    # 1 lost, 9 gained: 2 * P(X <= 1 | n=10, p=1/2) = 2 * 11 / 1024
    assert stats.mcnemar(1, 9).p_value == pytest.approx(22 / 1024)
    assert stats.mcnemar(0, 0).p_value == 1.0
    assert stats.mcnemar(5, 5).p_value == pytest.approx(1.0)


def test_without_scipy_every_figure_is_missing_rather_than_made_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)
    assert not stats.available()
    assert stats.wilson(8, 10) is None and stats.mean_interval([0.0, 1.0]) is None
    assert stats.mcnemar(1, 9) == stats.PairedTest(1, 9, None)
