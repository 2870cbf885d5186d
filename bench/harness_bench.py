"""Harness benchmark: the runner's own overhead, and how close it gets to ideal concurrency.

    .venv/bin/python bench/harness_bench.py [--json] [--part overhead|latency|adapters|all]
        [--episodes N] [--concurrency N] [--latency S] [--turns N]

(a) overhead: `scripted/reference` (no model latency) over the in-process server, end to end
    through `execute_run` (manifest, per-episode world, MCP client, transcript fsync): episodes/s.
(b) latency: an OpenAI-compatible stub (bench/stub_model_server.py) that answers every model turn
    after a fixed delay, in its own process on a loopback port, driven through the real OpenAI SDK,
    the real provider and the real runner: 200 episodes x 3 turns x 1 s at concurrency 50 against
    the ideal episodes x turns x latency / concurrency = 12 s. Target: within 5 % of ideal (issue
    #12). The same run with an in-process fake model shows the harness without any HTTP. The CPU
    each process spent during the run is printed apart: a real model server runs elsewhere, so the
    stub's share of this machine is not the harness's cost.

(c) adapters: CPU per model request of each HTTP provider adapter (openai-compatible, openai,
    openai-responses, anthropic) through its real SDK against httpx2.MockTransport, with the
    world's real tool list and system prompt: what every turn costs the harness process, free of
    the wall-clock noise of (b).

(a) and (b) use a synthetic task suite written to a temporary directory (tasks whose reference calls
read customers, orders and tickets), so the figures do not depend on the task set in the repo.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.runner import RunConfig, execute_run  # noqa: E402
from mcp_server.world.store import load_template  # noqa: E402
from stub_model_server import READ_CALLS  # noqa: E402 - bench/ is this script's own directory

STUB_SERVER = Path(__file__).resolve().with_name("stub_model_server.py")
STUB_MODEL = "stub-model"


def write_suite(root: Path, tasks: int, calls_per_task: int) -> Path:
    for number in range(tasks):
        task_id = f"bench-{number:04d}"
        calls = [READ_CALLS[i % len(READ_CALLS)] for i in range(calls_per_task)]
        task = {
            "id": task_id, "split": "heldout", "category": "information_retrieval", "difficulty": "easy",
            "requester": "employee", "requester_id": "emp-001", "prompt": "Summarise customer cus-00001's account.",
            "reference": {"calls": calls, "reply": "Summary."},
        }
        rubric = {"task_id": task_id, "criteria": [{"id": "replied", "text": "The reply is not empty", "kind": "format",
                                                     "check": {"method": "response", "pattern": "."}}]}
        for kind, body in (("tasks", task), ("rubrics", rubric)):
            path = root / kind / "heldout" / f"{task_id}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(body), encoding="utf-8")
    return root


def count_records(out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (out / "transcripts.jsonl").read_text(encoding="utf-8").splitlines():
        status = json.loads(line)["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts


async def bench_overhead(episodes: int, concurrency: int, calls: int) -> dict[str, Any]:
    tasks = 20
    trials = max(1, episodes // tasks)
    with tempfile.TemporaryDirectory(prefix="corecraft-bench-") as scratch:
        root = write_suite(Path(scratch) / "suite", tasks, calls)
        config = RunConfig(model="scripted/reference", split="heldout", out_dir=Path(scratch) / "run", trials=trials,
                           concurrency=concurrency, tasks_root=root)
        started = time.perf_counter()
        summary = await execute_run(config, stream=io.StringIO())
        elapsed = time.perf_counter() - started
        counts = count_records(config.out_dir)
    ran = tasks * trials
    return {
        "episodes": ran, "tool_calls_per_episode": calls, "concurrency": concurrency, "seconds": round(elapsed, 3),
        "episodes_per_s": round(ran / elapsed, 1), "tool_calls_per_s": round(ran * calls / elapsed, 1),
        "ms_per_episode": round(1000 * elapsed / ran, 2), "statuses": counts, "exit_code": summary.exit_code,
    }


# --- (b): a model with a fixed latency per turn ---------------------------------------------


class LatencyModel:
    """An in-process provider that answers after ``latency_s``: the harness alone, no SDK."""

    model = "fake/latency"
    settings: dict[str, Any] = {}

    def __init__(self, latency_s: float, tool_turns: int) -> None:
        self.latency_s, self.tool_turns = latency_s, tool_turns

    def open(self, *, system: str, tools: list[Any], prompt: str, task: Any) -> LatencyConversation:
        return LatencyConversation(self)

    async def aclose(self) -> None:
        return None


class LatencyConversation:
    def __init__(self, model: LatencyModel) -> None:
        self.model, self.turn = model, 0

    async def next_turn(self) -> Any:
        from harness.providers.base import ModelTurn, ToolCall
        from harness.transcript import Usage

        await asyncio.sleep(self.model.latency_s)
        self.turn += 1
        usage = Usage(input_tokens=1000, output_tokens=50)
        if self.turn <= self.model.tool_turns:
            call = READ_CALLS[(self.turn - 1) % len(READ_CALLS)]
            return ModelTurn(text="", tool_calls=[ToolCall(id=f"c{self.turn}", name=call["tool"], arguments=call["arguments"])],
                             usage=usage, stop_reason="tool_calls")
        return ModelTurn(text="Summary: all good.", tool_calls=[], usage=usage, stop_reason="stop")

    def add_tool_results(self, results: list[Any]) -> None:
        return None


# --- (b): the stub model server (bench/stub_model_server.py, in its own process) -------------


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a child process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the stub did not start on port {port}")


async def bench_latency(episodes: int, concurrency: int, latency_s: float, turns: int, *, through_sdk: bool) -> dict[str, Any]:
    """``through_sdk``: the OpenAI-compatible provider and SDK against the stub process; else the
    in-process LatencyModel (what the harness itself costs)."""
    port = free_port()
    stub = None
    if through_sdk:
        stub = subprocess.Popen(
            [sys.executable, str(STUB_SERVER), str(port), "--latency", str(latency_s), "--tool-turns", str(turns - 1),
             "--model", STUB_MODEL],
            stdout=subprocess.DEVNULL,
        )
    try:
        if stub is not None:
            wait_for_port(port)
        tasks = min(episodes, 50)
        trials = max(1, episodes // tasks)
        with tempfile.TemporaryDirectory(prefix="corecraft-bench-") as scratch:
            root = write_suite(Path(scratch) / "suite", tasks, turns - 1)
            prices = Path(scratch) / "prices.json"
            prices.write_text(json.dumps({STUB_MODEL: {"input": 0, "output": 0}, "fake/latency": {"input": 0, "output": 0}}))
            config = RunConfig(model=f"openai-compatible/{STUB_MODEL}" if through_sdk else "fake/latency", split="heldout",
                               out_dir=Path(scratch) / "run", trials=trials, concurrency=concurrency, tasks_root=root,
                               base_url=f"http://127.0.0.1:{port}/v1" if through_sdk else None, price_table=prices)
            provider = None if through_sdk else LatencyModel(latency_s, turns - 1)
            # Importing an SDK is a one-off start-up cost of the process (about a second for openai),
            # not a cost of running episodes at scale: time it apart and report it beside the run.
            import_started = time.perf_counter()
            if through_sdk:
                importlib.import_module("harness.providers.openai_chat")
            sdk_import_s = time.perf_counter() - import_started
            # The stub's CPU during the run only: its start-up (imports) is not per-request work.
            stub_cpu_started = process_cpu_s(stub.pid) if stub is not None else None
            started = time.perf_counter()
            cpu_started = time.process_time()
            summary = await execute_run(config, provider=provider, stream=io.StringIO())
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            stub_cpu_ended = process_cpu_s(stub.pid) if stub is not None else None
            stub_cpu = None if stub_cpu_started is None or stub_cpu_ended is None else stub_cpu_ended - stub_cpu_started
            counts = count_records(config.out_dir)
            durations = [json.loads(line)["duration_s"] for line in (config.out_dir / "transcripts.jsonl").read_text().splitlines()]
            size = (config.out_dir / "transcripts.jsonl").stat().st_size
    finally:
        if stub is not None:
            stub.terminate()
            stub.wait(10)
    ran = tasks * trials
    ideal = ran * turns * latency_s / concurrency
    return {
        "provider": "openai-compatible via the OpenAI SDK, stub in its own process" if through_sdk else "in-process fake",
        "episodes": ran, "turns_per_episode": turns, "latency_s": latency_s, "concurrency": concurrency,
        "seconds": round(elapsed, 3), "ideal_seconds": round(ideal, 3), "sdk_import_s": round(sdk_import_s, 3),
        "over_ideal_pct": round(100 * (elapsed - ideal) / ideal, 2), "target_pct": 5.0,
        "mean_episode_s": round(sum(durations) / len(durations), 3), "harness_cpu_s": round(cpu, 2),
        "harness_cpu_ms_per_turn": round(1000 * cpu / (ran * turns), 2),
        "stub_cpu_s": None if stub_cpu is None else round(stub_cpu, 2),
        "stub_cpu_ms_per_request": None if stub_cpu is None else round(1000 * stub_cpu / (ran * turns), 2),
        "transcript_mb": round(size / 1e6, 2), "statuses": counts, "exit_code": summary.exit_code,
    }


# --- (c): CPU per request of each provider adapter ---------------------------------------------


def _canned_reply(prefix: str, turn: int, tool_turns: int) -> dict[str, Any]:
    """Turn ``turn``'s reply in ``prefix``'s wire format: a searchOrders call, or the final text."""
    calling = turn < tool_turns
    arguments = json.dumps({"customer_id": "cus-00001"})
    usage = {"input_tokens": 1000, "output_tokens": 50, "prompt_tokens": 1000, "completion_tokens": 50}
    if prefix == "anthropic":
        block = ({"type": "tool_use", "id": f"t{turn}", "name": "searchOrders", "input": json.loads(arguments)}
                 if calling else {"type": "text", "text": "Summary."})
        return {"id": "msg", "type": "message", "role": "assistant", "model": "m", "content": [block],
                "stop_reason": "tool_use" if calling else "end_turn", "usage": usage}
    if prefix == "openai-responses":
        item = ({"type": "function_call", "id": f"fc{turn}", "call_id": f"c{turn}", "name": "searchOrders",
                 "arguments": arguments} if calling else
                {"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "Summary."}]})
        return {"id": "resp", "object": "response", "status": "completed", "output": [item], "usage": usage}
    message: dict[str, Any] = ({"role": "assistant", "content": None, "tool_calls": [
        {"id": f"c{turn}", "type": "function", "function": {"name": "searchOrders", "arguments": arguments}}]}
        if calling else {"role": "assistant", "content": "Summary."})
    return {"id": "cmpl", "object": "chat.completion", "model": "m", "usage": usage,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calling else "stop"}]}


async def bench_adapters(episodes: int, turns: int) -> dict[str, Any]:
    import httpx2
    from mcp import Client

    from harness.agent import system_prompt, tool_schemas
    from harness.providers.base import ToolResult
    from harness.providers.registry import http_provider_class
    from harness.providers.settings import ModelSettings
    from harness.tasks.models import ReferenceSolution, Task
    from mcp_server.server import build_server

    async with Client(build_server()) as client:
        listed = await client.list_tools()
        tools = tool_schemas(getattr(listed, "tools", listed))
    task = Task(id="bench", split="heldout", category="information_retrieval", difficulty="easy", requester="employee",
                requester_id="emp-001", prompt="Summarise customer cus-00001's account.",
                reference=ReferenceSolution(calls=[], reply="Summary."))
    system = system_prompt(task)
    result_text = json.dumps([{"order_id": f"ord-{i:05d}", "status": "shipped", "total": 12.5 * i} for i in range(20)])
    results: dict[str, Any] = {}
    for prefix, model in (("openai-compatible", "stub-model"), ("openai", "gpt-5.2"),
                          ("openai-responses", "gpt-5.2"), ("anthropic", "claude-opus-4-6")):
        replies = [json.dumps(_canned_reply(prefix, turn, turns - 1)).encode() for turn in range(turns)]
        sent: list[int] = []

        def answer(request: httpx2.Request, replies: list[bytes] = replies, sent: list[int] = sent) -> httpx2.Response:
            sent.append(len(request.content))
            return httpx2.Response(200, content=replies[(len(sent) - 1) % len(replies)],
                                   headers={"content-type": "application/json"})

        http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
        base_url = "http://stub" if prefix == "anthropic" else "http://stub/v1"
        provider = http_provider_class(prefix)(model, ModelSettings(), api_key="bench", base_url=base_url, http_client=http)
        requests, cpu = 0, 0.0
        for episode in range(episodes + 5):  # the first 5 warm up
            started = time.process_time()
            conversation = provider.open(system=system, tools=tools, prompt=task.prompt, task=task)
            for _ in range(turns):
                turn = await conversation.next_turn()
                if not turn.tool_calls:
                    break
                conversation.add_tool_results(
                    [ToolResult(call_id=c.id, name=c.name, text=result_text, is_error=False) for c in turn.tool_calls])
            if episode >= 5:
                cpu += time.process_time() - started
                requests += turns
        await provider.aclose()
        results[prefix] = {"requests": requests, "cpu_ms_per_request": round(1000 * cpu / requests, 3),
                           "request_kb": round(max(sent) / 1000, 1)}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("overhead", "latency", "adapters", "all"), default="all")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=1.0, help="stub seconds per model turn (part b)")
    parser.add_argument("--turns", type=int, default=3, help="model turns per episode (part b; part a makes turns-1 calls too)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_template()  # build or read the world cache outside the timings
    import harness.providers.registry  # noqa: F401 - SDK imports (seconds) are start-up, not per-run work
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}
    }
    if args.part in ("overhead", "all"):
        results["overhead"] = asyncio.run(bench_overhead(args.episodes, args.concurrency, args.turns - 1))
    if args.part in ("latency", "all"):
        results["latency_fake"] = asyncio.run(bench_latency(args.episodes, args.concurrency, args.latency, args.turns, through_sdk=False))
        results["latency_sdk"] = asyncio.run(bench_latency(args.episodes, args.concurrency, args.latency, args.turns, through_sdk=True))
    if args.part in ("adapters", "all"):
        results["adapters"] = asyncio.run(bench_adapters(args.episodes, args.turns))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    machine = results["machine"]
    print(f"machine: {machine['cpus']} CPUs, load average {machine['load_average_1m']} at start, Python {machine['python']}")
    if "overhead" in results:
        o = results["overhead"]
        print(f"(a) harness overhead, scripted/reference in-process: {o['episodes']} episodes x {o['tool_calls_per_episode']} "
              f"tool calls at concurrency {o['concurrency']}: {o['seconds']} s = {o['episodes_per_s']} episodes/s "
              f"({o['ms_per_episode']} ms per episode, {o['tool_calls_per_s']} tool calls/s); statuses {o['statuses']}")
    for key in ("latency_fake", "latency_sdk"):
        if key in results:
            b = results[key]
            print(f"(b) {b['provider']}: {b['latency_s']} s per turn, {b['turns_per_episode']} turns, {b['episodes']} episodes at "
                  f"concurrency {b['concurrency']}: {b['seconds']} s vs ideal {b['ideal_seconds']} s "
                  f"({b['over_ideal_pct']:+.1f} % over; target <= {b['target_pct']:.0f} %); mean episode {b['mean_episode_s']} s; "
                  f"transcripts {b['transcript_mb']} MB; statuses {b['statuses']}")
            # Both processes share this machine's CPUs: the stub's share is not the harness's cost.
            stub_cpu = ("" if b["stub_cpu_s"] is None else
                        f"; stub model server {b['stub_cpu_s']} s ({b['stub_cpu_ms_per_request']} ms per request), "
                        f"SDK import {b['sdk_import_s']} s (before the clock)")
            print(f"    CPU during the run: harness {b['harness_cpu_s']} s ({b['harness_cpu_ms_per_turn']} ms per turn){stub_cpu}")
    for prefix, c in results.get("adapters", {}).items():
        print(f"(c) {prefix} adapter through its SDK (MockTransport): {c['cpu_ms_per_request']} ms CPU per request "
              f"({c['requests']} requests of up to {c['request_kb']} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
