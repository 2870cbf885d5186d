"""Episodes over each connection: a stdio `corecraft serve` subprocess, a running HTTP server, and
what a broken connection turns into."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
import uvicorn
from runner_support import TEMPLATE, ReplayModel, hold_ticket_task, open_ticket_ids

from harness.agent import run_episode
from harness.connections import InProcessConnection, StdioConnection
from harness.episode_journal import JOURNAL_FILE, EpisodeJournal
from harness.errors import EpisodeInfrastructureError
from harness.http_connection import HttpConnection
from harness.tasks.models import Task
from mcp_server.transports.http import HttpSettings, build_http_app
from starlette.applications import Starlette

CLOCK = "2025-09-20T10:00:00-04:00"


def hold_task() -> Task:
    task = Task.model_validate(hold_ticket_task("conn-hold", open_ticket_ids(1)[0]))
    return task.model_copy(update={"clock": CLOCK})


def free_loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@asynccontextmanager
async def http_server(max_episodes: int = 512) -> AsyncIterator[tuple[str, Starlette]]:
    sock = free_loopback_socket()
    port = sock.getsockname()[1]
    app = build_http_app(HttpSettings(port=port, max_episodes=max_episodes), TEMPLATE)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}/mcp", app
    finally:
        server.should_exit = True
        with anyio.fail_after(10):
            await serving
        sock.close()


async def test_a_stdio_episode_runs_in_its_own_server_process_and_brings_back_its_changes() -> None:
    task = hold_task()
    with anyio.fail_after(60):
        record = await run_episode(provider=ReplayModel(), connection=StdioConnection(), task=task, trial=1, episode_id="stdio-ep-1")
    assert record.status == "completed", record.error
    assert record.world is not None and record.world.clock == CLOCK
    assert [(c.table, c.op) for c in record.world.changes] == [("support_tickets", "update")]
    assert record.world.content_hash == TEMPLATE.content_hash


async def test_an_http_episode_is_issued_by_the_server_and_retired_afterwards(tmp_path: Path) -> None:
    task = hold_task()
    journal = EpisodeJournal(tmp_path / JOURNAL_FILE)
    with anyio.fail_after(60):
        async with http_server() as (url, app):
            connection = HttpConnection(url)
            try:
                assert await connection.use_journal(journal) == 0
                assert await connection.world_hash() == TEMPLATE.content_hash
                records = await asyncio.gather(
                    *(run_episode(provider=ReplayModel(), connection=connection, task=task, trial=n, episode_id=f"http-ep-{n}") for n in (1, 2))
                )
                still_open = len(app.state.registry)
                ended = [app.state.registry.ended_reason(record.episode_id) for record in records]
            finally:
                await connection.aclose()
    for record in records:
        assert record.status == "completed", record.error
        assert record.world is not None and record.world.clock == CLOCK
        assert [(c.table, c.op) for c in record.world.changes] == [("support_tickets", "update")]  # not the other's write
    assert still_open == 0
    assert ended == [f"episode {r.episode_id} was closed by its owner" for r in records]  # the server's ids, recorded
    assert journal.leftovers() == []  # each episode's close was journaled
    assert not journal.path.exists()  # and closing the connection dropped the keys of closed episodes


async def test_a_new_run_closes_the_episodes_a_killed_run_left_open_on_the_server(tmp_path: Path) -> None:
    journal = EpisodeJournal(tmp_path / JOURNAL_FILE)
    with anyio.fail_after(60):
        async with http_server() as (url, app):
            killed = HttpConnection(url)
            killed.journal = journal
            server_id, key = await killed._open("task#1", None)  # opened, then the process died (no close)
            journal.opened(killed.root, server_id, key)
            with (tmp_path / JOURNAL_FILE).open("ab") as handle:
                handle.write(b'{"open": "ep-torn", "ke')  # kill -9 mid-line
            await killed.aclose()
            assert app.state.registry.find(server_id) is not None

            resumed = HttpConnection(url)
            try:
                closed = await resumed.use_journal(EpisodeJournal(tmp_path / JOURNAL_FILE))
            finally:
                await resumed.aclose()
            assert closed == 1 and app.state.registry.find(server_id) is None
    assert not (tmp_path / JOURNAL_FILE).exists()


async def test_the_episode_journal_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    journal = EpisodeJournal(tmp_path / JOURNAL_FILE)
    journal.opened("http://127.0.0.1:1", "ep-1", "secret")
    assert (tmp_path / JOURNAL_FILE).stat().st_mode & 0o077 == 0
    assert [e.episode_id for e in journal.leftovers()] == ["ep-1"]
    journal.closed("ep-1")
    assert journal.leftovers() == []


async def test_an_unreachable_server_makes_an_infrastructure_error_not_a_model_failure() -> None:
    sock = free_loopback_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    connection = HttpConnection(f"http://127.0.0.1:{port}/mcp")
    try:
        with anyio.fail_after(30):
            record = await run_episode(provider=ReplayModel(), connection=connection, task=hold_task(), trial=1, episode_id="x-1")
    finally:
        await connection.aclose()
    assert record.status == "error" and record.stop_reason == "connection" and record.turns == 0


async def test_an_in_process_episode_is_closed_on_the_server_even_when_the_episode_fails() -> None:
    connection = InProcessConnection(TEMPLATE)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            async with connection.episode("closed-after-failure", None) as handle:
                await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
                raise RuntimeError("boom")
        assert connection.registry.find("closed-after-failure") is None
        async with connection.episode("closed-after-success", None) as handle:
            await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
        assert handle.export is not None and len(handle.export.audit) == 1
        assert connection.registry.find("closed-after-success") is None
    finally:
        await connection.aclose()


async def test_a_server_side_episode_failure_surfaces_as_an_infrastructure_error() -> None:
    connection = InProcessConnection(TEMPLATE)
    try:
        async with connection.episode("will-vanish", None) as handle:
            await connection.registry.close("will-vanish")  # as if the server had expired it
            connection.registry.max_episodes = 0  # ...and could not open it again
            with pytest.raises(EpisodeInfrastructureError):
                await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
    finally:
        await connection.aclose()


async def test_episodes_of_one_run_fetch_the_tool_list_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp import Client

    listings = 0
    original = Client.list_tools

    async def counting(self: Client, **kwargs: object) -> object:
        nonlocal listings
        listings += 1
        return await original(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Client, "list_tools", counting)
    connection = InProcessConnection(TEMPLATE)
    try:
        for n in (1, 2, 3):  # outside `async with connection`: a client per episode
            async with connection.episode(f"listing-{n}", None) as handle:
                assert len(await handle.session.list_tools()) >= 20
                result = await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
                assert not result.is_error
    finally:
        await connection.aclose()
    assert listings == 1


def counting_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the tools whose results an MCP client re-validated against their output schema."""
    from mcp.client.session import ClientSession

    seen: list[str] = []
    original = ClientSession.validate_tool_result

    async def counting(self: ClientSession, name: str, result: object) -> None:
        seen.append(name)
        await original(self, name, result)  # type: ignore[arg-type]

    monkeypatch.setattr(ClientSession, "validate_tool_result", counting)
    return seen


