"""Peer comparison: the same episode workload through Inspect AI and through this harness, in one run.

    .venv/bin/pip install -e '.[bench]'     # Inspect AI: an optional extra, never a runtime dependency
    .venv/bin/python bench/peer_inspect.py [--episodes N] [--concurrency N] [--json]

The workload, identical for every arm: N episodes at concurrency C, each with its own private world,
the server's 23 tools listed to the model, three scripted tool calls (searchCustomers, searchOrders,
searchTickets for cus-00001, one per turn) and then a final reply. No network and no model: Inspect
uses its mock model (``mockllm/model`` with a callable that emits the same calls), the harness its
scripted provider (``scripted/reference`` replaying the same three calls).

Arms:
- inspect over HTTP: Inspect's MCP client (``mcp_server_http``), one MCP session per sample held for
  the whole sample (so each sample gets its own private episode), against `corecraft serve
  --transport http` in its own process.
- harness over HTTP: `corecraft run --connection http` against the same server process.
- harness in-process: `corecraft run` (the default in-process server, no HTTP).

For each arm: CPU ms per episode (this process plus the server process, where there is one; both
from the OS), wall seconds, and the time from the start of the run to the first episode whose
model gave its final reply. Imports (Inspect, the SDKs) are made before any clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import ServerProcess  # noqa: E402
from harness_bench import READ_CALLS, count_records, process_cpu_s, write_suite  # noqa: E402

from harness.providers.base import ModelTurn, Provider, ToolSchema  # noqa: E402
from harness.runner import RunConfig, execute_run  # noqa: E402
from harness.tasks.models import Task  # noqa: E402
from mcp_server.world.store import load_template  # noqa: E402

FINAL_REPLY = "Summary."


class FirstFinished:
    """When the first episode's model gave its final reply, on the clock of ``perf_counter``."""

    def __init__(self) -> None:
        self.at: float | None = None

    def mark(self) -> None:
        if self.at is None:
            self.at = time.perf_counter()


# --- this harness -------------------------------------------------------------------------------------


class MarkingProvider:
    """``scripted/reference`` that notes when the first episode's final reply is made."""

    def __init__(self, inner: Provider, first: FirstFinished) -> None:
        self.inner, self.first = inner, first
        self.model, self.settings = inner.model, inner.settings

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> Any:
        return _MarkingConversation(self.inner.open(system=system, tools=tools, prompt=prompt, task=task), self.first)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _MarkingConversation:
    def __init__(self, inner: Any, first: FirstFinished) -> None:
        self.inner, self.first = inner, first

    async def next_turn(self) -> ModelTurn:
        turn: ModelTurn = await self.inner.next_turn()
        if not turn.tool_calls:
            self.first.mark()
        return turn

    def add_tool_results(self, results: list[Any]) -> None:
        self.inner.add_tool_results(results)


async def run_harness(suite: Path, scratch: Path, episodes: int, concurrency: int, server: ServerProcess | None) -> dict[str, Any]:
    from harness.providers.registry import create_provider

    tasks = min(episodes, 50)
    first = FirstFinished()
    provider = MarkingProvider(create_provider("scripted/reference", {}), first)
    config = RunConfig(model="scripted/reference", split="heldout", out_dir=scratch / f"harness-{'http' if server else 'inprocess'}",
                       trials=max(1, episodes // tasks), concurrency=concurrency, tasks_root=suite,
                       connection="http" if server else "inprocess", server_url=server.url if server else None)
    return await _measure(lambda: execute_run(config, provider=provider, stream=io.StringIO()), first, server,
                          lambda: count_records(config.out_dir))


# --- Inspect AI ---------------------------------------------------------------------------------------


def inspect_task(episodes: int, server_url: str, first: FirstFinished) -> Any:
    """An Inspect task: N samples, each holding one MCP session (its own episode) to the server for
    the whole sample while the mock model makes the three calls and replies."""
    from inspect_ai import Task as InspectTask
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import Generate, TaskState, solver
    from inspect_ai.tool import mcp_connection, mcp_server_http

    @solver
    def mcp_episode() -> Any:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            server = mcp_server_http(url=server_url, name="corecraft")
            async with mcp_connection([server]):
                state.tools = list(await server.tools())
                return await generate(state, tool_calls="loop")

        return solve

    samples = [Sample(input="Summarise customer cus-00001's account.", target=FINAL_REPLY, id=f"bench-{i:04d}")
               for i in range(episodes)]
    return InspectTask(dataset=samples, solver=mcp_episode(), scorer=includes())


def mock_model(first: FirstFinished) -> Any:
    """Inspect's mock model answering like the scripted agent: the next call of READ_CALLS per tool
    result seen so far, then the final reply."""
    from inspect_ai.model import ChatMessageTool, ModelOutput, ModelUsage, get_model

    def next_output(messages: list[Any], tools: list[Any], tool_choice: Any, config: Any) -> ModelOutput:
        done = sum(isinstance(message, ChatMessageTool) for message in messages)
        if done < len(READ_CALLS):
            call = READ_CALLS[done]
            output = ModelOutput.for_tool_call(model="mockllm/model", tool_name=call["tool"], tool_arguments=call["arguments"],
                                               tool_call_id=f"call-{done}")
        else:
            first.mark()
            output = ModelOutput.from_content(model="mockllm/model", content=FINAL_REPLY)
        # Usage given, as the scripted agent's is: else the mock counts tokens with tiktoken, whose
        # first use downloads its encoding (no network here).
        output.usage = ModelUsage(input_tokens=1000, output_tokens=50, total_tokens=1050)
        return output

    return get_model("mockllm/model", custom_outputs=next_output)


async def run_inspect(scratch: Path, episodes: int, concurrency: int, server: ServerProcess) -> dict[str, Any]:
    from inspect_ai import eval_async

    first = FirstFinished()
    task = inspect_task(episodes, server.url, first)
    model = mock_model(first)
    logs: list[Any] = []

    async def run() -> None:
        logs.extend(await eval_async(task, model=model, max_samples=concurrency, max_connections=concurrency,
                                     max_tasks=1, log_dir=str(scratch / "inspect-logs"), fail_on_error=False))

    def statuses() -> dict[str, int]:
        log = logs[0]
        counts: dict[str, int] = {}
        for sample in log.samples or []:
            calls = sum(1 for message in sample.messages if message.role == "tool" and not message.error)
            key = "completed" if sample.error is None and calls == len(READ_CALLS) else "error"
            if key == "error" and sample.error is not None:  # say why, once per distinct message
                key = f"error: {sample.error.message[:160]}"
            counts[key] = counts.get(key, 0) + 1
        return counts or {f"eval {log.status}": 1}

    return await _measure(run, first, server, statuses)


# --- measuring ----------------------------------------------------------------------------------------


async def _measure(run: Any, first: FirstFinished, server: ServerProcess | None, statuses: Any) -> dict[str, Any]:
    server_cpu = process_cpu_s(server.process.pid) if server else None
    cpu = time.process_time()
    started = time.perf_counter()
    await run()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if server is not None and server_cpu is not None:
        cpu += (process_cpu_s(server.process.pid) or server_cpu) - server_cpu
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "first_finished_s": None if first.at is None else round(first.at - started, 3), "statuses": statuses()}


