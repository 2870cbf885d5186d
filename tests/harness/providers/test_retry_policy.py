from __future__ import annotations

import pytest
from provider_stubs import SleepRecorder

from harness.errors import FatalProviderError, RetryableProviderError
from harness.providers.retry import RetryLog, RetryPolicy, call_with_retries, parse_retry_after, status_error


def test_backoff_doubles_from_the_initial_delay_and_is_capped():
    policy = RetryPolicy(initial_delay_s=1.0, max_delay_s=10.0, jitter=lambda: 0.999999)
    waits = [round(policy.delay(n, None), 3) for n in range(6)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_keeps_each_wait_between_half_and_all_of_the_ceiling():
    low = RetryPolicy(initial_delay_s=4.0, jitter=lambda: 0.0)
    assert low.delay(0, None) == 2.0
    assert low.delay(1, None) == 4.0


def test_server_hint_wins_over_backoff_but_is_capped():
    policy = RetryPolicy(max_retry_after_s=300.0)
    assert policy.delay(5, 3.0) == 3.0
    assert policy.delay(0, 86400.0) == 300.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "12"}, 12.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers_are_read_as_seconds(headers, seconds):
    assert parse_retry_after(headers, now=lambda: 1445412480.0) == seconds


@pytest.mark.parametrize(("status", "retryable"), [(408, True), (409, True), (429, True), (500, True),
                                                   (529, True), (400, False), (401, False), (404, False)])
def test_statuses_are_classified_as_retryable_or_fatal(status, retryable):
    error = status_error("openai", status, "boom", {"retry-after": "4"})
    assert isinstance(error, RetryableProviderError) is retryable
    assert isinstance(error, FatalProviderError) is not retryable
    if retryable:
        assert (error.status, error.retry_after) == (status, 4.0)


async def test_retries_stop_at_the_budget_and_log_every_failure():
    sleeps = SleepRecorder()
    attempts = 0

    async def always_overloaded() -> None:
        nonlocal attempts
        attempts += 1
        raise RetryableProviderError("overloaded", retry_after=2.0, status=529)

    log = RetryLog()
    with pytest.raises(FatalProviderError, match="after 4 attempts"):
        await call_with_retries(always_overloaded, RetryPolicy(max_retries=3, sleep=sleeps), what="call", log=log)
    assert attempts == 4
    assert sleeps.waits == [2.0, 2.0, 2.0]
    assert log.as_dict()["retry_wait_s"] == 6.0
    assert [f["status"] for f in log.failures] == [529, 529, 529]


async def test_fatal_errors_are_not_retried():
    sleeps = SleepRecorder()

    async def rejected() -> None:
        raise FatalProviderError("HTTP 401")

    with pytest.raises(FatalProviderError, match="401"):
        await call_with_retries(rejected, RetryPolicy(sleep=sleeps), what="call")
    assert sleeps.waits == []
