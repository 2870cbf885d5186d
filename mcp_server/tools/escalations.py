"""createEscalation: hand a ticket to the department that owns its kind of problem."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidStateError, PolicyViolationError
from mcp_server.tools.arguments import MAX_REPORT_CHARS
from mcp_server.tools.runtime import world_tool, writing
from mcp_server.tools.write_support import next_ids, now_text, require_employee, require_row
from mcp_server.world.rules import ESCALATION_DEPARTMENT

EscalationType = Literal[
    "technical", "policy_exception", "product_specialist", "warranty",
    "order_fulfillment", "billing_payment", "support_escalation",
]
Department = Literal["engineering", "operations", "product_management", "order_processing", "finance", "support"]
Priority = Literal["low", "normal", "high"]
_ROUTING = "; ".join(f"{kind} -> {dept}" for kind, dept in ESCALATION_DEPARTMENT.items())


class EscalationRecord(BaseModel):
    id: str
    ticket_id: str
    type: str
    department: str = Field(description="The department that received it (fixed by the type)")
    priority: str
    notes: str
    created_by: str | None
    status: str
    created_at: str


@world_tool(name="createEscalation", title="Escalate a ticket", writes=True)
async def createEscalation(
    ticket_id: Annotated[str, Field(description="The ticket to escalate, e.g. tkt-00000", min_length=1)],
    type: Annotated[EscalationType, Field(description=f"Kind of escalation; it decides the department ({_ROUTING})")],
    notes: Annotated[str, Field(description="What the receiving team needs to know: the problem, what was tried, what is asked", min_length=20, max_length=MAX_REPORT_CHARS)],
    priority: Annotated[Priority, Field(description="Urgency for the receiving team")] = "normal",
    created_by: Annotated[str | None, Field(description="Employee id of the person escalating, if known")] = None,
    department: Annotated[Department | None, Field(description="Optional; if given it must be the department the type goes to")] = None,
) -> EscalationRecord:
    """Escalate a support ticket to another team. The department follows from the type (technical ->
    engineering, policy_exception -> operations, product_specialist and warranty ->
    product_management, order_fulfillment -> order_processing, billing_payment -> finance,
    support_escalation -> support). A closed ticket cannot be escalated. The escalation starts open."""
    target = ESCALATION_DEPARTMENT[type]
    async with writing() as db:
        ticket = await require_row(db, "support_tickets", ticket_id, "ticket", "find it with searchTickets")
        if department is not None and department != target:
            raise PolicyViolationError(
                f"{type} escalations go to {target}, not {department}; pass department={target} or leave it empty"
            )
        if ticket["status"] == "closed":
            raise InvalidStateError(
                f"ticket {ticket_id} is closed and cannot be escalated; closed is final (open a new ticket for a new problem)"
            )
        if created_by is not None:
            await require_employee(db, created_by, "created_by")
        (escalation_id,) = await next_ids(db, "escalations", "esc")
        record = EscalationRecord(
            id=escalation_id, ticket_id=ticket_id, type=type, department=target, priority=priority,
            notes=notes.strip(), created_by=created_by, status="open", created_at=now_text(),
        )
        await db.execute(
            "INSERT INTO escalations (id, ticket_id, type, department, priority, notes, created_by, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, record.ticket_id, record.type, record.department, record.priority, record.notes,
             record.created_by, record.status, record.created_at),
        )
        return record
