"""Shared by the tests of the task families (imported as ``family_fixtures``): the world, the held-out
exclusions and each registered family's instances, built once per test session exactly as
``python -m harness.tasks.generate`` builds them (same seed, same safety net, same limit)."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.tasks.generate.build import DEFAULT_SEED, _ids_of, _materialise, registry
from harness.tasks.generate.core import Exclusions, Instance, World, heldout_tasks
from harness.tasks.loader import TaskWithRubric
from harness.tasks.skeletons import skeleton

ROOT = Path(__file__).resolve().parents[3]


@lru_cache(maxsize=None)
def world() -> World:
    return World.load()


@lru_cache(maxsize=None)
def exclusions() -> Exclusions:
    return Exclusions.from_heldout(world(), heldout_tasks(ROOT))


@lru_cache(maxsize=None)
def instances(family: str) -> tuple[Instance, ...]:
    """The family's instances as the training split holds them (tests must not mutate them: they are shared)."""
    builder, limit = registry()[family]
    built = builder(world(), random.Random(f"{DEFAULT_SEED}:{family}"), exclusions())
    return tuple([i for i in built if exclusions().allows(*_ids_of(i))][:limit])


@lru_cache(maxsize=None)
def skeletons(family: str) -> tuple[str, ...]:
    """The skeleton of each of the family's prompts (cached: skeleton() is the slow part of shape counts)."""
    return tuple(skeleton(i.prompt) for i in instances(family))


def materialised(family: str, count: int) -> list[TaskWithRubric]:
    """The family's first ``count`` instances as the task and rubric files the generator writes."""
    return [TaskWithRubric(*_materialise(f"tr-{family}-{n:04d}", family, i)) for n, i in enumerate(instances(family)[:count], start=1)]


def check(instance: Instance, criterion: str) -> dict[str, Any]:
    """The check of the instance's criterion with this id."""
    return next(c["check"] for c in instance.criteria if c["id"] == criterion)


def arguments(instance: Instance, tool: str) -> dict[str, Any]:
    """The arguments of the instance's first reference call of this tool."""
    return next(c["arguments"] for c in instance.calls if c["tool"] == tool)


def entity(instance: Instance, prefix: str) -> str:
    """The instance's first entity with this id prefix ("ord-", "tkt-")."""
    return next(e for e in instance.entities if e.startswith(prefix))
