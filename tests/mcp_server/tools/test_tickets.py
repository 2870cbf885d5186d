"""searchTickets and getCustomerTicketHistory through the MCP client, with SLA deadlines."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from tool_support import call, call_error, call_with_rows, world_row, world_rows

DEFAULT_NOW = "2025-09-15T18:00:00Z"  # the default world clock, in UTC


def plus_hours(stamp: str, hours: int) -> str:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_ticket_due_after_default_clock() -> dict:
    for row in world_rows(
        "SELECT t.*, s.first_response_hours, s.resolution_hours FROM support_tickets t JOIN customers c ON c.id = t.customer_id "
        "JOIN slas s ON s.loyalty_tier = c.loyalty_tier AND s.priority = t.priority WHERE t.status = 'open' ORDER BY t.id"
    ):
        if plus_hours(row["created_at"], row["resolution_hours"]) > DEFAULT_NOW:
            return dict(row)
    raise AssertionError("the world has no open ticket still inside its SLA at the default clock")


async def test_search_tickets_computes_sla_deadlines_for_the_customers_tier_and_the_priority() -> None:
    ticket = open_ticket_due_after_default_clock()
    [found] = (await call("searchTickets", {"ticket_id": ticket["id"]}))["tickets"]
    assert found["first_response_due"] == plus_hours(ticket["created_at"], ticket["first_response_hours"])
    assert found["resolution_due"] == plus_hours(ticket["created_at"], ticket["resolution_hours"])
    assert found["sla_breached"] is False


async def test_sla_breach_is_judged_by_the_world_clock_not_the_wall_clock() -> None:
    # Every deadline in the world lies in 2025, long before any wall clock this suite runs under,
    # so a tool reading the wall clock would call this ticket breached at every world time.
    ticket = open_ticket_due_after_default_clock()
    due = plus_hours(ticket["created_at"], ticket["resolution_hours"])
    at_deadline = (await call("searchTickets", {"ticket_id": ticket["id"]}, clock=due.replace("Z", "+00:00")))["tickets"][0]
    hour_later = (await call("searchTickets", {"ticket_id": ticket["id"]}, clock=plus_hours(due, 1)))["tickets"][0]
    assert at_deadline["sla_breached"] is False and hour_later["sla_breached"] is True


async def test_a_resolved_ticket_is_never_in_breach() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status = 'resolved' ORDER BY id")
    [found] = (await call("searchTickets", {"ticket_id": ticket["id"]}, clock="2030-01-01T00:00:00Z"))["tickets"]
    assert found["resolution_due"] is not None and found["sla_breached"] is False


async def test_a_ticket_without_creation_time_has_no_sla_verdict() -> None:
    customer = world_row("SELECT id FROM customers ORDER BY id")["id"]
    insert = (
        "INSERT INTO support_tickets (id, customer_id, type, channel, priority, status, subject, body, created_at) "
        "VALUES ('tkt-99999', ?, 'other', 'email', 'high', 'open', 'Undated', 'No timestamp on this one', NULL)"
    )
    found = await call_with_rows([(insert, (customer,))], "searchTickets", {"ticket_id": "tkt-99999"})
    [ticket] = found["tickets"]
    assert (ticket["first_response_due"], ticket["resolution_due"], ticket["sla_breached"]) == (None, None, None)


async def test_search_tickets_combines_filters_and_lists_newest_first() -> None:
    expected = [r["id"] for r in world_rows(
        "SELECT id FROM support_tickets WHERE type = 'return' AND status = 'resolved' AND created_at >= '2025-06-01T04:00:00Z' "
        "ORDER BY created_at DESC, id DESC"
    )]
    found = await call("searchTickets", {
        "type": "return", "status": "resolved", "created_after": "2025-06-01T00:00:00-04:00", "limit": 200,
    })
    assert [t["id"] for t in found["tickets"]] == expected and expected


async def test_search_tickets_query_matches_subject_or_body_case_insensitively() -> None:
    found = await call("searchTickets", {"query": "VORTEX LABS", "limit": 200})
    expected = {r["id"] for r in world_rows("SELECT id FROM support_tickets WHERE subject LIKE '%vortex labs%' OR body LIKE '%vortex labs%'")}
    assert {t["id"] for t in found["tickets"]} == expected and expected


async def test_search_tickets_by_assignee_and_priority() -> None:
    row = world_row("SELECT assignee_id, priority FROM support_tickets WHERE assignee_id IS NOT NULL ORDER BY id")
    found = await call("searchTickets", {"assignee_id": row["assignee_id"], "priority": row["priority"], "limit": 200})
    assert found["count"] > 0
    assert all((t["assignee_id"], t["priority"]) == (row["assignee_id"], row["priority"]) for t in found["tickets"])


async def test_search_tickets_refuses_a_naive_date() -> None:
    assert "time zone" in await call_error("searchTickets", {"created_before": "2025-09-01"})


async def test_customer_ticket_history_attaches_escalations_and_resolutions_and_counts_statuses() -> None:
    customer = world_row(
        "SELECT t.customer_id FROM escalations e JOIN support_tickets t ON t.id = e.ticket_id ORDER BY t.customer_id"
    )["customer_id"]
    history = await call("getCustomerTicketHistory", {"customer_id": customer})
    tickets = world_rows("SELECT id, status FROM support_tickets WHERE customer_id = ? ORDER BY created_at DESC, id DESC", (customer,))
    assert [t["id"] for t in history["tickets"]] == [t["id"] for t in tickets]
    assert history["count"] == len(tickets)
    assert {k: v for k, v in history["status_counts"].items() if v} == dict(Counter(t["status"] for t in tickets))
    escalations = world_rows("SELECT e.id, e.ticket_id FROM escalations e JOIN support_tickets t ON t.id = e.ticket_id WHERE t.customer_id = ?", (customer,))
    assert sorted((e["id"], t["id"]) for t in history["tickets"] for e in t["escalations"]) == sorted(tuple(e) for e in escalations)
    resolutions = world_rows("SELECT r.id FROM resolutions r JOIN support_tickets t ON t.id = r.ticket_id WHERE t.customer_id = ?", (customer,))
    assert sorted(r["id"] for t in history["tickets"] for r in t["resolutions"]) == sorted(r["id"] for r in resolutions)
    assert all("sla_breached" in t for t in history["tickets"])


async def test_customer_ticket_history_of_a_customer_without_tickets_is_empty_with_zero_counts() -> None:
    customer = world_row("SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM support_tickets) ORDER BY id")["id"]
    history = await call("getCustomerTicketHistory", {"customer_id": customer})
    assert history["tickets"] == [] and history["count"] == 0 and set(history["status_counts"].values()) == {0}


async def test_customer_ticket_history_for_an_unknown_customer_points_to_search_customers() -> None:
    text = await call_error("getCustomerTicketHistory", {"customer_id": "cus-99999"})
    assert "cus-99999" in text and "searchCustomers" in text
