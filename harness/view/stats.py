"""The viewer's intervals and paired test, from scipy (the optional `view` extra).

scipy is optional because nothing else in corecraft needs it and it is the largest install by far;
without it the viewer still shows every count and rate, and where an interval or a p-value would
stand it shows that it is missing and how to get it (MISSING_NOTE). pass@k and pass^k come from
harness.report, shared with `corecraft report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 11  # fixed, so that the same run always renders the same intervals
MISSING_NOTE = "confidence intervals and the paired test need scipy: pip install 'corecraft[view]'"


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class PairedTest:
    """An exact McNemar test: a two-sided binomial test on the discordant pairs."""

    lost: int  # passed in the baseline, failed in the other run
    gained: int  # failed in the baseline, passed in the other run
    p_value: float | None  # None without scipy


def _scipy_stats() -> ModuleType | None:
    try:
        from scipy import stats
    except ImportError:
        return None
    return stats


def available() -> bool:
    return _scipy_stats() is not None


def wilson(successes: int, trials: int) -> Interval | None:
    """The Wilson score interval of a pass rate; None for no trials or without scipy."""
    stats = _scipy_stats()
    if stats is None or trials == 0:
        return None
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return Interval(float(ci.low), float(ci.high))


def mean_interval(values: Sequence[float]) -> Interval | None:
    """A percentile bootstrap interval of the mean; None for fewer than two values or without scipy."""
    stats = _scipy_stats()
    if stats is None or len(values) < 2:
        return None
    if min(values) == max(values):  # every resample has the same mean (scipy warns and returns nan)
        return Interval(float(values[0]), float(values[0]))
    import numpy

    result = stats.bootstrap(
        (numpy.asarray(values, dtype=float),), numpy.mean, confidence_level=CONFIDENCE,
        n_resamples=BOOTSTRAP_RESAMPLES, method="percentile", rng=numpy.random.default_rng(BOOTSTRAP_SEED),
    )
    ci = result.confidence_interval
    return Interval(float(ci.low), float(ci.high))


def mcnemar(lost: int, gained: int) -> PairedTest:
    """Whether two runs' pass rates differ on the same episodes, from the pairs that flipped."""
    stats = _scipy_stats()
    if stats is None:
        return PairedTest(lost, gained, None)
    discordant = lost + gained
    p_value = 1.0 if discordant == 0 else float(stats.binomtest(lost, discordant, 0.5).pvalue)
    return PairedTest(lost, gained, p_value)