async def test_the_in_process_client_trusts_its_own_servers_results_with_or_without_a_shared_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated = counting_validations(monkeypatch)
    connection = InProcessConnection(TEMPLATE)
    try:
        async with connection.episode("own-client", None) as handle:  # a client of its own
            result = await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
            assert not result.is_error and result.structured_content is not None
        async with connection, connection.episode("shared-client", None) as handle:  # the run's shared client
            result = await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
            assert not result.is_error and result.structured_content is not None
    finally:
        await connection.aclose()
    assert validated == []


async def test_a_remote_servers_results_are_still_validated_against_their_output_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    validated = counting_validations(monkeypatch)
    with anyio.fail_after(60):
        async with http_server() as (url, _app):
            connection = HttpConnection(url)
            try:
                async with connection.episode("remote", None) as handle:
                    result = await handle.session.call_tool("searchCustomers", {"customer_id": "cus-00001"})
            finally:
                await connection.aclose()
    assert not result.is_error and validated == ["searchCustomers"]


async def test_opening_an_episode_on_a_full_server_waits_as_told_until_there_is_room() -> None:
    with anyio.fail_after(60):
        async with http_server(max_episodes=1) as (url, app):
            connection = HttpConnection(url)
            try:
                first_id, _ = await connection._open("first", None)

                async def free_the_room() -> None:
                    await asyncio.sleep(0.3)
                    await app.state.registry.close(first_id)

                freeing = asyncio.ensure_future(free_the_room())
                second_id, _ = await connection._open("second", None)  # 503 first, then room
                await freeing
            finally:
                await connection.aclose()
            assert second_id != first_id and app.state.registry.find(second_id) is not None
