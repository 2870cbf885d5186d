"""The warranty-claim family's customer text fits the product: a fault of its category, and overclocking
only for a part that can be overclocked (the split once had an overclocked PC case, mice and a keyboard)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from harness.tasks.generate.core import World
from harness.tasks.generate.families_workflows import OVERCLOCKABLE, SYMPTOMS
from harness.tasks.loader import load_suite
from harness.tasks.models import Task

ROOT = Path(__file__).resolve().parents[3]
OVERCLOCK = re.compile(r"overclock", re.IGNORECASE)


@lru_cache(maxsize=None)
def _world() -> World:
    return World.load()


def _claimed_category(task: Task) -> str:
    check = next(c for c in task.reference.calls if c.tool == "checkWarrantyStatus")
    category = _world().value("SELECT category FROM products WHERE id = ?", (check.arguments["product_id"],))
    assert category, task.id
    return str(category)


def _fit_problems(task: Task) -> list[str]:
    """What in one warranty-claim prompt does not fit the product's category (empty when it all fits)."""
    category = _claimed_category(task)
    problems = []
    if not any(symptom.lower() in task.prompt.lower() for symptom in SYMPTOMS.get(category, [])):
        problems.append(f"{task.id}: no {category} fault in the prompt")
    if category not in OVERCLOCKABLE and OVERCLOCK.search(task.prompt):
        problems.append(f"{task.id}: a {category} described as overclocked (or not)")
    return problems


@pytest.fixture(scope="module")
def claims() -> list[Task]:
    found = [pair.task for pair in load_suite(ROOT, "train") if pair.task.family == "warranty-claim"]
    assert found, "no warranty-claim tasks in the training split"
    return found


def test_every_warranty_claim_describes_a_fault_of_its_products_category(claims: list[Task]) -> None:
    problems = [p for task in claims for p in _fit_problems(task) if "fault" in p]
    assert not problems, problems


def test_no_warranty_claim_speaks_of_overclocking_a_part_that_cannot_be_overclocked(claims: list[Task]) -> None:
    problems = [p for task in claims for p in _fit_problems(task) if "overclocked" in p]
    assert not problems, problems
    # the check has something to bite on: the split holds claims on parts that cannot be overclocked
    assert any(_claimed_category(task) not in OVERCLOCKABLE for task in claims)


def test_an_overclocked_mouse_is_reported_as_not_fitting_its_category(claims: list[Task]) -> None:
    mouse = next(task for task in claims if _claimed_category(task) == "mouse")
    planted = mouse.model_copy(update={"prompt": mouse.prompt + " I had it overclocked pretty hard for a few weeks."})
    assert any("overclocked" in p for p in _fit_problems(planted))
    generic = mouse.model_copy(update={"prompt": "It just stopped working."})
    assert any("fault" in p for p in _fit_problems(generic))
