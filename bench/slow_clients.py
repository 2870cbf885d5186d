"""Slow clients (slowloris): what N connections sending 1 byte per 10 s do to the server.

The same attack runs twice: on the HTTP app under plain uvicorn with its defaults (as serve_http ran
it before mcp_server.transports.timeouts), then on `corecraft serve --transport http` itself, whose
uvicorn config adds the request deadline, the idle deadline and the connection cap. Meanwhile one
well-behaved client calls a tool every CALL_EVERY_S in an episode it opened (POST /episodes, key),
first for BASELINE_S without the attack, then during it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
from bench_support import (
    Lookups,
    ServerProcess,
    close_episode,
    key_headers,
    lookups,
    open_episode,
    percentiles,
    without_output_validation,
)
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_server.world.store import load_template

SLOW_BYTE_EVERY_S = 10.0
ATTACK_CHECKPOINTS_S = (15.0, 30.0, 75.0)
BASELINE_S = 15.0
CALL_EVERY_S = 0.05  # the well-behaved client's pace: steady, so its own audit growth stays small and equal
ROTATE_EVERY_CALLS = 500  # a fresh episode this often: a long run must not meet the 2,000-call cap per episode
# The unprotected comparison: the same app under uvicorn's defaults, in its own process.
UNPROTECTED_SERVER = """
import asyncio, sys
import uvicorn
from mcp_server.transports.http import HttpSettings, build_http_app
port = int(sys.argv[1])
config = uvicorn.Config(build_http_app(HttpSettings(port=port)), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
asyncio.run(uvicorn.Server(config).serve())
"""
SERVERS = ("uvicorn-defaults", "corecraft-serve")


def attack_server(mode: str) -> ServerProcess:
    if mode == "uvicorn-defaults":
        return ServerProcess(command=lambda port: [sys.executable, "-c", UNPROTECTED_SERVER, str(port)])
    return ServerProcess()  # `corecraft serve --transport http` with its default deadlines and cap


async def slow_client(port: int, start: float, closed_at: list[float], answers: list[bytes]) -> None:
    """A request line and one endless header, a byte every SLOW_BYTE_EVERY_S; notes when the server hangs up."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        closed_at.append(0.0)  # refused outright counts as closed at once
        return
    request = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode() + b"a" * 10_000

    async def send() -> None:
        with contextlib.suppress(OSError):
            for byte in request:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(SLOW_BYTE_EVERY_S)

    sender = asyncio.ensure_future(send())
    try:
        try:
            answers.append((await reader.read())[:40])  # until the server closes (or the bench cancels)
        except OSError:
            answers.append(b"")
        closed_at.append(time.monotonic() - start)
    finally:
        sender.cancel()
        writer.close()
        with contextlib.suppress(OSError, asyncio.CancelledError):
            await sender
            await writer.wait_closed()


class WellBehavedClient:
    """Tool calls through the MCP SDK client in an episode this client owns, moved to a fresh episode
    every ROTATE_EVERY_CALLS calls (between timed calls: each request carries the key the HTTP client
    holds at that moment)."""

    def __init__(
        self, http: httpx2.AsyncClient, server: ServerProcess, client: Client, plan: list[tuple[str, dict[str, Any]]],
        episode: tuple[str, str],
    ) -> None:
        self.http, self.server, self.client, self.plan = http, server, client, plan
        self.episode = episode  # (id, key) of the episode whose key the HTTP client sends now
        self.calls = 0
        self.calls_in_episode = 0

    async def rotate_if_due(self) -> None:
        if self.calls_in_episode < ROTATE_EVERY_CALLS:
            return
        opened = await open_episode(self.http, self.server.base, f"well-behaved-{self.calls}")
        self.http.headers.update(key_headers(opened[1]))
        await close_episode(self.http, self.server.base, *self.episode)
        self.episode, self.calls_in_episode = opened, 0

    async def call(self) -> Any:
        tool, arguments = self.plan[self.calls % len(self.plan)]
        self.calls += 1
        self.calls_in_episode += 1
        return await self.client.call_tool(tool, arguments)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # the server is about to stop anyway
            await close_episode(self.http, self.server.base, *self.episode)


async def paced_calls(
    call: Callable[[], Awaitable[Any]], done: Callable[[], bool], before: Callable[[], Awaitable[None]] | None = None
) -> tuple[list[float], list[str]]:
    """A call every CALL_EVERY_S until done(): the latency of each, and what failed. ``before`` runs
    untimed ahead of each call."""
    samples: list[float] = []
    errors: list[str] = []
    next_at = time.perf_counter()
    while not done():
        next_at += CALL_EVERY_S
        try:
            if before is not None:
                await before()
            began = time.perf_counter()
            result = await call()
            if result.is_error:
                errors.append(f"tool error: {str(result.content)[:150]}")
            else:
                samples.append(time.perf_counter() - began)
        except Exception as exc:  # noqa: BLE001 - counted; the attack goes on
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return samples, errors


async def attack_one(mode: str, cases: Lookups, n: int, seconds: float) -> dict[str, Any]:
    """Paced calls for BASELINE_S, then N slow clients for `seconds` while the same calls go on."""
    async with attack_server(mode) as server:
        with without_output_validation():  # time the server, not the client's schema checks
            async with httpx2.AsyncClient(timeout=60) as http:
                episode_id, key = await open_episode(http, server.base, "well-behaved-warm-up")
                http.headers.update(key_headers(key))  # the SDK client connects in this episode
                async with Client(streamable_http_client(server.url, http_client=http)) as client:
                    caller = WellBehavedClient(http, server, client, list(cases.values()), (episode_id, key))
                    for _ in range(20):  # warm-up, untimed
                        await caller.rotate_if_due()
                        await caller.call()
                    baseline_end = time.monotonic() + BASELINE_S
                    baseline, baseline_errors = await paced_calls(
                        caller.call, lambda: time.monotonic() > baseline_end, caller.rotate_if_due
                    )
                    rss_before = server.rss_mb()
                    start = time.monotonic()
                    closed_at: list[float] = []
                    answers: list[bytes] = []
                    attackers = [asyncio.ensure_future(slow_client(server.port, start, closed_at, answers)) for _ in range(n)]
                    rss: list[tuple[float, float | None]] = []
                    open_at: dict[str, int] = {}
                    rss_at: dict[str, float | None] = {}

                    async def sample() -> None:
                        while True:
                            rss.append((round(time.monotonic() - start, 1), server.rss_mb()))
                            await asyncio.sleep(1.0)

                    async def watch() -> None:
                        for checkpoint in [c for c in ATTACK_CHECKPOINTS_S if c <= seconds] or [seconds]:
                            await asyncio.sleep(max(0.0, start + checkpoint - time.monotonic()))
                            open_at[f"{checkpoint:g}s"] = n - len(closed_at)
                            rss_at[f"{checkpoint:g}s"] = server.rss_mb()

                    sampler, watcher = asyncio.ensure_future(sample()), asyncio.ensure_future(watch())
                    during, errors = await paced_calls(caller.call, watcher.done, caller.rotate_if_due)
                    sampler.cancel()
                    for attacker in attackers:
                        attacker.cancel()
                    await asyncio.gather(*attackers, return_exceptions=True)
                    await caller.close()
        server_log = server.log_text().splitlines()
    base, attacked = percentiles(baseline), percentiles(during) if during else None
    return {
        "server": mode,
        "slow_clients": n,
        "open_after": open_at,
        "answered_408": sum(a.startswith(b"HTTP/1.1 408") for a in answers),
        "rss_mb": {"before": rss_before, "peak": max((mb for _, mb in rss if mb is not None), default=None), **rss_at},
        "rss_series_mb": rss,
        "calls_without_attack": base,
        "calls_during_attack": attacked,
        "p50_ratio": round(attacked["p50_ms"] / base["p50_ms"], 2) if attacked else None,
        "p99_ratio": round(attacked["p99_ms"] / base["p99_ms"], 2) if attacked else None,
        "call_errors": len(baseline_errors) + len(errors),
        "first_call_errors": (baseline_errors + errors)[:3],
        # The first line of `corecraft serve` is its banner, not a complaint.
        "server_log_lines": len([line for line in server_log if not line.startswith("CoreCraft MCP server on")]),
        "server_log_head": [line for line in server_log if not line.startswith("CoreCraft MCP server on")][:3],
    }


async def bench_slow_clients(args: argparse.Namespace) -> dict[str, Any]:
    """The same attack on uvicorn's defaults and on `corecraft serve`, one after the other."""
    resource_limit = 2 * args.slow_clients + 256
    with contextlib.suppress(ValueError, OSError):  # the bench holds N sockets; the server inherits the limit
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < resource_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(resource_limit, hard), hard))
    cases = lookups(load_template())
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "attack_seconds": args.attack_seconds,
        "runs": [await attack_one(mode, cases, args.slow_clients, args.attack_seconds) for mode in SERVERS],
    }


