"""Server benchmark: episode worlds, tool-call latency (in memory, over HTTP, raw SQLite floor), and
throughput with many concurrent HTTP episodes.

    .venv/bin/python bench/server_bench.py [--json] [--calls N] [--http-calls N] [--episodes N]

Targets: a fresh episode world in < 5 ms; in-memory tool-call p50 < 1 ms; 100 concurrent HTTP
episodes with zero errors. All numbers come from this one run on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx2  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from mcp_server.episodes import EpisodeRegistry  # noqa: E402
from mcp_server.server import build_server  # noqa: E402
from mcp_server.world.store import Template, load_template  # noqa: E402


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50_ms": round(at(0.50), 3), "p99_ms": round(at(0.99), 3), "mean_ms": round(statistics.fmean(ordered) * 1000, 3), "n": len(ordered)}


async def timed(
    n: int, call: Callable[[], Awaitable[Any]], warmup: int = 20, between: Callable[[], Awaitable[Any]] | None = None
) -> list[float]:
    """Wall time of each of n calls after a warm-up; ``between`` runs untimed before each call."""
    samples = []
    for index in range(warmup + n):
        if between is not None:
            await between()
        start = time.perf_counter()
        await call()
        if index >= warmup:
            samples.append(time.perf_counter() - start)
    return samples


def lookups(template: Template) -> dict[str, tuple[str, dict[str, Any]]]:
    """The same three lookups everywhere: one order with its joins, a name search, a customer's orders."""
    conn = template.connect_sync()
    try:
        order_id, customer_id = conn.execute("SELECT id, customer_id FROM orders ORDER BY id LIMIT 1 OFFSET 100").fetchone()
        last_name = conn.execute("SELECT last_name FROM customers WHERE id = ?", (customer_id,)).fetchone()[0]
    finally:
        conn.close()
    return {
        "getOrderDetails": ("getOrderDetails", {"order_id": order_id}),
        "searchCustomers": ("searchCustomers", {"name": last_name[:4], "limit": 10}),
        "searchOrders": ("searchOrders", {"customer_id": customer_id}),
    }


async def bench_episode_worlds(template: Template, n: int) -> dict[str, Any]:
    """A fresh world per episode. "recycled": each episode closes before the next opens, so the copy
    reuses freed memory (a server in steady state). "growing": all stay open, so every copy also pays
    for fresh pages from the OS (a server ramping up to its peak episode count)."""

    async def aiosqlite_copy() -> None:
        db = await template.connect()
        await db.close()

    registry = EpisodeRegistry(template, max_episodes=2 * n + 100)
    counter = iter(range(10**9))

    async def recycled() -> None:  # only the get is timed; closing happens before the next sample
        episode_id = f"bench-{next(counter)}"
        await registry.get(episode_id)
        pending_close.append(episode_id)

    async def growing() -> None:
        await registry.get(f"bench-{next(counter)}")

    pending_close: list[str] = []

    async def close_previous() -> None:
        while pending_close:
            await registry.close(pending_close.pop())

    results = {
        "template_connect_aiosqlite": percentiles(await timed(n, aiosqlite_copy, warmup=5)),
        "registry_get_new_episode_recycled": percentiles(await timed(n, recycled, warmup=5, between=close_previous)),
        "registry_get_new_episode_growing": percentiles(await timed(n, growing, warmup=5)),
        "world_image_mb": round(len(template.image) / 1e6, 2),
    }
    await registry.close_all()
    return results


async def raw_sql_floor(template: Template, cases: dict[str, tuple[str, dict[str, Any]]], n: int) -> dict[str, Any]:
    """Replays the exact statements each tool ran (captured by a trace callback) on plain sqlite3."""
    registry = EpisodeRegistry(template)
    episode = await registry.get("default")  # where an in-process client without _meta lands
    floor = {}
    async with Client(build_server(registry=registry)) as client:
        for label, (tool, arguments) in cases.items():
            statements: list[str] = []
            await episode.db.set_trace_callback(statements.append)
            await client.call_tool(tool, arguments)
            await episode.db.set_trace_callback(None)
            reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
            conn = template.connect_sync()
            samples = []
            for _ in range(n):
                start = time.perf_counter()
                for sql in reads:
                    conn.execute(sql).fetchall()
                samples.append(time.perf_counter() - start)
            conn.close()
            floor[label] = {**percentiles(samples), "statements": len(reads)}
    await registry.close_all()
    return floor


