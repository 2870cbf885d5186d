from __future__ import annotations

import pytest

from harness.grading.response import normalize, numbers_in, run_response_check
from harness.tasks.models import NumberExpectation, ResponseCheck


@pytest.mark.parametrize(("text", "numbers"), [
    ("A refund of $1,234.50 is on its way.", [1234.5]),
    ("Refund: 1234.5 USD", [1234.5]),
    ("about 1,234 units", [1234.0]),
    ("$1,234,567.89 total", [1234567.89]),
    ("15% off", [15.0]),
    ("a balance of -3.50", [-3.5]),
    ("order ord-250830-110 placed 2025-09-15", [250830.0, 110.0, 2025.0, 9.0, 15.0]),
    ("items 1,2,3", [1.0, 2.0, 3.0]),
    ("costs $.99", [0.99]),
    ("version v1.2.3", []),
    ("Total: $2,099.97.", [2099.97]),
])
def test_numbers_are_read_the_way_people_write_them(text: str, numbers: list[float]) -> None:
    assert numbers_in(text) == pytest.approx(numbers)


def test_normalize_removes_invisible_characters_and_typographic_quotes() -> None:
    assert normalize("can\u2019t \u201cPla\u200btinum\u201d \u2014 ok\u00a0 now") == "can't \"Platinum\" - ok now"


def test_contains_all_is_case_insensitive_and_survives_zero_width_tricks() -> None:
    check = ResponseCheck(contains_all=["platinum", "can't share"])
    assert run_response_check(check, "You are PLATINUM; I can\u2019t share that.").met is True
    result = run_response_check(check, "You are Platinum.")
    assert result.met is False and "missing [\"can't share\"]" in result.reason


def test_contains_any_and_not_contains() -> None:
    assert run_response_check(ResponseCheck(contains_any=["standard", "no tier"]), "Standard tier").met is True
    assert run_response_check(ResponseCheck(contains_any=["standard", "no tier"]), "Gold tier").met is False
    leak = run_response_check(ResponseCheck(not_contains=["010-2000"]), "Her number is +1 (555) 010\u20112000.")
    assert leak.met is False and "forbidden" in leak.reason
    assert run_response_check(ResponseCheck(not_contains=["010-2000"]), "I can't share that.").met is True


def test_numbers_must_appear_within_tolerance() -> None:
    check = ResponseCheck(numbers=[NumberExpectation(value=1234.5), NumberExpectation(value=15)])
    assert run_response_check(check, "We refunded $1,234.50, your 15% discount applied.").met is True
    assert run_response_check(check, "We refunded $1,234.49 with 15% off.").met is True
    missing = run_response_check(check, "We refunded $1,200 with 15% off.")
    assert missing.met is False and "1234.5" in missing.reason
    assert run_response_check(ResponseCheck(numbers=[NumberExpectation(value=110)]), "order ord-250830-110").met is True


def test_patterns_are_case_insensitive_regexes() -> None:
    assert run_response_check(ResponseCheck(pattern=r"\bcus-\d{5}\b"), "Your id is CUS-00001.").met is True
    assert run_response_check(ResponseCheck(pattern=r"^dear"), "Hello there").met is False
    assert run_response_check(ResponseCheck(not_pattern=r"\d{3}-\d{4}"), "call 010-2000").met is False


def test_every_part_of_a_check_must_hold() -> None:
    check = ResponseCheck(contains_all=["gold"], numbers=[NumberExpectation(value=10)])
    assert run_response_check(check, "Gold gives 10% off").met is True
    assert run_response_check(check, "Gold gives 5% off").met is False


@pytest.mark.parametrize("reply", [None, "", "   "])
def test_no_reply_fails_every_response_check_even_negative_ones(reply: str | None) -> None:
    assert run_response_check(ResponseCheck(not_contains=["secret"]), reply).met is False


async def test_response_criteria_grade_a_transcript(template, suite) -> None:  # type: ignore[no-untyped-def]
    from corecraft_test_support import record

    from harness.grading.grader import Grader

    grader = Grader(suite.values(), template, judge=None)
    pair = suite["fx-tier-discount"]
    good = grader.deterministic(record("fx-tier-discount", reply="You're Platinum: 15 % off."), pair)
    bad = grader.deterministic(record("fx-tier-discount", reply="You're Gold: 10% off."), pair)
    assert (good.results["states-tier"].met, good.results["states-discount"].met) == (True, True)
    assert (bad.results["states-tier"].met, bad.results["states-discount"].met) == (False, False)
