"""The world-scope criterion on the real world and a real held-out task, with row changes written
by hand the way the server logs them: what belongs to the task passes, anything else fails by name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.grading.scope import TaskScope
from harness.tasks.loader import load_suite
from harness.tasks.models import Task
from mcp_server.episodes import RowChange
from mcp_server.world.store import load_template

REPO = Path(__file__).resolve().parents[3]
TASK_ID = "ms-020"  # a customer's return on their own ticket: the reference calls processReturn


@pytest.fixture(scope="module")
def task() -> Task:
    (pair,) = load_suite(REPO, "heldout", [TASK_ID])
    return pair.task


@pytest.fixture(scope="module")
def scope() -> Iterator[TaskScope]:
    reader = TaskScope(load_template())
    yield reader
    reader.close()


def row(world: sqlite3.Connection, table: str, ident: str) -> dict[str, Any]:
    found = world.execute(f'SELECT * FROM "{table}" WHERE id = ?', (ident,)).fetchone()
    assert found is not None, f"the world has no {table} row {ident}"
    return dict(found)


def update(seq: int, table: str, before: dict[str, Any], **changed: Any) -> RowChange:
    return RowChange(seq=seq, table=table, row_id=str(before["id"]), op="update", before=before, after={**before, **changed})


def insert(seq: int, table: str, after: dict[str, Any]) -> RowChange:
    return RowChange(seq=seq, table=table, row_id=str(after["id"]), op="insert", before=None, after=after)


def named(task: Task, prefix: str) -> str:
    """The one id with this prefix among the task's entities (its order, its ticket)."""
    (ident,) = [e for e in task.entities if e.startswith(prefix + "-")]
    return ident


def free_id(world: sqlite3.Connection, table: str, prefix: str, width: int) -> str:
    """The id the server would give the next row of ``table``."""
    ids = [str(r[0]) for r in world.execute(f'SELECT id FROM "{table}"')]
    return f"{prefix}-{max(int(i.rsplit('-', 1)[1]) for i in ids) + 1:0{width}d}"


def test_a_change_to_the_tasks_own_order_and_ticket_passes(task: Task, scope: TaskScope, world: sqlite3.Connection) -> None:
    order, ticket = row(world, "orders", named(task, "ord")), row(world, "support_tickets", named(task, "tkt"))
    changes = [
        update(1, "orders", order, status="refund_requested"),
        update(2, "support_tickets", ticket, status="resolved", closure_reason="return_processed"),
    ]
    result = scope.check(task, changes)
    assert result.met is True, result.reason
    assert result.reason == "all 2 changed row(s) belong to the task"


def test_an_escalation_on_an_unrelated_customers_ticket_fails_and_is_named(
    task: Task, scope: TaskScope, world: sqlite3.Connection
) -> None:
    in_scope = scope.of_task(task)
    other = next(
        dict(r) for r in world.execute("SELECT * FROM support_tickets WHERE status = 'open' ORDER BY id")
        if not {r["id"], r["customer_id"], r["order_id"]} & in_scope
    )
    escalation = free_id(world, "escalations", "esc", 5)
    own_ticket = row(world, "support_tickets", named(task, "tkt"))
    changes = [
        update(1, "support_tickets", own_ticket, status="pending_customer"),
        insert(2, "escalations", {
            "id": escalation, "ticket_id": other["id"], "type": "support_escalation", "department": "support",
            "priority": "high", "notes": "Escalating this as well, to be safe.", "created_by": None, "status": "open",
            "created_at": "2025-09-15T18:00:00Z",
        }),
    ]
    result = scope.check(task, changes)
    assert result.met is False
    assert result.reason == f"changed 1 row(s) that do not belong to the task: insert escalations {escalation}"
    assert own_ticket["id"] not in result.reason  # the task's own change is not blamed


def test_a_new_refund_on_the_tasks_order_brings_its_lines_into_scope(
    task: Task, scope: TaskScope, world: sqlite3.Connection
) -> None:
    order_id = named(task, "ord")
    in_scope = scope.of_task(task)
    items = [str(r["id"]) for r in world.execute("SELECT id FROM order_items WHERE order_id = ? ORDER BY id", (order_id,))]
    unnamed = [i for i in items if i not in in_scope]
    assert unnamed, f"{TASK_ID} should have an order item it does not name, so only the new refund links its line to the task"
    (payment,) = [str(r["id"]) for r in world.execute("SELECT id FROM payments WHERE order_id = ?", (order_id,))]
    refund, first_line = free_id(world, "refunds", "ref", 5), free_id(world, "refund_lines", "rfl", 5)
    assert refund not in in_scope
    new_refund = insert(1, "refunds", {
        "id": refund, "payment_id": payment, "order_id": order_id, "ticket_id": named(task, "tkt"), "amount": 12.5,
        "reason": "defective", "status": "pending", "approved_by": None, "notes": None, "created_at": "2025-09-15T18:00:00Z",
    })
    first = int(first_line.removeprefix("rfl-"))
    lines = [
        insert(2 + n, "refund_lines", {"id": f"rfl-{first + n:05d}", "refund_id": refund, "order_item_id": item,
                                       "quantity": 1, "amount": 12.5})
        for n, item in enumerate(items)
    ]
    result = scope.check(task, [new_refund, *lines])
    assert result.met is True, result.reason
    assert result.reason == f"all {1 + len(items)} changed row(s) belong to the task"
    # Without the refund insert the line on the unnamed item has nothing tying it to the task.
    orphan = next(line for line in lines if line.after is not None and line.after["order_item_id"] in unnamed)
    alone = scope.check(task, [orphan])
    assert alone.met is False and f"insert refund_lines {orphan.row_id}" in alone.reason


def test_a_change_to_a_shared_table_fails_even_for_the_tasks_own_product(
    task: Task, scope: TaskScope, world: sqlite3.Connection
) -> None:
    product = row(world, "products", named(task, "prd"))
    result = scope.check(task, [update(1, "products", product, price=round(product["price"] - 10, 2))])
    assert result.met is False
    assert f"update products {product['id']}" in result.reason


def test_no_changes_pass(task: Task, scope: TaskScope) -> None:
    result = scope.check(task, [])
    assert result.met is True and result.reason == "all 0 changed row(s) belong to the task"
