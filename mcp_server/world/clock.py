"""World time: the episode clock and the ISO-8601 timestamps tools accept and store.

Stored timestamps are UTC strings like ``2025-09-01T16:30:00Z`` so that text order is time order
(the year is always written with four digits, or that order breaks). Tool filters must carry a time
zone; a naive timestamp is ambiguous and is refused.

Both kinds of time have a range, so that no tool meets a moment it cannot convert or compare:

- The world clock runs from ``EARLIEST_CLOCK`` (the newest moment of the world's reference data:
  catalogue releases, customer sign-ups, staff hires, policy effective dates, knowledge-base
  updates; a test keeps it equal to the committed data) to ``LATEST_CLOCK``.
- Timestamp arguments of tools run from ``EARLIEST_TIMESTAMP`` to ``LATEST_TIMESTAMP``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from mcp_server.errors import InvalidArgumentError

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

EARLIEST_CLOCK = datetime(2025, 8, 15, 14, 0, 0, tzinfo=timezone.utc)
LATEST_CLOCK = datetime(2100, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
EARLIEST_TIMESTAMP = datetime(1900, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
LATEST_TIMESTAMP = datetime(2100, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def parse_clock(value: str) -> datetime:
    """An aware datetime from an ISO-8601 string with a time zone (the world clock setting), inside
    the range the world can be observed in."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgumentError(f"clock {value!r} is not an ISO-8601 timestamp such as 2025-09-15T14:00:00-04:00") from exc
    if moment.tzinfo is None:
        raise InvalidArgumentError(f"clock {value!r} needs a time zone offset, e.g. 2025-09-15T14:00:00-04:00")
    # Aware comparisons never overflow, unlike a conversion to UTC near year 1 or 9999.
    if not EARLIEST_CLOCK <= moment <= LATEST_CLOCK:
        raise InvalidArgumentError(
            f"clock {value!r} is outside the range the world can be observed in: from {to_utc_text(EARLIEST_CLOCK)} "
            f"(its newest reference data; earlier, its catalogue and records would not exist yet) "
            f"to {to_utc_text(LATEST_CLOCK)}"
        )
    return moment


def parse_filter_time(value: str, field: str) -> str:
    """Normalize a date filter argument to the stored UTC form, or explain how to write it."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgumentError(
            f"{field}={value!r} is not a valid ISO-8601 timestamp; write it with a time and a time zone, "
            "e.g. 2025-08-01T00:00:00-04:00 or 2025-08-01T04:00:00Z"
        ) from exc
    if moment.tzinfo is None:
        example = moment.isoformat(timespec="seconds")
        raise InvalidArgumentError(
            f"{field}={value!r} has no time zone; add one, e.g. {example}-04:00 for US Eastern or {example}Z for UTC"
        )
    if not EARLIEST_TIMESTAMP <= moment <= LATEST_TIMESTAMP:
        raise InvalidArgumentError(
            f"{field}={value!r} is outside the range of dates this tool accepts ({to_utc_text(EARLIEST_TIMESTAMP)} "
            f"to {to_utc_text(LATEST_TIMESTAMP)}); to leave the window open on that side, leave {field} out"
        )
    return to_utc_text(moment)


def to_utc_text(moment: datetime) -> str:
    """The stored form of an aware moment (within the ranges above, so the conversion cannot overflow)."""
    # isoformat, unlike strftime('%Y') on glibc, writes years before 1000 with four digits.
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def from_utc_text(value: str) -> datetime:
    return datetime.strptime(value, UTC_FORMAT).replace(tzinfo=timezone.utc)
