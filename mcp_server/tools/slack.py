"""searchSlackMessages: the company's Slack channels, read-only."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.tools.filters import json_list_has, time_window
from mcp_server.tools.records import SlackMessage
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field

Channel = Literal[
    "support-general", "escalations", "engineering-support", "product-team", "fulfillment-updates",
    "returns-updates", "promotions-planning", "policy-discussion", "customer-feedback", "kb-updates",
]


class SlackPage(BaseModel):
    messages: list[SlackMessage]
    count: int = Field(description="Number of messages returned")


@world_tool(name="searchSlackMessages", title="Search Slack messages")
async def searchSlackMessages(
    channel: Annotated[Channel | None, Field(description="Only messages in this channel")] = None,
    query: Annotated[str | None, Field(description="Part of the message text; case-insensitive", min_length=1)] = None,
    ticket_id: Annotated[str | None, Field(description="Only messages that refer to this ticket id, e.g. tkt-00000")] = None,
    author_id: Annotated[str | None, Field(description="Exact employee id of the author, e.g. emp-000")] = None,
    posted_after: Annotated[str | None, Field(description="Posted at or after this ISO-8601 time with time zone")] = None,
    posted_before: Annotated[str | None, Field(description="Posted before this ISO-8601 time with time zone")] = None,
    limit: limit_field() = 50,
) -> SlackPage:
    """Search messages in the company's internal Slack channels. All filters are optional and
    combine with AND; messages are ordered by posting time, oldest first. Each message has its
    channel, author id and name, text, thread_of (the message it replies to) and the ticket and
    product ids it refers to."""
    where = Where()
    if channel is not None:
        where.add("m.channel_id = (SELECT id FROM slack_channels WHERE name = ?)", channel)
    where.like("m.text", query)
    json_list_has(where, "m.ticket_ids", ticket_id)
    where.equals("m.author_id", author_id)
    time_window(where, "m.posted_at", posted_after, posted_before, after_name="posted_after", before_name="posted_before")
    rows = await fetch_all(
        "SELECT m.id, c.name AS channel, m.author_id, e.name AS author_name, m.posted_at, m.text, m.thread_of, "
        "m.ticket_ids, m.product_ids FROM slack_messages m JOIN slack_channels c ON c.id = m.channel_id "
        f"LEFT JOIN employees e ON e.id = m.author_id {where.sql} ORDER BY m.posted_at, m.id LIMIT ?",
        [*where.params, limit],
    )
    return SlackPage(messages=[SlackMessage.from_row(r) for r in rows], count=len(rows))
