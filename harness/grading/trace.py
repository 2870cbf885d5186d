"""Trace checks: rules over the tool calls a transcript records (see TraceCheck).

Argument matching (CallPattern.where): strings compare case-insensitively with their ends
trimmed; numbers within ``NUMBER_TOLERANCE`` (a numeric string counts as its number, since the
server accepts it as one); booleans only equal booleans; lists element by element, in order and of
equal length; objects by the keys the pattern gives (a subset); ``null`` only a missing or null
argument.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from harness.grading.results import CheckResult
from harness.tasks.models import CallPattern, TraceCheck
from harness.transcript import ToolCallRecord

NUMBER_TOLERANCE = 0.005


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def argument_matches(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)):
        number = _as_number(actual)
        return number is not None and abs(number - float(expected)) <= NUMBER_TOLERANCE + 1e-9
    if isinstance(expected, str):
        return isinstance(actual, str) and actual.strip().casefold() == expected.strip().casefold()
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(argument_matches(e, a) for e, a in zip(expected, actual))
        )
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(argument_matches(v, actual.get(k)) for k, v in expected.items())
    return bool(expected == actual)


def call_matches(pattern: CallPattern, call: ToolCallRecord) -> bool:
    if call.name != pattern.tool:
        return False
    if pattern.succeeded is not None and call.is_error == pattern.succeeded:
        return False
    return all(argument_matches(value, call.arguments.get(name)) for name, value in pattern.where.items())


def describe(pattern: CallPattern) -> str:
    parts = [f"{name}={json.dumps(value)}" for name, value in pattern.where.items()]
    text = f"{pattern.tool}({', '.join(parts)})"
    if pattern.succeeded is True:
        text += " that succeeded"
    elif pattern.succeeded is False:
        text += " that failed"
    return text


def _positions(pattern: CallPattern, calls: Sequence[ToolCallRecord]) -> list[int]:
    return [i for i, call in enumerate(calls) if call_matches(pattern, call)]


def run_trace_check(check: TraceCheck, calls: Sequence[ToolCallRecord]) -> CheckResult:
    if check.rule == "max_calls":
        assert check.max is not None
        met = len(calls) <= check.max
        return CheckResult(met, f"{len(calls)} tool calls in all; at most {check.max} allowed")
    if check.rule in ("called", "not_called"):
        assert check.call is not None
        hits = _positions(check.call, calls)
        what = describe(check.call)
        if check.rule == "not_called":
            if hits:
                return CheckResult(False, f"{what} was called (call #{hits[0] + 1}), which it must not be")
            return CheckResult(True, f"{what} was never called")
        bounds = f"at least {check.min}" + (f" and at most {check.max}" if check.max is not None else "")
        met = len(hits) >= check.min and (check.max is None or len(hits) <= check.max)
        return CheckResult(met, f"{what} was called {len(hits)} time(s); needed {bounds}")
    assert check.first is not None and check.then is not None
    first, then = _positions(check.first, calls), _positions(check.then, calls)
    what_first, what_then = describe(check.first), describe(check.then)
    if not then:
        return CheckResult(False, f"{what_then} was never called")
    if first and first[0] < then[0]:
        return CheckResult(True, f"{what_first} (call #{first[0] + 1}) came before {what_then} (call #{then[0] + 1})")
    if not first:
        return CheckResult(False, f"{what_then} was called, but {what_first} never was")
    return CheckResult(False, f"{what_then} (call #{then[0] + 1}) came before any {what_first} (first at call #{first[0] + 1})")
