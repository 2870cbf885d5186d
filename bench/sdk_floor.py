"""The SDK floor: what a tool call costs on the same MCP SDK when the server does nothing of its own.

The floor server is a bare ``MCPServer`` with one tool of the same name and arguments as the looked-up
tool that returns, as text, the same JSON this server answers for that lookup (no database, no
episode, no audit, no output schema). Both servers are called by the same client in the same run:

- in-process: ``mcp.Client`` on each server object (the SDK client as anyone would use it, which
  re-validates our structured result against its output schema), and the harness's own in-process
  path (``harness.connections.InProcessConnection``) on ours;
- over HTTP: each server in its own process behind uvicorn, ``mcp.Client`` over streamable HTTP,
  the two servers' calls taken in turns; also without the client's output-schema check.

Ratios are ours / floor at p50; the targets are <= 1.5x in-process (the harness's path) and <= 1.2x
over HTTP.

    .venv/bin/python bench/sdk_floor.py --serve PORT PAYLOAD_FILE TOOL   # the HTTP floor server
"""

from __future__ import annotations

import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx2
from bench_support import (
    Lookups,
    ServerProcess,
    close_episode,
    key_headers,
    must_succeed,
    open_episode,
    percentiles,
    timed,
    without_output_validation,
)
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

from harness.connections import InProcessConnection
from mcp_server.audit import META_EPISODE_KEY
from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.store import Template

FLOOR_LOOKUP = "getOrderDetails"


def floor_server(tool: str, payload: str) -> MCPServer:
    """One tool named ``tool`` that takes an ``order_id`` and answers ``payload`` as plain text."""
    server = MCPServer("sdk-floor", log_level="WARNING")

    def answer(order_id: str) -> str:
        return payload

    server.add_tool(answer, name=tool, structured_output=False)
    return server


async def _expected_text(template: Template, tool: str, arguments: dict[str, Any]) -> str:
    """The JSON text our server answers for this call (what the floor will answer too)."""
    registry = EpisodeRegistry(template)
    try:
        async with Client(build_server(registry=registry)) as client:
            result = must_succeed(await client.call_tool(tool, arguments, meta={META_EPISODE_KEY: "floor-probe"}))  # type: ignore[arg-type]
    finally:
        await registry.close_all()
    return str(result.content[0].text)  # type: ignore[union-attr]


async def _client_p50(client: Client, tool: str, arguments: dict[str, Any], n: int, meta: dict[str, Any] | None = None) -> dict[str, float]:
    async def call() -> Any:
        return must_succeed(await client.call_tool(tool, arguments, meta=meta))  # type: ignore[arg-type]

    return percentiles(await timed(n, call))


async def bench_sdk_floor(template: Template, cases: Lookups, n: int, http_n: int) -> dict[str, Any]:
    tool, arguments = cases[FLOOR_LOOKUP]
    payload = await _expected_text(template, tool, arguments)
    out: dict[str, Any] = {"tool": tool, "payload_chars": len(payload)}
    async with Client(floor_server(tool, payload)) as client:
        floor = await _client_p50(client, tool, arguments, n)
    registry = EpisodeRegistry(template)
    async with Client(build_server(registry=registry)) as client:
        sdk = await _client_p50(client, tool, arguments, n, {META_EPISODE_KEY: "floor-sdk"})
    await registry.close_all()
    async with InProcessConnection(template) as connection, connection.episode("floor-harness", None) as handle:
        harness = percentiles(await timed(n, partial(_session_call, handle.session, tool, arguments)))
    out["in_process"] = {
        "floor": floor, "sdk_client": sdk, "harness_client": harness,
        "ratio_sdk_client": round(sdk["p50_ms"] / floor["p50_ms"], 2),
        "ratio_harness_client": round(harness["p50_ms"] / floor["p50_ms"], 2),
    }
    out["http"] = await _http_floor(cases, payload, http_n)
    return out


async def _session_call(session: Any, tool: str, arguments: dict[str, Any]) -> Any:
    return must_succeed(await session.call_tool(tool, arguments))


