from __future__ import annotations

from typing import Any

import pytest
from corecraft_test_support import record

from harness.grading.trace import argument_matches, run_trace_check
from harness.tasks.models import CallPattern, TraceCheck

LOOKUP = ("searchCustomers", {"customer_id": "cus-00002"})
WRITE = ("setCustomerNote", {"customer_id": "cus-00001", "note": "x"})


def calls(*items: tuple[str, dict[str, Any]], errors: set[int] | None = None):  # type: ignore[no-untyped-def]
    return record("fx-tier-discount", calls=list(items), errors=errors).tool_calls


def pattern(tool: str, **where: Any) -> CallPattern:
    return CallPattern(tool=tool, where=where)


@pytest.mark.parametrize(("expected", "actual", "met"), [
    ("cus-00002", "CUS-00002 ", True),
    ("gold", "golden", False),
    (2, 2.0, True),
    (19.99, 19.994, True),
    (19.99, 20.0, False),
    (2, "2", True),
    (2, "two", False),
    (True, 1, False),
    (True, True, True),
    (None, None, True),
    (None, "x", False),
    (["a", "B"], ["A", "b"], True),
    (["a", "b"], ["b", "a"], False),
    (["a"], ["a", "b"], False),
    ([{"order_item_id": "oli-1", "qty": 1}], [{"order_item_id": "OLI-1", "qty": 1, "reason": "x"}], True),
    ({"qty": 2}, {"qty": 1}, False),
    ("x", ["x"], False),
])
def test_argument_matching_rules(expected: Any, actual: Any, met: bool) -> None:
    assert argument_matches(expected, actual) is met


def test_called_passes_when_a_matching_call_exists_and_fails_otherwise() -> None:
    rule = TraceCheck(rule="called", call=pattern("searchCustomers", customer_id="cus-00002"))
    assert run_trace_check(rule, calls(LOOKUP)).met is True
    miss = run_trace_check(rule, calls(("searchCustomers", {"customer_id": "cus-00001"})))
    assert miss.met is False and "called 0 time(s); needed at least 1" in miss.reason


def test_called_respects_min_max_and_success() -> None:
    twice = calls(LOOKUP, LOOKUP, errors={0})
    assert run_trace_check(TraceCheck(rule="called", call=pattern("searchCustomers"), min=2), twice).met is True
    assert run_trace_check(TraceCheck(rule="called", call=pattern("searchCustomers"), max=1), twice).met is False
    succeeded = CallPattern(tool="searchCustomers", succeeded=True)
    assert run_trace_check(TraceCheck(rule="called", call=succeeded, min=2), twice).met is False
    failed = CallPattern(tool="searchCustomers", succeeded=False)
    assert run_trace_check(TraceCheck(rule="called", call=failed, max=1), twice).met is True


def test_not_called_fails_on_any_matching_call() -> None:
    rule = TraceCheck(rule="not_called", call=pattern("setCustomerNote", customer_id="cus-00001"))
    assert run_trace_check(rule, calls(LOOKUP)).met is True
    hit = run_trace_check(rule, calls(LOOKUP, WRITE))
    assert hit.met is False and "call #2" in hit.reason


def test_order_needs_first_before_the_first_then() -> None:
    rule = TraceCheck(rule="order", first=pattern("searchCustomers"), then=pattern("setCustomerNote"))
    assert run_trace_check(rule, calls(LOOKUP, WRITE)).met is True
    assert run_trace_check(rule, calls(WRITE, LOOKUP, WRITE)).met is False
    assert run_trace_check(rule, calls(LOOKUP)).met is False  # `then` never happened
    assert "never" in run_trace_check(rule, calls(WRITE)).reason


def test_max_calls_caps_the_number_of_tool_calls() -> None:
    rule = TraceCheck(rule="max_calls", max=2)
    assert run_trace_check(rule, calls(LOOKUP, WRITE)).met is True
    assert run_trace_check(rule, calls(LOOKUP, LOOKUP, WRITE)).met is False


async def test_trace_criteria_grade_a_transcript(template, suite) -> None:  # type: ignore[no-untyped-def]
    from harness.grading.grader import Grader

    grader = Grader(suite.values(), template, judge=None)
    good = grader.deterministic(record("fx-tier-discount", calls=[LOOKUP]), suite["fx-tier-discount"])
    bad = grader.deterministic(record("fx-tier-discount", calls=[LOOKUP], errors={0}), suite["fx-tier-discount"])
    assert good.results["looked-up-customer"].met is True
    assert bad.results["looked-up-customer"].met is False  # the pattern asks for a call that succeeded
