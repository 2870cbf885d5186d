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

Admission control keeps latency bounded past capacity: at most ``max_in_flight`` POST requests (tool
calls, opening episodes) are worked on at once, each only once its whole body has arrived (so a
slow sender holds no place); the others wait in a queue, first come first served. One that waits
``max_queue_wait_s``, or finds ``max_queued`` requests already waiting, is answered ``503`` with
``Retry-After``, instead of everyone waiting longer and longer. New episodes are turned away first:
while the event loop runs more than ``max_open_lag_s`` late (the server's CPU is saturated, so
requests wait even before they reach the queue), ``POST /episodes`` answers ``503`` at once, so
that the episodes already running keep their pace. Reads of state (GET) and closing (DELETE),
which frees capacity, are never held back.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.episodes import KEY_HEADER, EpisodeRegistry, ServerFullError, key_digest
from mcp_server.errors import EpisodeError
from mcp_server.server import SERVER_VERSION, build_server
from mcp_server.transports.auditdir import AuditDirectory
from mcp_server.transports.episode_gate import EpisodeGate
from mcp_server.transports.security import HttpSecurity, SecurityMiddleware, send_json
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
    max_in_flight: int = 32  # POST requests worked on at once; the rest queue (see the module docstring)
    max_queued: int = 512  # POST requests waiting for their turn; beyond it, 503 at once
    max_queue_wait_s: float = 0.5  # a request that waited this long for its turn gets 503 + Retry-After
    max_open_lag_s: float = 0.25  # while the event loop runs this late, new episodes get 503 + Retry-After
    max_world_mb: float | None = 2048.0  # private world copies (episodes that wrote) held at once; None: no budget
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
        max_world_bytes=None if settings.max_world_mb is None else int(settings.max_world_mb * 1024 * 1024),
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
    lag = LoopLag()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            async with server.session_manager.run(), anyio.create_task_group() as tasks:
                tasks.start_soon(registry.run_expiry, settings.expiry_interval_s)
                tasks.start_soon(lag.watch)
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

    def reached_by(request: Request, episode_id: str) -> str | None:
        """Who the request speaks for on this episode: its owner (the key's holder), the admin, or
        nobody (None)."""
        key = request.headers.get(KEY_HEADER)
        if key and registry.owner_of(key) == episode_id:
            return "its owner"
        return "the admin" if security.is_admin(request.headers) else None

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
        except ServerFullError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503, headers={"retry-after": str(RETRY_AFTER_S)})
        except EpisodeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
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
        episode = registry.find(episode_id) if reached_by(request, episode_id) else None
        if episode is None or episode.closed:
            return unknown_episode(request)
        async with episode.lock:  # a consistent snapshot: no call half-recorded
            if episode.closed:
                return unknown_episode(request)
            export = await episode.export()
        return JSONResponse(export.model_dump(mode="json"))

    async def close_episode(request: Request) -> Response:
        episode_id = request.path_params["episode_id"]
        closer = reached_by(request, episode_id)
        export = await registry.close(episode_id, closer) if closer else None
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
        middleware=[
            Middleware(SecurityMiddleware, security=security),
            Middleware(
                Admission, max_in_flight=settings.max_in_flight, max_queued=settings.max_queued,
                max_wait_s=settings.max_queue_wait_s, max_body_bytes=settings.max_request_bytes,
                lag=lag, max_open_lag_s=settings.max_open_lag_s,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.registry = registry
    app.state.security = security
    return app


RETRY_AFTER_S = 1
EPISODES_PATH = "/episodes"


class LoopLag:
    """How late the event loop runs: a sleep of ``every_s`` that wakes up late measures it. The
    figure is the latest lateness, or half the previous one if that is larger (a spike fades in a
    few beats instead of vanishing at the next quiet one)."""

    def __init__(self, every_s: float = 0.05, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self.clock = clock
        self.lag_s = 0.0

    async def watch(self) -> None:
        """Measure until cancelled (run it in the app's task group)."""
        while True:
            began = self.clock()
            await anyio.sleep(self.every_s)
            late = max(0.0, self.clock() - began - self.every_s)
            self.lag_s = max(late, self.lag_s / 2)


class Admission:
    """Pure ASGI middleware: bounded work in flight and a bounded queue for POST requests, and no new
    episode while the loop runs late (see the module docstring). ``in_flight``, ``queued`` and
    ``refused`` are for tests and tooling."""

    def __init__(
        self, app: ASGIApp, *, max_in_flight: int, max_queued: int, max_wait_s: float, max_body_bytes: int,
        lag: LoopLag | None = None, max_open_lag_s: float = 0.25,
    ) -> None:
        if max_in_flight < 1 or max_queued < 0 or not max_wait_s > 0 or not max_open_lag_s > 0:
            raise ValueError(
                "admission needs max_in_flight >= 1, max_queued >= 0, and a positive max_wait_s and max_open_lag_s"
            )
        self.app = app
        self.slots = anyio.Semaphore(max_in_flight)
        self.max_in_flight, self.max_queued, self.max_wait_s = max_in_flight, max_queued, max_wait_s
        self.max_body_bytes = max_body_bytes
        self.lag, self.max_open_lag_s = lag, max_open_lag_s
        self.refused = 0

    @property
    def in_flight(self) -> int:
        return self.max_in_flight - self.slots.value

    @property
    def queued(self) -> int:
        return self.slots.statistics().tasks_waiting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, self.max_body_bytes)
        if body is None:
            return  # the client went away while sending
        replay = _replaying(body, receive)
        if not complete:  # too large: the app refuses it with its own message, holding no place
            await self.app(scope, replay, send)
            return
        if self.slots.value == 0 and self.queued >= self.max_queued:
            await self._refuse(send, f"found {self.max_queued} requests already waiting")
            return
        if self.lag is not None and self.lag.lag_s > self.max_open_lag_s and scope["path"].rstrip("/") == EPISODES_PATH:
            await self._refuse(send, f"would open a new episode while the server runs {self.lag.lag_s:.2f} s behind")
            return
        if self.slots.value > 0:  # a free place means nobody queues (release hands places to waiters first)
            # Taken without a timer or a trip round the event loop, which cost a tenth of the server's
            # own work on a lookup.
            self.slots.acquire_nowait()
        elif not await self._wait_for_turn():
            await self._refuse(send, f"waited {self.max_wait_s:g} s for its turn")
            return
        try:
            await self.app(scope, replay, send)
        finally:
            self.slots.release()

    async def _wait_for_turn(self) -> bool:
        """Queue for a place, first come first served; False if none came within ``max_wait_s``."""
        with anyio.move_on_after(self.max_wait_s):
            await self.slots.acquire()
            return True
        return False

    async def _refuse(self, send: Send, why: str) -> None:
        self.refused += 1
        await _busy(send, why)


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message] | None, bool]:
    """The request's body messages, read until the end or until past ``limit`` bytes (then
    ``complete`` is False); None if the client disconnected first."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, False
        messages.append(message)
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
        if size > limit:
            return messages, False


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _busy(send: Send, why: str) -> None:
    message = f"the server is at capacity: this request {why} and was not run; retry after {RETRY_AFTER_S} s"
    await send_json(send, 503, {"error": message}, {"retry-after": str(RETRY_AFTER_S)})


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
