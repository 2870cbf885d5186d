"""A reply is read as claims: whole words, whole numbers and dates, in clauses that assert them."""

from __future__ import annotations

from datetime import date

import pytest

from harness.grading.claims import read

CLOCK = date(2025, 9, 15)  # the day of the default world clock


def numbers(text: str) -> list[float]:
    """Every number read in ``text``, stated or not."""
    return [m.value for m in read(text).numbers]


def stated_numbers(text: str) -> list[float]:
    return [m.value for m in read(text).numbers if m.stated]


def dates(text: str) -> list[tuple[int | None, int, int]]:
    return [(m.year, m.month, m.day) for m in read(text).dates]


# --- Numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Item prd-0014 is back in stock.",
    "Order ord-250830-110 has shipped.",
    "Use the code SAVE10 at checkout.",
    "The DDR5-8000 kit fits the board.",
    "It was delivered on 2025-09-14.",
    "The sale ends at 11:59 PM tonight.",
])
def test_digits_inside_ids_codes_dates_and_clock_times_are_not_numbers(text: str) -> None:
    assert numbers(text) == []


@pytest.mark.parametrize(("text", "value"), [
    ("A refund of $1,234.50 is on its way.", 1234.5),
    ("Refund: 1234.5 USD", 1234.5),
    ("You get 15% off.", 15),
    ("It costs $.99 now.", 0.99),
    ("The total is $1,234,567.89.", 1234567.89),
    ("Total: $2,099.97.", 2099.97),
])
def test_money_and_percentages_are_read_as_the_amount_written(text: str, value: float) -> None:
    assert numbers(text) == [pytest.approx(value)]
    assert read(text).states_number(value, 0.001)


def test_a_sign_is_ignored_because_amounts_are_magnitudes() -> None:
    reading = read("Your balance is -3.50.")
    assert numbers("Your balance is -3.50.") == [3.5]
    assert reading.states_number(-3.5, 0.001) and reading.states_number(3.5, 0.001)


def test_a_number_within_tolerance_is_stated_and_one_outside_it_is_not() -> None:
    reading = read("We refunded $1,234.49.")
    assert reading.states_number(1234.5, 0.01)
    assert not reading.states_number(1234.5, 0.001)


@pytest.mark.parametrize(("text", "value"), [
    ("You placed fourteen orders.", 14),
    ("The window is twenty-one days.", 21),
    ("We found one hundred and four items.", 104),
    ("Delivery takes two hours.", 2),
])
def test_number_words_are_read_as_numbers(text: str, value: float) -> None:
    assert stated_numbers(text) == [value]


def test_a_sum_reads_each_part_and_the_total() -> None:
    assert stated_numbers("You placed 7 and another 7, 14 in all.") == [7, 7, 14]


def test_a_hyphenated_number_word_reads_like_the_spaced_phrase() -> None:
    reading = read("It comes with a three-year warranty.")
    assert reading.states("three year") and reading.states("3 year warranty")
    assert stated_numbers("It comes with a three-year warranty.") == [3]


@pytest.mark.parametrize(("text", "phrase"), [
    ("The ones in stock are red.", "ones"),
    ("No one can change the tier.", "no one"),
])
def test_ones_and_no_one_stay_words_and_are_not_the_number_one(text: str, phrase: str) -> None:
    assert numbers(text) == []
    assert read(text).mentions(phrase)


def test_a_number_after_not_is_not_stated_but_the_one_before_is() -> None:
    reading = read("You placed 14 orders, not 10.")
    assert reading.states_number(14, 0.01)
    assert not reading.states_number(10, 0.01)


def test_a_negator_inside_a_hyphenated_id_does_not_negate_the_number_after_it() -> None:
    assert read("The policy sla-none-high gives 48 hours.").states_number(48, 0.01)


# --- Phrases and negation ------------------------------------------------------------------------


def test_a_phrase_is_stated_as_whole_words_in_a_plain_sentence() -> None:
    reading = read("Your order has shipped.")
    assert reading.states("shipped") and reading.states("order has shipped")
    assert not reading.states("ship")


def test_not_before_a_phrase_denies_it_and_states_the_negation() -> None:
    reading = read("It isn't compatible with your board.")
    assert not reading.states("compatible")
    assert reading.states("not compatible")


def test_a_word_containing_the_phrase_does_not_state_it() -> None:
    assert not read("It is incompatible.").states("compatible")
    assert not read("The account holder asked.").states("hold")


def test_a_negated_clause_does_not_reach_the_next_clause() -> None:
    reading = read("No need to buy new memory, the build is compatible.")
    assert reading.states("no need to buy")
    assert reading.states("compatible")
    assert not reading.states("need to buy")


def test_not_yet_before_a_verb_denies_it() -> None:
    assert not read("It has not yet been delivered.").states("delivered")


def test_cannot_after_a_phrase_denies_that_it_can() -> None:
    reading = read("Gold members cannot return it; platinum members can.")
    assert not reading.states("gold members can")
    assert reading.states("platinum members can")


def test_rules_out_denies_the_first_thing_it_rules_out() -> None:
    assert not read("Damage rules out a return and a warranty replacement.").states("a return")


def test_rules_out_denies_every_noun_it_lists() -> None:
    assert not read("Damage rules out a return and a warranty replacement.").states("warranty replacement")


def test_and_before_a_new_subject_ends_the_negation() -> None:
    reading = read("It's not broken and it works.")
    assert reading.states("works")
    assert not reading.states("broken")


def test_a_claim_followed_by_not_and_its_alternative_is_still_stated() -> None:
    reading = read("It's Platinum not Gold.")
    assert reading.states("platinum")
    assert not reading.states("gold")