async def bench(episodes: int, concurrency: int) -> dict[str, Any]:
    import inspect_ai
    from inspect_ai.util._display import init_display_type

    init_display_type("none")  # no live display: it would cost CPU and fill the terminal
    logging.getLogger("inspect_ai").setLevel(logging.WARNING)
    results: dict[str, Any] = {"inspect_ai": inspect_ai.__version__}
    with tempfile.TemporaryDirectory(prefix="corecraft-peer-") as scratch_dir:
        scratch = Path(scratch_dir)
        suite = write_suite(scratch / "suite", min(episodes, 50), len(READ_CALLS))
        async with ServerProcess("--max-episodes", str(max(512, 2 * concurrency))) as server:
            # Warm-up, untimed: both clients' first connection, and the server's first episodes.
            await run_inspect(scratch / "warm-inspect", min(episodes, 5), 5, server)
            await run_harness(suite, scratch / "warm-harness", 5, 5, server)
            results["inspect_http"] = await run_inspect(scratch, episodes, concurrency, server)
            results["harness_http"] = await run_harness(suite, scratch, episodes, concurrency, server)
        results["harness_inprocess"] = await run_harness(suite, scratch, episodes, concurrency, None)
    for arm in ("inspect_http", "harness_http", "harness_inprocess"):
        results[arm]["cpu_ms_per_episode"] = round(1000 * results[arm]["cpu_s"] / episodes, 2)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("INSPECT_LOG_LEVEL", "warning")
    try:
        import inspect_ai  # noqa: F401 - imported before any clock starts
    except ImportError:
        print("Inspect AI is not installed: .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 2
    import harness.providers.registry  # noqa: F401
    load_template()
    results = asyncio.run(bench(args.episodes, args.concurrency))
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}
    results["episodes"], results["concurrency"] = args.episodes, args.concurrency
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    machine = results["machine"]
    print(f"machine: {machine['cpus']} CPUs, load average {machine['load_average_1m']} at the end, Python {machine['python']}; "
          f"Inspect AI {results['inspect_ai']}; {args.episodes} episodes x {len(READ_CALLS)} tool calls, concurrency {args.concurrency}")
    labels = {"inspect_http": "Inspect AI, MCP over HTTP", "harness_http": "this harness, MCP over HTTP",
              "harness_inprocess": "this harness, in-process"}
    for arm, label in labels.items():
        r = results[arm]
        print(f"{label:28} {r['cpu_ms_per_episode']:8.2f} ms CPU per episode (server included), wall {r['wall_s']:7.3f} s, "
              f"first finished episode at {r['first_finished_s']} s; statuses {r['statuses']}")
    peer = results["inspect_http"]
    for arm in ("harness_http", "harness_inprocess"):
        ours = results[arm]
        first = (f"{peer['first_finished_s'] / ours['first_finished_s']:.1f}x"
                 if peer["first_finished_s"] and ours["first_finished_s"] else "n/a")
        print(f"Inspect / {labels[arm]}: CPU per episode {peer['cpu_s'] / ours['cpu_s']:.1f}x, time to first finished episode {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
