"""`corecraft tasks`: validate the task set, print its statistics, write its JSON schemas."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from harness.cli.main import CliError
from harness.errors import HarnessError
from harness.tasks import schema as schema_module
from harness.tasks.loader import TaskFilesError, TaskWithRubric, load_suite
from harness.tasks.replay import real_server
from harness.tasks.stats import render_stats, task_stats
from harness.tasks.validate import render_probes, summarize_probes, validate_suite, validate_with_replays
from mcp_server.world.store import load_template


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("tasks", help="validate tasks, show statistics, write schemas",
                                   description="Work with the task and rubric files.")
    commands = parser.add_subparsers(dest="tasks_command", metavar="ACTION", required=True)

    validate = commands.add_parser(
        "validate", help="check every task against the real server",
        description="Check that every file parses, every reference solution passes its deterministic criteria "
        "when replayed through the server, a do-nothing agent fails every task, and every id exists.",
    )
    _common(validate)
    validate.add_argument("--ids", nargs="+", default=None, metavar="ID", help="only these tasks")
    validate.add_argument("--quiet", action="store_true", help="no progress output")
    validate.set_defaults(handler=run_validate)

    stats = commands.add_parser("stats", help="counts, criteria mix and coverage of the task set")
    _common(stats)
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.add_argument("--no-replay", action="store_true",
                       help="derive entity coverage from ids only, without replaying reference calls (and without the probe table)")
    stats.set_defaults(handler=run_stats)

    schema = commands.add_parser("schema", help="write tasks/task.schema.json and rubrics/rubric.schema.json")
    schema.add_argument("--root", type=Path, default=Path("."), help="repository root (default .)")
    schema.add_argument("--check", action="store_true", help="only check that the files are up to date")
    schema.set_defaults(handler=lambda args: schema_module.run(args.root, args.check))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="directory holding tasks/ and rubrics/ (default .)")
    parser.add_argument("--split", choices=("train", "heldout"), default=None, help="only this split")


class _Progress:
    """Progress on stderr: one updating line on a terminal, a line every 10 % otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int, task_id: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\rreplaying references: {done}/{total} {task_id[:40]:<40}", end=end, file=sys.stderr, flush=True)
            return
        step = max(1, total // 10)
        if done == total or done // step != self.shown:
            self.shown = done // step
            print(f"replaying references: {done}/{total}", file=sys.stderr, flush=True)


def _load(args: argparse.Namespace, ids: list[str] | None = None) -> list[TaskWithRubric] | None:
    """The selected tasks, or None after printing every file problem."""
    try:
        return load_suite(args.root, args.split, ids)
    except TaskFilesError as exc:
        print(str(exc), file=sys.stderr)
        return None


def run_validate(args: argparse.Namespace) -> int:
    suite = _load(args, args.ids)
    if suite is None:
        return 1
    if not suite:
        raise CliError(f"no tasks under {args.root / 'tasks'}")
    try:
        results = asyncio.run(
            validate_suite(suite, load_template(), server_factory=real_server, progress=_Progress(not args.quiet))
        )
    except HarnessError as exc:
        raise CliError(str(exc)) from exc
    failed = [r for r in results if not r.ok]
    skipped = sum(r.judge_criteria_skipped for r in results)
    for result in failed:
        print(f"FAIL {result.task_id}")
        for failure in result.failures:
            print(f"  - {failure}")
    print(render_probes(summarize_probes(results)))
    print(f"{len(results) - len(failed)} of {len(results)} tasks valid; {len(failed)} failed; "
          f"{skipped} judge criteria skipped (not checkable without a judge)")
    return 1 if failed else 0


def _trap_facts(root: Path) -> dict[str, Any]:
    """The world's trap manifest for coverage, and its instances outside every held-out entity."""
    from harness.tasks.generate.core import Exclusions, World, heldout_tasks
    from harness.tasks.trap_coverage import instances_per_type
    from mcp_server.world.trap_types import TrapManifestError, ids_by_type, load_manifest

    try:
        instances = load_manifest()
    except TrapManifestError as exc:
        raise CliError(str(exc)) from exc
    excluded = Exclusions.from_heldout(World.load(), heldout_tasks(Path(root))).ids
    return {"trap_ids": ids_by_type(), "world_traps": {
        "all": instances_per_type(instances), "outside_heldout": instances_per_type(instances, excluded)}}


def run_stats(args: argparse.Namespace) -> int:
    suite = _load(args)
    if suite is None:
        return 1
    replays, tool_names, probes = (None, None, None)
    if not args.no_replay and suite:
        try:
            results, replays, tool_names = asyncio.run(
                validate_with_replays(suite, load_template(), server_factory=real_server)
            )
        except HarnessError as exc:
            raise CliError(str(exc)) from exc
        probes = summarize_probes(results)
    stats = task_stats(suite, replays=replays, tool_names=tool_names, probes=probes, **_trap_facts(args.root))
    print(json.dumps(stats, indent=2) if args.json else render_stats(stats), end="\n" if args.json else "")
    return 0
