"""createResolution: record how a ticket was resolved (needed before the ticket can be resolved)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, InvalidStateError
from mcp_server.tools.arguments import MAX_REPORT_CHARS
from mcp_server.tools.runtime import world_tool, writing
from mcp_server.tools.write_support import next_ids, now_text, require_employee, require_row

Outcome = Literal[
    "refund_issued", "replacement_sent", "recommendation_provided", "troubleshooting_steps", "order_updated", "no_action",
]


class ResolutionRecord(BaseModel):
    id: str
    ticket_id: str
    outcome: str
    summary: str
    resolved_by: str | None
    refund_id: str | None
    created_at: str


@world_tool(name="createResolution", title="Record a ticket resolution", writes=True)
async def createResolution(
    ticket_id: Annotated[str, Field(description="The ticket resolved, e.g. tkt-00000", min_length=1)],
    outcome: Annotated[Outcome, Field(description="What was done for the customer")],
    summary: Annotated[str, Field(description="What was found and done, in a few sentences", min_length=10, max_length=MAX_REPORT_CHARS)],
    resolved_by: Annotated[str | None, Field(description="Employee id of the person resolving it, if known")] = None,
    refund_id: Annotated[
        str | None,
        Field(description="The refund made for this ticket (ref-...); required when outcome is refund_issued and "
              "must be a refund of the ticket's order"),
    ] = None,
) -> ResolutionRecord:
    """Record the resolution of a support ticket. An outcome of refund_issued must name the refund
    (refund_id) made on the ticket's order. A ticket needs a resolution before updateTicketStatus can
    set it to resolved; this tool does not change the ticket's status. Closed tickets are final."""
    async with writing() as db:
        ticket = await require_row(db, "support_tickets", ticket_id, "ticket", "find it with searchTickets")
        if ticket["status"] == "closed":
            raise InvalidStateError(f"ticket {ticket_id} is closed; closed tickets are final and take no new resolution")
        if outcome == "refund_issued" and refund_id is None:
            raise InvalidArgumentError(
                "outcome refund_issued needs refund_id: the refund made on the ticket's order (create it first with "
                "createRefund or processReturn)"
            )
        if refund_id is not None:
            refund = await require_row(db, "refunds", refund_id, "refund", "refund ids look like ref-00000")
            if ticket["order_id"] is None:
                raise InvalidArgumentError(
                    f"ticket {ticket_id} is not linked to an order, so refund {refund_id} cannot be tied to it"
                )
            if refund["order_id"] != ticket["order_id"]:
                raise InvalidArgumentError(
                    f"refund {refund_id} is for order {refund['order_id']}, but ticket {ticket_id} is about order "
                    f"{ticket['order_id']}; name a refund of {ticket['order_id']}"
                )
        if resolved_by is not None:
            await require_employee(db, resolved_by, "resolved_by")
        (resolution_id,) = await next_ids(db, "resolutions", "res")
        record = ResolutionRecord(
            id=resolution_id, ticket_id=ticket_id, outcome=outcome, summary=summary.strip(),
            resolved_by=resolved_by, refund_id=refund_id, created_at=now_text(),
        )
        await db.execute(
            "INSERT INTO resolutions (id, ticket_id, outcome, summary, resolved_by, refund_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record.id, record.ticket_id, record.outcome, record.summary, record.resolved_by, record.refund_id,
             record.created_at),
        )
        return record
