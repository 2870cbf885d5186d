"""Which designed traps a task exercises, checked against the world's trap manifest.

A task exercises a trap type when it carries the tag ``trap:<type>`` and names (requester, entities
or reference-call arguments) at least one id the manifest lists for that type. A tag without such
an id is a bare claim: ``unbacked_trap_tags`` names it, and a test keeps the committed tasks free
of them, so coverage figures count only traps a task can really meet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.tasks.entities import task_ids
from harness.tasks.models import Task
from mcp_server.world.trap_types import TRAP_TYPES, TrapInstance, types_of_tags

IdsByType = Mapping[str, set[str]]


def exercised_traps(task: Task, ids_by_type: IdsByType) -> list[str]:
    named = set(task_ids(task))
    return [t for t in types_of_tags(task.tags) if t in ids_by_type and named & ids_by_type[t]]


def unbacked_trap_tags(task: Task, ids_by_type: IdsByType) -> list[str]:
    exercised = set(exercised_traps(task, ids_by_type))
    return [t for t in types_of_tags(task.tags) if t not in exercised]


def trap_coverage(tasks: Iterable[Task], ids_by_type: IdsByType) -> dict[str, int]:
    """Trap type -> how many of the tasks exercise it (every known type listed, zeros included)."""
    counts = dict.fromkeys(TRAP_TYPES, 0)
    for task in tasks:
        for trap in exercised_traps(task, ids_by_type):
            counts[trap] += 1
    return counts


def instances_per_type(instances: Iterable[TrapInstance], excluded: set[str] = frozenset()) -> dict[str, int]:
    """Trap type -> planted instances none of whose ids is in ``excluded`` (pass the ids held-out
    tasks can reach to count what the training split may use)."""
    counts = dict.fromkeys(TRAP_TYPES, 0)
    for instance in instances:
        if not excluded & set(instance.ids):
            counts[instance.type] += 1
    return counts
