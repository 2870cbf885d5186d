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


async def open_episode(base: str, headers: dict[str, str] | None = None, **options: str) -> tuple[str, str]:
    """POST /episodes: (episode id, key)."""
    async with httpx2.AsyncClient(headers=headers or {}) as http:
        response = await http.post(f"{base}/episodes", json=options)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["episode_id"], body["key"]


def keyed(key: str) -> dict[str, str]:
    return {"X-CoreCraft-Episode-Key": key}


async def test_two_concurrent_episodes_write_without_seeing_each_other(open_ticket: str) -> None:
    ticket = open_ticket
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):

            async def escalate() -> tuple[str, list[str]]:
                episode_id, key = await open_episode(base)
                async with mcp_client(base, **keyed(key)) as client:
                    results = [await client.call_tool("createEscalation", {"ticket_id": ticket, **ESCALATION}) for _ in range(3)]
                return episode_id, [r.structured_content["id"] for r in results]  # type: ignore[index]

            (ep_a, ids_a), (ep_b, ids_b) = await asyncio.gather(escalate(), escalate())
            assert ep_a != ep_b and ids_a == ids_b  # each world numbered its own escalations from the same start
            registry = app.state.registry
            for episode_id in (ep_a, ep_b):
                episode = registry.find(episode_id)
                async with episode.db.execute("SELECT COUNT(*) FROM escalations WHERE id IN (?, ?, ?)", ids_a) as cursor:
                    assert (await cursor.fetchone())[0] == 3
                assert len(await episode.changes()) == 3
            assert sorted(registry.ids()) == sorted([ep_a, ep_b])


async def test_a_plain_client_without_a_key_gets_a_private_episode_per_session_that_ends_with_it(open_ticket: str) -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            registry = app.state.registry
            async with mcp_client(base) as first, mcp_client(base) as second:
                assert first.protocol_version == second.protocol_version == "2025-11-25"  # steered to sessions
                assert len((await first.list_tools()).tools) == 23
                escalated = await first.call_tool("createEscalation", {"ticket_id": open_ticket, **ESCALATION})
                await second.call_tool("searchCustomers", {"limit": 1})
                assert not escalated.is_error
                assert len(registry) == 2
                worlds = [registry.find(i) for i in registry.ids()]
                assert sorted([len(await e.changes()) for e in worlds]) == [0, 1]  # the write stayed in its session
            assert len(registry) == 0  # ending each session (DELETE /mcp) ended its episode


async def test_a_stateless_client_without_a_key_is_told_how_to_get_an_episode() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            with pytest.raises(Exception) as caught:
                async with httpx2.AsyncClient(timeout=10) as http:
                    async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="2026-07-28") as client:
                        await client.call_tool("searchCustomers", {"limit": 1})
            assert "POST /episodes" in repr(caught.value)
            assert len(app.state.registry) == 0


async def test_the_retired_episode_header_is_refused_with_a_pointer_to_the_key_scheme() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            with pytest.raises(Exception) as caught:
                async with mcp_client(base, **{"X-CoreCraft-Episode": "victim"}) as client:
                    await client.call_tool("searchCustomers", {"limit": 1})
            assert "X-CoreCraft-Episode header is no longer accepted" in repr(caught.value)
            assert len(app.state.registry) == 0


async def test_post_episodes_sets_the_clock_and_label_and_refuses_bad_bodies() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(clock="2025-10-01T12:00:00-04:00")) as (base, app):
            late, _ = await open_episode(base, clock="2025-12-01T09:00:00-05:00", label="task-7#1")
            usual, _ = await open_episode(base)
            registry = app.state.registry
            assert registry.find(late).clock.isoformat() == "2025-12-01T09:00:00-05:00"
            assert registry.find(late).label == "task-7#1"
            assert registry.find(usual).clock.isoformat() == "2025-10-01T12:00:00-04:00"
            async with httpx2.AsyncClient() as http:
                for body, fragment in (
                    (b"[1]", "JSON object"), (b"{bad", "JSON object"), (b'{"clock": "yesterday"}', "ISO-8601"),
                    (b'{"clok": "x"}', "unknown field"), (b'{"label": 5}', "must be a string"),
                    (b'{"label": "a\\u0000b"}', "control characters"), (b" " * 20_000, "limited to"),
                ):
                    response = await http.post(f"{base}/episodes", content=body)
                    assert response.status_code == 400 and fragment in response.json()["error"], (body[:30], response.text)
            assert len(registry) == 2


async def test_legacy_protocol_clients_with_a_key_are_served_too() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            episode_id, key = await open_episode(base)
            async with httpx2.AsyncClient(headers=keyed(key), timeout=10) as http:
                async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy") as client:
                    assert client.protocol_version != "2026-07-28"
                    result = await client.call_tool("searchCustomers", {"limit": 1})
            assert not result.is_error
            assert len(app.state.registry.find(episode_id).audit) == 1


