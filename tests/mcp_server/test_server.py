"""The server as a whole: what tools/list publishes for all 23 tools, the policy prompt, and how
connections map to worlds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from mcp_server.server import INSTRUCTIONS, TRACING_ENV, build_server, compact_schema
from mcp_server.tools import load_all_tools
from mcp_server.world.store import load_template

SPECS = load_all_tools()
TOOL_NAME_RULE = re.compile(r"[A-Za-z0-9._-]{1,128}")


async def listed() -> list[dict]:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    return [tool.model_dump(by_alias=True, exclude_none=True) for tool in tools]


async def test_the_server_lists_the_23_tools_in_the_same_order_every_time() -> None:
    first, second = await listed(), await listed()
    assert len(first) == 23
    assert [t["name"] for t in first] == list(SPECS) == [t["name"] for t in second]
    assert first == second


async def test_every_tool_is_published_with_title_description_schemas_and_annotations() -> None:
    for tool in await listed():
        spec = SPECS[tool["name"]]
        assert TOOL_NAME_RULE.fullmatch(tool["name"])
        assert tool["title"] == spec.title
        assert len(tool["description"]) >= 20, tool["name"]
        assert tool["inputSchema"]["type"] == "object"
        assert tool["outputSchema"]["type"] == "object", tool["name"]
        annotations = tool["annotations"]
        assert annotations["readOnlyHint"] is (not spec.writes), tool["name"]
        assert annotations["destructiveHint"] is False and annotations["openWorldHint"] is False


async def test_read_and_write_tools_are_split_as_the_spec_names_them() -> None:
    writes = sorted(name for name, spec in SPECS.items() if spec.writes)
    assert writes == sorted([
        "createRefund", "createEscalation", "createResolution", "updateOrderStatus",
        "updatePaymentStatus", "updateTicketStatus", "processReturn",
    ])


async def test_the_policy_prompt_states_the_world_clock_and_the_instructions_point_to_it() -> None:
    async with Client(build_server(clock="2025-11-03T10:15:00-05:00")) as client:
        prompts = (await client.list_prompts()).prompts
        prompt = await client.get_prompt("company_policy")
        instructions = client.instructions
    assert [p.name for p in prompts] == ["company_policy"]
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert text.startswith("The current date and time is Monday 03 November 2025, 10:15 (UTC-05:00).")
    assert instructions == INSTRUCTIONS and "company_policy" in instructions


def an_order_line() -> tuple[str, str]:
    conn = load_template().connect_sync()
    try:
        row = conn.execute(
            "SELECT i.order_id, i.product_id FROM order_items i JOIN orders o ON o.id = i.order_id "
            "JOIN products p ON p.id = i.product_id WHERE o.status = 'fulfilled' AND p.warranty_months >= 12 "
            "AND o.created_at < '2025-09-10' ORDER BY o.created_at DESC, i.order_id LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    assert row is not None, "the world has no recent fulfilled order"
    return row[0], row[1]


async def test_the_server_clock_is_the_now_of_the_tools_in_a_fresh_episode() -> None:
    order_id, product_id = an_order_line()
    days = []
    for clock in ("2025-09-15T14:00:00-04:00", "2025-09-25T14:00:00-04:00"):
        async with Client(build_server(clock=clock)) as client:
            result = await client.call_tool("checkWarrantyStatus", {"order_id": order_id, "product_id": product_id})
        assert not result.is_error, result.content
        days.append(result.structured_content["days_remaining"])  # type: ignore[index]
    assert days[0] - days[1] == 10


def test_compact_schema_inlines_references_and_keeps_nullable_fields_as_any_of() -> None:
    schema = {
        "type": "object",
        "properties": {
            "item": {"$ref": "#/$defs/Item", "description": "the item"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        },
        "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}},
    }
    assert compact_schema(schema) == {
        "type": "object",
        "properties": {
            "item": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"], "description": "the item"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        },
    }


def test_compact_schema_leaves_recursive_schemas_alone() -> None:
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}}}
    assert compact_schema(schema) is schema


async def test_published_output_schemas_have_no_references_and_accept_real_results() -> None:
    """The SDK client validates every result against the published schema, so a call that returns
    normally proves the compact schema accepts what the tool produces."""
    order_id, _product_id = an_order_line()
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("getOrderDetails", {"order_id": order_id})
    assert not result.is_error
    for tool in tools:
        assert "$ref" not in json.dumps(tool.output_schema), tool.name


def schema_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from schema_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from schema_nodes(item)


async def test_published_schemas_are_portable_no_type_lists_and_every_any_of_branch_has_a_type() -> None:
    """Type lists such as ["string", "null"] and untyped anyOf branches are rejected by some clients."""
    for tool in await listed():
        for schema in (tool["inputSchema"], tool["outputSchema"]):
            nodes = list(schema_nodes(schema))
            assert [n["type"] for n in nodes if isinstance(n.get("type"), list)] == [], tool["name"]
            branches = [b for n in nodes for b in n.get("anyOf", []) + n.get("oneOf", [])]
            assert all("type" in branch or "enum" in branch or "const" in branch for branch in branches), tool["name"]


def span_middleware(server: object) -> list[str]:
    return [type(m).__name__ for m in server.middleware if "OpenTelemetry" in type(m).__name__]  # type: ignore[attr-defined]


def test_the_sdks_request_spans_are_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRACING_ENV, raising=False)
    assert span_middleware(build_server()) == []
    assert span_middleware(build_server(tracing=True)) == ["OpenTelemetryMiddleware"]
    monkeypatch.setenv(TRACING_ENV, "1")
    assert span_middleware(build_server()) == ["OpenTelemetryMiddleware"]
    assert span_middleware(build_server(tracing=False)) == []


async def test_a_server_with_request_spans_answers_tool_calls_exactly_as_one_without() -> None:
    conn = load_template().connect_sync()
    try:
        order_id = conn.execute("SELECT id FROM orders ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    answers = []
    for tracing in (False, True):
        async with Client(build_server(tracing=tracing)) as client:
            result = await client.call_tool("getOrderDetails", {"order_id": order_id})
        assert not result.is_error
        answers.append(result.model_dump(by_alias=True))
    assert answers[0] == answers[1]
