"""Shared machinery for the training-task generator: world access, held-out exclusions,
criterion builders, date and money formatting, and the instance record each family returns.

Every fact a rubric checks is read from the committed world (the template) or computed with
``mcp_server.world.rules``, so rubrics are right by construction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.tasks.entities import task_ids
from harness.tasks.generate.voices import one_of
from harness.tasks.models import Task
from mcp_server.world import rules
from mcp_server.world.store import DEFAULT_CLOCK, load_template

DEFAULT_NOW = datetime.fromisoformat(DEFAULT_CLOCK)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
SHIPPING_NAME = {"standard": "standard", "express": "express", "overnight": "overnight"}


@dataclass
class Instance:
    """One generated task before it becomes a Task and a Rubric."""

    category: str
    difficulty: str
    requester: str
    requester_id: str
    prompt: str
    calls: list[dict[str, Any]]
    reply: str
    criteria: list[dict[str, Any]]
    entities: list[str] = field(default_factory=list)
    clock: str | None = None
    tags: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)  # other correct replies (see phrasing.py)


# --- world -------------------------------------------------------------------------------------


class World:
    """Read-only access to the template world, rows as dicts."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
        self.conn = conn

    @classmethod
    def load(cls) -> World:
        return cls(load_template().connect_sync())

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row is not None else None

    def customer(self, customer_id: str) -> dict[str, Any]:
        found = self.one("SELECT * FROM customers WHERE id = ?", (customer_id,))
        assert found is not None, customer_id
        return found

    def name_is_shared(self, customer: dict[str, Any]) -> bool:
        return bool(self.value(
            "SELECT COUNT(*) FROM customers WHERE first_name = ? AND last_name = ? AND id != ?",
            (customer["first_name"], customer["last_name"], customer["id"]),
        ))

    def items(self, order_id: str) -> list[dict[str, Any]]:
        return self.all(
            "SELECT oi.*, p.name AS product_name, p.category, p.brand, p.warranty_months FROM order_items oi "
            "JOIN products p ON p.id = oi.product_id WHERE oi.order_id = ? ORDER BY oi.id", (order_id,))

    def next_id(self, table: str, prefix: str, width: int) -> str:
        """The id the server gives the next record of ``table`` in a fresh episode (highest + 1)."""
        numbers = [int(r["id"].split("-")[-1]) for r in self.all(f"SELECT id FROM {table}")]
        return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"

    def employees(self, where: str = "1", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.all(f"SELECT * FROM employees WHERE {where} ORDER BY id", params)


# --- held-out exclusions -----------------------------------------------------------------------

_CUSTOMER_OF = {
    "cus": "SELECT id FROM customers WHERE id = ?",
    "ord": "SELECT customer_id FROM orders WHERE id = ?",
    "tkt": "SELECT customer_id FROM support_tickets WHERE id = ?",
    "bld": "SELECT customer_id FROM builds WHERE id = ?",
    "pay": "SELECT o.customer_id FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = ?",
    "shp": "SELECT o.customer_id FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.id = ?",
    "ref": "SELECT o.customer_id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = ?",
    "oli": "SELECT o.customer_id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.id = ?",
    "rfl": "SELECT o.customer_id FROM refund_lines l JOIN refunds r ON r.id = l.refund_id "
           "JOIN orders o ON o.id = r.order_id WHERE l.id = ?",
    "esc": "SELECT t.customer_id FROM escalations e JOIN support_tickets t ON t.id = e.ticket_id WHERE e.id = ?",
    "res": "SELECT t.customer_id FROM resolutions r JOIN support_tickets t ON t.id = r.ticket_id WHERE r.id = ?",
}


def heldout_tasks(root: Path) -> list[Task]:
    tasks = []
    for path in sorted((root / "tasks" / "heldout").glob("*.json")):
        try:
            tasks.append(Task.model_validate(json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, OSError):
            continue  # a held-out file still being written; validation reports it elsewhere
    return tasks


@dataclass
class Exclusions:
    """Ids no training task may use: every id a held-out task names, and everything that belongs to
    the customers those ids lead to (their orders, tickets, builds and the records under them).
    Employees are staff, not subjects: one a held-out task merely involves (who asks, who approves)
    stays usable; only an employee listed among the task's ``entities`` is excluded."""

    ids: set[str] = field(default_factory=set)
    customers: set[str] = field(default_factory=set)

    @classmethod
    def from_heldout(cls, world: World, tasks: Iterable[Task]) -> Exclusions:
        found = cls()
        for task in tasks:
            for ident in task_ids(task):
                if ident.startswith("emp-") and ident not in task.entities:
                    continue
                found.ids.add(ident)
                sql = _CUSTOMER_OF.get(ident.split("-", 1)[0])
                owner = world.value(sql, (ident,)) if sql else None
                if owner:
                    found.customers.add(owner)
        for customer_id in sorted(found.customers):
            found.ids.add(customer_id)
            for table in ("orders", "support_tickets", "builds"):
                found.ids.update(r["id"] for r in world.all(f"SELECT id FROM {table} WHERE customer_id = ?", (customer_id,)))
        return found

    def allows(self, *idents: str | None) -> bool:
        return not any(i in self.ids for i in idents if i)


def allowed_staff(world: World, exclusions: Exclusions, where: str = "support_role IS NOT NULL") -> list[dict[str, Any]]:
    """Employees matching ``where`` (support staff unless told) that a training task may name, ordered by id."""
    return [e for e in world.employees(where) if exclusions.allows(e["id"])]


def allowed_customers(world: World, exclusions: Exclusions, where: str = "1") -> list[dict[str, Any]]:
    """Customers matching ``where`` that a training task may use, ordered by id."""
    return [c for c in world.all(f"SELECT * FROM customers WHERE {where} ORDER BY id") if exclusions.allows(c["id"])]


# --- criteria ----------------------------------------------------------------------------------


def crit(cid: str, text: str, kind: str, check: dict[str, Any]) -> dict[str, Any]:
    return {"id": cid, "text": text, "kind": kind, "check": check}


def state(cid: str, text: str, sql: str, expect: Any, kind: str = "correctness") -> dict[str, Any]:
    return crit(cid, text, kind, {"method": "state", "sql": sql, "expect": expect})


def no_writes(cid: str = "no-writes", text: str = "No record was created or changed") -> dict[str, Any]:
    return state(cid, text, "SELECT COUNT(*) FROM _changes", 0, "constraint")


def no_writes_to(table: str, cid: str, text: str) -> dict[str, Any]:
    return state(cid, text, f"SELECT COUNT(*) FROM _changes WHERE tbl = '{table}'", 0, "constraint")


def called(cid: str, text: str, tool: str, where: dict[str, Any] | None = None, *, min_calls: int = 1,
           succeeded: bool | None = None, kind: str = "completeness") -> dict[str, Any]:
    pattern: dict[str, Any] = {"tool": tool, "where": where or {}}
    if succeeded is not None:
        pattern["succeeded"] = succeeded
    return crit(cid, text, kind, {"method": "trace", "rule": "called", "call": pattern, "min": min_calls})


def not_called(cid: str, text: str, tool: str, where: dict[str, Any] | None = None) -> dict[str, Any]:
    return crit(cid, text, "constraint", {"method": "trace", "rule": "not_called", "call": {"tool": tool, "where": where or {}}})


def ordered(cid: str, text: str, first: tuple[str, dict[str, Any]], then: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return crit(cid, text, "completeness", {
        "method": "trace", "rule": "order",
        "first": {"tool": first[0], "where": first[1]}, "then": {"tool": then[0], "where": then[1]},
    })


def says(cid: str, text: str, kind: str = "correctness", **parts: Any) -> dict[str, Any]:
    """A response check. ``parts`` are ResponseCheck fields (says_all, says_any, never_says, mentions_all,
    mentions_any, pattern, not_pattern); ``numbers`` and ``dates`` take values or ``num()`` / ``on()``."""
    check: dict[str, Any] = {"method": "response"}
    for key, value in parts.items():
        if key == "numbers":
            value = [v if isinstance(v, dict) else num(v) for v in value]
        elif key == "dates":
            value = [v if isinstance(v, dict) else on(v) for v in value]
        elif isinstance(value, list):
            value = list(dict.fromkeys(value))
        check[key] = value
    return crit(cid, text, kind, check)


def num(value: Decimal | float | int, wrong: Iterable[Decimal | float | int] = (), tolerance: float = 0.01) -> dict[str, Any]:
    """A number that must be stated, and the values an agent can fall into instead (never the right one)."""
    right = float(value)
    traps = sorted({float(w) for w in wrong if abs(float(w) - right) > tolerance + 1e-9})
    found: dict[str, Any] = {"value": right, "tolerance": tolerance}
    if traps:
        found["wrong"] = traps
    return found


def on(day: date, wrong: Iterable[date] = ()) -> dict[str, Any]:
    """A date that must be stated (the year counts), and the dates that are wrong answers."""
    traps = sorted({w for w in wrong if w != day})
    found: dict[str, Any] = {"value": day.isoformat()}
    if traps:
        found["wrong"] = [w.isoformat() for w in traps]
    return found


def judge(cid: str, text: str, guidance: str, include: list[str] | None = None) -> dict[str, Any]:
    check: dict[str, Any] = {"method": "judge", "guidance": guidance}
    if include:
        check["include"] = include
    return crit(cid, text, "correctness", check)


# --- dates and money ---------------------------------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def eastern_day(text: str) -> date:
    return rules.eastern_date(utc(text))


def long_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def money(value: Decimal | float) -> str:
    return f"${Decimal(str(value)):,.2f}"


def clock_at(day: date, hour: int, minute: int = 0) -> str:
    """A world clock on ``day`` at a US Eastern wall time, ISO-8601 with the right offset."""
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=rules.EASTERN)
    return moment.isoformat()


def eastern_bounds(first: date, last_exclusive: date) -> tuple[str, str]:
    """created_after / created_before for whole US Eastern days."""
    start = datetime(first.year, first.month, first.day, tzinfo=rules.EASTERN)
    end = datetime(last_exclusive.year, last_exclusive.month, last_exclusive.day, tzinfo=rules.EASTERN)
    return start.isoformat(), end.isoformat()


def days(n: int) -> timedelta:
    return timedelta(days=n)


pick = one_of  # the original families' name for it


def full_name(customer: dict[str, Any]) -> str:
    return f"{customer['first_name']} {customer['last_name']}"


def identify_calls(customer: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}}]


def difficulty_mix(rng: Any, weights: tuple[int, int, int] = (1, 2, 1)) -> str:
    return rng.choices(["easy", "medium", "hard"], weights=weights)[0]

