"""Response checks grade the final reply by what it claims (harness/grading/response.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from harness.grading.response import run_response_check
from harness.tasks.models import DateExpectation, NumberExpectation, ResponseCheck


def met(check: ResponseCheck, reply: str | None, clock: str | None = None) -> bool:
    return run_response_check(check, reply, clock).met


# --- Each part, passing and failing --------------------------------------------------------------


def test_says_all_needs_every_phrase_stated_and_names_the_missing_ones() -> None:
    check = ResponseCheck(says_all=["platinum", "15% off"])
    assert met(check, "You're Platinum, so you get 15% off.")
    result = run_response_check(check, "You're Platinum.")
    assert not result.met and "does not state ['15% off']" in result.reason


def test_says_any_needs_one_phrase_stated_and_names_them_when_none_is() -> None:
    check = ResponseCheck(says_any=["standard", "no tier"])
    assert met(check, "You have no tier yet.")
    result = run_response_check(check, "You are in the Gold tier.")
    assert not result.met and "states none of ['standard', 'no tier']" in result.reason


def test_says_is_case_insensitive_and_survives_typographic_and_invisible_characters() -> None:
    assert met(ResponseCheck(says_all=["platinum", "can not share"]), "You are PLA\u200bTINUM; I can\u2019t share that.")


def test_a_negated_phrase_does_not_meet_says() -> None:
    assert not met(ResponseCheck(says_any=["eligible"]), "The order is not eligible.")


def test_mentions_all_counts_questions_and_offers_and_names_what_is_missing() -> None:
    check = ResponseCheck(mentions_all=["refund", "store credit"])
    assert met(check, "Would you prefer a refund or store credit?")
    result = run_response_check(check, "Would you like a refund?")
    assert not result.met and "does not mention ['store credit']" in result.reason


def test_mentions_any_needs_one_phrase_anywhere() -> None:
    check = ResponseCheck(mentions_any=["refund", "store credit"])
    assert met(check, "If you like, I can refund it.")
    result = run_response_check(check, "I can replace it.")
    assert not result.met and "mentions none of ['refund', 'store credit']" in result.reason


def test_never_says_fails_on_a_stated_wrong_claim_and_names_it() -> None:
    check = ResponseCheck(never_says=["gold", "silver"])
    assert met(check, "You're Platinum, not Gold.")
    result = run_response_check(check, "You're Gold.")
    assert not result.met and "states the wrong claim(s) ['gold']" in result.reason


def test_never_says_alone_passes_with_a_reason_that_says_so() -> None:
    result = run_response_check(ResponseCheck(never_says=["full refund"]), "We can offer store credit.")
    assert result.met and "none of the forbidden claims" in result.reason


def test_numbers_must_be_stated_within_tolerance_and_the_reason_names_the_missing_value() -> None:
    check = ResponseCheck(numbers=[NumberExpectation(value=1234.5), NumberExpectation(value=15)])
    assert met(check, "We refunded $1,234.50 with your 15% discount.")
    assert met(check, "We refunded $1,234.49 with 15% off.")
    result = run_response_check(check, "We refunded $1,200 with 15% off.")
    assert not result.met and "does not state 1234.5" in result.reason


def test_digits_inside_an_id_do_not_state_a_number() -> None:
    assert not met(ResponseCheck(numbers=[NumberExpectation(value=110)]), "Order ord-250830-110 has shipped.")


def test_a_wrong_number_fails_even_when_the_right_one_is_stated() -> None:
    result = run_response_check(ResponseCheck(numbers=[NumberExpectation(value=15, wrong=[10])]), "It is 15% or 10%.")
    assert not result.met and "states the wrong value(s) 10 (right: 15)" in result.reason


def test_dates_must_be_stated_and_the_reason_names_the_missing_date() -> None:
    check = ResponseCheck(dates=[DateExpectation(value="2025-10-15")])
    assert met(check, "Your return window closes October 15th, 2025.")
    result = run_response_check(check, "Your return window closes October 16th, 2025.")
    assert not result.met and "does not state the date 2025-10-15" in result.reason


def test_a_wrong_date_fails_even_when_the_right_one_is_stated() -> None:
    check = ResponseCheck(dates=[DateExpectation(value="2025-10-15", wrong=["2025-10-14"])])
    result = run_response_check(check, "It closes 10/15/2025 (2025-10-14 UTC).")
    assert not result.met and "states the wrong date(s) 2025-10-14 (right: 2025-10-15)" in result.reason


def test_pattern_is_a_case_insensitive_regex_that_must_match() -> None:
    assert met(ResponseCheck(pattern=r"\bcus-\d{5}\b"), "Your id is CUS-00001.")
    result = run_response_check(ResponseCheck(pattern=r"^dear"), "Hello there")
    assert not result.met and "does not match /^dear/" in result.reason


def test_not_pattern_fails_when_it_matches_the_normalised_reply() -> None:
    result = run_response_check(ResponseCheck(not_pattern=r"\d{3}-\d{4}"), "Her number is +1 (555) 010\u20112000.")
    assert not result.met and "matches forbidden" in result.reason
    assert met(ResponseCheck(not_pattern=r"\d{3}-\d{4}"), "I can't share that.")


def test_every_part_of_a_check_must_hold() -> None:
    check = ResponseCheck(says_all=["gold"], numbers=[NumberExpectation(value=10)])
    assert met(check, "Gold gives 10% off.")
    assert not met(check, "Gold gives 5% off.")
    assert not met(check, "Silver gives 10% off.")


@pytest.mark.parametrize("reply", [None, "", "   \n "])
@pytest.mark.parametrize("check", [
    ResponseCheck(never_says=["secret"]),
    ResponseCheck(not_pattern="secret"),
    ResponseCheck(says_any=["anything"]),
])
def test_no_reply_fails_every_response_check_even_negative_ones(check: ResponseCheck, reply: str | None) -> None:
    result = run_response_check(check, reply)
    assert not result.met and "no final reply" in result.reason


def test_a_response_check_with_no_part_is_rejected() -> None:
    with pytest.raises(ValidationError, match="needs at least one"):
        ResponseCheck()
    with pytest.raises(ValidationError, match="needs at least one"):
        ResponseCheck(says_all=[], numbers=[])


def test_an_invalid_pattern_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        ResponseCheck(pattern="(unclosed")


# --- Cases found by the audit --------------------------------------------------------------------

COMPATIBLE = ResponseCheck(says_any=["compatible"], never_says=["not compatible", "incompatible"])


def test_a_reply_that_says_the_memory_is_not_compatible_fails_a_compatibility_criterion() -> None:
    result = run_response_check(COMPATIBLE, "It isn't compatible, buy different memory.")
    assert not result.met
    assert "states none of ['compatible']" in result.reason and "'not compatible'" in result.reason


def test_a_reply_that_says_incompatible_fails_a_compatibility_criterion() -> None:
    assert not met(COMPATIBLE, "That kit is incompatible with your board.")


def test_a_reply_that_says_compatible_after_declining_a_purchase_meets_the_criterion() -> None:
    assert met(COMPATIBLE, "No need to buy new memory, the build is compatible.")


def test_hedging_between_ten_and_fourteen_fails_when_ten_is_the_wrong_answer() -> None:
    result = run_response_check(ResponseCheck(numbers=[NumberExpectation(value=14, wrong=[10])]), "You have 10 or 14 orders.")
    assert not result.met and "wrong value(s) 10" in result.reason


def test_seven_and_another_seven_fourteen_in_all_states_fourteen_and_no_wrong_value() -> None:
    check = ResponseCheck(numbers=[NumberExpectation(value=14, wrong=[10])])
    assert met(check, "You placed 7 and another 7, 14 in all.")


def test_fourteen_not_ten_states_only_fourteen() -> None:
    assert met(ResponseCheck(numbers=[NumberExpectation(value=14, wrong=[10])]), "You placed 14 orders, not 10.")


def test_the_account_holder_does_not_say_the_order_is_on_hold() -> None:
    assert not met(ResponseCheck(says_any=["hold", "on hold"]), "I spoke with the account holder.")
    assert met(ResponseCheck(says_any=["hold", "on hold"]), "The order is on hold.")


@pytest.mark.parametrize("reply", [
    "Your refund is $95.99 \u2212 $4.80 = $91.19.",
    "Your refund is 95.99 minus 4.80 is 91.19.",
])
def test_a_worked_breakdown_states_its_result(reply: str) -> None:
    assert met(ResponseCheck(numbers=[NumberExpectation(value=91.19)]), reply)


def test_no_refund_is_due_does_not_say_a_refund_is_due() -> None:
    check = ResponseCheck(says_any=["refund is due"])
    assert not met(check, "Since it arrived late, no refund is due.")
    assert met(check, "Since it arrived late, a refund is due.")


def test_a_two_digit_year_in_a_us_date_is_read_as_this_century() -> None:
    assert met(ResponseCheck(dates=[DateExpectation(value="2027-12-27")]), "Your warranty ends 12/27/27.")


def test_a_warranty_end_date_three_years_early_fails_with_both_reasons() -> None:
    check = ResponseCheck(dates=[DateExpectation(value="2030-03-15", wrong=["2027-03-15"])])
    result = run_response_check(check, "Your warranty ends March 15, 2027.")
    assert not result.met
    assert "does not state the date 2030-03-15" in result.reason and "wrong date(s) 2027-03-15" in result.reason


def test_a_date_without_a_year_is_read_against_the_task_clock() -> None:
    reply = "It shipped Sept 14."
    assert met(ResponseCheck(dates=[DateExpectation(value="2025-09-14")]), reply)  # the default clock, 2025-09-15
    assert not met(ResponseCheck(dates=[DateExpectation(value="2026-09-14")]), reply)
    assert met(ResponseCheck(dates=[DateExpectation(value="2026-09-14")]), reply, clock="2026-09-10T09:00:00Z")


# --- A transcript graded against a fixture rubric ------------------------------------------------


async def test_response_criteria_grade_a_transcript(template, suite) -> None:  # type: ignore[no-untyped-def]
    from corecraft_test_support import record

    from harness.grading.grader import Grader

    grader = Grader(suite.values(), template, judge=None)
    pair = suite["fx-tier-discount"]
    good = grader.deterministic(record("fx-tier-discount", reply="You're Platinum: 15 % off."), pair)
    bad = grader.deterministic(record("fx-tier-discount", reply="You're Gold: 10% off."), pair)
    hedged = grader.deterministic(record("fx-tier-discount", reply="You're Platinum: 15% off. Maybe 10% more next year."), pair)
    denied = grader.deterministic(record("fx-tier-discount", reply="You're not Platinum; you get 15% off."), pair)
    assert (good.results["states-tier"].met, good.results["states-discount"].met) == (True, True)
    assert (bad.results["states-tier"].met, bad.results["states-discount"].met) == (False, False)
    assert (hedged.results["states-tier"].met, hedged.results["states-discount"].met) == (True, True)
    assert (denied.results["states-tier"].met, denied.results["states-discount"].met) == (False, True)
