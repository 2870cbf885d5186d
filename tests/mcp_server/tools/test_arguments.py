"""Text arguments every tool shares: a length limit, no blank values, no NUL characters."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from mcp_server.tools import load_all_tools
from mcp_server.tools.arguments import MAX_NOTE_CHARS, MAX_TEXT_CHARS, declared_string_limits
from tool_support import call_error, run, world_row

TOOLS = load_all_tools()


def text_parameters() -> list[tuple[str, str, int]]:
    """(tool, parameter, its limit) for every parameter of every tool that takes a string."""
    found = []
    for tool, spec in TOOLS.items():
        function = typing.cast(Any, spec.function).__wrapped__
        declared = declared_string_limits(function)
        for name, hint in typing.get_type_hints(function).items():
            if name != "return" and str in (hint, *typing.get_args(hint)):
                found.append((tool, name, declared.get(name, MAX_TEXT_CHARS)))
    return found


async def test_a_50001_digit_phone_is_refused_with_the_limit_instead_of_an_internal_error() -> None:
    text = await call_error("searchCustomers", {"phone": "5" * 50_001})
    assert f"phone is 50,001 characters long; the limit is {MAX_TEXT_CHARS}" in text
    assert "internal error" not in text


@pytest.mark.parametrize(("tool", "parameter", "limit"), text_parameters())
async def test_every_text_argument_of_every_tool_is_capped_before_the_tool_runs(tool: str, parameter: str, limit: int) -> None:
    with pytest.raises(ToolError, match=rf"{parameter} is {limit + 1:,} characters long; the limit is {limit:,}"):
        await TOOLS[tool].function(**{parameter: "a" * (limit + 1)})


def test_the_limits_cover_ids_searches_and_prose() -> None:
    limits = {(tool, parameter): limit for tool, parameter, limit in text_parameters()}
    assert limits[("searchCustomers", "phone")] == limits[("getOrderDetails", "order_id")] == MAX_TEXT_CHARS
    assert limits[("createRefund", "notes")] == MAX_NOTE_CHARS
    assert len({tool for tool, _ in limits}) == len(TOOLS)  # every tool takes some text


@pytest.mark.parametrize(
    ("tool", "arguments", "blank"),
    [("searchCustomers", {"name": "   "}, "name"), ("searchTickets", {"query": "\t\n "}, "query"),
     ("searchOrders", {"created_after": " "}, "created_after"), ("searchProducts", {"brand": "\u00a0"}, "brand")],
)
async def test_whitespace_only_search_text_is_refused_instead_of_matching_everything(tool: str, arguments: dict[str, Any], blank: str) -> None:
    assert f"{blank} is blank" in await call_error(tool, arguments)


@pytest.mark.parametrize(("tool", "arguments"), [("searchProducts", {"query": "gpu\x00"}), ("searchCustomers", {"email": "\x00"})])
async def test_search_text_with_a_nul_character_is_refused(tool: str, arguments: dict[str, Any]) -> None:
    assert "contains a NUL character" in await call_error(tool, arguments)


async def test_a_phone_filter_without_digits_is_refused_instead_of_ignored() -> None:
    text = await call_error("searchCustomers", {"phone": "call me (evenings)"})
    assert "has no digits" in text


async def test_a_blank_escalation_note_is_refused_and_changes_nothing() -> None:
    ticket = world_row("SELECT id FROM support_tickets WHERE status = 'open' ORDER BY id")["id"]
    result, changes = await run("createEscalation", {"ticket_id": ticket, "type": "technical", "notes": " " * 30})
    assert result.is_error and "notes is blank" in result.content[0].text
    assert changes == []


async def test_ids_nested_in_lines_are_capped_too() -> None:
    order = world_row("SELECT id FROM orders WHERE status = 'fulfilled' ORDER BY id")["id"]
    result, changes = await run("createRefund", {
        "order_id": order, "lines": [{"order_item_id": "x" * 300, "quantity": 1}], "reason": "other",
    })
    assert result.is_error and "lines[0].order_item_id is 300 characters long" in result.content[0].text
    assert changes == []
