"""What one open episode costs the server, in-process: resident memory while it is open, and the time
from asking for a fresh episode to the answer of its first query.

Episodes are opened through the registry and worked in through the same runtime the tools use
(``fetch_one`` for a read, ``writing()`` for a write), so the figures follow the storage model
whatever it is. Memory is the growth of this process's resident set (VmRSS) while N episodes are
open, divided by N: SQLite allocates outside Python, so tracemalloc would not see it. The section
runs first in the bench, on a process that has not yet freed worlds whose memory could be reused.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

from bench_support import percentiles

from mcp_server.episodes import Episode, EpisodeRegistry
from mcp_server.tools.runtime import fetch_one, reset_current_episode, set_current_episode, writing
from mcp_server.world.store import Template

FIRST_QUERY = "SELECT id, status, total FROM orders WHERE id = ?"
FIRST_WRITE = "UPDATE customers SET notes = ? WHERE id = ?"


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (the episode-cost figures need Linux)")


async def _in_episode(episode: Episode, sql: str, params: tuple[Any, ...], write: bool) -> None:
    token = set_current_episode(episode)
    try:
        if write:
            async with writing() as db:
                await db.execute(sql, params)
        else:
            await fetch_one(sql, params)
    finally:
        reset_current_episode(token)


async def bench_episode_cost(template: Template, n: int) -> dict[str, Any]:
    """Open n episodes that each answer one read, then make one write in each; memory and times of both."""
    probe = template.connect_sync()
    try:
        order_id = probe.execute("SELECT id FROM orders ORDER BY id LIMIT 1").fetchone()[0]
        customer_id = probe.execute("SELECT id FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        probe.close()
    registry = EpisodeRegistry(template, max_episodes=n + 10)
    warm = await registry.get("cost-warm-up")  # whatever is shared by all episodes is paid here, once
    await _in_episode(warm, FIRST_QUERY, (order_id,), write=False)
    await _in_episode(warm, FIRST_WRITE, ("warm", customer_id), write=True)
    gc.collect()
    start_mb = rss_mb()
    episodes: list[Episode] = []
    read_samples: list[float] = []
    for index in range(n):
        began = time.perf_counter()
        episode = await registry.get(f"cost-{index}")
        await _in_episode(episode, FIRST_QUERY, (order_id,), write=False)
        read_samples.append(time.perf_counter() - began)
        episodes.append(episode)
    gc.collect()
    read_mb = rss_mb()
    write_samples: list[float] = []
    for episode in episodes:
        began = time.perf_counter()
        await _in_episode(episode, FIRST_WRITE, (f"note {episode.id}", customer_id), write=True)
        write_samples.append(time.perf_counter() - began)
    gc.collect()
    written_mb = rss_mb()
    await registry.close_all()
    return {
        "episodes": n,
        "world_image_mb": round(len(template.image) / 1e6, 2),
        "rss_mb_per_episode_read_only": round((read_mb - start_mb) / n, 3),
        "rss_mb_per_episode_after_a_write": round((written_mb - start_mb) / n, 3),
        "fresh_episode_first_query": percentiles(read_samples),
        "first_write_of_an_episode": percentiles(write_samples),
    }


def report_episode_cost(cost: dict[str, Any]) -> str:
    fresh, write = cost["fresh_episode_first_query"], cost["first_write_of_an_episode"]
    return "\n".join([
        f"episode cost ({cost['episodes']} episodes open in-process, {cost['world_image_mb']} MB world image)",
        f"  memory per open episode, read only:     {cost['rss_mb_per_episode_read_only']:7.3f} MB  (target <= 0.5 MB)",
        f"  memory per open episode, after a write: {cost['rss_mb_per_episode_after_a_write']:7.3f} MB",
        f"  fresh episode + first query:  p50 {fresh['p50_ms']:.3f} ms  p99 {fresh['p99_ms']:.3f} ms  (target p50 < 0.5 ms)",
        f"  first write of an episode:    p50 {write['p50_ms']:.3f} ms  p99 {write['p99_ms']:.3f} ms",
    ])
