"""Run reports: pass rate, mean reward, pass@k and pass^k, breakdowns, tokens and cost.

Rates are over graded episodes. Ungraded episodes (the judge could not decide, a different world),
unverified ones (their calls do not replay to what they record) and infrastructure errors are
counted and listed apart, never folded into the pass rate; the
report also gives the pass rate that counts ungraded episodes as failures, as a lower bound.

pass@k and pass^k use the unbiased estimators over each task's n graded trials with c passes,
pass@k = 1 - C(n-c, k) / C(n, k) and pass^k = C(c, k) / C(n, k), averaged over the tasks that have
at least k graded trials, for k = 1 .. the largest n.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from math import comb
from statistics import mean
from typing import Any

from harness.grading.results import EpisodeGrade
from harness.transcript import EpisodeRecord, Usage

REPORT_VERSION = 1


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k trials drawn without replacement from n passes."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Probability that all k trials drawn without replacement from n pass."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    return comb(c, k) / comb(n, k)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _group_summary(grades: Sequence[EpisodeGrade]) -> dict[str, Any]:
    graded = [g for g in grades if g.status == "graded"]
    return {
        "episodes": len(grades),
        "graded": len(graded),
        "passed": sum(1 for g in graded if g.passed),
        "pass_rate": _rate(sum(1 for g in graded if g.passed), len(graded)),
        "mean_reward": mean(g.reward or 0.0 for g in graded) if graded else None,
        "ungraded": sum(1 for g in grades if g.status == "ungraded"),
        "unverified": sum(1 for g in grades if g.status == "unverified"),
        "errors": sum(1 for g in grades if g.status == "error"),
    }


def _by(grades: Sequence[EpisodeGrade], attribute: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[EpisodeGrade]] = defaultdict(list)
    for grade in grades:
        groups[str(getattr(grade, attribute) or "unknown")].append(grade)
    return {name: _group_summary(groups[name]) for name in sorted(groups)}


def _criteria_rates(graded: Sequence[EpisodeGrade], attribute: str) -> dict[str, dict[str, Any]]:
    totals: Counter[str] = Counter()
    met: Counter[str] = Counter()
    for grade in graded:
        for criterion in grade.criteria:
            name = getattr(criterion, attribute)
            totals[name] += 1
            met[name] += 1 if criterion.met else 0
    return {name: {"criteria": totals[name], "met": met[name], "met_rate": met[name] / totals[name]} for name in sorted(totals)}


def _pass_k(graded: Sequence[EpisodeGrade]) -> dict[str, Any]:
    trials: dict[str, list[bool]] = defaultdict(list)
    for grade in graded:
        trials[grade.task_id].append(bool(grade.passed))
    most = max((len(t) for t in trials.values()), default=0)
    at_k: dict[str, float] = {}
    hat_k: dict[str, float] = {}
    counted: dict[str, int] = {}
    for k in range(1, most + 1):
        eligible = [(len(t), sum(t)) for t in trials.values() if len(t) >= k]
        at_k[str(k)] = mean(pass_at_k(n, c, k) for n, c in eligible)
        hat_k[str(k)] = mean(pass_hat_k(n, c, k) for n, c in eligible)
        counted[str(k)] = len(eligible)
    return {"trials": most, "tasks": len(trials), "pass_at_k": at_k, "pass_hat_k": hat_k, "tasks_counted": counted}


def _usage(records: Iterable[EpisodeRecord]) -> dict[str, Any]:
    chosen = list(records)
    total = sum((r.usage for r in chosen), Usage())
    cost = sum(r.cost_usd for r in chosen)
    return {
        "episodes": len(chosen),
        **total.model_dump(),
        "cost_usd": round(cost, 6),
        "mean_cost_usd": round(cost / len(chosen), 6) if chosen else None,
        "mean_output_tokens": total.output_tokens / len(chosen) if chosen else None,
    }


def _tool_use(records: Iterable[EpisodeRecord]) -> dict[str, Any]:
    """Tool calls and turns per finished episode: a run whose model never calls a tool grades its
    first replies as answers, which looks like a normal (poor) result unless it is counted."""
    finished = [r for r in records if r.status != "error"]
    episodes = {r.key: {"turns": r.turns, "tool_calls": len(r.tool_calls),
                        "parsed_from_text": sum(1 for c in r.tool_calls if c.parsed_from is not None),
                        "tool_errors": sum(1 for c in r.tool_calls if c.is_error)} for r in finished}
    totals = {name: sum(e[name] for e in episodes.values()) for name in ("turns", "tool_calls", "parsed_from_text", "tool_errors")}
    return {"episodes": len(episodes), **totals,
            "without_tool_calls": sum(1 for e in episodes.values() if not e["tool_calls"]), "per_episode": episodes}


def _tool_use_warnings(tool_use: dict[str, Any] | None) -> list[str]:
    if not tool_use or not tool_use["episodes"]:
        return []
    silent, episodes = tool_use["without_tool_calls"], tool_use["episodes"]
    if silent == episodes:
        return [f"NO TOOL CALLS: none of the {episodes} episodes made a single tool call, so the model never reached "
                "the world and its first replies were graded as answers (a model that writes tool calls as text "
                "needs a tool parser: see docs/open-models.md)"]
    return [f"{silent} of {episodes} episodes made no tool call"] if silent else []


def build_report(grades: Sequence[EpisodeGrade], records: Sequence[EpisodeRecord] | None = None) -> dict[str, Any]:
    """The report as plain JSON-able data (the `--json` output)."""
    graded = [g for g in grades if g.status == "graded"]
    ungraded = [g for g in grades if g.status == "ungraded"]
    unverified = [g for g in grades if g.status == "unverified"]
    errors = [g for g in grades if g.status == "error"]
    passed = sum(1 for g in graded if g.passed)
    judged = [g for g in grades if g.judge_usage is not None and not g.judge_cached]
    warnings = []
    models = sorted({g.model for g in grades})
    manifests = sorted({g.manifest_hash for g in grades if g.manifest_hash})
    if len(models) > 1:
        warnings.append(f"grades of {len(models)} models are pooled: {', '.join(models)}")
    if len(manifests) > 1:
        warnings.append(f"grades from {len(manifests)} different run manifests are pooled")
    tool_use = _tool_use(records) if records is not None else None
    warnings += _tool_use_warnings(tool_use)
    return {
        "version": REPORT_VERSION,
        "episodes": len(grades),
        "graded": len(graded),
        "passed": passed,
        "ungraded": len(ungraded),
        "unverified": len(unverified),
        "errors": len(errors),
        "pass_rate": _rate(passed, len(graded)),
        "pass_rate_ungraded_as_failed": _rate(passed, len(graded) + len(ungraded)),
        "mean_reward": mean(g.reward or 0.0 for g in graded) if graded else None,
        **_pass_k(graded),
        "by_category": _by(grades, "category"),
        "by_difficulty": _by(grades, "difficulty"),
        "by_criterion_kind": _criteria_rates(graded, "kind"),
        "by_check_method": _criteria_rates(graded, "method"),
        "ungraded_reasons": dict(Counter(g.reason or "unknown" for g in ungraded).most_common()),
        "unverified_reasons": dict(Counter(g.reason or "unknown" for g in unverified).most_common()),
        "error_reasons": dict(Counter(g.reason or "unknown" for g in errors).most_common()),
        "usage": _usage(records) if records is not None else None,
        "tool_use": tool_use,
        "judge_usage": {
            "calls": len(judged),
            **sum((g.judge_usage or Usage() for g in judged), Usage()).model_dump(),
        },
        "models": models,
        "judges": sorted({g.judge for g in grades if g.judge}),
        "manifest_hashes": manifests,
        "warnings": warnings,
    }


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _group_table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"## By {title}", "", f"| {title} | episodes | graded | pass rate | mean reward | ungraded | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, g in groups.items():
        lines.append(f"| {name} | {g['episodes']} | {g['graded']} | {_percent(g['pass_rate'])} | "
                     f"{_number(g['mean_reward'])} | {g['ungraded']} | {g['errors']} |")
    return lines + [""]


def _criteria_table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"## Criteria met by {title}", "", f"| {title} | criteria | met | met rate |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {g['criteria']} | {g['met']} | {_percent(g['met_rate'])} |" for name, g in groups.items()]
    return lines + [""]


def render_markdown(report: dict[str, Any]) -> str:
    lines = ["# CoreCraft run report", ""]
    lines += [f"- models: {', '.join(report['models']) or 'none'}; judge: {', '.join(report['judges']) or 'none'}",
              f"- episodes: {report['episodes']} (graded {report['graded']}, ungraded {report['ungraded']}, "
              f"unverified {report.get('unverified', 0)}, infrastructure errors {report['errors']})",
              f"- **pass rate: {_percent(report['pass_rate'])}** ({report['passed']} of {report['graded']} graded); "
              f"counting ungraded as failed: {_percent(report['pass_rate_ungraded_as_failed'])}",
              f"- mean reward (criteria met / criteria): {_number(report['mean_reward'])}"]
    tools = report.get("tool_use")
    if tools and tools["episodes"]:
        lines.append(f"- tool use: {tools['tool_calls']} tool calls ({tools['parsed_from_text']} read from text, "
                     f"{tools['tool_errors']} answered with an error) in {tools['turns']} model turns; per episode "
                     f"{tools['tool_calls'] / tools['episodes']:.1f} calls and {tools['turns'] / tools['episodes']:.1f} "
                     f"turns; {tools['without_tool_calls']} of {tools['episodes']} episodes made none")
    lines.append("")
    lines += [f"> warning: {w}" for w in report["warnings"]]
    if report["trials"]:
        lines += ["## Reliability over trials", "", "| k | pass@k | pass^k | tasks |", "|---:|---:|---:|---:|"]
        for k in report["pass_at_k"]:
            lines.append(f"| {k} | {_percent(report['pass_at_k'][k])} | {_percent(report['pass_hat_k'][k])} | "
                         f"{report['tasks_counted'][k]} |")
        lines.append("")
    lines += _group_table("category", report["by_category"]) + _group_table("difficulty", report["by_difficulty"])
    lines += _criteria_table("kind", report["by_criterion_kind"]) + _criteria_table("check method", report["by_check_method"])
    usage = report["usage"]
    if usage:
        lines += ["## Tokens and cost", "",
                  f"- input {usage['input_tokens']:,}, output {usage['output_tokens']:,} (reasoning "
                  f"{usage['reasoning_tokens']:,}), cache read {usage['cache_read_tokens']:,}, cache write "
                  f"{usage['cache_write_tokens']:,}",
                  f"- cost ${usage['cost_usd']:.4f} in all, ${(usage['mean_cost_usd'] or 0):.4f} per episode", ""]
    judge = report["judge_usage"]
    if judge["calls"]:
        lines += [f"- judge: {judge['calls']} uncached calls, input {judge['input_tokens']:,}, output {judge['output_tokens']:,} tokens", ""]
    for title, reasons in (("Ungraded", report["ungraded_reasons"]), ("Unverified", report.get("unverified_reasons", {})),
                           ("Infrastructure errors", report["error_reasons"])):
        if reasons:
            lines += [f"## {title}", ""] + [f"- {count} x {reason}" for reason, count in reasons.items()] + [""]
    return "\n".join(lines).rstrip() + "\n"
