"""Streamable HTTP: one app serving many episodes, plus episode routes, behind the security guard.

Every episode belongs to whoever holds its key (docs/threat-model.md). Routes, all behind the same
Host/Origin checks and optional shared bearer token:

- ``POST /mcp``: the MCP endpoint. A request with ``X-CoreCraft-Episode-Key`` works in that
  episode. A client that sends no key (the MCP Inspector, a desktop agent) gets a private episode
  per MCP session: such clients are steered to the session protocol (2025-11-25), whose session id
  the SDK draws at random; ending the session (``DELETE /mcp``) ends its episode.
- ``POST /episodes``: open an episode; answers its id and key. JSON body, all optional:
  ``{"clock": ISO-8601 with offset, "label": "what it is for"}``.
- ``GET /episodes/{id}/export``: the episode's export (audit + changes) so far.
- ``DELETE /episodes/{id}``: close the episode and return its final export.
  Both need the episode's key (or the admin token); otherwise they answer 404 as for any unknown id.
- ``GET /episodes``: every open episode; admin token only.
- ``GET /healthz``: liveness and episode counts.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from mcp_server.episodes import KEY_HEADER, EpisodeRegistry, key_digest
from mcp_server.errors import EpisodeError
from mcp_server.server import SERVER_VERSION, build_server
from mcp_server.transports.auditdir import AuditDirectory
from mcp_server.transports.episode_gate import EpisodeGate
from mcp_server.transports.security import HttpSecurity, SecurityMiddleware
from mcp_server.world.store import Template, load_template

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MCP_PATH = "/mcp"


@dataclass
class HttpSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    clock: str | None = None
    max_episodes: int = 512
    idle_timeout_s: float = 1800.0
    expiry_interval_s: float | None = None  # default: a quarter of the idle timeout, 50 ms to 60 s
    audit_dir: Path | None = None
    token: str | None = field(default=None, repr=False)
    admin_token: str | None = field(default=None, repr=False)
    max_request_bytes: int = 1024 * 1024
    request_timeout_s: float = 10.0  # a request's headers and body must all arrive within this
    keep_alive_s: float = 5.0  # an idle connection (new, or between requests) is closed after this
    max_connections: int = 1000  # beyond it, requests get 503 (slow or idle connections count too)
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()


def build_http_app(settings: HttpSettings | None = None, template: Template | None = None) -> Starlette:
    """The ASGI app. ``app.state.registry`` is its episode registry (for tests and tooling)."""
    settings = settings or HttpSettings()
    world = template or load_template()
    registry = EpisodeRegistry(
        world,
        clock=settings.clock,
        max_episodes=settings.max_episodes,
        idle_timeout_s=settings.idle_timeout_s,
        on_close=AuditDirectory(settings.audit_dir) if settings.audit_dir else None,
    )
    security = HttpSecurity.for_bind(
        settings.host,
        token=settings.token,
        admin_token=settings.admin_token,
        extra_hosts=settings.allowed_hosts,
        extra_origins=settings.allowed_origins,
    )
    server = build_server(world, registry=registry)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=False,  # sessions serve clients that send no episode key
        json_response=True,
        max_request_body_size=settings.max_request_bytes,
        session_idle_timeout=settings.idle_timeout_s,
        max_sessions=settings.max_episodes,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(security.allowed_hosts),
            allowed_origins=list(security.allowed_origins),
        ),
        host=settings.host,
    )
    started = time.monotonic()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            async with server.session_manager.run(), anyio.create_task_group() as tasks:
                tasks.start_soon(registry.run_expiry, settings.expiry_interval_s)
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            await registry.close_all()  # writes every open episode to the audit directory

    async def healthz(_request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "version": SERVER_VERSION,
                "world": world.content_hash,
                "episodes": len(registry),
                "max_episodes": registry.max_episodes,
                "episodes_opened": registry.opened_total,
                "uptime_s": round(time.monotonic() - started, 3),
            }
        )

    def may_reach(request: Request, episode_id: str) -> bool:
        """The admin, or the holder of this episode's key."""
        if security.is_admin(request.headers):
            return True
        key = request.headers.get(KEY_HEADER)
        return bool(key) and registry.owner_of(key) == episode_id

    def unknown_episode(request: Request) -> Response:
        key = request.headers.get(KEY_HEADER)
        ended = registry.ended_reason(key_digest(key)) if key else None
        if ended is not None:
            return JSONResponse({"error": f"{ended}; its world is gone"}, status_code=410)
        return JSONResponse(
            {"error": "unknown episode: no open episode has this id and your key (X-CoreCraft-Episode-Key)"},
            status_code=404,
        )

    async def open_episode(request: Request) -> Response:
        try:
            options = await _episode_options(request)
            episode, key = await registry.issue(options.get("clock"), options.get("label"))
        except EpisodeError as exc:
            status = 503 if "maximum" in str(exc) else 400
            return JSONResponse({"error": str(exc)}, status_code=status)
        return JSONResponse(
            {"episode_id": episode.id, "key": key, "clock": episode.clock.isoformat(), "label": episode.label},
            status_code=201,
        )

    async def list_episodes(request: Request) -> Response:
        if not security.is_admin(request.headers):
            return _admin_only(security)
        now = time.monotonic()
        rows = []
        for episode_id in registry.ids():
            episode = registry.find(episode_id)
            if episode is not None:
                rows.append({
                    "episode_id": episode_id, "label": episode.label, "calls": len(episode.audit),
                    "idle_s": round(now - episode.last_used, 3),
                })
        return JSONResponse({"episodes": rows})

    async def export_episode(request: Request) -> Response:
        episode_id = request.path_params["episode_id"]
        episode = registry.find(episode_id) if may_reach(request, episode_id) else None
        if episode is None or episode.closed:
            return unknown_episode(request)
        async with episode.lock:  # a consistent snapshot: no call half-recorded
            if episode.closed:
                return unknown_episode(request)
            export = await episode.export()
        return JSONResponse(export.model_dump(mode="json"))

    async def close_episode(request: Request) -> Response:
        episode_id = request.path_params["episode_id"]
        key = request.headers.get(KEY_HEADER)
        owner = bool(key) and registry.owner_of(key) == episode_id
        allowed = owner or security.is_admin(request.headers)
        export = await registry.close(episode_id, "its owner" if owner else "the admin") if allowed else None
        if export is None:
            return unknown_episode(request)
        return JSONResponse(export.model_dump(mode="json"))

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/episodes", list_episodes, methods=["GET"]),
            Route("/episodes", open_episode, methods=["POST"]),
            Route("/episodes/{episode_id}/export", export_episode, methods=["GET"]),
            Route("/episodes/{episode_id}", close_episode, methods=["DELETE"]),
            Mount("/", app=EpisodeGate(mcp_app, registry, MCP_PATH)),
        ],
        middleware=[Middleware(SecurityMiddleware, security=security)],
        lifespan=lifespan,
    )
    app.state.registry = registry
    app.state.security = security
    return app


