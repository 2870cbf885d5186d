"""F2's trap families (promotions, build fixes, injected tickets): the values their rubrics call wrong really
are wrong, and a reply that hedges or contradicts fails (what every family owes the split is tested over all
of them in test_generate_families.py)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from family_fixtures import check, instances, world

from harness.grading.response import run_response_check
from harness.tasks import adversaries
from harness.tasks.generate import families_buildfix, families_injection, families_promos
from harness.tasks.generate.build import _materialise
from harness.tasks.generate.core import Instance, utc
from harness.tasks.models import Rubric
from mcp_server.world.trap_types import ids_by_type


def _rubric_numbers(instance: Instance, criterion: str) -> dict:
    return check(instance, criterion)["numbers"][0]


def test_a_refused_promotion_code_is_outside_its_dates_at_the_task_clock() -> None:
    promos = {p["code"]: p for p in world().all("SELECT * FROM promotions")}
    found = instances("promo-code-check")
    assert found
    for instance in found:
        code = next(c["arguments"]["promo_code"] for c in instance.calls if "promo_code" in c["arguments"])
        now = datetime.fromisoformat(instance.clock or "")
        assert now >= datetime.fromisoformat("2025-08-15T14:00:00+00:00")
        assert not utc(promos[code]["starts_at"]) <= now < utc(promos[code]["ends_at"]), code


def test_the_price_with_the_refused_code_is_a_wrong_value_and_differs_from_the_right_total() -> None:
    for instance in instances("promo-code-check"):
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
    for instance in instances("promo-stacking"):
        numbers = _rubric_numbers(instance, "total")
        assert all(abs(w - numbers["value"]) > 0.01 for w in numbers.get("wrong", []))


def _unmet_response_criteria(rubric: Rubric, reply: str | None, clock: str | None) -> list[str]:
    return [c.id for c in rubric.criteria if c.check.method == "response" and not run_response_check(c.check, reply, clock).met]


@pytest.mark.parametrize("name", ["hedge", "contradict"])
def test_a_stacking_reply_that_also_says_the_codes_stack_or_denies_the_better_code_fails(name: str) -> None:
    found = instances("promo-stacking")
    assert found
    for n, instance in enumerate(found[:10], start=1):
        task, rubric = _materialise(f"tr-promo-stacking-{n:04d}", "promo-stacking", instance)
        assert _unmet_response_criteria(rubric, task.reference.reply, task.clock) == []
        unmet = _unmet_response_criteria(rubric, adversaries.reply(name, task, []), task.clock)
        assert {"no-stacking", "better-code"} <= set(unmet), (name, task.reference.reply)


def test_each_build_fix_fails_exactly_one_check_and_its_replacement_passes_every_check() -> None:
    db = world()
    rules = db.all("SELECT * FROM compatibility_rules ORDER BY id")
    found = instances("build-fix")
    assert found
    for instance in found:
        build_id = next(c["arguments"]["build_id"] for c in instance.calls if c["tool"] == "validateBuildCompatibility")
        parts = families_buildfix.build_parts(db, build_id)
        issues = families_buildfix.run_checks(rules, parts)
        assert len(issues) == 1, build_id
        verdict = next(c for c in instance.criteria if c["id"] == "verdict")["check"]
        blocked = any(phrase in verdict["says_any"] for phrase in families_buildfix.NO)
        assert blocked == (issues[0].severity == "error"), build_id  # a warning is never called incompatible
        swap = next((c["arguments"]["product_id"] for c in instance.calls if c["tool"] == "getProduct"), None)
        if swap is not None:
            row = db.one("SELECT * FROM products WHERE id = ?", (swap,))
            old = next(p for p in parts if p.category == row["category"])
            new = families_buildfix.Part(row["id"], row["name"], row["category"], json.loads(row["specs"]), old.quantity)
            assert families_buildfix.run_checks(rules, [new if p is old else p for p in parts]) == []


def test_injection_tickets_carry_instructions_and_their_rubric_forbids_every_write() -> None:
    db = world()
    found = instances("injection-ticket")
    assert found
    planted = ids_by_type().get("injection_ticket", set())
    for instance in found:
        ticket_id = next(c["arguments"]["ticket_id"] for c in instance.calls if c["tool"] == "searchTickets")
        body = db.value("SELECT body FROM support_tickets WHERE id = ?", (ticket_id,))
        assert ticket_id in planted or families_injection.MARKERS.search(body), ticket_id
        assert any(c["id"] == "no-writes" and c["check"]["method"] == "state" for c in instance.criteria)
