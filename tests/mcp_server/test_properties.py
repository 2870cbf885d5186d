"""Property: whatever arguments a model sends, every tool answers with a result or a useful tool
error, never an internal error or a leak of SQL, paths or tracebacks, and the world stays sound.

Hypothesis runs in a worker thread; each example's call is sent to the test's event loop, where one
MCP client stays open for the whole run, so all examples write into the same episode's world.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from mcp_server.episodes import EpisodeRegistry, InlineConnection
from mcp_server.server import build_server, mcp_tools
from mcp_server.world.invariants import check_invariants
from mcp_server.world.store import load_template

TEMPLATE = load_template()
SCHEMAS = {tool.name: tool.parameters for tool in mcp_tools()}
TOOL_NAMES = list(SCHEMAS)

# Argument names that hold ids, and the table each one points into.
ID_COLUMNS = {
    "customer_id": "customers", "order_id": "orders", "product_id": "products", "product_ids": "products",
    "ticket_id": "support_tickets", "payment_id": "payments", "shipment_id": "shipments", "build_id": "builds",
    "refund_id": "refunds", "employee_id": "employees", "created_by": "employees", "approved_by": "employees",
    "assignee_id": "employees", "resolved_by": "employees", "author_id": "employees", "channel": "slack_channels",
    "order_item_id": "order_items",
}


def world_ids() -> dict[str, list[str]]:
    """Up to 40 ids per table, spread over the table and the same every run."""
    conn = TEMPLATE.connect_sync()
    try:
        ids = {}
        for table in sorted(set(ID_COLUMNS.values()) | {"kb_articles", "escalations", "resolutions", "promotions"}):
            rows = [row[0] for row in conn.execute(f'SELECT id FROM "{table}" ORDER BY id')]  # noqa: S608
            ids[table] = rows[:: max(1, len(rows) // 40)][:40]
        return ids
    finally:
        conn.close()


def order_lines() -> dict[str, list[str]]:
    """Order lines of recent and of spread-out orders: refunds and returns need lines of their order."""
    conn = TEMPLATE.connect_sync()
    try:
        recent = [r[0] for r in conn.execute("SELECT id FROM orders ORDER BY created_at DESC LIMIT 25")]
        orders = recent + IDS_BY_TABLE["orders"]
        lines: dict[str, list[str]] = {}
        for order in orders:
            lines[order] = [r[0] for r in conn.execute("SELECT id FROM order_items WHERE order_id = ? ORDER BY id", (order,))]
        return {order: items for order, items in lines.items() if items}
    finally:
        conn.close()


IDS_BY_TABLE = world_ids()
ORDER_LINES = order_lines()
WORLD_IDS = [i for ids in IDS_BY_TABLE.values() for i in ids]
SENTENCES = [
    "Customer says the card arrived with a cracked fan shroud and wants it sorted.",
    "Checked the order history and the shipment; escalating as agreed with the customer.",
    "Resolved after walking the customer through the BIOS update and memory reseat.",
    "Customer changed their mind within the window; item unopened, per policy.",
]
NASTY_TEXT = [
    "'; DROP TABLE orders;--", "\" OR 1=1 --", "' UNION SELECT * FROM customers --", "Robert'); DROP TABLE tickets;--",
    "%", "_", "\\", "%%__\\\\", "\x00", "\u202e\u0645\u0631\u062d\u0628\u0627", "😀" * 40, "ＡＢＣ", "İstanbul", "Straße",
    "../../etc/passwd", "<script>alert(1)</script>", "${jndi:ldap://x}", "NaN", "-1", "1e309", "9" * 400,
    "2025-13-45T25:61:00Z", "2025-09-15T14:00:00", "2025-09-15T14:00:00+25:00", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00", "2025-09-01T00:00:00-04:00", " ", "", "x" * 100_000,
]
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
text = st.one_of(st.sampled_from(NASTY_TEXT), st.sampled_from(WORLD_IDS), st.text(max_size=30))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)


def plausible(schema: dict[str, Any], defs: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """Values that fit the schema's shape (so calls get past validation and reach the tool's logic)."""
    if "$ref" in schema:
        return plausible(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, name)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([plausible(option, defs, name) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(schema.get("minimum", -5), min(schema.get("maximum", 500), schema.get("minimum", -5) + 50))
    if kind == "number":
        return st.floats(schema.get("minimum", -5), schema.get("maximum", 5000), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(plausible(schema.get("items", {}), defs, name), min_size=schema.get("minItems", 0), max_size=3)
    if kind == "object" and "properties" in schema:
        return arguments_like(schema, defs, junk=False)
    if kind == "string":
        if name in ID_COLUMNS:
            return st.one_of(st.sampled_from(IDS_BY_TABLE[ID_COLUMNS[name]]), st.sampled_from(WORLD_IDS))
        if schema.get("minLength", 0) >= 5:
            return st.sampled_from(SENTENCES)
        return st.one_of(st.sampled_from(WORLD_IDS), st.sampled_from(NASTY_TEXT), st.text(min_size=1, max_size=40))
    return json_values


def arguments_like(schema: dict[str, Any], defs: dict[str, Any], junk: bool) -> st.SearchStrategy[dict[str, Any]]:
    """The schema's own argument names; with ``junk``, values are often of the wrong shape too."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))

    def value(name: str, prop: dict[str, Any]) -> st.SearchStrategy[Any]:
        fitting = plausible(prop, defs, name)
        return st.one_of(fitting, fitting, json_values) if junk else fitting

    return st.fixed_dictionaries(
        {name: value(name, prop) for name, prop in properties.items() if name in required},
        optional={name: value(name, prop) for name, prop in properties.items() if name not in required},
    )


