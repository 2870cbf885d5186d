"""Shared state of one generator run: the seeded RNG, the tables being built, ids, time and money.

Nothing here reads the wall clock: every time is derived from fixed anchors and the seeded RNG, so
a run is a pure function of the seed.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mcp_server.world.rules import cents
from mcp_server.world.store import SCHEMA_PATH, entity_tables, table_columns
from mcp_server.world.trap_types import MANIFEST_NAME, TRAP_TYPES, TrapInstance, dump_manifest

SEED = 20250915
EASTERN = ZoneInfo("America/New_York")
NOW = datetime(2025, 9, 15, 14, 0, tzinfo=EASTERN)  # the world's default clock
HISTORY_START = datetime(2024, 9, 1, 0, 0, tzinfo=EASTERN)  # first order of the history

Row = dict[str, Any]


def eastern(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=EASTERN)


def utc_text(moment: datetime) -> str:
    """The stored form of a time: UTC, second precision, ending in Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def eastern_date(moment: datetime) -> date:
    return moment.astimezone(EASTERN).date()


def money(value: Decimal | float | int | str) -> float:
    """Dollars as stored in JSON: rounded half-up to cents."""
    return float(cents(value))


@dataclass
class World:
    """The tables of one generator run plus lookups the modules share."""

    rng: random.Random
    tables: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[str, Row] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # generator-side facts that are not columns
    popularity: dict[str, float] = field(default_factory=dict)
    tier_history: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    order_days: dict[date, set[int]] = field(default_factory=lambda: defaultdict(set))
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # trap name -> ids
    planted: list[TrapInstance] = field(default_factory=list)  # the trap manifest (trap_types.py)

    def add(self, table: str, row: Row) -> Row:
        if row["id"] in self.by_id:
            raise ValueError(f"duplicate id {row['id']}")
        self.tables[table].append(row)
        self.by_id[row["id"]] = row
        return row

    def next_id(self, prefix: str, width: int) -> str:
        self.counters[prefix] += 1
        return f"{prefix}-{self.counters[prefix]:0{width}d}"

    def rows(self, table: str) -> list[Row]:
        return self.tables[table]

    def get(self, row_id: str) -> Row:
        return self.by_id[row_id]

    def mark(self, trap: str, *ids: str) -> None:
        """Remember which ids embody a designed trap (listed in docs/world-guide.md)."""
        self.notes[trap].extend(ids)

    def plant(self, trap_type: str, name: str, *ids: str) -> None:
        """Record one instance of a designed trap type for the manifest (mcp_server/world/trap_types.py)."""
        if trap_type not in TRAP_TYPES:
            raise KeyError(f"unknown trap type {trap_type!r}")
        self.planted.append(TrapInstance(type=trap_type, name=name, ids=tuple(ids)))

    def order_id(self, moment_eastern_day: date, number: int | None = None) -> str:
        """ord-YYMMDD-NNN: the Eastern date of the order and a number unique within that day."""
        used = self.order_days[moment_eastern_day]
        if number is None:
            number = self.rng.randint(100, 999)
            while number in used:
                number = self.rng.randint(100, 999)
        elif number in used:
            raise ValueError(f"order number {number} already used on {moment_eastern_day}")
        used.add(number)
        return f"ord-{moment_eastern_day.strftime('%y%m%d')}-{number:03d}"

    def customer_tier_at(self, customer_id: str, moment: datetime) -> str:
        """The loyalty tier a customer had at a moment (current tier unless a change is recorded)."""
        history = self.tier_history.get(customer_id)
        if not history:
            return str(self.get(customer_id)["loyalty_tier"])
        tier = history[0][1]
        for since, value in history:
            if moment >= since:
                tier = value
        return tier


def random_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randint(0, span))


def schema_columns() -> dict[str, list[str]]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
        return {t: table_columns(conn, t) for t in entity_tables(conn)}
    finally:
        conn.close()


def write_tables(world: World, out_dir: Path) -> dict[str, int]:
    """One JSONL file per table: every column present, rows sorted by id, keys sorted."""
    columns = schema_columns()
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table, cols in columns.items():
        rows = world.tables.get(table, [])
        lines = []
        for row in sorted(rows, key=lambda r: r["id"]):
            extra = set(row) - set(cols)
            if extra:
                raise ValueError(f"{table} {row['id']}: unknown columns {sorted(extra)}")
            full = {c: row.get(c) for c in cols}
            lines.append(json.dumps(full, sort_keys=True, ensure_ascii=False))
        (out_dir / f"{table}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        counts[table] = len(lines)
    (out_dir / MANIFEST_NAME).write_text(dump_manifest(world.planted), encoding="utf-8")
    return counts
