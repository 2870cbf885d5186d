"""F2's trap families (promotions, build fixes, injected tickets): their instances validate against the real
server, their trap tags are backed by the manifest, and the values their rubrics call wrong really are wrong."""

from __future__ import annotations

import json
import random
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from harness.grading.response import run_response_check
from harness.tasks import adversaries
from harness.tasks.generate import families_buildfix, families_injection, families_promos
from harness.tasks.generate.build import _ids_of, _materialise
from harness.tasks.generate.core import Exclusions, Instance, World, heldout_tasks, utc
from harness.tasks.loader import TaskWithRubric
from harness.tasks.models import Rubric
from harness.tasks.validate import validate_suite
from mcp_server.world.trap_types import ids_by_type, types_of_tags

ROOT = Path(__file__).resolve().parents[3]
FAMILIES = {**families_promos.FAMILIES, **families_buildfix.FAMILIES, **families_injection.FAMILIES}


@lru_cache(maxsize=None)
def _world() -> World:
    return World.load()


@lru_cache(maxsize=None)
def _exclusions() -> Exclusions:
    return Exclusions.from_heldout(_world(), heldout_tasks(ROOT))


@lru_cache(maxsize=None)
def _instances(family: str) -> tuple[Instance, ...]:
    builder, limit = FAMILIES[family]
    found = [i for i in builder(_world(), random.Random(f"7:{family}"), _exclusions()) if _exclusions().allows(*_ids_of(i))]
    return tuple(found[:limit])


def _rubric_numbers(instance: Instance, criterion: str) -> dict:
    check = next(c["check"] for c in instance.criteria if c["id"] == criterion)
    return check["numbers"][0]


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_a_sample_of_each_family_validates_against_the_real_server(family: str) -> None:
    sample = _instances(family)[:2]
    if not sample:
        pytest.skip(f"{family} finds no instance in the current world (its trap plants have not landed)")
    suite = [TaskWithRubric(*_materialise(f"tr-{family}-{n:04d}", family, i)) for n, i in enumerate(sample, start=1)]
    results = await validate_suite(suite)
    assert {r.task_id: r.failures for r in results if not r.ok} == {}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_trap_tag_is_backed_by_an_id_the_manifest_lists(family: str) -> None:
    listed = ids_by_type()
    for instance in _instances(family):
        named = set(_ids_of(instance))
        for trap in types_of_tags(instance.tags):
            assert named & listed[trap], f"{family}: tag trap:{trap} names none of the manifest's ids ({sorted(named)})"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_writes_its_prompts_in_many_shapes(family: str) -> None:
    from harness.tasks.skeletons import skeleton

    prompts = [i.prompt for i in _instances(family)]
    if len(prompts) < 5:
        pytest.skip(f"{family} has too few instances to measure")
    assert len({skeleton(p) for p in prompts}) >= 0.8 * len(prompts)


def test_a_refused_promotion_code_is_outside_its_dates_at_the_task_clock() -> None:
    promos = {p["code"]: p for p in _world().all("SELECT * FROM promotions")}
    instances = _instances("promo-code-check")
    assert instances
    for instance in instances:
        code = next(c["arguments"]["promo_code"] for c in instance.calls if "promo_code" in c["arguments"])
        now = datetime.fromisoformat(instance.clock or "")
        assert now >= datetime.fromisoformat("2025-08-15T14:00:00+00:00")
        assert not utc(promos[code]["starts_at"]) <= now < utc(promos[code]["ends_at"]), code


def test_the_price_with_the_refused_code_is_a_wrong_value_and_differs_from_the_right_total() -> None:
    for instance in _instances("promo-code-check"):
        numbers = _rubric_numbers(instance, "total")
        assert numbers.get("wrong"), instance.prompt
        assert all(abs(w - numbers["value"]) > 0.01 for w in numbers["wrong"])


