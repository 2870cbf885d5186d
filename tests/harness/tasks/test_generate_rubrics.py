"""What the generated rubrics claim: facts read as claims (dates with their year, numbers with their traps),
replies in other words accepted, and the generator bugs the auditors found kept fixed."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from harness.grading.claims import read
from harness.grading.response import run_response_check
from harness.tasks.generate.build import registry
from harness.tasks.generate.core import Exclusions, Instance, World
from harness.tasks.generate.families_lookup import _warranty_answer
from harness.tasks.generate.phrasing import count_text, date_text, money_text, DATE_STYLES, MONEY_STYLES
from harness.tasks.loader import load_suite
from harness.tasks.models import ResponseCheck
from mcp_server.world import rules

ROOT = Path(__file__).resolve().parents[3]
FORMAT_PATTERNS = {r"esc-\d{5}", r'"[a-z_]+"\s*:'}  # shapes, never facts


@lru_cache(maxsize=None)
def _world() -> World:
    return World.load()


def _instances(family: str) -> list[Instance]:
    builder, _ = registry()[family]
    return builder(_world(), random.Random(f"7:{family}"), Exclusions())


def _check(instance: Instance, cid: str) -> ResponseCheck:
    found = next(c for c in instance.criteria if c["id"] == cid)
    return ResponseCheck.model_validate(found["check"])


@pytest.fixture(scope="module")
def train() -> list:
    return load_suite(ROOT, "train")


def test_a_warranty_end_date_with_the_wrong_year_fails_the_generated_criterion() -> None:
    # the old regex accepted any year: "ends March 15, 2027" passed for a warranty ending 15 March 2030
    row = {"name": "Deepvault Vault NV300 500GB", "order_id": "ord-250310-001", "product_id": "prd-0092", "warranty_months": 60,
           "category": "storage", "created_at": "2025-03-10T15:00:00Z", "delivered": "2025-03-15T15:00:00Z"}
    criteria, reply, alternatives = _warranty_answer(_world(), row, date(2025, 9, 15))
    end_date = ResponseCheck.model_validate(next(c for c in criteria if c["id"] == "end-date")["check"])
    assert end_date.dates[0].value == date(2030, 3, 15)
    clock = "2025-09-15T14:00:00-04:00"
    assert not run_response_check(end_date, "Yes, it is still under warranty: it ends March 15, 2027.", clock).met
    assert run_response_check(end_date, "Yes, it is still under warranty: it ends March 15, 2030.", clock).met
    # the end counted from the purchase date, or a year off, is a wrong answer even next to the right one
    assert not run_response_check(end_date, "It ends March 15, 2030 (or March 10, 2030).", clock).met
    for text in (reply, *alternatives):
        assert run_response_check(end_date, text, clock).met, text


def test_every_generated_warranty_end_criterion_rejects_the_right_day_in_another_year() -> None:
    for instance in _instances("warranty-end"):
        check = _check(instance, "end-date")
        end = check.dates[0].value
        wrong_year = f"It is covered until {date_text(date(end.year - 3, end.month, min(end.day, 28)), 'long')}."
        assert not run_response_check(check, wrong_year, instance.clock).met


def test_generated_rubrics_check_dates_as_dates_and_use_patterns_only_for_shapes(train: list) -> None:
    for pair in train:
        for criterion in pair.rubric.criteria:
            check = criterion.check
            if isinstance(check, ResponseCheck):
                assert {p for p in (check.pattern, check.not_pattern) if p} <= FORMAT_PATTERNS, (pair.task.id, criterion.id)


def test_every_correctness_claim_names_the_claims_that_contradict_it(train: list) -> None:
    for pair in train:
        for criterion in pair.rubric.criteria:
            check = criterion.check
            if isinstance(check, ResponseCheck) and criterion.kind == "correctness" and check.asserts():
                assert check.names_wrong_answers(), (pair.task.id, criterion.id)


def test_every_training_task_has_two_generated_reply_variants_that_give_their_dates_with_a_year(train: list) -> None:
    for pair in train:
        reference = pair.task.reference
        assert len(reference.alternatives) == 2 and reference.reply not in reference.alternatives, pair.task.id
        assert len(set(reference.alternatives)) == 2, pair.task.id
        for text in (reference.reply, *reference.alternatives):
            assert all(mention.year is not None for mention in read(text).dates), (pair.task.id, text)


def test_variant_formats_read_back_as_the_same_facts() -> None:
    for n in (3, 14, 21, 104, 999):
        assert [m.value for m in read(f"{count_text(n)} orders").numbers] == [n]
    for style in DATE_STYLES:
        mention = read(f"It ends {date_text(date(2025, 10, 5), style)}.").dates[0]
        assert (mention.year, mention.month, mention.day) == (2025, 10, 5)
    for style in MONEY_STYLES:
        assert [m.value for m in read(f"The refund is {money_text(Decimal('1234.50'), style)}.").numbers] == [1234.5]


def test_approved_refund_replies_never_call_a_discounted_amount_the_item_price() -> None:
    # 83 of 150 reference replies used to say "the amount is the item price" although a discount was deducted
    world = _world()
    instances = _instances("approved-refund")
    assert instances
    discounted = 0
    for instance in instances:
        refund = next(c["arguments"] for c in instance.calls if c["tool"] == "createRefund")
        order = world.one("SELECT * FROM orders WHERE id = ?", (refund["order_id"],))
        assert order is not None
        lines = [(world.one("SELECT * FROM order_items WHERE id = ?", (line["order_item_id"],)), line["quantity"]) for line in refund["lines"]]
        gross = sum((rules.cents(Decimal(str(item["unit_price"])) * qty) for item, qty in lines), Decimal(0))
        amount = sum((rules.refund_amount_for_line(item["unit_price"], qty, order["loyalty_tier"], order_subtotal=order["subtotal"],
                                                   order_promo_discount=order["promo_discount"]) for item, qty in lines), Decimal(0))
        for text in (instance.reply, *instance.alternatives):
            assert "the item price" not in text.lower(), text
            if amount != gross:
                assert "net of" in text and ("loyalty discount" in text or "promotion" in text), text
        discounted += amount != gross
    assert discounted


def test_cancel_replies_never_wait_for_a_delivered_order_to_arrive() -> None:
    # 24 of 37 refusals for delivered orders used to say "once it arrives"
    world = _world()
    delivered = 0
    for instance in _instances("cancel-request"):
        order_id = next(e for e in instance.entities if e.startswith("ord-"))
        status = world.value("SELECT status FROM shipments WHERE order_id = ? ORDER BY id DESC LIMIT 1", (order_id,))
        if status == "delivered":
            delivered += 1
            for text in (instance.reply, *instance.alternatives):
                assert "arrives" not in text and "delivered" in text, text
    assert delivered


def test_refund_traps_are_wrong_values_of_the_amount_criterion_but_never_a_figure_the_reply_states() -> None:
    for instance in _instances("refund-quote"):
        check = _check(instance, "amount")
        expected = check.numbers[0]
        assert expected.wrong, instance.prompt
        stated = {round(m.value, 2) for text in (instance.reply, *instance.alternatives) for m in read(text).numbers}
        assert not stated & {round(w, 2) for w in expected.wrong}


def test_generated_files_record_the_variants(train: list) -> None:
    sample = json.loads((ROOT / "tasks" / "train" / f"{train[0].task.id}.json").read_text(encoding="utf-8"))
    assert len(sample["reference"]["alternatives"]) == 2