@contextmanager
def without_output_validation() -> Iterator[None]:
    """The SDK client re-validates every result against the tool's output schema with jsonschema
    (and compiles each schema once per client); timing without it separates client cost from ours."""
    original = ClientSession.validate_tool_result

    async def skip(_self: ClientSession, _name: str, _result: Any) -> None:
        return None

    ClientSession.validate_tool_result = skip  # type: ignore[method-assign]
    try:
        yield
    finally:
        ClientSession.validate_tool_result = original  # type: ignore[method-assign]


async def bench_in_memory(template: Template, cases: dict[str, tuple[str, dict[str, Any]]], n: int) -> dict[str, Any]:
    registry = EpisodeRegistry(template)
    out: dict[str, Any] = {}
    async with Client(build_server(registry=registry)) as client:
        for label, (tool, arguments) in cases.items():
            episode = await registry.get("default")
            first = len(episode.audit)
            samples = await timed(n, lambda: client.call_tool(tool, arguments))
            server_side = [e.duration_ms / 1000 for e in episode.audit[first + 20 :]]
            out[label] = {"client_round_trip": percentiles(samples), "server_handling": percentiles(server_side)}
    with without_output_validation():
        async with Client(build_server(registry=registry)) as client:
            for label, (tool, arguments) in cases.items():
                out[label]["client_round_trip_without_output_validation"] = percentiles(
                    await timed(n, lambda: client.call_tool(tool, arguments))
                )
    await registry.close_all()
    return out


