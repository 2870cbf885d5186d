"""Two runs side by side: which episodes flipped, which criteria changed, and whether the
difference in pass rate is more than chance (an exact McNemar test on the paired episodes).

Episodes pair by key (task id and trial). Only episodes graded in both runs are paired for the pass
rate; the rest are counted as unpaired, never dropped silently."""

from __future__ import annotations

from dataclasses import dataclass

from harness.view.model import Episode, Run
from harness.view.stats import PairedTest, mcnemar

_DECIDED = ("passed", "failed")


@dataclass(frozen=True)
class Flip:
    before: Episode
    after: Episode


@dataclass(frozen=True)
class CriterionChange:
    before: Episode
    after: Episode
    criterion: str
    kind: str
    method: str
    was: bool | None
    now: bool | None
    reason: str  # the other run's reason


@dataclass(frozen=True)
class Comparison:
    baseline: Run
    other: Run
    paired: int
    baseline_passed: int
    other_passed: int
    test: PairedTest
    flips: list[Flip]  # passed <-> failed, lost ones first
    unpaired: int  # in either run, not graded in both
    criterion_changes: list[CriterionChange]
    warnings: list[str]

    @property
    def difference(self) -> float | None:
        return (self.other_passed - self.baseline_passed) / self.paired if self.paired else None


def _hash_differences(baseline: Run, other: Run, tasks: set[str]) -> list[str]:
    warnings = []
    for field, what in (("tasks", "task"), ("rubrics", "rubric")):
        before = (baseline.manifest or {}).get(field) or {}
        after = (other.manifest or {}).get(field) or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        changed = sorted(t for t in tasks if t in before and t in after and before[t] != after[t])
        if changed:
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            warnings.append(f"{len(changed)} {what}(s) differ between {baseline.label} and {other.label} "
                            f"({shown}): those pairs compare different {what}s")
    return warnings


def _criterion_changes(before: Episode, after: Episode) -> list[CriterionChange]:
    if before.grade is None or after.grade is None:
        return []
    was = {c.id: c for c in before.grade.criteria}
    changes = []
    for criterion in after.grade.criteria:
        old = was.get(criterion.id)
        if old is not None and old.met != criterion.met:
            changes.append(CriterionChange(before, after, criterion.id, criterion.kind, criterion.method,
                                           old.met, criterion.met, criterion.reason))
    return changes


def compare(baseline: Run, other: Run) -> Comparison:
    mine = {e.key: e for e in baseline.episodes}
    theirs = {e.key: e for e in other.episodes}
    common = [key for key in mine if key in theirs]
    pairs = [(mine[k], theirs[k]) for k in common if mine[k].outcome in _DECIDED and theirs[k].outcome in _DECIDED]
    flips = [Flip(a, b) for a, b in pairs if a.outcome != b.outcome]
    flips.sort(key=lambda f: (f.before.outcome != "passed", f.before.task_id, f.before.trial))
    lost = sum(1 for f in flips if f.before.outcome == "passed")
    changes = [change for key in common for change in _criterion_changes(mine[key], theirs[key])]
    warnings = _hash_differences(baseline, other, {mine[k].task_id for k in common})
    return Comparison(
        baseline=baseline, other=other, paired=len(pairs),
        baseline_passed=sum(1 for a, _ in pairs if a.outcome == "passed"),
        other_passed=sum(1 for _, b in pairs if b.outcome == "passed"),
        test=mcnemar(lost, len(flips) - lost), flips=flips,
        unpaired=len(mine.keys() | theirs.keys()) - len(pairs), criterion_changes=changes, warnings=warnings,
    )