async def test_the_export_route_returns_the_episode_so_far_to_its_key_holder_only() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, _app):
            episode_id, key = await open_episode(base)
            _, other_key = await open_episode(base)
            async with mcp_client(base, **keyed(key)) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
                await client.call_tool("searchCustomers", {"limit": "many"})
            async with httpx2.AsyncClient() as http:
                found = await http.get(f"{base}/episodes/{episode_id}/export", headers=keyed(key))
                stranger = await http.get(f"{base}/episodes/{episode_id}/export")
                wrong_key = await http.get(f"{base}/episodes/{episode_id}/export", headers=keyed(other_key))
                missing = await http.get(f"{base}/episodes/nobody/export", headers=keyed(key))
            export = EpisodeExport.model_validate(found.json())
            assert [(e.tool, e.is_error) for e in export.audit] == [("searchCustomers", False), ("searchCustomers", True)]
            assert export.end_reason is None
            for refused in (stranger, wrong_key, missing):  # indistinguishable from an id that does not exist
                assert refused.status_code == 404 and "unknown episode" in refused.json()["error"]


async def test_delete_closes_the_episode_returns_its_export_and_writes_it_to_the_audit_dir(tmp_path: Path, open_ticket: str) -> None:
    ticket = open_ticket
    with anyio.fail_after(30):
        async with serving(HttpSettings(audit_dir=tmp_path)) as (base, app):
            episode_id, key = await open_episode(base, label="mine")
            async with mcp_client(base, **keyed(key)) as client:
                await client.call_tool("createEscalation", {"ticket_id": ticket, **ESCALATION})
            async with httpx2.AsyncClient(headers=keyed(key)) as http:
                stranger = await http.delete(f"{base}/episodes/{episode_id}", headers={"X-CoreCraft-Episode-Key": "guess"})
                closed = await http.delete(f"{base}/episodes/{episode_id}")
                again = await http.delete(f"{base}/episodes/{episode_id}")
                export_after = await http.get(f"{base}/episodes/{episode_id}/export")
            assert stranger.status_code == 404
            assert closed.status_code == 200
            export = EpisodeExport.model_validate(closed.json())
            assert (export.end_reason, export.label) == ("closed", "mine")
            assert [c.table for c in export.changes] == ["escalations"]
            assert again.status_code == 410 and "was closed by its owner" in again.json()["error"]
            assert export_after.status_code == 410
            assert app.state.registry.find(episode_id) is None
            written = json.loads((tmp_path / f"{episode_id}.json").read_text(encoding="utf-8"))
            assert written == closed.json()


async def test_calls_after_delete_are_refused_instead_of_served_by_a_fresh_world() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            episode_id, key = await open_episode(base)
            async with mcp_client(base, **keyed(key)) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
                async with httpx2.AsyncClient(headers=keyed(key)) as http:
                    assert (await http.delete(f"{base}/episodes/{episode_id}")).status_code == 200
                with pytest.raises(MCPError) as caught:
                    await client.call_tool("searchCustomers", {"limit": 1})
            assert caught.value.error.code == EPISODE_UNAVAILABLE
            assert f"episode {episode_id} was closed by its owner" in caught.value.error.message
            assert len(app.state.registry) == 0


async def test_an_unknown_key_is_an_error_not_a_new_episode() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, app):
            async with mcp_client(base, **keyed("made-up-key")) as client:
                with pytest.raises(MCPError) as caught:
                    await client.call_tool("searchCustomers", {"limit": 1})
            assert "never issued by this server" in caught.value.error.message
            assert len(app.state.registry) == 0


async def test_twenty_writes_racing_a_delete_either_land_before_it_or_are_refused(open_ticket: str) -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, _app):
            episode_id, key = await open_episode(base)
            outcomes: list[str] = []
            export: dict[str, Any] = {}
            async with mcp_client(base, **keyed(key)) as client:

                async def write() -> None:
                    try:
                        result = await client.call_tool("createEscalation", {"ticket_id": open_ticket, **ESCALATION})
                        outcomes.append("error" if result.is_error else "written")
                    except MCPError:
                        outcomes.append("refused")

                async def delete() -> None:
                    await asyncio.sleep(0.01)
                    async with httpx2.AsyncClient(headers=keyed(key)) as http:
                        export.update((await http.delete(f"{base}/episodes/{episode_id}")).json())

                await asyncio.gather(*(write() for _ in range(20)), delete())
            written = outcomes.count("written") + outcomes.count("error")
            assert len(export["audit"]) == written  # every call that reported a result is in the final export
            assert outcomes.count("refused") == 20 - written


