"""The generator's shared figures: trap values never collide with a figure a right reply states (within the
grader's tolerance), refund deductions are stated as figures the tools return or the reply's own sum of them,
and a basket quote always has a wrong total to name."""

from __future__ import annotations

from decimal import Decimal

from family_fixtures import instances

from harness.grading.response import run_response_check
from harness.tasks.generate.build import _materialise
from harness.tasks.generate.vocab import refund_basis, unstated
from harness.tasks.grounding import stated_amounts

ORDER = {"loyalty_tier": "gold", "subtotal": 900.0, "promo_discount": 0.0}


def test_a_trap_value_a_cent_from_a_stated_figure_is_dropped_as_the_grader_would_read_it_as_that_figure() -> None:
    reply = "Subtotal $234.58, express shipping $19.99: total $254.57."
    assert unstated([Decimal("234.57"), Decimal("234.60"), Decimal("19.99")], reply) == [Decimal("234.60")]


def test_a_refund_over_several_lines_states_its_discount_as_the_sum_of_the_line_figures() -> None:
    lines = [({"unit_price": 271.0}, 1), ({"unit_price": 462.0}, 1), ({"unit_price": 105.0}, 1)]
    basis = refund_basis(ORDER, lines)
    assert "($27.10 + $46.20 + $10.50 = $83.80)" in basis
    assert refund_basis(ORDER, lines[:1]).endswith("($27.10)")


def test_a_refund_over_more_than_three_lines_states_no_discount_figure() -> None:
    lines = [({"unit_price": 100.0 + n}, 1) for n in range(4)]
    assert stated_amounts(refund_basis(ORDER, lines)) == []


def test_every_basket_quote_names_a_wrong_total_that_its_right_replies_never_state() -> None:
    baskets = instances("basket-price")
    assert baskets
    for n, instance in enumerate(baskets, start=1):
        task, rubric = _materialise(f"tr-basket-price-{n:04d}", "basket-price", instance)
        total = next(c for c in rubric.criteria if c.id == "total").check
        assert total.numbers[0].wrong, instance.reply
        for reply in (task.reference.reply, *task.reference.alternatives):
            assert run_response_check(total, reply, task.clock).met, reply
