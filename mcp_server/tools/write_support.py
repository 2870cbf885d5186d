"""Helpers the write tools share: new ids, required records, employee permissions, the stored "now"."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from mcp_server.errors import NotFoundError, PolicyViolationError
from mcp_server.tools.runtime import world_now
from mcp_server.world.clock import to_utc_text

ID_DIGITS = 5
# Table names are literals chosen by tool code, never by the caller.
_ID_TABLES = ("refunds", "refund_lines", "escalations", "resolutions")


def now_text() -> str:
    """The world clock as stored text (UTC ``...Z``)."""
    return to_utc_text(world_now())


async def row(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    async with db.execute(sql, params) as cursor:
        found = await cursor.fetchone()
    return dict(found) if found is not None else None


async def rows(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with db.execute(sql, params) as cursor:
        return [dict(r) for r in await cursor.fetchall()]


async def next_ids(db: aiosqlite.Connection, table: str, prefix: str, count: int = 1) -> list[str]:
    """``count`` fresh ids after the highest existing ``<prefix>-NNNNN`` in ``table`` (the one after
    ref-NNNNN is ref-NNNNN+1), keeping the digit width of the existing ids."""
    if table not in _ID_TABLES:
        raise ValueError(f"no id sequence for table {table}")
    existing = await rows(db, f"SELECT id FROM {table} WHERE id LIKE ?", (f"{prefix}-%",))
    numbers = [int(r["id"][len(prefix) + 1 :]) for r in existing if r["id"][len(prefix) + 1 :].isdigit()]
    width = max([ID_DIGITS, *(len(r["id"]) - len(prefix) - 1 for r in existing)])
    start = max(numbers, default=0) + 1
    return [f"{prefix}-{n:0{width}d}" for n in range(start, start + count)]


async def require_row(db: aiosqlite.Connection, table: str, record_id: str, what: str, hint: str) -> dict[str, Any]:
    """The record with this id, or a NotFoundError that says how to find the right id."""
    if table not in ("orders", "payments", "support_tickets", "employees", "refunds", "builds", "products"):
        raise ValueError(f"require_row does not know table {table}")
    found = await row(db, f"SELECT * FROM {table} WHERE id = ?", (record_id,))
    if found is None:
        raise NotFoundError(f"no {what} with id {record_id!r}; {hint}")
    return found


def permissions_of(employee: dict[str, Any]) -> list[str]:
    try:
        value = json.loads(employee.get("permissions") or "[]")
    except (TypeError, ValueError):
        return []
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


async def require_employee(
    db: aiosqlite.Connection, employee_id: str, role: str, permission: str | None = None, instead: str = ""
) -> dict[str, Any]:
    """The employee named as ``role``; with ``permission``, refused unless they hold it."""
    employee = await require_row(db, "employees", employee_id, f"employee (given as {role})", "look the person up with searchEmployees")
    if permission is not None and permission not in permissions_of(employee):
        raise PolicyViolationError(
            f"{role}={employee_id} ({employee['name']}, {employee['title']}) does not have the {permission} "
            f"permission, so cannot authorise this. {instead}".strip()
        )
    return employee
