"""Our one retry policy for model calls (the SDKs' own retries are switched off).

Retryable: HTTP 408, 409, 429 and every 5xx (Anthropic's 529 "overloaded" included), timeouts and
dropped connections. The wait is the server's ``retry-after-ms`` / ``retry-after`` hint when there
is one (capped), otherwise exponential backoff with jitter (capped). After ``max_retries`` retries
the call fails with FatalProviderError, which the runner records as an infrastructure error.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.errors import FatalProviderError, RetryableProviderError

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    initial_delay_s: float = 1.0
    max_delay_s: float = 60.0  # cap of one backoff sleep
    max_retry_after_s: float = 300.0  # cap of one server-hinted sleep
    sleep: Sleep = asyncio.sleep
    jitter: Callable[[], float] = random.random  # in [0, 1)

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after_s)
        ceiling = min(self.initial_delay_s * 2.0**retry_number, self.max_delay_s)
        # Half fixed, half random: spreads concurrent episodes without near-zero waits.
        return ceiling * (0.5 + 0.5 * self.jitter())


@dataclass
class RetryLog:
    """What the retries of one call cost, for the transcript's exchange record."""

    attempts: int = 0
    waited_s: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "retry_wait_s": round(self.waited_s, 3), "failures": self.failures}


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, *, what: str, log: RetryLog | None = None
) -> T:
    """Run ``attempt`` until it succeeds, retrying RetryableProviderError per ``policy``."""
    log = log if log is not None else RetryLog()
    for retry_number in range(policy.max_retries + 1):
        log.attempts += 1
        try:
            return await attempt()
        except RetryableProviderError as exc:
            if retry_number == policy.max_retries:
                raise FatalProviderError(
                    f"{what} still failing after {log.attempts} attempts (retry budget spent): {exc}"
                ) from exc
            wait = policy.delay(retry_number, exc.retry_after)
            log.failures.append({"status": exc.status, "error": str(exc)[:500], "wait_s": round(wait, 3)})
            logger.warning("%s failed (%s); retry %d of %d in %.1fs", what, exc, retry_number + 1,
                           policy.max_retries, wait)
            log.waited_s += wait
            await policy.sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def parse_retry_after(headers: Mapping[str, str] | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, else ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / divisor
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw:
        try:
            moment = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(moment.timestamp() - now(), 0.0)
    return None


def status_error(
    provider: str, status: int, message: str, headers: Mapping[str, str] | None
) -> RetryableProviderError | FatalProviderError:
    """Classify an HTTP error answer from a provider."""
    text = f"{provider} answered HTTP {status}: {message}"
    if status in RETRYABLE_STATUSES or status >= 500:
        return RetryableProviderError(text, retry_after=parse_retry_after(headers), status=status)
    return FatalProviderError(text)
