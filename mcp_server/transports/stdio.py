"""stdio: the client spawns the server and speaks MCP over its stdin/stdout.

stdout carries the protocol and nothing else: every log line goes to stderr. One process usually
serves one episode (the default); clients may still select others with ``_meta``.
"""

from __future__ import annotations

from pathlib import Path

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.transports.auditdir import AuditDirectory
from mcp_server.world.store import Template, load_template


async def serve_stdio(
    *,
    clock: str | None = None,
    max_episodes: int = 512,
    idle_timeout_s: float = 1800.0,
    audit_dir: Path | None = None,
    template: Template | None = None,
) -> None:
    """Serve until the client closes stdin; then export every episode still open."""
    registry = EpisodeRegistry(
        template or load_template(),
        clock=clock,
        max_episodes=max_episodes,
        idle_timeout_s=idle_timeout_s,
        on_close=AuditDirectory(audit_dir) if audit_dir else None,
    )
    server = build_server(registry=registry)
    try:
        await server.run_stdio_async()
    finally:
        await registry.close_all()
