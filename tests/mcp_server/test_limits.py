"""What one episode may cost the server: argument and result caps, the call and audit budgets, and
unknown argument names, all through a real in-process MCP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client

from mcp_server import limits
from mcp_server.audit import EpisodeAuditMiddleware
from mcp_server.episodes import Episode, EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.store import load_template

TEMPLATE = load_template()


@asynccontextmanager
async def client_and_episode() -> AsyncIterator[tuple[Client, EpisodeRegistry]]:
    registry = EpisodeRegistry(TEMPLATE)
    try:
        async with Client(build_server(registry=registry)) as client:
            yield client, registry
    finally:
        await registry.close_all()


def default_episode(registry: EpisodeRegistry) -> Episode:
    episode = registry.find("default")
    assert episode is not None
    return episode


async def test_a_misspelled_argument_is_a_tool_error_naming_the_accepted_ones_not_a_silent_unfiltered_search() -> None:
    async with client_and_episode() as (client, registry):
        result = await client.call_tool("searchOrders", {"bogus_field": 1})
        text = result.content[0].text  # type: ignore[union-attr]
        assert result.is_error
        assert "unknown argument 'bogus_field'" in text
        assert "customer_id" in text and "created_after" in text
        entry = default_episode(registry).audit[0]
        assert entry.is_error and entry.arguments == {"bogus_field": 1} and entry.result == text


async def test_the_published_schemas_still_list_every_accepted_argument() -> None:
    async with client_and_episode() as (client, _registry):
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        accepted = set(tools["searchOrders"].input_schema["properties"])
        result = await client.call_tool("searchOrders", {name: None for name in accepted if name != "limit"})
        assert "unknown argument" not in result.content[0].text  # type: ignore[union-attr]


async def test_arguments_over_the_cap_are_refused_before_the_tool_runs_and_the_audit_keeps_a_digest() -> None:
    huge = "7" * (limits.MAX_ARGUMENT_CHARS + 1)
    async with client_and_episode() as (client, registry):
        result = await client.call_tool("searchCustomers", {"phone": huge})
        assert result.is_error
        chars = len(limits.canonical_text({"phone": huge}))
        assert result.content[0].text == limits.oversized_arguments_message("searchCustomers", chars)  # type: ignore[union-attr]
        entry = default_episode(registry).audit[0]
        assert limits.is_omitted(entry.arguments)
        assert entry.arguments[limits.OMITTED_KEY]["sha256"] == limits.digest({"phone": huge})
        assert entry.arguments[limits.OMITTED_KEY]["chars"] == chars


async def test_eighty_calls_of_four_megabytes_leave_a_small_audit() -> None:
    blob = "x" * 3_900_000
    async with client_and_episode() as (client, registry):
        for _ in range(80):
            assert (await client.call_tool("searchCustomers", {"name": blob})).is_error
        episode = default_episode(registry)
        export = await episode.export()
        assert len(export.audit) == 80
        assert len(export.model_dump_json()) < 200_000  # digests, not 312 MB of arguments


async def test_calls_past_the_episode_call_budget_are_refused_without_running_or_growing_the_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_EPISODE_CALLS", 3)
    async with client_and_episode() as (client, registry):
        for _ in range(3):
            assert not (await client.call_tool("searchCustomers", {"limit": 1})).is_error
        refused = await client.call_tool("searchCustomers", {"limit": 1})
        assert refused.is_error and refused.content[0].text == limits.call_budget_message(3)  # type: ignore[union-attr]
        assert len(default_episode(registry).audit) == 3


async def test_calls_past_the_audit_budget_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EPISODE_AUDIT_CHARS", 10)
    async with client_and_episode() as (client, registry):
        assert not (await client.call_tool("searchCustomers", {"limit": 1})).is_error
        refused = await client.call_tool("searchCustomers", {"limit": 1})
        episode = default_episode(registry)
        assert refused.is_error
        assert refused.content[0].text == limits.audit_budget_message(episode.audit_chars)  # type: ignore[union-attr]
        assert len(episode.audit) == 1


async def test_a_result_over_the_cap_is_kept_in_the_audit_as_a_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_AUDIT_RESULT_CHARS", 50)
    async with client_and_episode() as (client, registry):
        result = await client.call_tool("searchCustomers", {"limit": 3})
        entry = default_episode(registry).audit[0]
        assert limits.is_omitted(entry.result)
        assert entry.result[limits.OMITTED_KEY]["sha256"] == limits.digest(result.structured_content)


def test_the_middleware_knows_no_argument_names_without_the_tool_list() -> None:
    # Without the server's tools it cannot tell unknown names; the SDK's own validation then applies.
    assert EpisodeAuditMiddleware()._argument_refusal("searchOrders", {"bogus_field": 1}, argument_chars=17) is None


async def test_the_audit_budget_counts_exactly_what_the_log_keeps() -> None:
    async with client_and_episode() as (client, registry):
        await client.call_tool("searchCustomers", {"limit": 2})
        await client.call_tool("searchOrders", {"bogus_field": 1})
        await client.call_tool("searchCustomers", {"phone": "7" * (limits.MAX_ARGUMENT_CHARS + 1)})
        await client.call_tool("searchCustomers", None)  # type: ignore[arg-type]
        episode = default_episode(registry)
        kept = sum(
            len(limits.canonical_text(e.arguments)) + len(limits.canonical_text(e.result or "")) for e in episode.audit
        )
        assert len(episode.audit) == 4 and episode.audit_chars == kept


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@given(JSON_VALUES)
def test_the_size_the_audit_counts_is_the_length_of_the_canonical_text(value: object) -> None:
    # The audit measures without sorting keys; the budget and the digest cap must see the same number.
    assert limits.canonical_size(value) == len(limits.canonical_text(value))
