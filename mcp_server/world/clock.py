"""World time: the episode clock and the ISO-8601 timestamps tools accept and store.

Stored timestamps are UTC strings like ``2025-09-01T16:30:00Z`` so that text order is time order.
Tool filters must carry a time zone; a naive timestamp is ambiguous and is refused.
"""

from __future__ import annotations

from datetime import datetime, timezone

from mcp_server.errors import InvalidArgumentError

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_clock(value: str) -> datetime:
    """An aware datetime from an ISO-8601 string with a time zone (the world clock setting)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgumentError(f"clock {value!r} is not an ISO-8601 timestamp such as 2025-09-15T14:00:00-04:00") from exc
    if moment.tzinfo is None:
        raise InvalidArgumentError(f"clock {value!r} needs a time zone offset, e.g. 2025-09-15T14:00:00-04:00")
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
        example = moment.strftime("%Y-%m-%dT%H:%M:%S")
        raise InvalidArgumentError(
            f"{field}={value!r} has no time zone; add one, e.g. {example}-04:00 for US Eastern or {example}Z for UTC"
        )
    return to_utc_text(moment)


def to_utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(UTC_FORMAT)


def from_utc_text(value: str) -> datetime:
    return datetime.strptime(value, UTC_FORMAT).replace(tzinfo=timezone.utc)
