"""The audit report as text: the rates first (what decides whether to trust the judge), then one
line per item the judge got wrong, so each can be traced to its task, criterion and source line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from harness.grading.judge_audit.audit import AuditItem, AuditReport

REASON_WIDTH = 110
_SPACE = re.compile(r"\s+")


def one_line(text: str, width: int = REASON_WIDTH) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= width else flat[: width - 3].rstrip() + "..."


def _label(met: bool | None) -> str:
    return "undecided" if met is None else "met" if met else "not met"


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:5.1f} %"


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header) - 1)]
    lines = []
    for row in [list(header), *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def _rows(items: list[AuditItem]) -> list[list[str]]:
    ordered = sorted(items, key=lambda i: (i.labelled.task_id, i.labelled.criterion_id, not i.labelled.met))
    return [
        [i.labelled.task_id, i.labelled.criterion_id, _label(i.labelled.met), _label(i.verdict), i.labelled.source,
         one_line(i.reason)]
        for i in ordered
    ]


def render_text(report: AuditReport) -> str:
    settings = ", ".join(f"{k} {v}" for k, v in sorted(report.settings.items()) if v is not None) or "provider defaults"
    agreed, fp, ff, undecided = (report.count(o) for o in ("agree", "false_pass", "false_fail", "undecided"))
    total = len(report.items)
    lines = [
        f"judge audit: {report.judge} ({settings}) on {report.criteria} judge criteria",
        f"{total} labelled replies: {report.positives} positive (criterion met), {report.negatives} negative (not met)",
        "",
        f"agreement   {agreed:>4}/{total:<4} {_percent(report.agreement_rate)}",
        f"false pass  {fp:>4}/{report.negatives:<4} {_percent(report.false_pass_rate)}   "
        "judge said met on a reply that fails the criterion",
        f"false fail  {ff:>4}/{report.positives:<4} {_percent(report.false_fail_rate)}   "
        "judge said not met on a correct reply",
        f"undecided   {undecided:>4}              judge error or malformed verdicts (counted as disagreement)",
    ]
    wrong = [i for i in report.items if i.outcome in ("false_pass", "false_fail")]
    if wrong:
        lines += ["", f"Wrong verdicts ({len(wrong)}):"]
        lines += _table(("task", "criterion", "label", "judge", "item", "judge's reason"), _rows(wrong))
    unsure = [i for i in report.items if i.outcome == "undecided"]
    if unsure:
        lines += ["", f"Undecided ({len(unsure)}):"]
        lines += _table(("task", "criterion", "label", "judge", "item", "error"), _rows(unsure))
    if report.replay_problems:
        lines += ["", "Warning: some reference solutions did not replay as written (their evidence may be off):"]
        lines += [f"  {one_line(p)}" for p in report.replay_problems]
    return "\n".join(lines)
