"""Turn family instances into Task and Rubric files, and write the training split."""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Callable
from pathlib import Path

from harness.tasks.entities import ids_in
from harness.tasks.generate.core import Exclusions, Instance, World, heldout_tasks
from harness.tasks.models import Rubric, Task

Family = Callable[[World, random.Random, Exclusions], list[Instance]]
DEFAULT_SEED = 7
PREFIX = "tr-"


# Modules holding families (each has FAMILIES: name -> (builder, most instances)).
FAMILY_MODULES = (
    "families_lookup", "families_returns", "families_orders", "families_tickets", "families_builds", "families_comms",
    "families_kb", "families_messages", "families_process", "families_refunds", "families_workflows",
    # world v2 (issue #10): families built on the planted trap instances and wider asks
    "families_promos", "families_buildfix", "families_injection", "families_timing", "families_charges", "families_accounts",
    "families_brands", "families_kbtrap", "families_slack", "families_catalog", "families_loyalty", "families_followup", "families_approvers",
)


def registry() -> dict[str, tuple[Family, int]]:
    """Family name -> (builder, how many instances at most)."""
    found: dict[str, tuple[Family, int]] = {}
    for name in FAMILY_MODULES:
        module = importlib.import_module(f"harness.tasks.generate.{name}")
        clashes = set(found) & set(module.FAMILIES)
        if clashes:
            raise ValueError(f"{name} redefines the families {sorted(clashes)}")
        found.update(module.FAMILIES)
    return found


def generate(root: Path, seed: int = DEFAULT_SEED) -> dict[str, str]:
    """Relative path -> file text for every generated task and rubric."""
    world = World.load()
    exclusions = Exclusions.from_heldout(world, heldout_tasks(root))
    files: dict[str, str] = {}
    for family, (builder, limit) in sorted(registry().items()):
        rng = random.Random(f"{seed}:{family}")
        # a safety net over the families' own checks: drop any instance naming an excluded id
        instances = [i for i in builder(world, rng, exclusions) if exclusions.allows(*_ids_of(i))][:limit]
        for number, instance in enumerate(instances, start=1):
            task_id = f"{PREFIX}{family}-{number:04d}"
            task, rubric = _materialise(task_id, family, instance)
            files[f"tasks/train/{task_id}.json"] = _dump(task.model_dump(mode="json", exclude_none=True))
            files[f"rubrics/train/{task_id}.json"] = _dump(rubric.model_dump(mode="json", exclude_none=True))
    return dict(sorted(files.items()))


def _ids_of(inst: Instance) -> list[str]:
    found = [inst.requester_id, *inst.entities]
    for call in inst.calls:
        found.extend(ids_in(call["arguments"]))
    return found


def _materialise(task_id: str, family: str, inst: Instance) -> tuple[Task, Rubric]:
    task = Task.model_validate({
        "id": task_id, "split": "train", "category": inst.category, "difficulty": inst.difficulty,
        "requester": inst.requester, "requester_id": inst.requester_id, "prompt": inst.prompt,
        "clock": inst.clock, "entities": list(dict.fromkeys(inst.entities)),
        "reference": {"calls": inst.calls, "reply": inst.reply, "alternatives": inst.alternatives}, "tags": sorted(set(inst.tags)), "family": family,
    })
    rubric = Rubric.model_validate({"task_id": task_id, "criteria": inst.criteria})
    return task, rubric


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write(root: Path, files: dict[str, str]) -> tuple[int, int]:
    """Write the files and delete stale generated ones. Returns (written, removed)."""
    removed = 0
    for folder in ("tasks/train", "rubrics/train"):
        directory = root / folder
        directory.mkdir(parents=True, exist_ok=True)
        for path in sorted(directory.glob(f"{PREFIX}*.json")):
            if f"{folder}/{path.name}" not in files:
                path.unlink()
                removed += 1
    for relative, text in files.items():
        path = root / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return len(files), removed
