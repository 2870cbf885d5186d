"""searchSlackMessages through the MCP client."""

from __future__ import annotations

import json

from tool_support import call, call_error, world_row, world_rows


async def test_search_slack_by_ticket_finds_every_message_that_refers_to_it() -> None:
    message = world_row("SELECT ticket_ids FROM slack_messages WHERE ticket_ids != '[]' ORDER BY id")
    ticket = json.loads(message["ticket_ids"])[0]
    expected = [r["id"] for r in world_rows("SELECT id, ticket_ids FROM slack_messages ORDER BY posted_at, id") if ticket in json.loads(r["ticket_ids"])]
    found = await call("searchSlackMessages", {"ticket_id": ticket, "limit": 200})
    assert [m["id"] for m in found["messages"]] == expected
    assert all(ticket in m["ticket_ids"] for m in found["messages"])


async def test_search_slack_names_the_channel_and_the_author() -> None:
    row = world_row(
        "SELECT m.id, c.name AS channel, e.name AS author FROM slack_messages m JOIN slack_channels c ON c.id = m.channel_id "
        "JOIN employees e ON e.id = m.author_id ORDER BY m.id"
    )
    found = await call("searchSlackMessages", {"channel": row["channel"], "limit": 200})
    [message] = [m for m in found["messages"] if m["id"] == row["id"]]
    assert message["channel"] == row["channel"] and message["author_name"] == row["author"]
    assert {m["channel"] for m in found["messages"]} == {row["channel"]}


async def test_search_slack_keeps_thread_replies_linked_to_their_parent() -> None:
    reply = world_row("SELECT id, thread_of FROM slack_messages WHERE thread_of IS NOT NULL ORDER BY id")
    text = world_row("SELECT text FROM slack_messages WHERE id = ?", (reply["id"],))["text"]
    found = await call("searchSlackMessages", {"query": text[:40]})
    assert {m["id"]: m["thread_of"] for m in found["messages"]}[reply["id"]] == reply["thread_of"]


async def test_search_slack_reads_a_posting_window_in_any_time_zone_oldest_first() -> None:
    window = {"posted_after": "2025-09-01T00:00:00-04:00", "posted_before": "2025-09-15T14:00:00-04:00", "limit": 200}
    found = await call("searchSlackMessages", window)
    same = await call("searchSlackMessages", {**window, "posted_after": "2025-09-01T04:00:00Z", "posted_before": "2025-09-15T18:00:00Z"})
    expected = [r["id"] for r in world_rows(
        "SELECT id FROM slack_messages WHERE posted_at >= '2025-09-01T04:00:00Z' AND posted_at < '2025-09-15T18:00:00Z' ORDER BY posted_at, id LIMIT 200"
    )]
    assert found == same and [m["id"] for m in found["messages"]] == expected and expected


async def test_search_slack_by_an_unknown_author_returns_nothing() -> None:
    assert await call("searchSlackMessages", {"author_id": "emp-999"}) == {"messages": [], "count": 0}


async def test_search_slack_refuses_an_unknown_channel_and_a_naive_time() -> None:
    assert "support-general" in await call_error("searchSlackMessages", {"channel": "#random"})
    assert "posted_after" in await call_error("searchSlackMessages", {"posted_after": "2025-09-01T00:00:00"})
