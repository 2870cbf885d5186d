"""Before/after table of the rubric probes: how an older checkout's grader scores the transcripts
that today's probes produce (adversaries, alternative correct replies, the do-nothing agent).

Two phases, each run with the checkout whose code it needs:

    # 1. with this checkout: replay the references and write every probe transcript
    .venv/bin/python bench/probe_compare.py export --split heldout --out /tmp/probes.jsonl
    # 2. with an older checkout (a git worktree) on the path: grade them with its rubrics and grader
    git worktree add /tmp/old 985af31
    (cd /tmp/old && PYTHONPATH=/tmp/old /work/main/.venv/bin/python /work/main/bench/probe_compare.py grade --in /tmp/probes.jsonl)

Phase 2 imports only what every checkout has (the loader, the grader, the transcript format), so
it measures the old rubrics with the old grader on exactly the transcripts the new one sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, defaultdict
from pathlib import Path


def export(split: str, out: Path) -> None:
    from harness.grading.scope import TaskScope
    from harness.tasks.loader import load_suite
    from harness.tasks.probes import adversary_records, overreach_tasks, with_reply
    from harness.tasks.replay import replay_references
    from mcp_server.world.store import load_template

    template = load_template()
    tasks = [p.task for p in load_suite(".", split)]
    replays, _ = asyncio.run(replay_references(tasks, template))
    variants = overreach_tasks(tasks, TaskScope(template))
    overreaching, _ = asyncio.run(replay_references([v for v in variants if v is not None], template))
    over = iter(overreaching)
    with out.open("w", encoding="utf-8") as sink:
        for task, replay, variant in zip(tasks, replays, variants):
            record = replay.record
            probes = {"reference": record}
            if variant is not None:
                probes["overreach"] = next(over).record
            for n, text in enumerate(task.reference.alternatives, start=1):
                probes[f"alternative {n}"] = with_reply(record, text, "reference/alternative")
            probes.update(adversary_records(task, record, replay.write_tools))
            for name, probe in probes.items():
                sink.write(json.dumps({"probe": name, "record": json.loads(probe.model_dump_json())}) + "\n")
    print(f"wrote {out}")


def grade(source: Path) -> None:
    from harness.grading.grader import Grader
    from harness.tasks.loader import load_suite
    from harness.transcript import EpisodeRecord
    from mcp_server.world.store import load_template

    template = load_template()
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    ids = sorted({line["record"]["task_id"] for line in lines})
    suite = {p.task.id: p for p in load_suite(".", None, ids)}
    grader = Grader(list(suite.values()), template, judge=None)
    tried: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    passing: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        record = EpisodeRecord.model_validate(line["record"])
        record = record.model_copy(update={"world": record.world.model_copy(update={"content_hash": template.content_hash})})
        name = "alternatives" if line["probe"].startswith("alternative") else line["probe"]
        outcome = grader.deterministic(record, suite[record.task_id])
        ok = all(r.met is True for r in outcome.results.values())
        tried[name] += 1
        passed[name] += ok
        if ok:
            passing[name].append(record.task_id)
    print(f"{'probe':<14} {'tried':>6} {'passed':>7}")
    for name in tried:
        print(f"{name:<14} {tried[name]:>6} {passed[name]:>7}")
    print(json.dumps({k: v for k, v in passing.items() if k not in ('reference', 'alternatives')}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("export")
    ex.add_argument("--split", default="heldout")
    ex.add_argument("--out", type=Path, required=True)
    gr = commands.add_parser("grade")
    gr.add_argument("--in", dest="source", type=Path, required=True)
    args = parser.parse_args()
    export(args.split, args.out) if args.command == "export" else grade(args.source)


if __name__ == "__main__":
    main()
