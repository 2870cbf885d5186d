"""Server benchmark: episode cost (memory per open episode, fresh world to first answer), episode
worlds, tool-call latency (in memory, over HTTP, raw SQLite floor, and the SDK floor: a bare server on
the same SDK), throughput with many concurrent HTTP episodes, the paced-load ladder, and episode
ownership with 1,000 episodes open.

    .venv/bin/python bench/server_bench.py [--json] [--calls N] [--http-calls N] [--episodes N] [--no-ownership] [--no-ladder]
    .venv/bin/python bench/server_bench.py --ownership [--json]
    .venv/bin/python bench/server_bench.py --ladder [--ladder-rungs 100,300,1000] [--overload N] [--json]
    .venv/bin/python bench/server_bench.py --attack [--json] [--slow-clients N] [--attack-seconds S]

The default run includes the ownership figure (bench/episode_ownership.py; --no-ownership leaves
it out). --ownership runs only that: 10 clients x 100 episodes on `corecraft serve --transport
http --max-episodes 1100`, every cross-client attempt counted; the exit status is 1 if any
succeeded. --ladder runs only the paced-load ladder (bench/paced_load.py: each rung on a fresh
server; --overload N adds a rung past capacity). --attack runs only the slow-client section (bench/slow_clients.py): the same attack on
uvicorn's defaults, then on `corecraft serve` (about 2 x (S + 15) seconds).

Over HTTP every episode is opened with POST /episodes, reached with its key
(X-CoreCraft-Episode-Key) and closed with DELETE. Targets: a fresh episode world in < 5 ms;
in-memory tool-call p50 < 1 ms; 100 concurrent HTTP episodes with zero errors; zero cross-client
successes. All numbers come from this one run on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import sys
import time
from functools import partial
from typing import Any

from bench_support import (
    Lookups,
    ServerProcess,
    lookups,
    must_succeed,
    percentiles,
    timed,
    without_output_validation,
)
from episode_cost import bench_episode_cost, report_episode_cost
from episode_ownership import bench_ownership, ownership_failed, report_ownership
from http_load import bench_http, concurrent_raw, concurrent_sdk
from mcp import Client
from paced_load import LADDER, bench_ladder, report_ladder
from sdk_floor import bench_sdk_floor, report_sdk_floor
from slow_clients import bench_slow_clients, report_attack

from mcp_server.audit import META_EPISODE_KEY
from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.store import Template, load_template


async def bench_episode_worlds(template: Template, n: int) -> dict[str, Any]:
    """A fresh world per episode. "recycled": each episode closes before the next opens, so the copy
    reuses freed memory (a server in steady state). "growing": all stay open, so every copy also pays
    for fresh pages from the OS (a server ramping up to its peak episode count)."""

    async def aiosqlite_copy() -> None:
        db = await template.connect()
        await db.close()

    registry = EpisodeRegistry(template, max_episodes=2 * n + 100)
    counter = iter(range(10**9))
    pending_close: list[str] = []

    async def recycled() -> None:  # only the get is timed; closing happens before the next sample
        episode_id = f"bench-{next(counter)}"
        await registry.get(episode_id)
        pending_close.append(episode_id)

    async def growing() -> None:
        await registry.get(f"bench-{next(counter)}")

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


async def raw_sql_floor(template: Template, cases: Lookups, n: int) -> dict[str, Any]:
    """Replays the exact statements each tool ran (captured by a trace callback) on plain sqlite3."""
    registry = EpisodeRegistry(template)
    episode = await registry.get("sql-floor")
    floor = {}
    async with Client(build_server(registry=registry)) as client:
        for label, (tool, arguments) in cases.items():
            statements: list[str] = []
            await episode.db.set_trace_callback(statements.append)
            must_succeed(await client.call_tool(tool, arguments, meta={META_EPISODE_KEY: "sql-floor"}))  # type: ignore[arg-type]
            await episode.db.set_trace_callback(None)  # type: ignore[arg-type]  # None turns tracing off
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


async def bench_in_memory(template: Template, cases: Lookups, n: int) -> dict[str, Any]:
    """Each lookup n times through an in-process client, in an episode of its own per lookup and pass
    (named in ``_meta``), so no run of samples meets the per-episode call cap."""
    registry = EpisodeRegistry(template)
    out: dict[str, Any] = {}
    async with Client(build_server(registry=registry)) as client:
        for label, (tool, arguments) in cases.items():
            meta = {META_EPISODE_KEY: f"memory-{label}"}
            episode = await registry.get(meta[META_EPISODE_KEY])
            samples = await timed(n, partial(_checked, client, tool, arguments, meta))
            server_side = [e.duration_ms / 1000 for e in episode.audit[20:]]  # after the warm-up
            out[label] = {"client_round_trip": percentiles(samples), "server_handling": percentiles(server_side)}
    with without_output_validation():
        async with Client(build_server(registry=registry)) as client:
            for label, (tool, arguments) in cases.items():
                meta = {META_EPISODE_KEY: f"memory-unvalidated-{label}"}
                out[label]["client_round_trip_without_output_validation"] = percentiles(
                    await timed(n, partial(_checked, client, tool, arguments, meta))
                )
    await registry.close_all()
    return out


async def _checked(client: Client, tool: str, arguments: dict[str, Any], meta: dict[str, Any]) -> Any:
    return must_succeed(await client.call_tool(tool, arguments, meta=meta))  # type: ignore[arg-type]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    template = load_template()
    cases = lookups(template)
    results: dict[str, Any] = {
        "machine": machine(),
        "lookups": {label: {"tool": tool, "arguments": arguments} for label, (tool, arguments) in cases.items()},
        "episode_cost": await bench_episode_cost(template, args.cost_episodes),  # first: no freed worlds to reuse yet
        "episode_world": await bench_episode_worlds(template, args.episodes_created),
        "raw_sqlite_floor": await raw_sql_floor(template, cases, args.calls),
        "in_memory": await bench_in_memory(template, cases, args.calls),
        "sdk_floor": await bench_sdk_floor(template, cases, args.calls, args.http_calls),
    }
    async with ServerProcess("--max-episodes", str(3 * args.episodes + 10)) as server:
        results["http"] = await bench_http(server, cases, args.http_calls)
        results["concurrent_http_raw"] = await concurrent_raw(server, cases, args.episodes, args.calls_per_episode)
        results["concurrent_http_sdk"] = await concurrent_sdk(server, cases, args.episodes, args.calls_per_episode)
    if args.with_ladder:
        results["ladder"] = await bench_ladder(cases, args.ladder_rungs, args.overload)
    if args.with_ownership:
        results["ownership"] = await bench_ownership()
    return results


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in load] if load else None}


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [f"CoreCraft server benchmark (Python {machine['python']}, SQLite {machine['sqlite']}, {machine['cpus']} CPUs, "
             f"load average at start {machine['load_average_at_start']})", ""]
    lines += [report_episode_cost(results["episode_cost"]), ""]
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
    lines += ["", report_sdk_floor(results["sdk_floor"])]
    for key, title in (("concurrent_http_raw", "plain JSON-RPC clients (stateless, keyed)"),
                       ("concurrent_http_sdk", "MCP SDK clients (keyed)")):
        load = results[key]
        lines += [
            "",
            f"{load['episodes']} concurrent HTTP episodes, {title}: {load['calls']} calls in {load['wall_s']} s "
            f"({load['calls_per_s']} calls/s, opening and closing included), errors: {load['errors']}",
        ]
        if load["call_latency"]:
            lines.append(f"  per-call latency: p50 {load['call_latency']['p50_ms']} ms, p99 {load['call_latency']['p99_ms']} ms")
        lines += [f"  {e}" for e in load["first_errors"]]
    if "ladder" in results:
        lines += ["", report_ladder(results["ladder"])]
    if "ownership" in results:
        lines += ["", report_ownership(results["ownership"])]
    return "\n".join(lines)


def failed(results: dict[str, Any]) -> bool:
    load_errors = results["concurrent_http_raw"]["errors"] or results["concurrent_http_sdk"]["errors"]
    return bool(load_errors) or ("ownership" in results and ownership_failed(results["ownership"]))


def rungs(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected episode counts separated by commas, e.g. 100,300,1000; got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("every rung needs at least 1 episode")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--calls", type=int, default=1000, help="in-memory and raw SQL samples per lookup")
    parser.add_argument("--http-calls", type=int, default=300, help="HTTP samples per lookup")
    parser.add_argument("--episodes-created", type=int, default=300, help="episode worlds to create and time")
    parser.add_argument("--episodes", type=int, default=100, help="concurrent HTTP episodes")
    parser.add_argument("--calls-per-episode", type=int, default=5, help="calls each concurrent episode makes")
    parser.add_argument("--cost-episodes", type=int, default=500, help="episodes held open for the episode-cost figures")
    parser.add_argument("--ladder-rungs", type=rungs, default=LADDER, help="paced-load rungs (default 100,300,1000)")
    parser.add_argument("--overload", type=int, help="add a paced-load rung of this many episodes, past capacity")
    parser.add_argument("--no-ladder", dest="with_ladder", action="store_false", help="leave the paced-load ladder out")
    sections = parser.add_mutually_exclusive_group()
    sections.add_argument("--ownership", action="store_true", help="run only the episode-ownership figure")
    sections.add_argument("--no-ownership", dest="with_ownership", action="store_false",
                          help="leave the ownership figure (about a minute, a few GB of server memory) out of the default run")
    sections.add_argument("--attack", action="store_true", help="run only the slow-client (slowloris) section")
    sections.add_argument("--ladder", action="store_true", help="run only the paced-load ladder")
    parser.add_argument("--slow-clients", type=int, default=500, help="slow connections in --attack (default 500)")
    parser.add_argument("--attack-seconds", type=float, default=75.0, help="how long each --attack run lasts (default 75)")
    args = parser.parse_args()
    if min(args.calls, args.http_calls, args.episodes, args.episodes_created, args.cost_episodes) < 1:
        parser.error("--calls, --http-calls, --episodes, --episodes-created and --cost-episodes must be at least 1")
    if args.ladder:
        ladder = asyncio.run(bench_ladder(lookups(load_template()), args.ladder_rungs, args.overload))
        ladder["machine"] = machine()
        print(json.dumps(ladder, indent=2) if args.json else report_ladder(ladder))
        return 1 if any(rung["errors"] for rung in ladder["rungs"]) else 0
    if args.attack:
        attack = asyncio.run(bench_slow_clients(args))
        print(json.dumps(attack, indent=2) if args.json else report_attack(attack))
        return 1 if any(run["call_errors"] for run in attack["runs"]) else 0
    if args.ownership:
        ownership = asyncio.run(bench_ownership())
        print(json.dumps(ownership, indent=2) if args.json else report_ownership(ownership))
        return 1 if ownership_failed(ownership) else 0
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 1 if failed(results) else 0


if __name__ == "__main__":
    sys.exit(main())
