"""The paced-load ladder: N concurrent HTTP episodes, each making its calls at a fixed pace, the way
agents do (a model thinks between tool calls), on a fresh `corecraft serve --transport http` per rung.

Each episode is opened with POST /episodes, makes CALLS plain JSON-RPC tool calls (stateless
protocol, its key in X-CoreCraft-Episode-Key) on a fixed timeline GAP_S apart (a slow answer does
not slow the pace), and is closed with DELETE, all on one keep-alive connection of bench/raw_http.py
(a lean client: the load generator runs on the same cores as the server and must not be the
ceiling; each row shows both processes' CPU). Episode starts are spread evenly over the first
GAP_S, as in a steady stream of arrivals. Reported per rung: calls answered, errors, calls refused
by admission control (503 with Retry-After), p50/p99 latency of answered calls, and the server's
peak resident memory, with p99 as a ratio of the 1 s target.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from pathlib import Path
from typing import Any

from bench_support import Lookups, ServerProcess, call_failure, key_headers, percentiles, stateless_call
from raw_http import RawConnection

LADDER = (100, 300, 1000)
CALLS = 5
GAP_S = 1.0
P99_TARGET_S = 1.0
RSS_EVERY_S = 0.25


class Rung:
    """What one rung saw, filled in by its episodes."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.refused: list[float] = []  # time to a 503, per refused request
        self.errors: list[str] = []
        self.episodes_run = 0


async def _one_episode(server: ServerProcess, cases: Lookups, index: int, start_at: float, calls: int, gap_s: float,
                       rung: Rung) -> None:
    plan = list(cases.values())
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    connection = RawConnection("127.0.0.1", server.port)
    try:
        await _episode_calls(connection, server, plan, index, calls, gap_s, rung)
    finally:
        await connection.close()


async def _episode_calls(connection: RawConnection, server: ServerProcess, plan: list[tuple[str, dict[str, Any]]],
                         index: int, calls: int, gap_s: float, rung: Rung) -> None:
    try:
        opened = await connection.request("POST", "/episodes", {"label": f"paced-{index}"})
    except Exception as exc:  # noqa: BLE001 - counted, never fatal to the others
        rung.errors.append(f"paced-{index}: opening: {type(exc).__name__}: {exc}"[:300])
        return
    if opened.status == 503:
        rung.refused.append(0.0)
        return
    if opened.status != 201:
        rung.errors.append(f"paced-{index}: opening: {opened.status} {opened.body[:200]!r}")
        return
    episode_id, key = opened.json()["episode_id"], opened.json()["key"]
    rung.episodes_run += 1
    began = time.perf_counter()
    for call in range(calls):
        await asyncio.sleep(max(0.0, began + call * gap_s - time.perf_counter()))
        tool, arguments = plan[(index + call) % len(plan)]
        headers, body = stateless_call(tool, arguments, key)
        sent = time.perf_counter()
        try:
            response = await connection.request("POST", "/mcp", body, headers)
        except Exception as exc:  # noqa: BLE001
            rung.errors.append(f"paced-{index}: {type(exc).__name__}: {exc}"[:300])
            continue
        took = time.perf_counter() - sent
        if response.status == 503:
            rung.refused.append(took)
            continue
        failure = call_failure(response.status, response.body)
        if failure:
            rung.errors.append(f"paced-{index}: {tool}: {failure}"[:300])
        else:
            rung.latencies.append(took)
    try:
        closed = await connection.request("DELETE", f"/episodes/{episode_id}", headers=key_headers(key))
        if closed.status != 200:
            rung.errors.append(f"paced-{index}: closing: {closed.status} {closed.body[:200]!r}")
    except Exception as exc:  # noqa: BLE001
        rung.errors.append(f"paced-{index}: closing: {type(exc).__name__}: {exc}"[:300])


