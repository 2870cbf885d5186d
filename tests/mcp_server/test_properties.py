"""Property: whatever arguments a model sends, every tool answers with a result or a useful tool
error, never an internal error or a leak of SQL, paths or tracebacks; a refused call changes
nothing; and the world stays sound.

The strategies reach the edges: strings of 50,000 characters, blank ones and ones holding NUL,
timestamps in years 1 and 9999 with offsets that push them over, and world clocks at both ends of
the accepted range (and beyond it, which must be refused before any tool runs).

Hypothesis runs in a worker thread; each example's call is sent to the test's event loop, where one
MCP client stays open for the whole run, so all examples at one clock write into the same episode.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta, timezone
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_server.audit import EPISODE_UNAVAILABLE, META_CLOCK_KEY, META_EPISODE_KEY
from mcp_server.episodes import DEFAULT_EPISODE, EpisodeRegistry, InlineConnection
from mcp_server.server import build_server, mcp_tools
from mcp_server.world.clock import EARLIEST_CLOCK, LATEST_CLOCK
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
    "9" * 50_000, "%" * 50_000, " " * 50_000, "a" * 50_000 + "\x00", "9999-12-31T23:30:00-01:00",
    "0001-01-01T00:00:00+01:00", "0300-01-01T00:00:00Z",
]
TIME_ARGUMENTS = {"created_after", "created_before", "posted_after", "posted_before"}
# Timestamps at and beyond the ends of the calendar and of the accepted range, in any offset.
timestamps = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
    st.one_of(st.sampled_from([1, 2, 999, 1000, 1899, 1900, 1970, 2025, 2100, 2101, 9998, 9999]), st.integers(1, 9999)),
    st.integers(1, 12), st.one_of(st.sampled_from([1, 31]), st.integers(1, 28)),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59),
    st.sampled_from(["Z", "+00:00", "-00:01", "+00:01", "-01:00", "+01:00", "-04:00", "+14:00", "-14:00", "+23:59", ""]),
)
edge_text = st.one_of(
    st.builds(str.__mul__, st.sampled_from(["9", "a", "%", "_", " ", "\\", "é"]), st.sampled_from([199, 200, 201, 4001, 50_000])),
    st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2003\u3000", min_size=1, max_size=12),  # blank
    st.builds("{}\x00{}".format, st.text(max_size=10), st.text(max_size=10)),  # holds a NUL
    timestamps,
)
# Episodes the calls go to, by the clock each was opened at: the default, both ends of the
# accepted range (in far-off offsets), and clocks beyond it, which every call must find refused.
CLOCKS: dict[str, str | None] = {
    DEFAULT_EPISODE: None,
    "earliest": EARLIEST_CLOCK.astimezone(timezone(timedelta(hours=-12))).isoformat(),
    "latest": LATEST_CLOCK.astimezone(timezone(timedelta(hours=14))).isoformat(),
}
REFUSED_CLOCKS: dict[str, str] = {
    "year-1": "0001-01-01T00:00:00+00:00",
    "year-9999": "9999-12-31T23:59:59-01:00",
    "year-1970": "1970-01-01T00:00:00Z",
    "just-before": (EARLIEST_CLOCK - timedelta(seconds=1)).isoformat(),
}
# Half the calls at the default clock, a third at the ends of the range, a sixth at refused clocks.
episodes = st.sampled_from([DEFAULT_EPISODE, DEFAULT_EPISODE, DEFAULT_EPISODE, "earliest", "latest", "refused"]).flatmap(
    lambda chosen: st.sampled_from(sorted(REFUSED_CLOCKS)) if chosen == "refused" else st.just(chosen)
)
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
text = st.one_of(st.sampled_from(NASTY_TEXT), st.sampled_from(WORLD_IDS), st.text(max_size=30), edge_text)
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
            return st.one_of(st.sampled_from(IDS_BY_TABLE[ID_COLUMNS[name]]), st.sampled_from(WORLD_IDS), edge_text)
        if name in TIME_ARGUMENTS:
            return st.one_of(timestamps, edge_text)
        if schema.get("minLength", 0) >= 5:
            return st.one_of(st.sampled_from(SENTENCES), st.sampled_from(SENTENCES), edge_text)
        return st.one_of(st.sampled_from(WORLD_IDS), st.sampled_from(NASTY_TEXT), st.text(min_size=1, max_size=40), edge_text)
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


calls = st.sampled_from(TOOL_NAMES).flatmap(lambda tool: st.tuples(episodes, st.just(tool), arguments_for(tool)))

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


def refusal_problem(episode_id: str, error: MCPError) -> str | None:
    """Why this protocol error is unacceptable, or None if it is the refusal of a clock out of range."""
    if episode_id not in REFUSED_CLOCKS:
        return f"a protocol error at an accepted clock: {error.error.message[:300]!r}"
    if error.error.code != EPISODE_UNAVAILABLE or "outside the range the world can be observed in" not in error.error.message:
        return f"a refused clock without the range: {error.error.code} {error.error.message[:300]!r}"
    return None


def check_episode_worlds(registry: EpisodeRegistry, made: dict[str, int]) -> None:
    """Every episode is sound, holds one audit entry per call, and no refused call changed a row;
    no episode was opened at a refused clock."""
    assert sum(made.values()) > 0
    assert all(registry.find(episode_id) is None for episode_id in REFUSED_CLOCKS)
    for episode_id, count in made.items():
        episode = registry.find(episode_id)
        assert episode is not None and isinstance(episode.db, InlineConnection)
        conn = episode.db.sync_connection
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check_invariants(conn) == []
        assert len(episode.audit) == count
        changed_by_refusals = [f"{e.tool}: {e.changes[:2]}" for e in episode.audit if e.is_error and e.changes]
        assert changed_by_refusals == [], changed_by_refusals


async def run_property(max_examples: int) -> None:
    registry = EpisodeRegistry(TEMPLATE)
    loop = asyncio.get_running_loop()
    problems: list[str] = []
    made: dict[str, int] = {}  # calls that reached an episode, per episode
    try:
        async with Client(build_server(registry=registry)) as client:

            async def call(episode_id: str, tool: str, arguments: dict[str, Any]) -> None:
                clock = REFUSED_CLOCKS.get(episode_id) or CLOCKS.get(episode_id)
                meta = {META_EPISODE_KEY: episode_id, META_CLOCK_KEY: clock} if clock else None
                try:
                    with anyio.fail_after(30):
                        result = await client.call_tool(tool, arguments, meta=meta)  # type: ignore[arg-type]
                except MCPError as error:
                    problem = refusal_problem(episode_id, error)
                else:
                    made[episode_id] = made.get(episode_id, 0) + 1
                    problem = problem_with(tool, arguments, result)
                    if episode_id in REFUSED_CLOCKS:
                        problem = f"a call served at the refused clock {clock}"
                if problem:
                    problems.append(f"{tool}@{episode_id}({json.dumps(arguments)[:300]}): {problem}")

            @settings(
                max_examples=max_examples, deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            )
            @given(calls)
            def property_holds(case: tuple[str, str, dict[str, Any]]) -> None:
                asyncio.run_coroutine_threadsafe(call(*case), loop).result(timeout=60)

            await anyio.to_thread.run_sync(property_holds)
        assert not problems, "\n".join(sorted(set(problems))[:20])
        check_episode_worlds(registry, made)
    finally:
        await registry.close_all()


async def test_random_and_malformed_arguments_never_cause_internal_errors_or_leaks() -> None:
    await run_property(max_examples=200)


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
        for bad in ("'; DROP TABLE orders;--", -1, 10**30, "x" * 100_000, None, [], {"a": 1}, "😀", WORLD_IDS[0],
                    "5" * 50_001, " \t ", "a\x00b", "0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"):
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
