"""Streamable HTTP: one app serving many episodes, plus admin routes, behind the security guard.

Routes (all behind the same Host/Origin checks and bearer token):
- ``POST /mcp``: the MCP endpoint (stateless, JSON responses). The episode is chosen per request by
  the ``X-CoreCraft-Episode`` header (default episode without it); ``X-CoreCraft-Clock`` sets the
  world clock of an episode when the request creates it.
- ``GET /healthz``: liveness and episode counts.
- ``GET /episodes``: the open episodes.
- ``GET /episodes/{id}/export``: the episode's export (audit + changes) so far; 404 if unknown.
- ``DELETE /episodes/{id}``: close the episode and return its final export; 404 if unknown.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import SERVER_VERSION, build_server
from mcp_server.transports.auditdir import AuditDirectory
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
        extra_hosts=settings.allowed_hosts,
        extra_origins=settings.allowed_origins,
    )
    server = build_server(world, registry=registry)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
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

    async def list_episodes(_request: Request) -> Response:
        now = time.monotonic()
        rows = []
        for episode_id in registry.ids():
            episode = registry.find(episode_id)
            if episode is not None:
                rows.append({"episode_id": episode_id, "calls": len(episode.audit), "idle_s": round(now - episode.last_used, 3)})
        return JSONResponse({"episodes": rows})

    async def export_episode(request: Request) -> Response:
        episode = registry.find(request.path_params["episode_id"])
        if episode is None or episode.closed:
            return _unknown_episode()
        async with episode.lock:  # a consistent snapshot: no call half-recorded
            if episode.closed:
                return _unknown_episode()
            export = await episode.export()
        return JSONResponse(export.model_dump(mode="json"))

    async def close_episode(request: Request) -> Response:
        export = await registry.close(request.path_params["episode_id"])
        if export is None:
            return _unknown_episode()
        return JSONResponse(export.model_dump(mode="json"))

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/episodes", list_episodes, methods=["GET"]),
            Route("/episodes/{episode_id}/export", export_episode, methods=["GET"]),
            Route("/episodes/{episode_id}", close_episode, methods=["DELETE"]),
            Mount("/", app=mcp_app),
        ],
        middleware=[Middleware(SecurityMiddleware, security=security)],
        lifespan=lifespan,
    )
    app.state.registry = registry
    app.state.security = security
    return app


def _unknown_episode() -> Response:
    return JSONResponse({"error": "unknown episode"}, status_code=404)


async def serve_http(settings: HttpSettings, template: Template | None = None) -> None:
    """Run the app with uvicorn until interrupted; episodes still open are exported on the way out."""
    import uvicorn

    app = build_http_app(settings, template)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()
