"""The committed training split is worth training on: many families, many phrasings, every trap."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.tasks.loader import TaskWithRubric, load_suite
from harness.tasks.skeletons import distinct_skeletons
from harness.tasks.trap_coverage import trap_coverage
from mcp_server.world.trap_types import TRAP_TYPES, ids_by_type

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def train() -> list[TaskWithRubric]:
    return [p for p in load_suite(ROOT) if p.task.split == "train"]


def test_the_split_has_a_thousand_tasks_from_forty_families(train: list[TaskWithRubric]) -> None:
    families = Counter(p.task.family for p in train)
    assert len(train) >= 1000 and len(families) >= 40, families


def test_the_asks_come_in_at_least_eight_hundred_shapes_even_without_greetings_and_sign_offs(train: list[TaskWithRubric]) -> None:
    assert distinct_skeletons((p.task.prompt for p in train), core=True) >= 800


def test_no_family_repeats_one_prompt_shape(train: list[TaskWithRubric]) -> None:
    by_family: dict[str, list[str]] = {}
    for pair in train:
        by_family.setdefault(pair.task.family or "", []).append(pair.task.prompt)
    thin = {f: (distinct_skeletons(p), len(p)) for f, p in by_family.items() if distinct_skeletons(p) < 0.6 * len(p)}
    assert thin == {}


def test_every_trap_type_is_exercised_by_thirty_training_tasks(train: list[TaskWithRubric]) -> None:
    coverage = trap_coverage((p.task for p in train), ids_by_type())
    assert set(coverage) == set(TRAP_TYPES)
    assert {t: n for t, n in coverage.items() if n < 30} == {}
