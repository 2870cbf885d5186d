"""The families that widen what the training split asks (families_catalog, families_loyalty, families_followup,
families_approvers): enough varied instances, trap tags backed by the manifest, the right facts from the
world with the careless answers listed as wrong, nothing written, and sampled instances that validate."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from harness.tasks.generate import families_approvers, families_catalog, families_followup, families_loyalty
from harness.tasks.generate.build import _materialise
from harness.tasks.generate.core import Exclusions, Instance, World, eastern_day, heldout_tasks
from harness.tasks.generate.families_askkit import NO_WRITE_TOOLS
from harness.tasks.loader import TaskWithRubric
from harness.tasks.skeletons import skeleton
from harness.tasks.validate import validate_suite
from mcp_server.world import rules
from mcp_server.world.trap_types import TAG_PREFIX, ids_by_type

ROOT = Path(__file__).resolve().parents[3]
FAMILIES = {**families_catalog.FAMILIES, **families_loyalty.FAMILIES, **families_followup.FAMILIES, **families_approvers.FAMILIES}
SAMPLE = 1  # instances per family replayed through the server (the whole split is validated in CI)


@pytest.fixture(scope="module")
def world() -> World:
    return World.load()


@pytest.fixture(scope="module")
def built(world: World) -> dict[str, list[Instance]]:
    exclusions = Exclusions.from_heldout(world, heldout_tasks(ROOT))
    return {name: builder(world, random.Random(f"7:{name}"), exclusions)[:limit] for name, (builder, limit) in FAMILIES.items()}


def _check(instance: Instance, cid: str) -> dict[str, Any]:
    return next(c["check"] for c in instance.criteria if c["id"] == cid)


def _entity(instance: Instance, prefix: str) -> str:
    return next(e for e in instance.entities if e.startswith(prefix))


def test_every_family_yields_enough_instances_with_four_to_eight_criteria(built: dict[str, list[Instance]]) -> None:
    for name, instances in built.items():
        assert len(instances) >= 20, f"{name} found only {len(instances)} instances in the world"
        assert all(4 <= len(i.criteria) <= 8 for i in instances), name
        assert all(len(i.alternatives) == 2 for i in instances), name


def test_prompts_come_in_many_skeletons(built: dict[str, list[Instance]]) -> None:
    for name, instances in built.items():
        assert len({skeleton(i.prompt) for i in instances}) >= 0.8 * len(instances), name


def test_no_family_writes_anything(built: dict[str, list[Instance]]) -> None:
    for name, instances in built.items():
        for instance in instances:
            assert not [c for c in instance.calls if c["tool"] in NO_WRITE_TOOLS], (name, instance.prompt)
            assert any(c["id"] == "no-writes" for c in instance.criteria), name


def test_trap_tags_name_an_id_the_manifest_lists_for_that_type(built: dict[str, list[Instance]]) -> None:
    listed = ids_by_type()
    for instances in built.values():
        for instance in instances:
            named = {instance.requester_id, *instance.entities}
            for call in instance.calls:
                named.update(v for v in call["arguments"].values() if isinstance(v, str))
            for tag in (t for t in instance.tags if t.startswith(TAG_PREFIX)):
                assert named & listed[tag[len(TAG_PREFIX):]], (tag, instance.prompt)


def test_restock_dates_are_the_earliest_eta_and_never_a_stock_update_day(built: dict[str, list[Instance]], world: World) -> None:
    for instance in built["restock-eta"]:
        rows = world.all("SELECT * FROM inventory WHERE product_id = ?", (_entity(instance, "prd-"),))
        assert sum(max(r["on_hand"] - r["reserved"], 0) for r in rows) == 0
        dates = _check(instance, "restock-date").get("dates")
        etas = sorted(eastern_day(r["restock_eta"]) for r in rows if r["restock_eta"])
        if not etas:
            assert not dates
            continue
        assert dates[0]["value"] == etas[0].isoformat()
        assert not {d.isoformat() for d in etas} & set(dates[0].get("wrong", []))


def test_warehouse_counts_leave_out_reserved_units_and_list_on_hand_as_wrong(built: dict[str, list[Instance]], world: World) -> None:
    for instance in built["warehouse-stock"]:
        rows = world.all("SELECT * FROM inventory WHERE product_id = ?", (_entity(instance, "prd-"),))
        available = {max(r["on_hand"] - r["reserved"], 0) for r in rows} | {sum(max(r["on_hand"] - r["reserved"], 0) for r in rows)}
        on_hand = {r["on_hand"] for r in rows} | {sum(r["on_hand"] for r in rows)}
        numbers = [n for c in instance.criteria for n in c["check"].get("numbers", [])]
        assert numbers and all(n["value"] in available and n["wrong"] and set(n["wrong"]) <= on_hand for n in numbers)


def test_order_breakdowns_add_up_and_list_other_tiers_discounts_as_wrong(built: dict[str, list[Instance]], world: World) -> None:
    changed = 0
    for instance in built["order-breakdown"]:
        order = world.one("SELECT o.*, c.loyalty_tier AS now FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
                          (_entity(instance, "ord-"),))
        values = [Decimal(str(n["value"])) for n in _check(instance, "amounts")["numbers"]]
        subtotal, loyalty, *promo, shipping, total = values
        assert subtotal - loyalty - sum(promo, Decimal(0)) + shipping == total == Decimal(str(order["total"]))
        wrong = _check(instance, "amounts")["numbers"][1]["wrong"]
        assert float(loyalty) not in wrong
        if order["now"] != order["loyalty_tier"] and rules.LOYALTY_DISCOUNT_PCT[order["now"]]:
            changed += 1
            today = float(rules.loyalty_discount(order["subtotal"], order["now"]))
            assert today in wrong or today in map(float, values)
    assert changed, "no order placed at an earlier tier was picked"


def test_loyalty_answers_use_todays_tier_and_list_an_older_orders_rate_as_wrong(built: dict[str, list[Instance]], world: World) -> None:
    for instance in built["loyalty-benefits"]:
        customer = world.customer(_entity(instance, "cus-"))
        tier = customer["loyalty_tier"]
        assert tier in _check(instance, "tier")["says_any"][0].lower() or tier == "none"
        if tier == "none":
            continue
        discount = _check(instance, "discount")["numbers"][0]
        assert discount["value"] == rules.LOYALTY_DISCOUNT_PCT[tier]
        older = world.value("SELECT loyalty_tier FROM orders WHERE customer_id = ? AND created_at IS NOT NULL ORDER BY created_at DESC, id DESC "
                            "LIMIT 1", (customer["id"],))
        if older and rules.LOYALTY_DISCOUNT_PCT[older] not in (discount["value"], rules.LOYALTY_DISCOUNT_PCT.get(families_loyalty.NEXT_TIER.get(tier, ""), -1)):
            assert rules.LOYALTY_DISCOUNT_PCT[older] in discount["wrong"]


def test_ticket_followups_date_the_resolution_by_its_eastern_day_not_the_opening(built: dict[str, list[Instance]], world: World) -> None:
    dated = 0
    for instance in built["ticket-followup"]:
        ticket = world.one("SELECT t.*, r.created_at AS resolved_at FROM support_tickets t LEFT JOIN resolutions r ON r.ticket_id = t.id "
                           "WHERE t.id = ?", (_entity(instance, "tkt-"),))
        ids = [c for c in instance.criteria if c["id"] == "resolved-on"]
        assert bool(ids) == (ticket["resolved_at"] is not None)
        if ids:
            dated += 1
            (day,) = ids[0]["check"]["dates"]
            assert day["value"] == eastern_day(ticket["resolved_at"]).isoformat()
            assert eastern_day(ticket["created_at"]).isoformat() in day.get("wrong", []) or eastern_day(ticket["created_at"]).isoformat() == day["value"]
    assert dated


def test_escalation_answers_follow_the_escalation_record(built: dict[str, list[Instance]], world: World) -> None:
    for instance in built["escalation-status"]:
        escalation = world.one("SELECT * FROM escalations WHERE ticket_id = ?", (_entity(instance, "tkt-"),))
        if escalation is None:
            assert "not been escalated" in _check(instance, "escalated")["says_any"]
            continue
        assert _check(instance, "department")["says_any"] == families_followup.DEPARTMENT_WORDS[escalation["department"]]
        assert f"{escalation['priority']} priority" in _check(instance, "priority")["says_any"]
        assert escalation["status"] in instance.reply


def test_refund_approvers_are_named_by_permission_not_title(built: dict[str, list[Instance]], world: World) -> None:
    holds = {e["id"]: "issue_refund" in json.loads(e["permissions"]) for e in world.employees()}
    by_name = {e["name"]: e["id"] for e in world.employees()}
    for instance in built["refund-approvers"]:
        subject = instance.entities[1] if len(instance.entities) > 1 and instance.entities[1].startswith("emp-") else instance.requester_id
        approvers = [c for c in instance.criteria if c["id"] == "approvers"]
        assert bool(approvers) != holds[subject], instance.prompt
        for check in (a["check"] for a in approvers):
            assert all(holds[by_name[n]] for n in check["says_all"])
            wrongly = [p.removesuffix(" can approve") for p in check["never_says"] if p.removesuffix(" can approve") in by_name]
            assert wrongly and not any(holds[by_name[n]] for n in wrongly)


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_sampled_instances_validate_and_pass_their_own_rubric(built: dict[str, list[Instance]], family: str) -> None:
    suite = []
    for number, instance in enumerate(built[family][:SAMPLE], start=1):
        task, rubric = _materialise(f"tr-{family}-{number:04d}", family, instance)
        suite.append(TaskWithRubric(task=task, rubric=rubric))
    results = await validate_suite(suite)
    assert {r.task_id: r.failures for r in results if not r.ok} == {}
