"""The report page: one self-contained HTML file rendered from Jinja templates with autoescaping.

Everything model-written (replies, reasoning, tool arguments and results, judge reasons) reaches the
page only through autoescaped template values, and the page's Content-Security-Policy allows
nothing but its own inline style and script (by hash) and data: images: no request can leave it,
and injected markup could not run even if it got through."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from harness.view import plots
from harness.view.compare import Comparison, compare
from harness.view.episode import EpisodeView, episode_view
from harness.view.model import OUTCOMES, Episode, Run
from harness.view.stats import MISSING_NOTE, Interval, available
from harness.view.summary import RunSummary, summarize


def _percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f} %"


def _interval(value: Interval | None, percent: bool = True) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{100 * value.low:.1f}–{100 * value.high:.1f} %"
    return f"{value.low:.3f}–{value.high:.3f}"


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _verdict(met: bool | None) -> str:
    return "met" if met is True else "failed" if met is False else "ungraded"


def _p_value(value: float | None) -> str:
    if value is None:
        return "p: –"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("harness.view", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters.update(percent=_percent, interval=_interval, number=_number, verdict=_verdict, p_value=_p_value,
                       pretty=_pretty)
    return env


_ENV = _environment()


def _static(name: str) -> str:
    return (files("harness.view") / "static" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@dataclass(frozen=True)
class RunPage:
    """One run's overview with its plots."""

    summary: RunSummary
    system_prompt: str | None  # the one most of its episodes had
    category_plot: Markup
    difficulty_plot: Markup
    heatmap: Markup
    turns_plot: Markup
    calls_plot: Markup
    cost_plot: Markup
    outcomes: list[str]


def _run_page(summary: RunSummary) -> RunPage:
    episodes = summary.run.episodes
    prompts = Counter(m.content for e in episodes if e.record for m in e.record.messages[:1] if m.role == "system")
    label = summary.run.label
    return RunPage(
        summary=summary, system_prompt=prompts.most_common(1)[0][0] if prompts else None,
        category_plot=plots.pass_rate_bars(summary.by_category, f"{label}: pass rate by category, 95 % interval"),
        difficulty_plot=plots.pass_rate_bars(summary.by_difficulty, f"{label}: pass rate by difficulty, 95 % interval"),
        heatmap=plots.heatmap(episodes, f"{label}: tasks by criteria"),
        turns_plot=plots.histogram(episodes, lambda e: e.turns, f"{label}: turns per episode", "turns"),
        calls_plot=plots.histogram(episodes, lambda e: e.tool_calls, f"{label}: tool calls per episode", "tool calls"),
        cost_plot=plots.cost_bars(episodes, f"{label}: cost per episode"),
        outcomes=[o for o in OUTCOMES if any(e.outcome == o for e in episodes)],
    )


def _filters(runs: list[Run]) -> dict[str, list[str]]:
    episodes = [e for run in runs for e in run.episodes]
    return {
        "categories": sorted({e.category for e in episodes}),
        "outcomes": [o for o in OUTCOMES if any(e.outcome == o for e in episodes)],
        "tools": sorted({tool for e in episodes for tool in e.tools}),
        "criteria": sorted({c.id for e in episodes if e.grade for c in e.grade.criteria}),
    }


def _siblings(runs: list[Run]) -> dict[str, list[Episode]]:
    """Each key's episodes across the runs, for the links between them."""
    found: dict[str, list[Episode]] = {}
    for run in runs:
        for episode in run.episodes:
            found.setdefault(episode.key, []).append(episode)
    return found


def render(runs: list[Run]) -> str:
    """The whole report for ``runs`` (the first is the baseline of every comparison) as HTML."""
    style, script = _static("view.css"), _static("view.js")
    pages = [_run_page(summarize(run)) for run in runs]
    comparisons: list[Comparison] = [compare(runs[0], other) for other in runs[1:]]
    views: list[list[EpisodeView]] = [[episode_view(e) for e in run.episodes] for run in runs]
    context: dict[str, Any] = {
        "runs": runs, "pages": pages, "comparisons": comparisons, "views": views, "filters": _filters(runs),
        "siblings": _siblings(runs), "stats_note": None if available() else MISSING_NOTE,
        "colours": plots.COLOURS, "outcome_legend": plots.outcome_legend(OUTCOMES),
        "heat_legend": plots.legend([("met", plots.MET), ("failed", plots.FAILED),
                                     ("mixed over trials", plots.MIXED), ("ungraded", plots.UNDECIDED)]),
        "style": Markup(style), "script": Markup(script),
        "csp": f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
               "img-src data:; base-uri 'none'; form-action 'none'",
    }
    return _ENV.get_template("report.html.j2").render(context)
