"""The audit middleware: episode routing, what each recorded call holds, and rejected calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from mcp import Client, MCPError
from pydantic import ValidationError

from mcp_server.audit import EPISODE_UNAVAILABLE, META_CLOCK_KEY, META_EPISODE_KEY, EpisodeAuditMiddleware
from mcp_server.episodes import Episode, EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.store import load_template

TEMPLATE = load_template()


@asynccontextmanager
async def opened(registry: EpisodeRegistry) -> AsyncIterator[EpisodeRegistry]:
    try:
        yield registry
    finally:
        await registry.close_all()


ESCALATION = {"type": "technical", "notes": "Customer reports crashes under load after the BIOS update."}


async def test_a_successful_call_is_recorded_with_arguments_result_and_timing() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool("searchCustomers", {"limit": 2})
        entry = registry.find("default").audit[0]  # type: ignore[union-attr]
        assert (entry.index, entry.tool, entry.arguments, entry.is_error) == (0, "searchCustomers", {"limit": 2}, False)
        assert entry.result == result.structured_content
        assert entry.duration_ms > 0 and entry.started_at > 0
        assert entry.changes == []


async def test_a_write_call_records_exactly_the_rows_it_changed(open_ticket: str) -> None:
    ticket = open_ticket
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        async with Client(build_server(registry=registry)) as client:
            await client.call_tool("searchCustomers", {"limit": 1})
            result = await client.call_tool("createEscalation", {"ticket_id": ticket, **ESCALATION})
        assert not result.is_error, result.content
        escalation_id = result.structured_content["id"]  # type: ignore[index]
        read, write = registry.find("default").audit  # type: ignore[union-attr]
        assert read.changes == []
        assert [(c.table, c.row_id, c.op) for c in write.changes] == [("escalations", escalation_id, "insert")]
        assert write.changes[0].after is not None and write.changes[0].after["ticket_id"] == ticket


async def test_read_only_calls_do_not_query_the_change_log(open_ticket: str) -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        statements: list[str] = []
        episode = await registry.get("default")
        await episode.db.set_trace_callback(statements.append)
        async with Client(build_server(registry=registry)) as client:
            await client.call_tool("searchCustomers", {"limit": 1})
            assert statements and not any("_changes" in s for s in statements)
            statements.clear()
            await client.call_tool("createEscalation", {"ticket_id": open_ticket, **ESCALATION})
            assert any("FROM _changes" in s for s in statements)


async def test_a_call_rejected_by_argument_validation_is_recorded_and_explained_briefly() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool("searchCustomers", {"limit": "'; DROP TABLE orders;--", "name": ""})
        text = result.content[0].text  # type: ignore[union-attr]
        assert result.is_error
        assert text.startswith("Error executing tool searchCustomers: invalid arguments (")
        assert "limit: Input should be a valid integer" in text and "name: String should have at least 1 character" in text
        assert "DROP TABLE" not in text and "errors.pydantic.dev" not in text  # no echoed values, no links
        entry = registry.find("default").audit[0]  # type: ignore[union-attr]
        assert (entry.tool, entry.is_error, entry.result) == ("searchCustomers", True, text)


async def test_a_tool_error_is_recorded_with_the_text_the_agent_saw() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool("searchCustomers", {"created_after": "2025-09-01"})
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert "time zone" in text
        assert registry.find("default").audit[0].result == text  # type: ignore[union-attr]


async def test_an_unknown_tool_name_is_recorded_as_an_error() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool("dropAllTables", {"really": True})
        assert result.is_error
        entry = registry.find("default").audit[0]  # type: ignore[union-attr]
        assert (entry.tool, entry.arguments, entry.is_error) == ("dropAllTables", {"really": True}, True)
        assert "Unknown tool" in entry.result


async def test_meta_selects_the_episode_and_its_clock_for_in_process_clients() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        meta = {META_EPISODE_KEY: "rollout-7", META_CLOCK_KEY: "2025-11-01T10:00:00-04:00"}
        async with Client(build_server(registry=registry)) as client:
            await client.call_tool("searchCustomers", {"limit": 1}, meta=meta)  # type: ignore[arg-type]
            await client.call_tool("searchCustomers", {"limit": 1})
        rollout, default = registry.find("rollout-7"), registry.find("default")
        assert rollout is not None and default is not None
        assert rollout.clock.isoformat() == "2025-11-01T10:00:00-04:00"
        assert (len(rollout.audit), len(default.audit)) == (1, 1)


async def test_without_a_registry_each_client_gets_a_fresh_world(open_ticket: str) -> None:
    server = build_server()
    async with Client(server) as first:
        created = await first.call_tool("createEscalation", {"ticket_id": open_ticket, **ESCALATION})
        again = await first.call_tool("createEscalation", {"ticket_id": open_ticket, **ESCALATION})
    async with Client(server) as second:
        fresh = await second.call_tool("createEscalation", {"ticket_id": open_ticket, **ESCALATION})
    assert created.structured_content["id"] != again.structured_content["id"]  # type: ignore[index]
    assert fresh.structured_content["id"] == created.structured_content["id"]  # type: ignore[index]


async def test_a_full_registry_answers_with_a_protocol_error_that_says_what_to_do() -> None:
    async with opened(EpisodeRegistry(TEMPLATE, max_episodes=1)) as registry:
        async with Client(build_server(registry=registry)) as client:
            await client.call_tool("searchCustomers", {"limit": 1}, meta={META_EPISODE_KEY: "a"})  # type: ignore[arg-type]
            with pytest.raises(MCPError) as caught:
                await client.call_tool("searchCustomers", {"limit": 1}, meta={META_EPISODE_KEY: "b"})  # type: ignore[arg-type]
        assert caught.value.error.code == EPISODE_UNAVAILABLE
        assert "maximum of 1 episodes" in caught.value.error.message


# The middleware alone, with a stand-in request context: for paths a real client cannot reach.


@dataclass
class FakeContext:
    lifespan_context: EpisodeRegistry
    params: dict[str, Any]
    method: str = "tools/call"
    request: Any = None
    meta: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


async def test_a_request_the_protocol_layer_rejects_is_recorded_and_still_raised() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        middleware = EpisodeAuditMiddleware()

        async def reject(_ctx: Any) -> Any:
            raise MCPError(code=-32602, message="arguments must be an object")

        with pytest.raises(MCPError):
            await middleware(FakeContext(registry, {"name": "searchCustomers", "arguments": [1, 2]}), reject)  # type: ignore[arg-type]
        entry = registry.find("default").audit[0]  # type: ignore[union-attr]
        assert entry.is_error and entry.arguments == {"_raw": "[1, 2]"}
        assert entry.result == "rejected before the tool ran: arguments must be an object"


async def test_malformed_params_are_recorded_even_without_a_tool_name() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:

        async def invalid(_ctx: Any) -> Any:
            from mcp.types import CallToolRequestParams

            CallToolRequestParams.model_validate({"arguments": {}})
            raise AssertionError("validation should have failed")

        with pytest.raises(ValidationError):
            await EpisodeAuditMiddleware()(FakeContext(registry, {"arguments": {}}), invalid)  # type: ignore[arg-type]
        entry = registry.find("default").audit[0]  # type: ignore[union-attr]
        assert entry.tool == "" and entry.is_error and "name" in entry.result


class StaleRegistry(EpisodeRegistry):
    """Hands out one episode that was closed after the lookup: the race the middleware must survive."""

    stale: Episode | None = None

    async def get(self, episode_id: str = "default", clock: str | None = None) -> Episode:
        if self.stale is not None:
            stale, self.stale = self.stale, None
            return stale
        return await super().get(episode_id, clock)


async def test_a_call_routed_to_an_episode_closed_meanwhile_is_refused_and_no_fresh_world_appears() -> None:
    async with opened(StaleRegistry(TEMPLATE)) as registry:
        registry.stale = await registry.get("ep-1")
        await registry.close("ep-1")
        served: list[Episode] = []

        async def handler(_ctx: Any) -> Any:
            from mcp_server.tools.runtime import current_episode

            served.append(current_episode())
            return {"content": [], "isError": False}

        ctx = FakeContext(registry, {"name": "searchCustomers", "arguments": {}, "_meta": {META_EPISODE_KEY: "ep-1"}})
        with pytest.raises(MCPError, match="ep-1 was closed by its owner while this call waited"):
            await EpisodeAuditMiddleware()(ctx, handler)  # type: ignore[arg-type]
        assert served == [] and registry.find("ep-1") is None


async def test_a_local_episode_id_that_ended_is_refused_rather_than_reopened_empty() -> None:
    async with opened(EpisodeRegistry(TEMPLATE)) as registry:
        await registry.get("ep-1")
        await registry.close("ep-1")
        ctx = FakeContext(registry, {"name": "searchCustomers", "arguments": {}, "_meta": {META_EPISODE_KEY: "ep-1"}})

        async def handler(_ctx: Any) -> Any:
            raise AssertionError("no tool may run in an ended episode")

        with pytest.raises(MCPError, match="ep-1 was closed by its owner; its world is gone"):
            await EpisodeAuditMiddleware()(ctx, handler)  # type: ignore[arg-type]
        assert registry.find("ep-1") is None