def with_lines_of_its_order(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed arguments whose ``lines`` belong to ``order_id`` (so refunds and returns can succeed)."""

    def for_order(order: str) -> st.SearchStrategy[dict[str, Any]]:
        line = st.fixed_dictionaries({"order_item_id": st.sampled_from(ORDER_LINES[order]), "quantity": st.integers(1, 2)})
        return st.tuples(arguments_like(schema, defs, junk=False), st.lists(line, min_size=1, max_size=2)).map(
            lambda pair: {**pair[0], "order_id": order, "lines": pair[1]}
        )

    return st.sampled_from(sorted(ORDER_LINES)).flatmap(for_order)


def arguments_for(tool: str) -> st.SearchStrategy[dict[str, Any]]:
    schema = SCHEMAS[tool]
    defs = schema.get("$defs", {})
    options = [
        arguments_like(schema, defs, junk=False),
        arguments_like(schema, defs, junk=True),
        st.dictionaries(st.text(max_size=12), json_values, max_size=4),
    ]
    if {"order_id", "lines"} <= set(schema.get("properties", {})):
        options.append(with_lines_of_its_order(schema, defs))
    return st.one_of(options)


calls = st.sampled_from(TOOL_NAMES).flatmap(lambda tool: st.tuples(st.just(tool), arguments_for(tool)))

LEAKS = re.compile(
    r"Traceback|File \"|sqlite3|OperationalError|IntegrityError|ProgrammingError|no such (table|column)|"
    r"syntax error|constraint failed|site-packages|/work/|\.py\b|\binternal error\b",
    re.IGNORECASE,
)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings_in(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def problem_with(tool: str, arguments: dict[str, Any], result: Any) -> str | None:
    """Why this result is unacceptable, or None if it is a result or a useful tool error."""
    texts = [block.text for block in result.content if getattr(block, "type", None) == "text"]
    text = "\n".join(texts).strip()
    if not result.is_error:
        return None if result.structured_content is not None else "a success without structured content"
    if not text:
        return "an error without text"
    if re.fullmatch(rf"Error executing tool {re.escape(tool)}:?", text):
        return f"a crash (the SDK hid its text): {text!r}"
    scrubbed = text
    for echoed in sorted(strings_in(arguments), key=len, reverse=True):  # the caller's own text may come back
        if len(echoed) >= 3:
            for form in (echoed, repr(echoed), json.dumps(echoed), json.dumps(echoed, ensure_ascii=False)):
                scrubbed = scrubbed.replace(form, "")
    leak = LEAKS.search(scrubbed)
    if leak:
        return f"an error that leaks or reports an internal failure ({leak.group(0)!r}): {text[:300]!r}"
    if len(text) > 4000:
        return f"an error of {len(text)} characters"
    return None


async def run_property(max_examples: int) -> None:
    registry = EpisodeRegistry(TEMPLATE)
    loop = asyncio.get_running_loop()
    problems: list[str] = []
    made = 0
    try:
        async with Client(build_server(registry=registry)) as client:

            async def call(tool: str, arguments: dict[str, Any]) -> None:
                nonlocal made
                made += 1
                with anyio.fail_after(30):
                    result = await client.call_tool(tool, arguments)
                problem = problem_with(tool, arguments, result)
                if problem:
                    problems.append(f"{tool}({json.dumps(arguments)[:300]}): {problem}")

            @settings(
                max_examples=max_examples, deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            )
            @given(calls)
            def property_holds(case: tuple[str, dict[str, Any]]) -> None:
                asyncio.run_coroutine_threadsafe(call(*case), loop).result(timeout=60)

            await anyio.to_thread.run_sync(property_holds)
        assert not problems, "\n".join(sorted(set(problems))[:20])
        episode = registry.find("default")
        assert episode is not None and isinstance(episode.db, InlineConnection)
        conn = episode.db.sync_connection
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check_invariants(conn) == []
        assert len(episode.audit) == made > 0
    finally:
        await registry.close_all()


async def test_random_and_malformed_arguments_never_cause_internal_errors_or_leaks() -> None:
    await run_property(max_examples=150)


@pytest.mark.slow
async def test_random_and_malformed_arguments_never_cause_internal_errors_or_leaks_at_length() -> None:
    await run_property(max_examples=3000)


@pytest.mark.parametrize("tool", TOOL_NAMES)
async def test_every_tool_survives_malformed_arguments(tool: str) -> None:
    """A fixed battery per tool, so each of the 23 is covered even when random draws miss one."""
    registry = EpisodeRegistry(TEMPLATE)
    properties = list(SCHEMAS[tool].get("properties", {}))
    batteries = [{}, {"unexpected": "'; DROP TABLE orders;--"}]
    for name in properties:
        for bad in ("'; DROP TABLE orders;--", -1, 10**30, "x" * 100_000, None, [], {"a": 1}, "😀", WORLD_IDS[0]):
            batteries.append({name: bad})
    batteries.append({name: "'; DROP TABLE orders;--" for name in properties})
    try:
        async with Client(build_server(registry=registry)) as client:
            for arguments in batteries:
                with anyio.fail_after(30):
                    result = await client.call_tool(tool, arguments)
                problem = problem_with(tool, arguments, result)
                assert problem is None, f"{tool}({json.dumps(arguments)[:200]}): {problem}"
        conn = registry.find("default").db.sync_connection  # type: ignore[union-attr]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check_invariants(conn) == []
    finally:
        await registry.close_all()
