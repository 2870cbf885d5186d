"""Reference replies are demonstrations: every amount and date they state must come from somewhere.

A training reply that says "$627.29" or "ends March 15, 2030" teaches a model to say it, so it must
be right. A stated amount or date is grounded when it is one the rubric requires (computed from the
world by the generator and checked by the grader), or appears in what the reference calls returned
(dates of timestamps in their US Eastern and UTC readings), in the prompt, or is the world clock's
day, or follows from such a date by the policy's rules (the return window's last day, the day before
a midnight end time, a warranty's end for the warranty lengths the world uses). An amount may also
be the percentage, or the sum or difference of two or three other amounts, that the reply states with
grounds (its own arithmetic, which then has to add up). Anything else was made up by a template, which is how the first training split came to say
"the amount is the item price" beside a discounted refund and to date warranties wrongly (#10).
Amounts are numbers written as money ($, USD, dollars) or with cents; counts and policy numbers
("30 days") are left to the rubric's own checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timezone

from harness.grading.claims import DateMention, clock_day, read
from harness.tasks.models import ResponseCheck, Rubric, Task
from harness.transcript import EpisodeRecord
from mcp_server.world import rules
from mcp_server.world.store import DEFAULT_CLOCK

_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # 1,234.50 or 1234.50 (a trailing comma is prose)
_CENTS = r"\d{1,3}(?:,\d{3})+\.\d\d|\d+\.\d\d"
_MONEY = re.compile(
    rf"(?:\$|\busd\s?)\s?({_AMOUNT})"  # $1,234.50, USD 1,234.50
    rf"|(?<![\w.-])({_AMOUNT})\s?(?:usd|dollars)\b"  # 1234.50 dollars (not the tail of an id)
    rf"|(?<![\w.,-])({_CENTS})(?![\d.])",  # a bare amount with cents
    re.IGNORECASE,
)
WARRANTY_MONTHS = (3, 6, 12, 24, 36, 60, 84, 120)  # warranty_policies and products use these lengths
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})|\d{4}-\d{2}-\d{2}")


def stated_amounts(text: str) -> list[float]:
    found = []
    for match in _MONEY.finditer(text):
        raw = next(g for g in match.groups() if g is not None)
        found.append(float(raw.replace(",", "")))
    return found


def _days_in(text: str) -> set[date]:
    """Calendar days a text gives: each timestamp's UTC and US Eastern day, and each plain date."""
    days: set[date] = set()
    for raw in _TIMESTAMP.findall(text):
        try:
            if "T" not in raw:
                days.add(date.fromisoformat(raw))
                continue
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            continue
        days.add(moment.astimezone(timezone.utc).date())
        days.add(rules.eastern_date(moment))
    return days


def _rubric_values(rubric: Rubric) -> tuple[list[float], set[date]]:
    numbers: list[float] = []
    days: set[date] = set()
    for criterion in rubric.criteria:
        check = criterion.check
        if isinstance(check, ResponseCheck):
            numbers.extend(n.value for n in check.numbers or ())
            days.update(d.value for d in check.dates or ())
    return numbers, days


def ungrounded(reply: str, task: Task, rubric: Rubric, record: EpisodeRecord) -> list[str]:
    """The amounts and dates ``reply`` states that nothing grounds, described for a validation failure."""
    sources = [task.prompt, *(call.result for call in record.tool_calls), *(str(v) for c in record.tool_calls for v in c.arguments.values())]
    numbers, days = _rubric_values(rubric)
    numbers.extend(float(n) for text in sources for n in _NUMBER.findall(text.replace(",", "")))
    clock = clock_day(task.clock or DEFAULT_CLOCK)
    days.add(clock)
    for text in sources:
        days |= _days_in(text)
        days |= {d for d in _mentioned_days(text, clock)}
    days |= _derived_days(days)
    percents = {float(p) for p in rules.LOYALTY_DISCOUNT_PCT.values()} | {float(p) for p in _PERCENT.findall(reply)}
    problems = [f"the amount {amount:,.2f}" for amount in _unexplained(stated_amounts(reply), numbers, percents)]
    problems.extend(f"the date {_show(m)}" for m in read(reply).dates if not any(m.means(d, clock) for d in days))
    return problems


def _unexplained(amounts: list[float], numbers: list[float], percents: set[float]) -> list[float]:
    """Stated amounts not found among ``numbers`` and not the reply's own arithmetic on grounded
    amounts: a stated or loyalty percentage of one, or a sum or difference of two or three."""
    grounded = [a for a in amounts if any(abs(a - n) < 0.005 for n in numbers)]
    open_ = [a for a in amounts if a not in grounded]
    changed = True
    while open_ and changed:
        changed = False
        for amount in list(open_):
            if _follows(amount, grounded, percents):
                grounded.append(amount)
                open_.remove(amount)
                changed = True
    return open_


def _follows(amount: float, grounded: list[float], percents: set[float]) -> bool:
    close = lambda value: abs(amount - abs(value)) < 0.015  # noqa: E731 - one rounding step per term
    if any(close(float(rules.percent_of(x, pct))) for x in grounded for pct in percents):
        return True
    # the discount behind a net total ("$1,184.13, net of the 10 % discount ($131.58)"); rounded per
    # line, so a few cents of slack
    if any(abs(amount - x * pct / (100 - pct)) < 0.05 for x in grounded for pct in percents if pct < 100):
        return True
    signs = (1, -1)
    pairs = [(x, y) for i, x in enumerate(grounded) for y in grounded[i + 1:]]
    if any(close(x + s * y) for x, y in pairs for s in signs):
        return True
    return any(close(x + s * y + t * z) for x, y in pairs for z in grounded for s in signs for t in signs)


def _derived_days(days: set[date]) -> set[date]:
    """What the policy derives from a day: the return window's last day, the day before (an end at
    midnight), and warranty ends."""
    found: set[date] = set()
    for day in days:
        found.add(rules.return_window_last_day(day))
        found.add(date.fromordinal(day.toordinal() - 1))
        found.update(rules.add_months(day, months) for months in WARRANTY_MONTHS)
    return found


def _mentioned_days(text: str, clock: date) -> Iterable[date]:
    for mention in read(text).dates:
        year = mention.year if mention.year is not None else clock.year
        try:
            yield date(year, mention.month, mention.day)
        except ValueError:
            continue


def _show(mention: DateMention) -> str:
    return f"{mention.year or '????'}-{mention.month:02d}-{mention.day:02d}"
