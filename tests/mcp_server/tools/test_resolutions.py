"""createResolution through the MCP client: outcomes, the refund link, refusals."""

from __future__ import annotations

import sqlite3
from typing import Any

from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from tool_support import TEMPLATE, changed_rows, error_text, run_steps, world_problems, world_row
SUMMARY = "Customer returned the card; refund issued for the unit."


def ticket_with_refundable_order() -> sqlite3.Row:
    return world_row(
        """SELECT t.id, t.order_id, t.customer_id FROM support_tickets t JOIN orders o ON o.id = t.order_id
           WHERE t.status != 'closed' AND o.status = 'fulfilled' AND o.customer_id = t.customer_id
             AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)
             AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'captured')
           ORDER BY t.id"""
    )


async def test_refund_issued_resolution_links_the_refund_made_on_the_tickets_order() -> None:
    ticket = ticket_with_refundable_order()
    item = world_row("SELECT id FROM order_items WHERE order_id = ?", (ticket["order_id"],))
    (refund, resolution), changes = await _refund_then_resolve(ticket, item["id"])
    assert resolution.structured_content["refund_id"] == refund.structured_content["id"]
    assert resolution.structured_content["outcome"] == "refund_issued"
    assert ("resolutions", resolution.structured_content["id"], "insert") in changes


async def _refund_then_resolve(ticket: sqlite3.Row, item_id: str) -> tuple[tuple[Any, Any], list[Any]]:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        async with Client(build_server(registry=registry)) as client:
            refund = await client.call_tool("createRefund", {
                "order_id": ticket["order_id"], "ticket_id": ticket["id"], "reason": "defective",
                "lines": [{"order_item_id": item_id, "quantity": 1}],
            })
            assert not refund.is_error, error_text(refund)
            resolution = await client.call_tool("createResolution", {
                "ticket_id": ticket["id"], "outcome": "refund_issued", "summary": SUMMARY,
                "refund_id": refund.structured_content["id"],
            })
        assert await world_problems(registry) == []
        return (refund, resolution), await changed_rows(registry)
    finally:
        await registry.close_all()


async def test_refund_issued_without_a_refund_id_is_refused() -> None:
    ticket = ticket_with_refundable_order()
    (result,), changes = await run_steps(("createResolution", {"ticket_id": ticket["id"], "outcome": "refund_issued", "summary": SUMMARY}))
    assert "needs refund_id" in error_text(result)
    assert changes == []


async def test_a_refund_of_another_order_is_refused() -> None:
    ticket = ticket_with_refundable_order()
    other = world_row("SELECT id, order_id FROM refunds WHERE order_id != ?", (ticket["order_id"],))
    (result,), changes = await run_steps(
        ("createResolution", {"ticket_id": ticket["id"], "outcome": "refund_issued", "summary": SUMMARY, "refund_id": other["id"]})
    )
    assert f"refund {other['id']} is for order {other['order_id']}" in error_text(result)
    assert changes == []


async def test_a_resolution_without_refund_is_recorded_with_the_world_clock() -> None:
    ticket = ticket_with_refundable_order()
    agent = world_row("SELECT id FROM employees WHERE support_role IS NOT NULL")
    (result,), changes = await run_steps(("createResolution", {
        "ticket_id": ticket["id"], "outcome": "recommendation_provided", "resolved_by": agent["id"],
        "summary": "Recommended a compatible DDR5 kit for the board.",
    }))
    resolution = result.structured_content
    assert resolution["created_at"] == "2025-09-15T18:00:00Z" and resolution["resolved_by"] == agent["id"]
    assert changes == [("resolutions", resolution["id"], "insert")]


async def test_a_closed_ticket_takes_no_resolution() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status = 'closed'")
    (result,), changes = await run_steps(("createResolution", {"ticket_id": ticket["id"], "outcome": "no_action", "summary": "Nothing to do here."}))
    assert "closed" in error_text(result)
    assert changes == []