async def test_shutdown_writes_every_open_episode_to_the_audit_dir(tmp_path: Path) -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(audit_dir=tmp_path)) as (base, _app):
            opened = [await open_episode(base) for _ in range(2)]
            for _, key in opened:
                async with mcp_client(base, **keyed(key)) as client:
                    await client.call_tool("searchCustomers", {"limit": 1})
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(f"{episode_id}.json" for episode_id, _ in opened)
    assert json.loads((tmp_path / files[0]).read_text(encoding="utf-8"))["end_reason"] == "shutdown"


async def test_idle_episodes_expire_in_the_background_and_then_say_so(tmp_path: Path) -> None:
    settings = HttpSettings(audit_dir=tmp_path, idle_timeout_s=0.5, expiry_interval_s=0.02)  # long enough for a loaded CI machine to make the first call
    with anyio.fail_after(30):
        async with serving(settings) as (base, app):
            registry = app.state.registry
            expired = anyio.Event()
            write = registry.on_close

            async def on_close(export: EpisodeExport) -> None:
                await write(export)
                expired.set()

            registry.on_close = on_close
            episode_id, key = await open_episode(base)
            async with mcp_client(base, **keyed(key)) as client:
                await client.call_tool("searchCustomers", {"limit": 1})
                await expired.wait()
                with pytest.raises(MCPError) as caught:
                    await client.call_tool("searchCustomers", {"limit": 1})
            assert "expired after 0.5 s without a call" in caught.value.error.message
            assert registry.find(episode_id) is None
    assert json.loads((tmp_path / f"{episode_id}.json").read_text(encoding="utf-8"))["end_reason"] == "expired"


async def test_the_episode_limit_gives_a_clear_error_and_existing_episodes_keep_working() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(max_episodes=1)) as (base, _app):
            _, key = await open_episode(base)
            async with httpx2.AsyncClient() as http:
                refused = await http.post(f"{base}/episodes")
            assert refused.status_code == 503 and "maximum of 1 episodes" in refused.json()["error"]
            async with mcp_client(base, **keyed(key)) as client:
                assert not (await client.call_tool("searchCustomers", {"limit": 1})).is_error


async def test_listing_episodes_needs_the_admin_token_which_also_reaches_every_episode() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(max_episodes=7, admin_token="admin-5e1f")) as (base, app):
            episode_id, _ = await open_episode(base, label="task-1#1")
            admin = {"X-CoreCraft-Admin-Token": "admin-5e1f"}
            async with httpx2.AsyncClient() as http:
                health = (await http.get(f"{base}/healthz")).json()
                anonymous = await http.get(f"{base}/episodes")
                wrong = await http.get(f"{base}/episodes", headers={"X-CoreCraft-Admin-Token": "admin-5e1e"})
                listing = (await http.get(f"{base}/episodes", headers=admin)).json()
                export = await http.get(f"{base}/episodes/{episode_id}/export", headers=admin)
                closed = await http.delete(f"{base}/episodes/{episode_id}", headers=admin)
            assert (health["status"], health["episodes"], health["max_episodes"]) == ("ok", 1, 7)
            assert health["world"] == TEMPLATE.content_hash
            assert anonymous.status_code == wrong.status_code == 403
            assert [(row["episode_id"], row["label"]) for row in listing["episodes"]] == [(episode_id, "task-1#1")]
            assert export.status_code == closed.status_code == 200
            assert "was closed by the admin" in app.state.registry.ended_reason(episode_id)


async def test_without_an_admin_token_nobody_can_list_episodes() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings()) as (base, _app):
            await open_episode(base)
            async with httpx2.AsyncClient() as http:
                response = await http.get(f"{base}/episodes", headers={"X-CoreCraft-Admin-Token": ""})
            assert response.status_code == 403 and "CORECRAFT_ADMIN_TOKEN" in response.json()["error"]


# The guard: every route, MCP and admin alike.

ROUTES = [
    ("GET", "/healthz"), ("GET", "/episodes"), ("POST", "/episodes"), ("GET", "/episodes/x/export"),
    ("DELETE", "/episodes/x"), ("POST", "/mcp"),
]


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
            _, key = await open_episode(base, auth())
            async with mcp_client(base, **auth(**keyed(key))) as client:
                assert not (await client.call_tool("searchCustomers", {"limit": 1})).is_error


async def test_an_extra_allowed_host_is_accepted() -> None:
    with anyio.fail_after(30):
        async with serving(HttpSettings(allowed_hosts=("corecraft.internal:*",))) as (base, _app):
            async with httpx2.AsyncClient() as http:
                response = await http.get(f"{base}/healthz", headers={"Host": "corecraft.internal:443"})
            assert response.status_code == 200
