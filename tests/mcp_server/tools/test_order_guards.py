"""Random sequences of write calls never crash and never leave an inconsistent world.

The guards in order_guards.py, the refund logic and the status tools together must keep
``check_invariants`` and ``check_coherence`` empty whatever an agent tries, accepted or refused.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.rules import ORDER_TRANSITIONS, PAYMENT_TRANSITIONS
from tool_support import TEMPLATE, world_problems

ORDER_STATUSES = ["pending", "paid", "fulfilled", "cancelled", "backorder", "refund_requested", "refunded", "partially_refunded"]
PAYMENT_STATUSES = ["pending", "authorized", "captured", "failed", "refunded", "partially_refunded", "voided"]
CONDITIONS = ["unopened", "opened_undamaged", "damaged", "liquid_damage", "missing_packaging", "modified"]
REASONS = ["customer_remorse", "defective", "incompatible", "shipping_issue", "other"]


async def rows(db: Any, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    async with db.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def random_call(rng: random.Random, db: Any, order_id: str, approver: str) -> tuple[str, dict[str, Any]]:
    items = await rows(db, "SELECT id, quantity FROM order_items WHERE order_id = ?", (order_id,))
    lines = [{"order_item_id": i[0], "quantity": rng.randint(1, i[1] + (rng.random() < 0.2))}
             for i in rng.sample(items, rng.randint(1, len(items)))]
    approved = {"approved_by": approver} if rng.random() < 0.5 else {}
    kind = rng.choice(["refund", "return", "order", "order", "payment"])
    if kind == "refund":
        return "createRefund", {"order_id": order_id, "lines": lines, "reason": rng.choice(REASONS), **approved}
    if kind == "return":
        return "processReturn", {"order_id": order_id, "lines": lines, "condition": rng.choice(CONDITIONS),
                                 "reason": rng.choice(REASONS), **approved}
    if kind == "order":  # mostly moves the policy table allows, sometimes any status
        (current,) = (await rows(db, "SELECT status FROM orders WHERE id = ?", (order_id,)))[0]
        status = rng.choice(list(ORDER_TRANSITIONS[current]) or ORDER_STATUSES) if rng.random() < 0.7 else rng.choice(ORDER_STATUSES)
        return "updateOrderStatus", {"order_id": order_id, "status": status, "reason": "random walk step"}
    payment_id, current = rng.choice(await rows(db, "SELECT id, status FROM payments WHERE order_id = ?", (order_id,)))
    status = rng.choice(list(PAYMENT_TRANSITIONS[current]) or PAYMENT_STATUSES) if rng.random() < 0.7 else rng.choice(PAYMENT_STATUSES)
    return "updatePaymentStatus", {"payment_id": payment_id, "status": status, "reason": "random walk step"}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_write_sequences_keep_the_world_consistent(seed: int) -> None:
    rng = random.Random(seed)
    registry = EpisodeRegistry(TEMPLATE, clock="2025-09-15T14:00:00-04:00")
    accepted: dict[str, int] = {}
    try:
        episode = await registry.get("default")
        recent = [r[0] for r in await rows(episode.db, "SELECT id FROM orders WHERE created_at >= '2025-08-10' AND status = 'fulfilled' ORDER BY id")]
        unshipped = [r[0] for r in await rows(episode.db, "SELECT id FROM orders WHERE status IN ('pending', 'paid', 'backorder') ORDER BY id")]
        approver = (await rows(episode.db, "SELECT id FROM employees WHERE permissions LIKE '%issue_refund%' LIMIT 1"))[0][0]
        orders = rng.sample(recent, 25) + rng.sample(unshipped, min(25, len(unshipped)))
        async with Client(build_server(registry=registry)) as client:
            for _ in range(250):
                tool, arguments = await random_call(rng, episode.db, rng.choice(orders), approver)
                result = await client.call_tool(tool, arguments)
                text = " ".join(getattr(block, "text", "") for block in result.content)
                assert "internal error" not in text, (tool, arguments, text)
                if not result.is_error:
                    accepted[tool] = accepted.get(tool, 0) + 1
        problems = await world_problems(registry)
    finally:
        await registry.close_all()
    assert problems == []
    assert sum(accepted.values()) >= 15 and len(accepted) >= 3, accepted  # the walk really changed the world
