"""Reference replies of the committed training split say what the world says: a discounted refund is never
"the item price" (83 of 150 approved-refund replies once were), and a delivered order is never waited for
(24 refusals to cancel a delivered order once said "once it arrives")."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from harness.tasks.generate.core import World
from harness.tasks.loader import load_suite
from harness.tasks.models import Task
from mcp_server.world import rules

ROOT = Path(__file__).resolve().parents[3]


@lru_cache(maxsize=None)
def _world() -> World:
    return World.load()


@pytest.fixture(scope="module")
def train() -> list[Task]:
    return [pair.task for pair in load_suite(ROOT, "train")]


def _texts(task: Task) -> list[str]:
    return [task.reference.reply, *task.reference.alternatives]


def _discounted(task: Task) -> bool:
    """Whether the refund the reference creates is less than the price of the lines it refunds."""
    world = _world()
    refund = next(c.arguments for c in task.reference.calls if c.tool == "createRefund")
    order = world.one("SELECT * FROM orders WHERE id = ?", (refund["order_id"],))
    assert order is not None, task.id
    gross, paid = Decimal(0), Decimal(0)
    for line in refund["lines"]:
        item = world.one("SELECT * FROM order_items WHERE id = ?", (line["order_item_id"],))
        assert item is not None, task.id
        gross += rules.cents(Decimal(str(item["unit_price"])) * line["quantity"])
        paid += rules.refund_amount_for_line(item["unit_price"], line["quantity"], order["loyalty_tier"],
                                             order_subtotal=order["subtotal"], order_promo_discount=order["promo_discount"])
    return paid != gross


def test_no_approved_refund_reply_calls_a_discounted_amount_the_item_price(train: list[Task]) -> None:
    discounted = [task for task in train if task.family == "approved-refund" and _discounted(task)]
    assert discounted, "no approved-refund task with a discount left to check"
    wrong = [task.id for task in discounted if any("item price" in text.lower() for text in _texts(task))]
    assert not wrong, wrong


def test_no_cancel_reply_waits_for_a_delivered_order_to_arrive(train: list[Task]) -> None:
    world = _world()
    delivered = []
    for task in (t for t in train if t.family == "cancel-request"):
        order_id = next(e for e in task.entities if e.startswith("ord-"))
        if world.value("SELECT status FROM shipments WHERE order_id = ? ORDER BY id DESC LIMIT 1", (order_id,)) == "delivered":
            delivered.append(task)
    assert delivered, "no cancel-request task on a delivered order left to check"
    waiting = ("once it arrives", "when it arrives", "reaches you")
    wrong = [task.id for task in delivered if any(word in text.lower() for text in _texts(task) for word in waiting)]
    assert not wrong, wrong
