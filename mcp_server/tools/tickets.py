"""searchTickets and getCustomerTicketHistory: support tickets with their SLA deadlines computed
against the world clock."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import NotFoundError
from mcp_server.tools.filters import time_window
from mcp_server.tools.records import CustomerBrief, Escalation, Resolution, Ticket
from mcp_server.tools.runtime import fetch_all, fetch_one, world_now, world_tool
from mcp_server.tools.sql import Where, limit_field
from mcp_server.world.clock import to_utc_text

TicketStatus = Literal["new", "open", "pending_customer", "resolved", "closed"]
TicketType = Literal["return", "troubleshooting", "recommendation", "order_issue", "shipping", "billing", "other"]
TicketPriority = Literal["low", "normal", "high"]
TICKET_STATUSES: tuple[str, ...] = ("new", "open", "pending_customer", "resolved", "closed")
_DONE_STATUSES = ("resolved", "closed")

# The SLA for a ticket is the row for its customer's loyalty tier and its priority; SQLite adds
# the hours to created_at (NULL when created_at or the SLA row is missing).
_DUE = "strftime('%Y-%m-%dT%H:%M:%SZ', t.created_at, '+' || s.{hours} || ' hours')"
_TICKET_SELECT = (
    f"SELECT t.*, {_DUE.format(hours='first_response_hours')} AS first_response_due, "
    f"{_DUE.format(hours='resolution_hours')} AS resolution_due FROM support_tickets t "
    "LEFT JOIN customers c ON c.id = t.customer_id "
    "LEFT JOIN slas s ON s.loyalty_tier = c.loyalty_tier AND s.priority = t.priority"
)
_NEWEST_FIRST = "ORDER BY t.created_at IS NULL, t.created_at DESC, t.id DESC"


class TicketPage(BaseModel):
    tickets: list[Ticket]
    count: int = Field(description="Number of tickets returned")


class TicketWithHistory(Ticket):
    escalations: list[Escalation]
    resolutions: list[Resolution]


class CustomerTicketHistory(BaseModel):
    customer: CustomerBrief
    tickets: list[TicketWithHistory] = Field(description="All of the customer's tickets, newest first")
    count: int = Field(description="Number of tickets")
    status_counts: dict[str, int] = Field(description="Number of tickets in each status")


def ticket_from_row(row: dict[str, Any], now: str) -> Ticket:
    """A ticket record (with its SLA deadlines) judged at ``now``, a stored-form UTC time."""
    due = row["resolution_due"]
    breached = None if due is None else (now > due and row["status"] not in _DONE_STATUSES)
    return Ticket(**row, sla_breached=breached)


async def load_tickets(where: Where, limit: int | None = None) -> list[Ticket]:
    """Tickets matching ``where`` (conditions on alias ``t``), newest first, with SLA fields."""
    if limit is None:
        rows = await fetch_all(f"{_TICKET_SELECT} {where.sql} {_NEWEST_FIRST}", where.params)
    else:
        # Pick the page by id first, so the sort carries ids rather than whole tickets.
        page = f"SELECT t.id FROM support_tickets t {where.sql} {_NEWEST_FIRST} LIMIT ?"
        rows = await fetch_all(f"{_TICKET_SELECT} WHERE t.id IN ({page}) {_NEWEST_FIRST}", [*where.params, limit])
    now = to_utc_text(world_now())
    return [ticket_from_row(r, now) for r in rows]


@world_tool(name="searchTickets", title="Search support tickets")
async def searchTickets(
    ticket_id: Annotated[str | None, Field(description="Exact ticket id, e.g. tkt-00000")] = None,
    customer_id: Annotated[str | None, Field(description="Exact customer id, e.g. cus-00000")] = None,
    order_id: Annotated[str | None, Field(description="Exact order id, e.g. ord-250101-000")] = None,
    status: Annotated[TicketStatus | None, Field(description="Only tickets in this status")] = None,
    type: Annotated[TicketType | None, Field(description="Only tickets of this type")] = None,
    priority: Annotated[TicketPriority | None, Field(description="Only tickets of this priority")] = None,
    assignee_id: Annotated[str | None, Field(description="Exact employee id of the assignee, e.g. emp-000")] = None,
    query: Annotated[str | None, Field(description="Part of the subject or body; case-insensitive", min_length=1)] = None,
    created_after: Annotated[str | None, Field(description="Opened at or after this ISO-8601 time with time zone")] = None,
    created_before: Annotated[str | None, Field(description="Opened before this ISO-8601 time with time zone")] = None,
    limit: limit_field() = 50,
) -> TicketPage:
    """Search support tickets. All filters are optional and combine with AND; results are ordered
    newest first. Each ticket carries its SLA deadlines for the customer's loyalty tier and the
    ticket priority: first_response_due and resolution_due (UTC), and sla_breached, true when the
    current world time is past resolution_due and the ticket is neither resolved nor closed."""
    where = Where()
    where.equals("t.id", ticket_id)
    where.equals("t.customer_id", customer_id)
    where.equals("t.order_id", order_id)
    where.equals("t.status", status)
    where.equals("t.type", type)
    where.equals("t.priority", priority)
    where.equals("t.assignee_id", assignee_id)
    if query:
        pattern = Where.contains(query)
        where.add("(t.subject LIKE ? ESCAPE '\\' OR t.body LIKE ? ESCAPE '\\')", pattern, pattern)
    time_window(where, "t.created_at", created_after, created_before)
    tickets = await load_tickets(where, limit)
    return TicketPage(tickets=tickets, count=len(tickets))


@world_tool(name="getCustomerTicketHistory", title="Get a customer's ticket history")
async def getCustomerTicketHistory(
    customer_id: Annotated[str, Field(description="Customer id, e.g. cus-00000", min_length=1)],
) -> CustomerTicketHistory:
    """All support tickets of one customer, newest first, each with its SLA fields, escalations
    and resolutions, plus the number of tickets in each status."""
    customer_id = customer_id.strip()
    customer = await fetch_one(
        "SELECT id, first_name || ' ' || last_name AS name, email, loyalty_tier FROM customers WHERE id = ?", (customer_id,)
    )
    if customer is None:
        raise NotFoundError(
            f"no customer with id {customer_id!r}; customer ids look like cus-00000. "
            "Use searchCustomers with a name, email or phone to find the id"
        )
    where = Where()
    where.equals("t.customer_id", customer_id)
    tickets = await load_tickets(where)
    of_customer = "ticket_id IN (SELECT id FROM support_tickets WHERE customer_id = ?)"
    escalations = await fetch_all(f"SELECT * FROM escalations WHERE {of_customer} ORDER BY created_at, id", (customer_id,))
    resolutions = await fetch_all(f"SELECT * FROM resolutions WHERE {of_customer} ORDER BY created_at, id", (customer_id,))
    entries = [
        TicketWithHistory(
            **t.model_dump(),
            escalations=[Escalation(**e) for e in escalations if e["ticket_id"] == t.id],
            resolutions=[Resolution(**r) for r in resolutions if r["ticket_id"] == t.id],
        )
        for t in tickets
    ]
    counts = dict.fromkeys(TICKET_STATUSES, 0)
    for t in tickets:
        counts[t.status] = counts.get(t.status, 0) + 1
    return CustomerTicketHistory(customer=CustomerBrief(**customer), tickets=entries, count=len(entries), status_counts=counts)