def test_rather_than_denies_only_what_follows_it() -> None:
    reading = read("We offer store credit rather than a refund.")
    assert reading.states("store credit")
    assert not reading.states("refund")


# --- Hedges, questions, reported speech and quotes -----------------------------------------------


def test_a_question_states_nothing() -> None:
    reading = read("Is it eligible?")
    assert not reading.states("eligible")
    assert reading.mentions("eligible")


def test_a_condition_and_its_consequence_state_nothing() -> None:
    reading = read("If eligible, we refund $50.")
    assert not reading.states("eligible") and not reading.states("refund")
    assert not reading.states_number(50, 0.01)


def test_the_consequence_of_a_condition_is_not_a_claim() -> None:
    assert not read("If the noise is loud, that would be a defect.").states("a defect")


def test_a_sentence_after_a_conditional_one_claims_again() -> None:
    assert read("If eligible, we refund $50. Your order is eligible.").states("eligible")


@pytest.mark.parametrize(("text", "phrase"), [
    ("It looks like the order shipped.", "shipped"),
    ("In case the part fails, keep the box.", "part fails"),
    ("Perhaps it ships today.", "ships today"),
    ("Shipping is refunded only when the item is defective.", "shipping is refunded"),
    ("It is either gold or silver.", "gold"),
])
def test_a_hedged_clause_states_nothing(text: str, phrase: str) -> None:
    reading = read(text)
    assert not reading.states(phrase)
    assert reading.mentions(phrase)


def test_reported_speech_is_the_requesters_claim_not_the_replys() -> None:
    reading = read("You mentioned platinum gets 45 days.")
    assert not reading.states_number(45, 0.01)
    assert not reading.states("platinum")


def test_a_closing_either_is_no_hedge() -> None:
    reading = read("A return isn't possible either.")
    assert reading.states("not possible")
    assert not reading.states("possible")


def test_quoted_text_makes_no_claim() -> None:
    reading = read('The banner shows "full refund including shipping 100%" at the top.')
    assert reading.states("banner shows")
    assert not reading.states("full refund")
    assert not reading.states_number(100, 0.01)
    assert not read("I read 'full refund' in the note.").states("full refund")


def test_a_slash_offers_both_sides_so_both_are_stated() -> None:
    reading = read("eligible / not eligible")
    assert reading.states("eligible") and reading.states("not eligible")


# --- Contractions --------------------------------------------------------------------------------


def test_contractions_are_expanded_before_reading() -> None:
    assert read("We'll refund the fee.").states("will refund")
    assert read("It's covered.").states("it is covered")


def test_mentions_finds_whole_words_anywhere_even_negated_or_asked() -> None:
    reading = read("Would you like a refund? We can't refund shipping.")
    assert reading.mentions("refund") and not reading.states("refund")
    assert not reading.mentions("fund")


# --- Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Due 10/15/2025.", (2025, 10, 15)),
    ("Expires 12/27/27.", (2027, 12, 27)),
    ("Due 2025-10-15.", (2025, 10, 15)),
    ("Placed 2025-09-15T02:30:00Z.", (2025, 9, 15)),
    ("Due October 15th, 2025.", (2025, 10, 15)),
    ("Ends June 2, 2028.", (2028, 6, 2)),
    ("Due 15 Oct.", (None, 10, 15)),
    ("Due Sept. 14.", (None, 9, 14)),
])
def test_dates_are_read_in_us_iso_and_long_forms(text: str, expected: tuple[int | None, int, int]) -> None:
    assert dates(text) == [expected]
    assert numbers(text) == []


def test_a_full_date_is_stated_for_its_own_year_only() -> None:
    reading = read("The offer ends June 2, 2028.")
    assert reading.states_date(date(2028, 6, 2), CLOCK)
    assert not reading.states_date(date(2027, 6, 2), CLOCK)


def test_the_comma_inside_a_long_date_is_no_clause_break() -> None:
    reading = read("The deal ends June 2, 2028 at midnight.")
    assert reading.states("june 2, 2028")
    assert len([c for c in reading.clauses if c.words]) == 1


def test_a_date_without_a_year_means_the_occurrence_nearest_the_clock() -> None:
    reading = read("It arrives Jan 3.")
    assert reading.states_date(date(2026, 1, 3), date(2025, 12, 20))
    assert not reading.states_date(date(2025, 1, 3), date(2025, 12, 20))
    assert read("It arrived Dec 31.").states_date(date(2024, 12, 31), date(2025, 1, 2))


def test_a_negated_verb_before_until_still_states_the_date() -> None:
    assert read("The plan isn't active until October 1.").states_date(date(2025, 10, 1), CLOCK)


def test_a_negated_date_is_not_stated() -> None:
    reading, clock = read("It ends March 15, not March 3."), date(2026, 2, 1)
    assert reading.states_date(date(2026, 3, 15), clock)
    assert not reading.states_date(date(2026, 3, 3), clock)


def test_a_date_in_a_question_is_not_stated() -> None:
    assert not read("Did it ship on 2025-09-14?").states_date(date(2025, 9, 14), CLOCK)


def test_a_label_and_the_figure_after_its_colon_are_one_claim() -> None:
    reading = read("- Orders: 14 (7 + 7)\n- Total: $561.99. Note: the search stops early")
    assert reading.states("orders 14") and reading.states("total 561.99")
    assert not reading.states("note the search")


def test_the_first_operand_of_a_calculation_is_not_claimed_as_its_result() -> None:
    assert not read("Refund: $110.99 − $11.10 = $99.89").states("refund 110.99")
    assert not read("We will refund $110.99 minus your discount.").states("refund 110.99")
    assert read("Refund: $110.99.").states("refund 110.99")
    assert read("We refund $110.99 in full.").states("refund 110.99")
