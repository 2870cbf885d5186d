"""A run's overview figures: harness.report's (pass@k, breakdowns, usage) plus intervals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from harness.report import build_report
from harness.view.model import Episode, Run
from harness.view.stats import Interval, mean_interval, wilson


@dataclass(frozen=True)
class Group:
    """Pass rate and mean reward of a set of episodes; rates are over the graded ones."""

    name: str
    episodes: int
    graded: int
    passed: int
    pass_rate: float | None
    pass_interval: Interval | None
    mean_reward: float | None
    reward_interval: Interval | None
    ungraded: int
    unverified: int
    errors: int
    not_graded: int


@dataclass(frozen=True)
class RunSummary:
    run: Run
    total: Group
    report: dict[str, Any]  # harness.report.build_report's figures
    by_category: list[Group]
    by_difficulty: list[Group]
    pass_rate_ungraded_as_failed: float | None
    warnings: list[str]  # the run's reading warnings, then the report's


def group(name: str, episodes: list[Episode]) -> Group:
    outcomes = [e.outcome for e in episodes]
    rewards = [e.grade.reward or 0.0 for e in episodes if e.grade is not None and e.grade.status == "graded"]
    passed = outcomes.count("passed")
    graded = passed + outcomes.count("failed")
    return Group(
        name=name, episodes=len(episodes), graded=graded, passed=passed,
        pass_rate=passed / graded if graded else None, pass_interval=wilson(passed, graded),
        mean_reward=sum(rewards) / len(rewards) if rewards else None, reward_interval=mean_interval(rewards),
        ungraded=outcomes.count("ungraded"), unverified=outcomes.count("unverified"),
        errors=outcomes.count("error"), not_graded=outcomes.count("not graded"),
    )


def _groups(episodes: list[Episode], attribute: str) -> list[Group]:
    members: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes:
        members[getattr(episode, attribute)].append(episode)
    return [group(name, members[name]) for name in sorted(members)]


def summarize(run: Run) -> RunSummary:
    records = run.records
    report = build_report(run.grades, records if records else None)
    total = group("all", run.episodes)
    lower = report["pass_rate_ungraded_as_failed"]
    return RunSummary(
        run=run, total=total, report=report, by_category=_groups(run.episodes, "category"),
        by_difficulty=_groups(run.episodes, "difficulty"), pass_rate_ungraded_as_failed=lower,
        warnings=[*run.warnings, *report["warnings"]],
    )