def test_the_quote_matches_calculate_price_arithmetic_for_a_stackable_and_a_non_stackable_code() -> None:
    product = {"id": "prd-x", "price": 400.0, "category": "gpu"}
    stackable = {"category": "gpu", "discount_type": "percent", "discount_value": 10.0, "stackable_with_loyalty": 1}
    alone = {**stackable, "stackable_with_loyalty": 0}
    both = families_promos.quote([(product, 1)], "gold", "standard", stackable)
    larger = families_promos.quote([(product, 1)], "platinum", "standard", alone)
    assert (both.loyalty, both.promo, both.total) == (Decimal("40.00"), Decimal("40.00"), Decimal("329.99"))
    assert (larger.loyalty, larger.promo, larger.total) == (Decimal("60.00"), Decimal("0.00"), Decimal("349.99"))


def test_stacked_codes_are_never_the_quoted_total() -> None:
    for instance in _instances("promo-stacking"):
        numbers = _rubric_numbers(instance, "total")
        assert all(abs(w - numbers["value"]) > 0.01 for w in numbers.get("wrong", []))


def _unmet_response_criteria(rubric: Rubric, reply: str | None, clock: str | None) -> list[str]:
    return [c.id for c in rubric.criteria if c.check.method == "response" and not run_response_check(c.check, reply, clock).met]


@pytest.mark.parametrize("name", ["hedge", "contradict"])
def test_a_stacking_reply_that_also_says_the_codes_stack_or_denies_the_better_code_fails(name: str) -> None:
    instances = _instances("promo-stacking")
    assert instances
    for n, instance in enumerate(instances[:10], start=1):
        task, rubric = _materialise(f"tr-promo-stacking-{n:04d}", "promo-stacking", instance)
        assert _unmet_response_criteria(rubric, task.reference.reply, task.clock) == []
        unmet = _unmet_response_criteria(rubric, adversaries.reply(name, task, []), task.clock)
        assert {"no-stacking", "better-code"} <= set(unmet), (name, task.reference.reply)


def test_each_build_fix_fails_exactly_one_check_and_its_replacement_passes_every_check() -> None:
    world = _world()
    rules = world.all("SELECT * FROM compatibility_rules ORDER BY id")
    instances = _instances("build-fix")
    assert instances
    for instance in instances:
        build_id = next(c["arguments"]["build_id"] for c in instance.calls if c["tool"] == "validateBuildCompatibility")
        parts = families_buildfix.build_parts(world, build_id)
        issues = families_buildfix.run_checks(rules, parts)
        assert len(issues) == 1, build_id
        verdict = next(c for c in instance.criteria if c["id"] == "verdict")["check"]
        blocked = any(phrase in verdict["says_any"] for phrase in families_buildfix.NO)
        assert blocked == (issues[0].severity == "error"), build_id  # a warning is never called incompatible
        swap = next((c["arguments"]["product_id"] for c in instance.calls if c["tool"] == "getProduct"), None)
        if swap is not None:
            row = world.one("SELECT * FROM products WHERE id = ?", (swap,))
            old = next(p for p in parts if p.category == row["category"])
            new = families_buildfix.Part(row["id"], row["name"], row["category"], json.loads(row["specs"]), old.quantity)
            assert families_buildfix.run_checks(rules, [new if p is old else p for p in parts]) == []


def test_injection_tickets_carry_instructions_and_their_rubric_forbids_every_write() -> None:
    world = _world()
    instances = _instances("injection-ticket")
    assert instances
    planted = ids_by_type().get("injection_ticket", set())
    for instance in instances:
        ticket_id = next(c["arguments"]["ticket_id"] for c in instance.calls if c["tool"] == "searchTickets")
        body = world.value("SELECT body FROM support_tickets WHERE id = ?", (ticket_id,))
        assert ticket_id in planted or families_injection.MARKERS.search(body), ticket_id
        assert any(c["id"] == "no-writes" and c["check"]["method"] == "state" for c in instance.criteria)