def _cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by process ``pid``, or by this one."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _watch_rss(server: ServerProcess, peak: list[float]) -> None:
    while True:
        rss = server.rss_mb()
        if rss is not None:
            peak[0] = max(peak[0], rss)
        await asyncio.sleep(RSS_EVERY_S)


async def paced_rung(cases: Lookups, episodes: int, calls: int = CALLS, gap_s: float = GAP_S,
                     server_flags: tuple[str, ...] = ()) -> dict[str, Any]:
    flags = ("--max-episodes", str(episodes + 100), "--max-connections", str(episodes + 100), *server_flags)
    rung = Rung()
    async with ServerProcess(*flags) as server:
        idle_mb = server.rss_mb() or 0.0
        peak = [idle_mb]
        watcher = asyncio.create_task(_watch_rss(server, peak))
        try:
            start, server_cpu, client_cpu = time.perf_counter(), _cpu_s(server.process.pid), _cpu_s()
            await asyncio.gather(*(
                _one_episode(server, cases, i, start + gap_s * i / episodes, calls, gap_s, rung) for i in range(episodes)
            ))
            wall = time.perf_counter() - start
            server_cpu, client_cpu = _cpu_s(server.process.pid) - server_cpu, _cpu_s() - client_cpu
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    latency = percentiles(rung.latencies) if rung.latencies else None
    return {
        "episodes": episodes, "episodes_run": rung.episodes_run, "calls_answered": len(rung.latencies),
        "errors": len(rung.errors), "first_errors": rung.errors[:5], "refused_503": len(rung.refused),
        "wall_s": round(wall, 2), "call_latency": latency,
        "p99_over_target": round(latency["p99_ms"] / (P99_TARGET_S * 1000), 3) if latency else None,
        "server_rss_idle_mb": idle_mb, "server_rss_peak_mb": peak[0],
        # Share of one core each process used over the rung: near 100 % means that process was the ceiling.
        "server_cpu_pct": round(100 * server_cpu / wall), "client_cpu_pct": round(100 * client_cpu / wall),
    }


async def bench_ladder(cases: Lookups, ladder: tuple[int, ...] = LADDER, overload: int | None = None) -> dict[str, Any]:
    rungs = [await paced_rung(cases, n) for n in ladder]
    out: dict[str, Any] = {"calls_per_episode": CALLS, "gap_s": GAP_S, "rungs": rungs}
    if overload:
        out["overload"] = await paced_rung(cases, overload)
    return out


def report_ladder(ladder: dict[str, Any]) -> str:
    lines = [
        f"paced load: concurrent HTTP episodes, {ladder['calls_per_episode']} calls each, {ladder['gap_s']:g} s apart "
        "(raw JSON-RPC clients in this process; target: no errors, p99 <= 1 s)",
        "  episodes  answered  errors  refused   p50 ms    p99 ms  p99/target  server RSS peak MB     CPU server/client",
    ]
    rows = [*ladder["rungs"], *([ladder["overload"]] if "overload" in ladder else [])]
    for rung in rows:
        latency = rung["call_latency"] or {"p50_ms": float("nan"), "p99_ms": float("nan")}
        lines.append(
            f"  {rung['episodes']:8d}  {rung['calls_answered']:8d}  {rung['errors']:6d}  {rung['refused_503']:7d}"
            f"  {latency['p50_ms']:7.1f}  {latency['p99_ms']:8.1f}  {rung['p99_over_target'] or float('nan'):10.2f}x"
            f"  {rung['server_rss_peak_mb']:10.1f} (idle {rung['server_rss_idle_mb']:.1f})"
            f"  {rung['server_cpu_pct']:4d} % / {rung['client_cpu_pct']} %"
        )
        lines += [f"    {e}" for e in rung["first_errors"][:3]]
    if "overload" in ladder:
        lines.append(f"  (the last row is past capacity: {ladder['overload']['episodes']} episodes)")
    lines.append("  CPU: share of one core over the rung; the load generator shares the machine with the server")
    return "\n".join(lines)
