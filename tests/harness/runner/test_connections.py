"""Episodes over each connection: a stdio `corecraft serve` subprocess, a running HTTP server, and
what a broken connection turns into."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
import uvicorn
from runner_support import TEMPLATE, ReplayModel, hold_ticket_task, open_ticket_ids

from harness.agent import run_episode
from harness.connections import HttpConnection, InProcessConnection, StdioConnection
from harness.errors import EpisodeInfrastructureError
from harness.tasks.models import Task
from mcp_server.transports.http import HttpSettings, build_http_app

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
async def http_server() -> AsyncIterator[str]:
    sock = free_loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_http_app(HttpSettings(port=port), TEMPLATE), log_level="warning", lifespan="on"))
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}/mcp"
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


async def test_an_http_episode_uses_its_header_and_the_server_retires_it_afterwards() -> None:
    task = hold_task()
    with anyio.fail_after(60):
        async with http_server() as url:
            connection = HttpConnection(url)
            try:
                assert await connection.world_hash() == TEMPLATE.content_hash
                records = await asyncio.gather(
                    *(run_episode(provider=ReplayModel(), connection=connection, task=task, trial=n, episode_id=f"http-ep-{n}") for n in (1, 2))
                )
                async with connection._client() as http:
                    listed = (await http.get(url.removesuffix("/mcp") + "/episodes")).json()["episodes"]
            finally:
                await connection.aclose()
    for record in records:
        assert record.status == "completed", record.error
        assert record.world is not None and record.world.clock == CLOCK
        assert [(c.table, c.op) for c in record.world.changes] == [("support_tickets", "update")]  # not the other's write
    assert listed == []


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