async def _http_floor(cases: Lookups, payload: str, n: int) -> dict[str, Any]:
    """Both servers run at once and their calls alternate one by one, so that both see the same
    load on a shared machine; each side is timed with the client's output check (``mcp.Client`` as
    anyone uses it) and without it (the servers' own cost: only ours publishes an output schema, and
    the client's jsonschema check of our result costs more than our whole server-side overhead)."""
    tool, arguments = cases[FLOOR_LOOKUP]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(payload)
    try:
        floor_command = lambda port: [sys.executable, __file__, "--serve", str(port), handle.name, tool]  # noqa: E731
        async with ServerProcess(command=floor_command) as floor_process, ServerProcess() as ours:
            async with httpx2.AsyncClient(timeout=30) as floor_http, httpx2.AsyncClient(timeout=30) as http:
                # One episode per pass: each stays within the per-episode call budget (mcp_server/limits.py).
                episodes = [await open_episode(http, ours.base, f"sdk-floor-{turn}") for turn in ("checked", "unchecked")]
                http.headers.update(key_headers(episodes[0][1]))
                async with (
                    Client(streamable_http_client(floor_process.url, http_client=floor_http)) as floor_client,
                    Client(streamable_http_client(ours.url, http_client=http)) as client,
                ):
                    floor, sdk = await _alternating(floor_client, client, tool, arguments, n)
                    http.headers.update(key_headers(episodes[1][1]))  # read by every request the client sends
                    with without_output_validation():
                        floor_unchecked, server = await _alternating(floor_client, client, tool, arguments, n)
                for episode_id, key in episodes:
                    await close_episode(http, ours.base, episode_id, key)
    finally:
        Path(handle.name).unlink(missing_ok=True)
    return {
        "floor": floor, "sdk_client": sdk, "ratio_sdk_client": round(sdk["p50_ms"] / floor["p50_ms"], 2),
        "floor_without_output_validation": floor_unchecked, "sdk_client_without_output_validation": server,
        "ratio_without_output_validation": round(server["p50_ms"] / floor_unchecked["p50_ms"], 2),
    }


async def _alternating(
    first: Client, second: Client, tool: str, arguments: dict[str, Any], n: int, warmup: int = 20
) -> tuple[dict[str, float], dict[str, float]]:
    """p50s of n calls on each client, taken in turns (first, second, first, ...)."""
    samples: tuple[list[float], list[float]] = ([], [])
    for index in range(warmup + n):
        for client, kept in zip((first, second), samples):
            start = time.perf_counter()
            must_succeed(await client.call_tool(tool, arguments))
            if index >= warmup:
                kept.append(time.perf_counter() - start)
    return percentiles(samples[0]), percentiles(samples[1])


def report_sdk_floor(floor: dict[str, Any]) -> str:
    memory, http = floor["in_process"], floor["http"]
    cell = lambda p: f"{p['p50_ms']:.3f}"  # noqa: E731
    return "\n".join([
        f"SDK floor: {floor['tool']} ({floor['payload_chars']} characters of JSON) against a bare MCPServer "
        "answering the same text, same client, p50 ms",
        f"  in-process  floor {cell(memory['floor'])}   mcp.Client {cell(memory['sdk_client'])} "
        f"({memory['ratio_sdk_client']}x)   harness in-process {cell(memory['harness_client'])} "
        f"({memory['ratio_harness_client']}x, target <= 1.5x)",
        f"  HTTP        floor {cell(http['floor'])}   mcp.Client {cell(http['sdk_client'])} "
        f"({http['ratio_sdk_client']}x, target <= 1.2x); without the client's output check: floor "
        f"{cell(http['floor_without_output_validation'])}   ours {cell(http['sdk_client_without_output_validation'])} "
        f"({http['ratio_without_output_validation']}x)",
    ])


def serve_floor(port: int, payload_file: Path, tool: str) -> None:
    """The floor over streamable HTTP, set up like `corecraft serve` (sessions allowed, JSON answers)."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    server = floor_server(tool, payload_file.read_text(encoding="utf-8"))

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = server.streamable_http_app(streamable_http_path="/mcp", json_response=True, host="127.0.0.1")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "--serve":
        sys.exit(__doc__.rsplit("\n\n", 1)[-1])
    serve_floor(int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
