"""Trap coverage counts a task only when its trap tag is backed by an id of that trap."""

from __future__ import annotations

from pathlib import Path

from harness.tasks.generate.build import PREFIX
from harness.tasks.loader import load_suite
from harness.tasks.models import Task
from harness.tasks.trap_coverage import exercised_traps, instances_per_type, trap_coverage, unbacked_trap_tags
from mcp_server.world.trap_types import TrapInstance, ids_by_type

ROOT = Path(__file__).resolve().parents[3]
IDS = {"lost_parcel": {"shp-000007", "ord-250101-111"}, "namesake": {"cus-00118"}}


def _task(tags: list[str], entities: list[str]) -> Task:
    return Task.model_validate({
        "id": "tr-demo-0001", "split": "train", "category": "reasoning", "difficulty": "easy", "requester": "customer",
        "requester_id": "cus-00009", "prompt": "Where is my parcel?", "entities": entities,
        "reference": {"calls": [{"tool": "getOrderDetails", "arguments": {"order_id": "ord-250101-111"}}], "reply": "x"},
        "tags": tags, "family": "demo",
    })


def test_a_tag_counts_when_the_task_names_an_id_of_that_trap() -> None:
    task = _task(["shipping", "trap:lost_parcel"], ["cus-00009"])  # the order id is in a reference call
    assert exercised_traps(task, IDS) == ["lost_parcel"] and unbacked_trap_tags(task, IDS) == []


def test_a_tag_without_such_an_id_is_a_bare_claim_and_counts_for_nothing() -> None:
    task = _task(["trap:namesake", "trap:lost_parcel"], ["cus-00009"])
    assert unbacked_trap_tags(task, IDS) == ["namesake"]
    coverage = trap_coverage([task], IDS)
    assert coverage["namesake"] == 0 and coverage["lost_parcel"] == 1 and coverage["search_cap"] == 0


def test_an_id_without_the_tag_does_not_count_either() -> None:
    assert exercised_traps(_task([], ["cus-00118"]), IDS) == []


def test_instances_reachable_by_heldout_tasks_are_not_counted_as_available_for_training() -> None:
    instances = [TrapInstance("namesake", "a", ("cus-00118", "cus-00342")), TrapInstance("namesake", "b", ("cus-00700",))]
    assert instances_per_type(instances)["namesake"] == 2
    assert instances_per_type(instances, {"cus-00342"})["namesake"] == 1


def test_no_hand_written_task_carries_a_trap_tag_it_does_not_back_with_an_id() -> None:
    # generated tasks are checked family by family in test_generate_families.py (test_generate.py keeps them
    # equal to a fresh generation), so this covers the rest: the held-out tasks and any hand-written one
    ids = ids_by_type()
    unbacked = {p.task.id: unbacked_trap_tags(p.task, ids) for p in load_suite(ROOT) if not p.task.id.startswith(PREFIX)}
    assert unbacked, "no hand-written task was read"
    assert {k: v for k, v in unbacked.items() if v} == {}
