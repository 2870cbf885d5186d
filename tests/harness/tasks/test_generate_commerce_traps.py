"""The commerce-trap families (families_timing, families_charges, families_accounts): their instances validate
and pass their own rubric, their trap tags are backed by the manifest, and the trap values are really wrong."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.tasks.generate import families_accounts, families_charges, families_timing
from harness.tasks.generate.build import _materialise
from harness.tasks.generate.core import Exclusions, Instance, World, eastern_day, heldout_tasks, utc
from harness.tasks.loader import TaskWithRubric
from harness.tasks.validate import validate_suite
from mcp_server.world.trap_types import TAG_PREFIX, ids_by_type

ROOT = Path(__file__).resolve().parents[3]
FAMILIES = {**families_timing.FAMILIES, **families_charges.FAMILIES, **families_accounts.FAMILIES}
SAMPLE = 1  # instances per family replayed through the server (the whole split is validated in CI)


@pytest.fixture(scope="module")
def built() -> dict[str, list[Instance]]:
    world = World.load()
    exclusions = Exclusions.from_heldout(world, heldout_tasks(ROOT))
    return {name: builder(world, random.Random(f"7:{name}"), exclusions)[:limit] for name, (builder, limit) in FAMILIES.items()}


def _checks(instance: Instance, kind: str) -> list[dict]:
    return [c["check"] for c in instance.criteria if c["check"]["method"] == "response" and c["check"].get(kind)]


def test_every_family_yields_instances_with_four_to_eight_criteria(built: dict[str, list[Instance]]) -> None:
    for name, instances in built.items():
        assert instances, f"{name} found nothing in the world"
        assert all(4 <= len(i.criteria) <= 8 for i in instances), name


def test_trap_tags_name_an_id_the_manifest_lists_for_that_type(built: dict[str, list[Instance]]) -> None:
    listed = ids_by_type()
    for instances in built.values():
        for instance in instances:
            named = {instance.requester_id, *instance.entities}
            for call in instance.calls:
                named.update(v for v in call["arguments"].values() if isinstance(v, str))
            for tag in (t for t in instance.tags if t.startswith(TAG_PREFIX)):
                assert named & listed[tag[len(TAG_PREFIX):]], (tag, instance.prompt)


def test_the_utc_date_of_a_late_evening_order_is_a_wrong_answer(built: dict[str, list[Instance]]) -> None:
    for instance in built["order-date-eastern"]:
        order = next(e for e in instance.entities if e.startswith("ord-"))
        created = World.load().value("SELECT created_at FROM orders WHERE id = ?", (order,))
        (dates,) = [c["dates"][0] for c in _checks(instance, "dates")]
        assert dates["value"] == eastern_day(created).isoformat() != utc(created).date().isoformat()
        assert utc(created).date().isoformat() in dates["wrong"]


def test_a_failed_attempt_is_never_counted_as_a_charge(built: dict[str, list[Instance]]) -> None:
    for instance in built["payment-attempts"]:
        (amount,) = [c["numbers"][0] for c in _checks(instance, "numbers")]
        assert amount["wrong"] and all(w > amount["value"] for w in amount["wrong"])
        assert not any(c["tool"] in ("createRefund", "updatePaymentStatus") for c in instance.calls)


def test_capped_counts_differ_from_the_first_ten_orders(built: dict[str, list[Instance]]) -> None:
    for instance in built["capped-month-units"]:
        (count,) = [c["numbers"][0] for c in _checks(instance, "numbers")]
        assert count.get("wrong"), instance.prompt
        assert sum(c["tool"] == "searchOrders" for c in instance.calls) >= 2


def test_return_deadlines_fall_on_day_thirty_or_thirty_one_and_write_nothing(built: dict[str, list[Instance]]) -> None:
    world = World.load()
    for instance in built["return-deadline"]:
        ticket = next(e for e in instance.entities if e.startswith("tkt-"))
        asked, bought = world.one("SELECT t.created_at AS t, o.created_at AS o FROM support_tickets t JOIN orders o ON o.id = t.order_id "
                                  "WHERE t.id = ?", (ticket,)).values()
        assert (eastern_day(asked) - eastern_day(bought)).days in (30, 31)
        assert instance.clock and instance.clock >= "2025-08-15"
        assert all(c["tool"] in ("searchCustomers", "getOrderDetails") for c in instance.calls)


def test_tier_answers_use_the_tier_the_order_was_placed_with(built: dict[str, list[Instance]]) -> None:
    world = World.load()
    for instance in built["tier-at-purchase"]:
        order = next(e for e in instance.entities if e.startswith("ord-"))
        placed, now = world.one("SELECT o.loyalty_tier, c.loyalty_tier AS now FROM orders o JOIN customers c ON c.id = o.customer_id "
                                "WHERE o.id = ?", (order,)).values()
        assert placed != now and placed in instance.reply


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_sampled_instances_validate_and_pass_their_own_rubric(built: dict[str, list[Instance]], family: str) -> None:
    sample = built[family][:SAMPLE]
    if not sample:
        pytest.skip(f"{family} has no instance in this world")
    suite = []
    for number, instance in enumerate(sample, start=1):
        task, rubric = _materialise(f"tr-{family}-{number:04d}", family, instance)
        json.dumps(task.model_dump(mode="json"))  # serialisable as the generator writes it
        suite.append(TaskWithRubric(task=task, rubric=rubric))
    results = await validate_suite(suite)
    assert {r.task_id: r.failures for r in results if not r.ok} == {}

