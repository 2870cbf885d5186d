"""Streamable HTTP end to end: uvicorn on a loopback port, real MCP clients, the admin routes,
the security guard, episode limits, idle expiry and the audit directory."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from mcp_server.audit import EPISODE_UNAVAILABLE
from mcp_server.episodes import EpisodeExport
from mcp_server.transports.http import HttpSettings, build_http_app
from mcp_server.world.store import load_template

TEMPLATE = load_template()
TOKEN = "test-token-5f2c"
ESCALATION = {"type": "technical", "notes": "Customer reports crashes under load after the BIOS update."}


@asynccontextmanager
async def serving(settings: HttpSettings) -> AsyncIterator[tuple[str, Starlette]]:
    """The app under uvicorn on a free loopback port. The socket listens before uvicorn starts, so
    clients can connect at once (they queue until the app's startup is done)."""
    # IPPROTO_TCP given explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP
    # (without it, every response waits ~40 ms for a delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    settings.port = sock.getsockname()[1]
    app = build_http_app(settings, TEMPLATE)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{settings.port}", app
    finally:
        server.should_exit = True
        with anyio.fail_after(10):
            await task
        sock.close()


@asynccontextmanager
async def mcp_client(base: str, **headers: str) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers=headers, timeout=10) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            yield client


def auth(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", **extra}


async def test_two_concurrent_episodes_write_without_seeing_each_other(open_ticket: str) -> None:
    ticket = open_ticket
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):

            async def escalate(episode: str) -> list[str]:
                async with mcp_client(base, **{"X-CoreCraft-Episode": episode}) as client:
                    results = [await client.call_tool("createEscalation", {"ticket_id": ticket, **ESCALATION}) for _ in range(3)]
                return [r.structured_content["id"] for r in results]  # type: ignore[index]

            ids_a, ids_b = await asyncio.gather(escalate("ep-a"), escalate("ep-b"))
            assert ids_a == ids_b  # each world numbered its own escalations from the same start
            registry = app.state.registry
            for episode_id in ("ep-a", "ep-b"):
                episode = registry.find(episode_id)
                async with episode.db.execute("SELECT COUNT(*) FROM escalations WHERE id IN (?, ?, ?)", ids_a) as cursor:
                    assert (await cursor.fetchone())[0] == 3
                assert len(await episode.changes()) == 3
            assert registry.find("default") is None


async def test_a_plain_client_without_the_header_uses_the_default_episode() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            async with mcp_client(base) as client:
                assert len((await client.list_tools()).tools) == 23
                result = await client.call_tool("searchCustomers", {"limit": 1})
            assert not result.is_error
            assert app.state.registry.ids() == ["default"]


async def test_the_clock_header_sets_the_clock_of_the_episode_it_creates() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(clock="2025-10-01T12:00:00-04:00")) as (base, _app):
            headers = {"X-CoreCraft-Episode": "late", "X-CoreCraft-Clock": "2025-12-01T09:00:00-05:00"}
            async with mcp_client(base, **headers) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
            async with mcp_client(base, **{"X-CoreCraft-Episode": "usual"}) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
            async with httpx2.AsyncClient() as http:
                late = (await http.get(f"{base}/episodes/late/export")).json()
                usual = (await http.get(f"{base}/episodes/usual/export")).json()
            assert late["clock"] == "2025-12-01T09:00:00-05:00"
            assert usual["clock"] == "2025-10-01T12:00:00-04:00"


async def test_legacy_protocol_clients_are_served_too() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            async with httpx2.AsyncClient(headers={"X-CoreCraft-Episode": "old-client"}, timeout=10) as http:
                async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy") as client:
                    assert client.protocol_version != "2026-07-28"
                    result = await client.call_tool("searchCustomers", {"limit": 1})
            assert not result.is_error
            assert app.state.registry.ids() == ["old-client"]


async def test_the_export_route_returns_the_episode_so_far_and_404_for_unknown_ones() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, _app):
            async with mcp_client(base, **{"X-CoreCraft-Episode": "ep-1"}) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
                await client.call_tool("searchCustomers", {"limit": "many"})
            async with httpx2.AsyncClient() as http:
                found = await http.get(f"{base}/episodes/ep-1/export")
                missing = await http.get(f"{base}/episodes/nobody/export")
            export = EpisodeExport.model_validate(found.json())
            assert [(e.tool, e.is_error) for e in export.audit] == [("searchCustomers", False), ("searchCustomers", True)]
            assert export.end_reason is None
            assert (missing.status_code, missing.json()) == (404, {"error": "unknown episode"})


async def test_delete_closes_the_episode_returns_its_export_and_writes_it_to_the_audit_dir(tmp_path: Path, open_ticket: str) -> None:
    ticket = open_ticket
    with anyio.fail_after(30):
        async with serving(HttpSettings(audit_dir=tmp_path)) as (base, app):
            async with mcp_client(base, **{"X-CoreCraft-Episode": "ep-1"}) as client:
                await client.call_tool("createEscalation", {"ticket_id": ticket, **ESCALATION})
            async with httpx2.AsyncClient() as http:
                closed = await http.delete(f"{base}/episodes/ep-1")
                again = await http.delete(f"{base}/episodes/ep-1")
                export_after = await http.get(f"{base}/episodes/ep-1/export")
            assert closed.status_code == 200
            export = EpisodeExport.model_validate(closed.json())
            assert export.end_reason == "closed"
            assert [c.table for c in export.changes] == ["escalations"]
            assert again.status_code == 404 and export_after.status_code == 404
            assert app.state.registry.find("ep-1") is None
            written = json.loads((tmp_path / "ep-1.json").read_text(encoding="utf-8"))
            assert written == closed.json()


