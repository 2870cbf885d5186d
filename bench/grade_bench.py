"""Grading benchmark: what replaying every transcript (verified grading) costs.

    .venv/bin/python bench/grade_bench.py [--run DIR] [--repeat N] [--json]

Records: the held-out reference runs, made here by `scripted/reference` through the in-process
server exactly as `corecraft run` makes them (150 episodes, a second or two), or the transcripts
of an existing run directory (--run). Then, each timed --repeat times (best kept), with no judge:

- without replay: the deterministic criteria over the world the record claims (what grading did
  before it verified transcripts: ``Grader.deterministic``);
- with replay: ``Grader.grade_all``, replay first, on a fresh grader each time so that no replay
  is served from an earlier repetition's cache.

It prints both, their ratio, and how many server replays the graded run made.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.grading.grader import Grader  # noqa: E402
from harness.grading.records import read_records  # noqa: E402
from harness.runner import RunConfig, execute_run  # noqa: E402
from harness.tasks.loader import TaskWithRubric, load_suite  # noqa: E402
from harness.transcript import EpisodeRecord  # noqa: E402
from mcp_server.world.store import load_template  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def reference_runs(out: Path) -> list[EpisodeRecord]:
    config = RunConfig(model="scripted/reference", split="heldout", out_dir=out, tasks_root=REPO)
    asyncio.run(execute_run(config, stream=io.StringIO()))
    return read_records(out / "transcripts.jsonl")


def best_of(repeat: int, measure: Any) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        measure()
        times.append(time.perf_counter() - started)
    return min(times)


def bench(records: list[EpisodeRecord], suite: list[TaskWithRubric], repeat: int) -> dict[str, Any]:
    template = load_template()
    pairs = {pair.task.id: pair for pair in suite}
    trusting = Grader(suite, template, judge=None)
    without = best_of(repeat, lambda: [trusting.deterministic(r, pairs[r.task_id]) for r in records])
    graders: list[Grader] = []

    def graded() -> None:
        graders.append(Grader(suite, template, judge=None))
        grades = asyncio.run(graders[-1].grade_all(records))
        unverified = [g for g in grades if g.status == "unverified"]
        if unverified:
            raise SystemExit(f"{len(unverified)} records did not replay, first: {unverified[0].key}: {unverified[0].reason}")

    with_replay = best_of(repeat, graded)
    return {
        "records": len(records),
        "tool_calls": sum(len(r.tool_calls) for r in records),
        "without_replay_s": round(without, 3),
        "with_replay_s": round(with_replay, 3),
        "ratio": round(with_replay / without, 2),
        "per_record_added_ms": round(1000 * (with_replay - without) / len(records), 2),
        "server_replays": graders[-1].replayer.replays_run,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=None, help="grade this run directory's transcripts instead")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each; the best is kept (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as scratch:
        records = read_records(args.run / "transcripts.jsonl") if args.run else reference_runs(Path(scratch) / "run")
    suite = load_suite(REPO, ids=sorted({r.task_id for r in records}))
    result = bench(records, suite, max(1, args.repeat))
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['records']} records, {result['tool_calls']} tool calls, {result['server_replays']} server replays")
    print(f"without replay: {result['without_replay_s']:.3f} s")
    print(f"with replay:    {result['with_replay_s']:.3f} s  ({result['ratio']:.2f}x, "
          f"+{result['per_record_added_ms']:.2f} ms per record)")


if __name__ == "__main__":
    main()