def report_attack(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [f"Slow clients, 1 byte per {SLOW_BYTE_EVERY_S:g} s each, for {results['attack_seconds']:g} s "
             f"(Python {machine['python']}, {machine['cpus']} CPUs)", ""]
    for run in results["runs"]:
        base, during = run["calls_without_attack"], run["calls_during_attack"]
        opened = ", ".join(f"{k}: {v}" for k, v in run["open_after"].items())
        rss = ", ".join(f"{k}: {v}" for k, v in run["rss_mb"].items())
        lines += [
            f"{run['server']}: {run['slow_clients']} slow connections; still open after {opened}; answered 408: {run['answered_408']}",
            f"  server RSS MB   {rss}",
            f"  tool calls (one per {CALL_EVERY_S * 1000:g} ms) p50/p99 ms   "
            f"without attack {base['p50_ms']:.2f}/{base['p99_ms']:.2f} (n={base['n']})"
            + (f"   during attack {during['p50_ms']:.2f}/{during['p99_ms']:.2f} (n={during['n']})"
               f"   ratio {run['p50_ratio']}/{run['p99_ratio']}" if during else "   during attack: no call completed"),
            f"  call errors: {run['call_errors']}; server log lines: {run['server_log_lines']}",
        ]
        lines += [f"    {line}" for line in run["first_call_errors"] + run["server_log_head"]]
    return "\n".join(lines)