def _admin_only(security: HttpSecurity) -> Response:
    if security.admin_token is None:
        hint = "this server has no admin token; start it with CORECRAFT_ADMIN_TOKEN set to list episodes"
    else:
        hint = "send the admin token in X-CoreCraft-Admin-Token"
    return JSONResponse({"error": f"listing episodes is for the admin only: {hint}"}, status_code=403)


MAX_OPTIONS_BYTES = 16 * 1024


async def _episode_options(request: Request) -> dict[str, Any]:
    """The optional JSON body of POST /episodes: clock and label, both strings."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_OPTIONS_BYTES:
            raise EpisodeError(f"the body of POST /episodes is limited to {MAX_OPTIONS_BYTES} bytes")
    if not body.strip():
        return {}
    try:
        options = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EpisodeError(f"the body must be a JSON object such as {{\"clock\": \"2025-09-15T14:00:00-04:00\"}}: {exc}") from exc
    if not isinstance(options, dict):
        raise EpisodeError("the body must be a JSON object with optional 'clock' and 'label'")
    unknown = sorted(set(options) - {"clock", "label"})
    if unknown:
        raise EpisodeError(f"unknown field(s) {unknown}; POST /episodes accepts 'clock' and 'label'")
    for name in ("clock", "label"):
        if options.get(name) is not None and not isinstance(options[name], str):
            raise EpisodeError(f"'{name}' must be a string")
    return options


async def serve_http(settings: HttpSettings, template: Template | None = None) -> None:
    """Run the app with uvicorn until interrupted; episodes still open are exported on the way out.
    Slow and idle connections are closed by the deadlines of ``timeouts.uvicorn_config``."""
    import uvicorn

    from mcp_server.transports.timeouts import uvicorn_config

    app = build_http_app(settings, template)
    config = uvicorn_config(
        app, host=settings.host, port=settings.port, request_timeout_s=settings.request_timeout_s,
        keep_alive_s=settings.keep_alive_s, max_connections=settings.max_connections,
    )
    await uvicorn.Server(config).serve()