class ServerProcess:
    """`corecraft serve --transport http` in its own process, as deployed (uvicorn on loopback)."""

    def __init__(self, max_episodes: int) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        self.args = [sys.executable, "-m", "harness.cli.main", "serve", "--transport", "http",
                     "--port", str(self.port), "--max-episodes", str(max_episodes)]

    async def __aenter__(self) -> ServerProcess:
        self.process = subprocess.Popen(self.args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        async with httpx2.AsyncClient(timeout=2) as http:
            while True:  # no readiness event from another process: poll, bounded
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
                try:
                    if (await http.get(f"{self.base}/healthz")).status_code == 200:
                        return self
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not come up within 60 s")
                await asyncio.sleep(0.05)

    async def __aexit__(self, *_exc: object) -> None:
        self.process.send_signal(signal.SIGINT)
        await asyncio.to_thread(self.process.communicate, timeout=30)


async def bench_http(server: ServerProcess, cases: dict[str, tuple[str, dict[str, Any]]], n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, validating in (("client_round_trip", True), ("client_round_trip_without_output_validation", False)):
        with contextlib.ExitStack() as stack:
            if not validating:
                stack.enter_context(without_output_validation())
            async with httpx2.AsyncClient(headers={"X-CoreCraft-Episode": f"latency-{key}"}, timeout=30) as http:
                async with Client(streamable_http_client(server.url, http_client=http)) as client:
                    for label, (tool, arguments) in cases.items():
                        out.setdefault(label, {})[key] = percentiles(await timed(n, lambda: client.call_tool(tool, arguments)))
    return out


async def concurrent_raw(url: str, cases: dict[str, tuple[str, dict[str, Any]]], episodes: int, calls: int) -> dict[str, Any]:
    """Each episode its own header, calls in sequence, plain JSON-RPC posts: the server's throughput."""
    plan = list(cases.values())
    latencies: list[float] = []
    errors: list[str] = []
    accept = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    limits = httpx2.Limits(max_connections=episodes, max_keepalive_connections=episodes)

    async def one_episode(http: httpx2.AsyncClient, index: int) -> None:
        headers = {**accept, "X-CoreCraft-Episode": f"raw-{index}"}
        for call in range(calls):
            tool, arguments = plan[(index + call) % len(plan)]
            body = {"jsonrpc": "2.0", "id": call, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
            start = time.perf_counter()
            try:
                response = await http.post(url, json=body, headers=headers)
                reply = response.json()
            except Exception as exc:  # noqa: BLE001 - counted, never fatal to the others
                errors.append(f"raw-{index}: {type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200 or "error" in reply or reply["result"].get("isError"):
                errors.append(f"raw-{index}: {tool}: {response.status_code} {str(reply)[:200]}")

    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(one_episode(http, i) for i in range(episodes)))
        wall = time.perf_counter() - start
    return summary(episodes, latencies, errors, wall)


async def concurrent_sdk(url: str, cases: dict[str, tuple[str, dict[str, Any]]], episodes: int, calls: int) -> dict[str, Any]:
    """The same load through the MCP SDK's client, one per episode, as a harness in one process would."""
    plan = list(cases.values())
    latencies: list[float] = []
    errors: list[str] = []
    tls = ssl.create_default_context()  # built once: httpx2 otherwise loads the CA store per client

    async def one_episode(index: int) -> None:
        try:
            async with httpx2.AsyncClient(headers={"X-CoreCraft-Episode": f"sdk-{index}"}, timeout=60, verify=tls) as http:
                async with Client(streamable_http_client(url, http_client=http)) as client:
                    for call in range(calls):
                        tool, arguments = plan[(index + call) % len(plan)]
                        start = time.perf_counter()
                        result = await client.call_tool(tool, arguments)
                        latencies.append(time.perf_counter() - start)
                        if result.is_error:
                            errors.append(f"sdk-{index}: {tool} returned a tool error")
        except Exception as exc:  # noqa: BLE001 - counted, never fatal to the others
            errors.append(f"sdk-{index}: {type(exc).__name__}: {exc}")

    start = time.perf_counter()
    await asyncio.gather(*(one_episode(i) for i in range(episodes)))
    return summary(episodes, latencies, errors, time.perf_counter() - start)


def summary(episodes: int, latencies: list[float], errors: list[str], wall: float) -> dict[str, Any]:
    return {
        "episodes": episodes,
        "calls": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "wall_s": round(wall, 3),
        "calls_per_s": round(len(latencies) / wall, 1) if wall else None,
        "call_latency": percentiles(latencies) if latencies else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    template = load_template()
    cases = lookups(template)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                    "platform": platform.platform(), "cpus": os.cpu_count()},
        "lookups": {label: {"tool": tool, "arguments": arguments} for label, (tool, arguments) in cases.items()},
        "episode_world": await bench_episode_worlds(template, args.episodes_created),
        "raw_sqlite_floor": await raw_sql_floor(template, cases, args.calls),
        "in_memory": await bench_in_memory(template, cases, args.calls),
    }
    async with ServerProcess(max_episodes=3 * args.episodes + 10) as server:
        results["http"] = await bench_http(server, cases, args.http_calls)
        results["concurrent_http_raw"] = await concurrent_raw(server.url, cases, args.episodes, args.calls_per_episode)
        results["concurrent_http_sdk"] = await concurrent_sdk(server.url, cases, args.episodes, args.calls_per_episode)
    return results


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [f"CoreCraft server benchmark (Python {machine['python']}, SQLite {machine['sqlite']}, {machine['cpus']} CPUs)", ""]
    world = results["episode_world"]
    lines.append(f"episode world ({world['world_image_mb']} MB image)        p50 ms   p99 ms")
    for key in ("template_connect_aiosqlite", "registry_get_new_episode_recycled", "registry_get_new_episode_growing"):
        lines.append(f"  {key:36s} {world[key]['p50_ms']:7.3f}  {world[key]['p99_ms']:7.3f}")
    pair = lambda p: f"{p['p50_ms']:.2f}/{p['p99_ms']:.2f}"  # noqa: E731
    lines += [
        "",
        "tool call p50/p99 ms   raw SQL      server    in-memory client     HTTP client",
        "                        floor     handling   full    no out.val.   full    no out.val.",
    ]
    for label in results["lookups"]:
        memory, http = results["in_memory"][label], results["http"][label]
        cells = [results["raw_sqlite_floor"][label], memory["server_handling"], memory["client_round_trip"],
                 memory["client_round_trip_without_output_validation"], http["client_round_trip"],
                 http["client_round_trip_without_output_validation"]]
        lines.append(f"  {label:17s}" + "".join(f"{pair(c):>12s}" for c in cells))
    for key, title in (("concurrent_http_raw", "plain JSON-RPC clients"), ("concurrent_http_sdk", "MCP SDK clients")):
        load = results[key]
        lines += [
            "",
            f"{load['episodes']} concurrent HTTP episodes, {title}: {load['calls']} calls in {load['wall_s']} s "
            f"({load['calls_per_s']} calls/s), errors: {load['errors']}",
        ]
        if load["call_latency"]:
            lines.append(f"  per-call latency: p50 {load['call_latency']['p50_ms']} ms, p99 {load['call_latency']['p99_ms']} ms")
        lines += [f"  {e}" for e in load["first_errors"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--calls", type=int, default=1000, help="in-memory and raw SQL samples per lookup")
    parser.add_argument("--http-calls", type=int, default=300, help="HTTP samples per lookup")
    parser.add_argument("--episodes-created", type=int, default=300, help="episode worlds to create and time")
    parser.add_argument("--episodes", type=int, default=100, help="concurrent HTTP episodes")
    parser.add_argument("--calls-per-episode", type=int, default=5, help="calls each concurrent episode makes")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 1 if results["concurrent_http_raw"]["errors"] or results["concurrent_http_sdk"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
