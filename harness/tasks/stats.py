"""`corecraft tasks stats`: what the task set contains and what it covers.

Coverage: ``tools_covered`` are the tools the reference solutions call. ``entity_types_covered``
are the spec's 14 entity types the tasks reach, from two sources (see entities.py for the id
mapping): the ids a task mentions (requester, entities, ids in reference arguments) by prefix,
and, unless replay is turned off, the tables the reference calls actually read or wrote when
replayed through the server (measured with an SQLite authorizer).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from statistics import mean, median
from typing import Any

from harness.tasks.entities import entity_types_of_tables, table_of_id, task_ids
from harness.tasks.loader import SPLITS, TaskWithRubric
from harness.tasks.models import Category, Difficulty, JudgeCheck
from harness.tasks.replay import Replay
from harness.tasks.skeletons import core_skeleton, skeleton
from harness.tasks.trap_coverage import IdsByType, trap_coverage
from harness.tasks.validate import ProbeSummary, render_probes
from mcp_server.world.store import ENTITY_TYPES


def _counts(values: Iterable[str], keys: Iterable[str] = ()) -> dict[str, int]:
    counted = Counter(values)
    return {key: counted.get(key, 0) for key in [*keys, *sorted(set(counted) - set(keys))]}


def _shares(values: list[str]) -> dict[str, dict[str, float | int]]:
    counted = Counter(values)
    return {name: {"count": n, "share": n / len(values)} for name, n in sorted(counted.items())}


def _summary(numbers: Sequence[int]) -> dict[str, float | int | None]:
    if not numbers:
        return {"mean": None, "median": None, "min": None, "max": None}
    return {"mean": mean(numbers), "median": median(numbers), "min": min(numbers), "max": max(numbers)}


def task_stats(
    suite: Sequence[TaskWithRubric],
    *,
    replays: Sequence[Replay] | None = None,
    tool_names: Iterable[str] | None = None,
    probes: Sequence[ProbeSummary] | None = None,
    trap_ids: IdsByType | None = None,
    world_traps: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    tasks = [p.task for p in suite]
    criteria = [c for p in suite for c in p.rubric.criteria]
    calls_by_category: dict[str, list[int]] = defaultdict(list)
    for task in tasks:
        calls_by_category[task.category].append(len(task.reference.calls))
    tools_used = sorted({call.tool for t in tasks for call in t.reference.calls})
    tables = {table for t in tasks for i in task_ids(t) if (table := table_of_id(i)) is not None}
    for replay in replays or ():
        tables |= replay.tables_read | replay.tables_written
    types = entity_types_of_tables(tables)
    categories: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
    difficulties: tuple[str, ...] = Difficulty.__args__  # type: ignore[attr-defined]
    stats: dict[str, Any] = {
        "tasks": len(tasks),
        "splits": _counts((t.split for t in tasks), SPLITS),
        "categories": _counts((t.category for t in tasks), categories),
        "difficulties": _counts((t.difficulty for t in tasks), difficulties),
        "category_by_difficulty": {
            c: _counts((t.difficulty for t in tasks if t.category == c), difficulties) for c in categories
        },
        "criteria": len(criteria),
        "criteria_per_task": _summary([len(p.rubric.criteria) for p in suite]),
        "criteria_by_method": _shares([c.check.method for c in criteria]),
        "criteria_by_kind": _shares([c.kind for c in criteria]),
        "median_reference_calls_by_category": {c: median(calls_by_category[c]) if calls_by_category[c] else None for c in categories},
        "tools_covered": tools_used,
        "entity_types_covered": sorted(types),
        "entity_types_missing": sorted(set(ENTITY_TYPES) - types),
        "coverage_from": "ids and replayed reference calls" if replays is not None else "ids only (no replay)",
    }
    stats["tasks_graded_without_judge"] = sum(
        1 for p in suite if not any(isinstance(c.check, JudgeCheck) for c in p.rubric.criteria)
    )
    stats["alternative_replies"] = sum(len(t.reference.alternatives) for t in tasks)
    if tool_names is not None:
        stats["tools_not_covered"] = sorted(set(tool_names) - set(tools_used))
    stats["by_split"] = {split: _variety([t for t in tasks if t.split == split], trap_ids)
                         for split in SPLITS if any(t.split == split for t in tasks)}
    if world_traps is not None:
        stats["world_trap_instances"] = world_traps
    if probes is not None:
        # How the do-nothing agent, the scripted adversaries and the alternative correct replies fare:
        # deterministic criteria only (judge criteria are not asked).
        stats["probes"] = {
            p.name: {"tried": p.tasks, "passed": p.passed, "mean_reward": round(p.mean_reward, 4)} for p in probes
        }
    return stats


def _variety(tasks: Sequence[Any], trap_ids: IdsByType | None) -> dict[str, Any]:
    """Families, distinct prompt skeletons (skeletons.py) and, with the manifest, trap coverage."""
    families: dict[str, set[str]] = defaultdict(set)
    cores: set[str] = set()
    counts: Counter[str] = Counter()
    for task in tasks:
        family = task.family or "(none)"
        families[family].add(skeleton(task.prompt))
        cores.add(core_skeleton(task.prompt))
        counts[family] += 1
    found: dict[str, Any] = {
        "tasks": len(tasks),
        "families": len(set(families) - {"(none)"}),  # hand-written (held-out) tasks have no family
        "skeletons": len(set().union(*families.values())) if families else 0,
        "core_skeletons": len(cores),  # without the stock greetings and sign-offs
        "by_family": {f: {"tasks": counts[f], "skeletons": len(families[f])} for f in sorted(families)},
    }
    if trap_ids is not None:
        found["trap_coverage"] = trap_coverage(tasks, trap_ids)
    return found


def render_stats(stats: dict[str, Any]) -> str:
    lines = [f"tasks: {stats['tasks']}  (" + ", ".join(f"{k} {v}" for k, v in stats["splits"].items()) + ")"]
    lines.append("categories: " + ", ".join(f"{k} {v}" for k, v in stats["categories"].items()))
    lines.append("difficulties: " + ", ".join(f"{k} {v}" for k, v in stats["difficulties"].items()))
    per = stats["criteria_per_task"]
    if per["mean"] is not None:
        lines.append(f"criteria: {stats['criteria']} (per task mean {per['mean']:.1f}, median {per['median']}, "
                     f"min {per['min']}, max {per['max']})")
    lines.append("criteria by method: " + ", ".join(f"{k} {100 * v['share']:.0f} %" for k, v in stats["criteria_by_method"].items()))
    lines.append("criteria by kind: " + ", ".join(f"{k} {100 * v['share']:.0f} %" for k, v in stats["criteria_by_kind"].items()))
    lines.append("median reference tool calls: " + ", ".join(
        f"{k} {v}" for k, v in stats["median_reference_calls_by_category"].items() if v is not None))
    lines.append(f"tools covered ({len(stats['tools_covered'])}): {', '.join(stats['tools_covered']) or 'none'}")
    if "tools_not_covered" in stats:
        lines.append(f"tools not covered: {', '.join(stats['tools_not_covered']) or 'none'}")
    lines.append(f"entity types covered ({len(stats['entity_types_covered'])} of {len(ENTITY_TYPES)}, from "
                 f"{stats['coverage_from']}): {', '.join(stats['entity_types_covered']) or 'none'}")
    if stats["entity_types_missing"]:
        lines.append(f"entity types missing: {', '.join(stats['entity_types_missing'])}")
    lines.append(f"tasks graded without a judge: {stats['tasks_graded_without_judge']} of {stats['tasks']}; "
                 f"alternative correct replies: {stats['alternative_replies']}")
    for split, variety in stats.get("by_split", {}).items():
        lines.append(f"{split}: {variety['tasks']} tasks, {variety['families']} families, "
                     f"{variety['skeletons']} distinct prompt skeletons ({variety['core_skeletons']} without greetings and sign-offs)")
        if "trap_coverage" in variety:
            lines.append("  tasks exercising each trap: " + ", ".join(f"{k} {v}" for k, v in variety["trap_coverage"].items()))
    if "world_trap_instances" in stats:
        world = stats["world_trap_instances"]
        lines.append("trap instances in the world (all / outside held-out): " + ", ".join(
            f"{k} {world['all'][k]}/{world['outside_heldout'][k]}" for k in world["all"]))
    if "probes" in stats:
        lines.append("probes (deterministic criteria; adversaries and do-nothing must pass no task):")
        lines.append(render_probes([
            ProbeSummary(name, v["tried"], v["passed"], v["mean_reward"] * v["tried"]) for name, v in stats["probes"].items()
        ]))
    return "\n".join(lines) + "\n"
