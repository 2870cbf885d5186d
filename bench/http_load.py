"""The server bench's HTTP sections: SDK-client latency, and many concurrent episodes (plain JSON-RPC
clients, then MCP SDK clients). Every episode is issued by ``POST /episodes``, worked in with its key
and closed with ``DELETE`` when done."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from functools import partial
from typing import Any

import httpx2
from bench_support import (
    Lookups,
    ServerProcess,
    call_failure,
    close_episode,
    key_headers,
    must_succeed,
    open_episode,
    percentiles,
    stateless_call,
    summary,
    timed,
    without_output_validation,
)
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def bench_http(server: ServerProcess, cases: Lookups, n: int) -> dict[str, Any]:
    """Each lookup n times through the MCP SDK client, in an episode of its own (so no run of samples
    meets the per-episode call cap), with and without the client's output validation."""
    out: dict[str, Any] = {}
    for mode, validating in (("client_round_trip", True), ("client_round_trip_without_output_validation", False)):
        with contextlib.ExitStack() as stack:
            if not validating:
                stack.enter_context(without_output_validation())
            for label, (tool, arguments) in cases.items():
                async with httpx2.AsyncClient(timeout=30) as http:
                    episode_id, key = await open_episode(http, server.base, f"latency-{mode}-{label}")
                    http.headers.update(key_headers(key))
                    async with Client(streamable_http_client(server.url, http_client=http)) as client:
                        samples = await timed(n, partial(_checked, client, tool, arguments))
                    await close_episode(http, server.base, episode_id, key)
                out.setdefault(label, {})[mode] = percentiles(samples)
    return out


async def _checked(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    return must_succeed(await client.call_tool(tool, arguments))


async def concurrent_raw(server: ServerProcess, cases: Lookups, episodes: int, calls: int) -> dict[str, Any]:
    """Each episode its own key, calls in sequence, plain JSON-RPC posts on the stateless protocol:
    the server's throughput. Opening and closing are outside the timed calls but inside the wall time."""
    plan = list(cases.values())
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx2.Limits(max_connections=episodes, max_keepalive_connections=episodes)

    async def one_episode(http: httpx2.AsyncClient, index: int) -> None:
        try:
            episode_id, key = await open_episode(http, server.base, f"raw-{index}")
        except Exception as exc:  # noqa: BLE001 - counted, never fatal to the others
            errors.append(f"raw-{index}: opening: {type(exc).__name__}: {exc}")
            return
        for call in range(calls):
            tool, arguments = plan[(index + call) % len(plan)]
            headers, body = stateless_call(tool, arguments, key)
            start = time.perf_counter()
            try:
                response = await http.post(server.url, json=body, headers=headers)
                failure = call_failure(response.status_code, response.content)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"raw-{index}: {type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - start)
            if failure:
                errors.append(f"raw-{index}: {tool}: {failure}")
        try:
            await close_episode(http, server.base, episode_id, key)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"raw-{index}: closing: {type(exc).__name__}: {exc}")

    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(one_episode(http, i) for i in range(episodes)))
        wall = time.perf_counter() - start
    return summary(episodes, latencies, errors, wall)


async def concurrent_sdk(server: ServerProcess, cases: Lookups, episodes: int, calls: int) -> dict[str, Any]:
    """The same load through the MCP SDK's client, one per episode, as a harness in one process would."""
    plan = list(cases.values())
    latencies: list[float] = []
    errors: list[str] = []
    tls = ssl.create_default_context()  # built once: httpx2 otherwise loads the CA store per client

    async def one_episode(index: int) -> None:
        try:
            async with httpx2.AsyncClient(timeout=60, verify=tls) as http:
                episode_id, key = await open_episode(http, server.base, f"sdk-{index}")
                http.headers.update(key_headers(key))
                async with Client(streamable_http_client(server.url, http_client=http)) as client:
                    for call in range(calls):
                        tool, arguments = plan[(index + call) % len(plan)]
                        start = time.perf_counter()
                        result = await client.call_tool(tool, arguments)
                        latencies.append(time.perf_counter() - start)
                        if result.is_error:
                            errors.append(f"sdk-{index}: {tool} returned a tool error: {str(result.content)[:150]}")
                await close_episode(http, server.base, episode_id, key)
        except Exception as exc:  # noqa: BLE001 - counted, never fatal to the others
            errors.append(f"sdk-{index}: {type(exc).__name__}: {exc}")

    start = time.perf_counter()
    await asyncio.gather(*(one_episode(i) for i in range(episodes)))
    return summary(episodes, latencies, errors, time.perf_counter() - start)
