"""An order's policy dates: purchase date (return window) and delivery date (warranty start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import aiosqlite

from mcp_server.world.clock import from_utc_text
from mcp_server.world.rules import eastern_date


@dataclass(frozen=True)
class PolicyDate:
    day: date | None
    source: str  # which record it came from, for the agent to see


def _eastern_day(stored: str | None) -> date | None:
    if not stored:
        return None
    try:
        return eastern_date(from_utc_text(stored))
    except ValueError:
        return None


async def purchase_date(db: aiosqlite.Connection, order: dict[str, Any]) -> PolicyDate:
    """The order's created_at as a US Eastern date; if missing, its first payment's created_at."""
    day = _eastern_day(order.get("created_at"))
    if day is not None:
        return PolicyDate(day, "order created_at")
    async with db.execute(
        "SELECT created_at FROM payments WHERE order_id = ? AND created_at IS NOT NULL ORDER BY created_at, id LIMIT 1",
        (order["id"],),
    ) as cursor:
        first = await cursor.fetchone()
    day = _eastern_day(first[0]) if first else None
    return PolicyDate(day, "first payment created_at (order created_at missing)" if day else "unknown")


async def delivery_date(db: aiosqlite.Connection, order_id: str) -> PolicyDate:
    """When the order's goods arrived (latest delivered shipment), as a US Eastern date."""
    async with db.execute(
        "SELECT delivered_at FROM shipments WHERE order_id = ? AND delivered_at IS NOT NULL ORDER BY delivered_at DESC LIMIT 1",
        (order_id,),
    ) as cursor:
        found = await cursor.fetchone()
    day = _eastern_day(found[0]) if found else None
    return PolicyDate(day, "shipment delivered_at" if day else "no delivery recorded")
