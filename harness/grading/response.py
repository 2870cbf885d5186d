"""Response checks: deterministic tests of the agent's final reply, read as claims (see ResponseCheck
and harness/grading/claims.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.grading.claims import clock_day, read
from harness.grading.results import CheckResult
from harness.grading.text import normalize
from harness.tasks.models import ResponseCheck
from mcp_server.world.store import DEFAULT_CLOCK


def _value(number: float) -> str:
    return f"{number:g}"


def _phrases(
    every: list[str], some: list[str], found: Callable[[str], bool], verb: str, failures: list[str], passes: list[str]
) -> None:
    """An all-of and an any-of list of phrases, each looked for with ``found`` (states or mentions)."""
    missing = [p for p in every if not found(p)]
    if missing:
        failures.append(f"does not {verb} {missing}")
    elif every:
        passes.append(f"{verb}s all of {every}")
    if some:
        hit = next((p for p in some if found(p)), None)
        if hit is None:
            failures.append(f"{verb}s none of {some}")
        else:
            passes.append(f"{verb}s {hit!r}")


def run_response_check(check: ResponseCheck, reply: str | None, clock: str | None = None) -> CheckResult:
    """Every part of ``check`` against ``reply``; ``clock`` (the task's world time) places dates
    written without a year."""
    if reply is None or not reply.strip():
        return CheckResult(False, "there is no final reply")
    reading = read(reply)
    today = clock_day(clock or DEFAULT_CLOCK)
    failures: list[str] = []
    passes: list[str] = []

    _phrases(check.says_all, check.says_any, reading.states, "state", failures, passes)
    _phrases(check.mentions_all, check.mentions_any, reading.mentions, "mention", failures, passes)
    wrong_claims = [p for p in check.never_says if reading.states(p)]
    if wrong_claims:
        failures.append(f"states the wrong claim(s) {wrong_claims}")

    for number in check.numbers:
        if not reading.states_number(number.value, number.tolerance):
            failures.append(f"does not state {_value(number.value)}")
        else:
            passes.append(f"states {_value(number.value)}")
        wrong = [w for w in number.wrong if reading.states_number(w, number.tolerance)]
        if wrong:
            failures.append(f"states the wrong value(s) {', '.join(map(_value, wrong))} (right: {_value(number.value)})")
    for expected in check.dates:
        if not reading.states_date(expected.value, today):
            failures.append(f"does not state the date {expected.value.isoformat()}")
        else:
            passes.append(f"states {expected.value.isoformat()}")
        wrong_days = [d.isoformat() for d in expected.wrong if reading.states_date(d, today)]
        if wrong_days:
            failures.append(f"states the wrong date(s) {', '.join(wrong_days)} (right: {expected.value.isoformat()})")

    plain = normalize(reply)
    if check.pattern is not None:
        if re.search(check.pattern, plain, re.IGNORECASE):
            passes.append(f"matches /{check.pattern}/")
        else:
            failures.append(f"does not match /{check.pattern}/")
    if check.not_pattern is not None and re.search(check.not_pattern, plain, re.IGNORECASE):
        failures.append(f"matches forbidden /{check.not_pattern}/")
    if failures:
        return CheckResult(False, "the reply " + "; ".join(failures))
    return CheckResult(True, "the reply " + ("; ".join(passes) or "makes none of the forbidden claims"))
