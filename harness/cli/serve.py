"""`corecraft serve`: the MCP server over stdio (default) or streamable HTTP.

On stdio nothing but the protocol goes to stdout; messages go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import anyio

from harness.cli.main import CliError, number

TOKEN_ENV = "CORECRAFT_TOKEN"
ADMIN_TOKEN_ENV = "CORECRAFT_ADMIN_TOKEN"
# The HTTP transport's defaults (mcp_server.transports.http; a test keeps them equal), written here
# because importing the transport to read them costs every `corecraft` command most of its start-up.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve",
        help="run the CoreCraft MCP server (stdio or streamable HTTP)",
        description=(
            "Run the CoreCraft MCP server. stdio (the default) serves the client that spawned it; "
            "HTTP serves many private episodes at once at http://HOST:PORT/mcp: POST /episodes issues an "
            "episode and its key (send it in X-CoreCraft-Episode-Key), and a client that sends no key gets a "
            f"private episode per MCP session. If ${TOKEN_ENV} is set, every HTTP request needs "
            f"'Authorization: Bearer <token>'. If ${ADMIN_TOKEN_ENV} is set, X-CoreCraft-Admin-Token with it "
            "lists and reaches every episode. See docs/threat-model.md."
        ),
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default: stdio")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"HTTP bind address (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument("--clock", help="default world clock, ISO-8601 with offset (default 2025-09-15T14:00:00-04:00)")
    parser.add_argument("--max-episodes", type=int, default=512, help="most episodes open at once (default 512)")
    parser.add_argument(
        "--idle-timeout", type=number(minimum=0, above=True), default=1800.0, metavar="SECONDS",
        help="close episodes unused this long (default 1800; on stdio only when --max-episodes is reached)",
    )
    parser.add_argument(
        "--request-timeout", type=number(minimum=0, above=True), default=10.0, metavar="SECONDS",
        help="HTTP: a request's headers and body must all arrive within this long, else 408 and close (default 10)",
    )
    parser.add_argument(
        "--max-connections", type=int, default=1000,
        help="HTTP: answer 503 while this many connections are open, slow and idle ones included (default 1000)",
    )
    parser.add_argument(
        "--max-in-flight", type=int, default=32, metavar="N",
        help="HTTP: POST requests (tool calls, new episodes) worked on at once; the rest wait their turn (default 32)",
    )
    parser.add_argument(
        "--max-queued", type=int, default=512, metavar="N",
        help="HTTP: requests waiting for their turn; beyond it, 503 with Retry-After at once (default 512)",
    )
    parser.add_argument(
        "--queue-wait", type=number(minimum=0, above=True), default=0.5, metavar="SECONDS",
        help="HTTP: a request that waited this long for its turn gets 503 with Retry-After (default 0.5)",
    )
    parser.add_argument(
        "--open-lag", type=number(minimum=0, above=True), default=0.25, metavar="SECONDS",
        help="HTTP: while the server runs this far behind (its CPU saturated), new episodes get 503 with "
        "Retry-After, so that running ones keep their pace (default 0.25)",
    )
    parser.add_argument(
        "--max-world-mb", type=number(minimum=0, above=True), default=2048.0, metavar="MB",
        help="HTTP: memory for the private world copies of episodes that have written (an episode that only "
        "reads shares the template); beyond it, new episodes get 503 (default 2048)",
    )
    parser.add_argument(
        "--audit-dir", type=Path,
        help="write each episode's export (audit log + row changes) here as <episode>.json when it ends",
    )
    parser.add_argument(
        "--allowed-host", action="append", default=[], metavar="HOST:PORT",
        help="extra Host header value to accept (HTTP; 'name:*' for any port); repeatable",
    )
    parser.add_argument(
        "--allowed-origin", action="append", default=[], metavar="ORIGIN",
        help="extra browser Origin to accept (HTTP), e.g. http://app.example:*; repeatable",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Logs go to stderr, before MCPServer would configure its own handler.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    _check(args)
    if args.transport == "stdio":
        from mcp_server.transports.stdio import serve_stdio

        anyio.run(
            lambda: serve_stdio(
                clock=args.clock,
                max_episodes=args.max_episodes,
                idle_timeout_s=args.idle_timeout,
                audit_dir=args.audit_dir,
            )
        )
        return 0

    from mcp_server.transports.http import HttpSettings, serve_http

    token = os.environ.get(TOKEN_ENV) or None
    settings = HttpSettings(
        admin_token=os.environ.get(ADMIN_TOKEN_ENV) or None,
        request_timeout_s=args.request_timeout,
        max_connections=args.max_connections,
        max_in_flight=args.max_in_flight,
        max_queued=args.max_queued,
        max_queue_wait_s=args.queue_wait,
        max_open_lag_s=args.open_lag,
        max_world_mb=args.max_world_mb,
        host=args.host,
        port=args.port,
        clock=args.clock,
        max_episodes=args.max_episodes,
        idle_timeout_s=args.idle_timeout,
        audit_dir=args.audit_dir,
        token=token,
        allowed_hosts=tuple(args.allowed_host),
        allowed_origins=tuple(args.allowed_origin),
    )
    if token is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host} without a token; set {TOKEN_ENV} to require one", file=sys.stderr)
    print(
        f"CoreCraft MCP server on http://{_url_host(args.host)}:{args.port}/mcp"
        f" ({'token required' if token else 'no token'}; Ctrl-C to stop)",
        file=sys.stderr,
    )
    anyio.run(serve_http, settings)
    return 0


def _check(args: argparse.Namespace) -> None:
    from mcp_server.errors import InvalidArgumentError
    from mcp_server.world.clock import parse_clock

    if args.clock:
        try:
            parse_clock(args.clock)
        except InvalidArgumentError as exc:
            raise CliError(str(exc)) from exc
    if args.max_episodes < 1:
        raise CliError("--max-episodes must be at least 1")
    if args.max_connections < 1:
        raise CliError("--max-connections must be at least 1")
    if args.max_in_flight < 1:
        raise CliError("--max-in-flight must be at least 1")
    if args.max_queued < 0:
        raise CliError("--max-queued must be 0 or more")
    if not 0 < args.port < 65536:
        raise CliError("--port must be between 1 and 65535")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
