"""createEscalation through the MCP client: routing by type, refusals, ids."""

from __future__ import annotations

import pytest

from mcp_server.world.rules import ESCALATION_DEPARTMENT
from tool_support import error_text, run, world_row
NOTES = "Customer reports repeated crashes after the BIOS update; reseating did not help."


@pytest.mark.parametrize(("kind", "department"), sorted(ESCALATION_DEPARTMENT.items()))
async def test_each_escalation_type_goes_to_its_department(kind: str, department: str) -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status != 'closed'")
    result, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": kind, "notes": NOTES})
    escalation = result.structured_content
    assert escalation["department"] == department and escalation["status"] == "open"
    assert [(c[0], c[1], c[2]) for c in changes] == [("escalations", escalation["id"], "insert")]


async def test_new_escalation_id_follows_the_highest_existing_one() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status != 'closed'")
    highest = world_row("SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) AS n FROM escalations")["n"]
    result, _ = await run("createEscalation", {"ticket_id": ticket["id"], "type": "warranty", "notes": NOTES, "priority": "high"})
    assert result.structured_content["id"] == f"esc-{highest + 1:05d}"
    assert result.structured_content["created_at"] == "2025-09-15T18:00:00Z"


async def test_a_department_that_does_not_match_the_type_is_refused_naming_the_right_one() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status != 'closed'")
    result, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": "warranty", "notes": NOTES, "department": "engineering"})
    assert "warranty escalations go to product_management" in error_text(result)
    assert changes == []


async def test_a_closed_ticket_cannot_be_escalated() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status = 'closed'")
    result, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": "technical", "notes": NOTES})
    assert "closed" in error_text(result)
    assert changes == []


async def test_unknown_ticket_and_unknown_employee_are_not_found() -> None:
    missing, _ = await run("createEscalation", {"ticket_id": "tkt-99999", "type": "technical", "notes": NOTES})
    assert "no ticket with id 'tkt-99999'" in error_text(missing)
    ticket = world_row("SELECT id FROM support_tickets WHERE status != 'closed'")
    nobody, changes = await run("createEscalation", {"ticket_id": ticket["id"], "type": "technical", "notes": NOTES, "created_by": "emp-999"})
    assert "emp-999" in error_text(nobody)
    assert changes == []


async def test_notes_that_say_nothing_are_rejected_by_the_schema() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status != 'closed'")
    result, _ = await run("createEscalation", {"ticket_id": ticket["id"], "type": "technical", "notes": "help"})
    assert "at least 20 characters" in error_text(result)
