"""Every date a generated rubric checks is a date with its year: the right day in another year fails, and the
right day written as the rubric's reference writes it passes (the split once checked dates with a regex that
accepted any year, so "ends March 15, 2027" passed for a warranty ending 15 March 2030)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from harness.grading.response import run_response_check
from harness.tasks.generate.core import long_date
from harness.tasks.loader import TaskWithRubric, load_suite
from harness.tasks.models import ResponseCheck

ROOT = Path(__file__).resolve().parents[3]
MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)


def _another_year(day: date, years: int) -> date:
    return date(day.year + years, day.month, min(day.day, 28))


@pytest.fixture(scope="module")
def train() -> list[TaskWithRubric]:
    return load_suite(ROOT, "train")


def test_every_generated_date_check_requires_the_year(train: list[TaskWithRubric]) -> None:
    checked = 0
    for pair in train:
        for criterion in pair.rubric.criteria:
            check = criterion.check
            if not isinstance(check, ResponseCheck):
                continue
            # a date regex cannot require the year the day belongs to: dates go in ``dates``
            assert not MONTH.search(check.pattern or ""), (pair.task.id, criterion.id, check.pattern)
            for expected in check.dates:
                only_date = ResponseCheck(dates=[expected])
                day = expected.value
                right = f"The date is {long_date(day)}."
                assert run_response_check(only_date, right, pair.task.clock).met, (pair.task.id, criterion.id, right)
                for years in (-3, 1):
                    wrong = f"The date is {long_date(_another_year(day, years))}."
                    assert not run_response_check(only_date, wrong, pair.task.clock).met, (pair.task.id, criterion.id, wrong)
                checked += 1
    assert checked > 300, f"only {checked} date checks: warranty, return-window and delivery tasks must check their dates as dates"
