"""createEscalation through the MCP client: routing by type, refusals, ids."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.invariants import check_coherence, check_invariants
from mcp_server.world.rules import ESCALATION_DEPARTMENT
from mcp_server.world.store import load_template

TEMPLATE = load_template()
NOTES = "Customer reports repeated crashes after the BIOS update; reseating did not help."


def first(sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row:
    conn = TEMPLATE.connect_sync()
    conn.row_factory = sqlite3.Row
    try:
        found = conn.execute(sql + " LIMIT 1", params).fetchone()
    finally:
        conn.close()
    assert found is not None, f"the world has no row for: {sql}"
    return found


async def run(tool: str, arguments: dict[str, Any]) -> tuple[Any, list[Any]]:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool(tool, arguments)
        episode = registry.find("default")
        assert episode is not None
        copy = sqlite3.connect(":memory:")
        await episode.db.backup(copy)
        assert check_invariants(copy) + check_coherence(copy) == []  # every call leaves a consistent world
        copy.close()
        async with episode.db.execute("SELECT tbl, row_id, op, after FROM _changes ORDER BY seq") as cursor:
            return result, [tuple(r) for r in await cursor.fetchall()]
    finally:
        await registry.close_all()


def error_text(result: Any) -> str:
    assert result.is_error, result.structured_content
    return " ".join(block.text for block in result.content)


@pytest.mark.parametrize(("kind", "department"), sorted(ESCALATION_DEPARTMENT.items()))
async def test_each_escalation_type_goes_to_its_department(kind: str, department: str) -> None:
    ticket = first("SELECT id FROM support_tickets WHERE status != 'closed'")
    result, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": kind, "notes": NOTES})
    escalation = result.structured_content
    assert escalation["department"] == department and escalation["status"] == "open"
    assert [(c[0], c[1], c[2]) for c in changes] == [("escalations", escalation["id"], "insert")]


async def test_new_escalation_id_follows_the_highest_existing_one() -> None:
    ticket = first("SELECT id FROM support_tickets WHERE status != 'closed'")
    highest = first("SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) AS n FROM escalations")["n"]
    result, _ = await run("createEscalation", {"ticket_id": ticket["id"], "type": "warranty", "notes": NOTES, "priority": "high"})
    assert result.structured_content["id"] == f"esc-{highest + 1:05d}"
    assert result.structured_content["created_at"] == "2025-09-15T18:00:00Z"


async def test_a_department_that_does_not_match_the_type_is_refused_naming_the_right_one() -> None:
    ticket = first("SELECT id FROM support_tickets WHERE status != 'closed'")
    result, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": "warranty", "notes": NOTES, "department": "engineering"})
    assert "warranty escalations go to product_management" in error_text(result)
    assert changes == []


async def test_a_closed_ticket_cannot_be_escalated() -> None:
    ticket = first("SELECT id FROM support_tickets WHERE status = 'closed'")
    result, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": "technical", "notes": NOTES})
    assert "closed" in error_text(result)
    assert changes == []


async def test_unknown_ticket_and_unknown_employee_are_not_found() -> None:
    missing, _ = await run("createEscalation", {"ticket_id": "tkt-99999", "type": "technical", "notes": NOTES})
    assert "no ticket with id 'tkt-99999'" in error_text(missing)
    ticket = first("SELECT id FROM support_tickets WHERE status != 'closed'")
    nobody, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": "technical", "notes": NOTES, "created_by": "emp-999"})
    assert "emp-999" in error_text(nobody)
    assert changes == []


async def test_notes_that_say_nothing_are_rejected_by_the_schema() -> None:
    ticket = first("SELECT id FROM support_tickets WHERE status != 'closed'")
    result, _ = await run("createEscalation", {"ticket_id": ticket["id"], "type": "technical", "notes": "help"})
    assert "at least 20 characters" in error_text(result)
