"""Filter helpers the read tools share, on top of ``sql.Where``: time windows, JSON-list membership
and IN lists. Column names are literals from tool code; every value travels as a parameter."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_server.errors import InvalidArgumentError
from mcp_server.tools.sql import Where
from mcp_server.world.clock import parse_filter_time


def time_window(
    where: Where,
    column: str,
    after: str | None,
    before: str | None,
    *,
    after_name: str = "created_after",
    before_name: str = "created_before",
) -> None:
    """``column >= after AND column < before``; both bounds are ISO-8601 with a time zone. Rows
    whose time is missing never match a window."""
    low = parse_filter_time(after, after_name) if after else None
    high = parse_filter_time(before, before_name) if before else None
    if low is not None and high is not None and low >= high:
        raise InvalidArgumentError(
            f"{after_name} ({after}) is not earlier than {before_name} ({before}), so nothing can match; "
            "swap or widen the bounds"
        )
    if low is not None:
        where.add(f"{column} >= ?", low)
    if high is not None:
        where.add(f"{column} < ?", high)


def json_list_has(where: Where, column: str, value: str | None, *, nocase: bool = False) -> None:
    """Rows whose JSON-list ``column`` holds ``value`` as one of its elements."""
    if value is None:
        return
    collate = " COLLATE NOCASE" if nocase else ""
    where.add(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?{collate})", value.strip())


def placeholders(values: Sequence[object]) -> str:
    """``?, ?, ?`` for an IN list of these values (callers pass the values as parameters)."""
    return ", ".join("?" for _ in values)