async def test_shutdown_writes_every_open_episode_to_the_audit_dir(tmp_path: Path) -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(audit_dir=tmp_path)) as (base, _app):
            for episode in ("ep-1", "ep-2"):
                async with mcp_client(base, **{"X-CoreCraft-Episode": episode}) as client:
                    await client.call_tool("searchCustomers", {"limit": 1})
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["ep-1.json", "ep-2.json"]
    assert json.loads((tmp_path / "ep-1.json").read_text(encoding="utf-8"))["end_reason"] == "shutdown"


async def test_idle_episodes_expire_in_the_background(tmp_path: Path) -> None:
    settings = HttpSettings(audit_dir=tmp_path, idle_timeout_s=0.05, expiry_interval_s=0.02)
    with anyio.fail_after(30):
        async with serving(settings) as (base, app):
            registry = app.state.registry
            expired = anyio.Event()
            write = registry.on_close

            async def on_close(export: EpisodeExport) -> None:
                await write(export)
                expired.set()

            registry.on_close = on_close
            async with mcp_client(base, **{"X-CoreCraft-Episode": "sleepy"}) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
            await expired.wait()
            assert registry.find("sleepy") is None
            async with httpx2.AsyncClient() as http:
                assert (await http.get(f"{base}/episodes/sleepy/export")).status_code == 404
    assert json.loads((tmp_path / "sleepy.json").read_text(encoding="utf-8"))["end_reason"] == "expired"


async def test_the_episode_limit_gives_a_clear_error_and_existing_episodes_keep_working() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(max_episodes=1)) as (base, _app):
            async with mcp_client(base, **{"X-CoreCraft-Episode": "first"}) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
            async with mcp_client(base, **{"X-CoreCraft-Episode": "second"}) as client:
                with pytest.raises(MCPError) as caught:
                    await client.call_tool("searchCustomers", {"limit": 1})
            assert caught.value.error.code == EPISODE_UNAVAILABLE
            assert "maximum of 1 episodes" in caught.value.error.message
            async with mcp_client(base, **{"X-CoreCraft-Episode": "first"}) as client:
                assert not (await client.call_tool("searchCustomers", {"limit": 1})).is_error


async def test_healthz_reports_episode_counts() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(max_episodes=7)) as (base, _app):
            async with mcp_client(base, **{"X-CoreCraft-Episode": "ep-1"}) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
            async with httpx2.AsyncClient() as http:
                health = (await http.get(f"{base}/healthz")).json()
                listing = (await http.get(f"{base}/episodes")).json()
            assert (health["status"], health["episodes"], health["max_episodes"]) == ("ok", 1, 7)
            assert health["world"] == TEMPLATE.content_hash
            assert [row["episode_id"] for row in listing["episodes"]] == ["ep-1"]


# The guard: every route, MCP and admin alike.

ROUTES = [("GET", "/healthz"), ("GET", "/episodes"), ("GET", "/episodes/x/export"), ("DELETE", "/episodes/x"), ("POST", "/mcp")]


async def request(http: httpx2.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx2.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    if method == "POST":
        kwargs.setdefault("json", body)
        kwargs["headers"] = {"Accept": "application/json, text/event-stream", **kwargs.get("headers", {})}
    return await http.request(method, url, **kwargs)


async def test_a_foreign_host_header_is_refused_with_421_on_every_route() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, _app):
            async with httpx2.AsyncClient() as http:
                for method, path in ROUTES:
                    response = await request(http, method, f"{base}{path}", headers={"Host": "evil.example:80"})
                    assert response.status_code == 421, (method, path)


async def test_a_foreign_origin_is_refused_with_403_and_a_local_one_is_accepted() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, _app):
            async with httpx2.AsyncClient() as http:
                for method, path in ROUTES:
                    response = await request(http, method, f"{base}{path}", headers={"Origin": "http://evil.example"})
                    assert response.status_code == 403, (method, path)
                local = await http.get(f"{base}/healthz", headers={"Origin": base})
                assert local.status_code == 200


async def test_with_a_token_every_route_needs_the_bearer_header() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(token=TOKEN)) as (base, _app):
            async with httpx2.AsyncClient() as http:
                for method, path in ROUTES:
                    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}):
                        response = await request(http, method, f"{base}{path}", headers=headers)
                        assert response.status_code == 401, (method, path, headers)
                        assert response.headers["www-authenticate"].startswith("Bearer")
                assert (await http.get(f"{base}/healthz", headers=auth())).status_code == 200
            async with mcp_client(base, **auth(**{"X-CoreCraft-Episode": "ep-1"})) as client:
                assert not (await client.call_tool("searchCustomers", {"limit": 1})).is_error


async def test_an_extra_allowed_host_is_accepted() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(allowed_hosts=("corecraft.internal:*",))) as (base, _app):
            async with httpx2.AsyncClient() as http:
                response = await http.get(f"{base}/healthz", headers={"Host": "corecraft.internal:443"})
            assert response.status_code == 200
