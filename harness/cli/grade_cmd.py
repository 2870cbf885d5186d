"""`corecraft grade`: grade or re-grade saved transcripts, or a session recorded by the server.

The grader, its replay server and the judge's providers are imported where they are used: they
bring in the MCP server and the model SDKs, most of a second that `--help` and a usage error
should not wait for.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli.main import CliError
from harness.errors import ConfigurationError, HarnessError
from harness.grading.cache import JudgeCache, default_cache_dir
from harness.grading.records import (
    EXTERNAL_MODEL,
    GRADES_FILE,
    TRANSCRIPTS_FILE,
    read_export,
    record_from_export,
    records_file,
    write_jsonl,
)
from harness.grading.results import EpisodeGrade
from harness.jsonl import print_warning
from harness.tasks.loader import load_suite
from harness.transcript import EpisodeRecord
from mcp_server.world.store import load_template

if TYPE_CHECKING:
    from harness.grading.judge import Judge


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "grade",
        help="grade saved transcripts against their rubrics",
        description="Grade (or re-grade) transcripts: a run directory (its transcripts.jsonl), a transcripts "
        ".jsonl file, or an episode export (.json, from `corecraft serve --audit-dir` or "
        "GET /episodes/{id}/export) with --task and --reply. Writes one line per episode to grades.jsonl.",
    )
    parser.add_argument("path", type=Path, help="run directory, transcripts .jsonl file, or episode export .json")
    parser.add_argument("--judge", required=True, metavar="MODEL",
                        help="the judge model, e.g. anthropic/claude-opus-4-6; 'none' when no criterion needs it")
    parser.add_argument("--judge-base-url", default=None, help="base URL for the judge's provider")
    parser.add_argument("--allow-self-judge", action="store_true", help="let a model judge its own transcripts")
    parser.add_argument("--tasks-root", type=Path, default=Path("."), help="directory holding tasks/ and rubrics/")
    parser.add_argument("--cache", type=Path, default=None, help=f"judge cache directory (default {default_cache_dir()})")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the judge cache")
    parser.add_argument("--out", type=Path, default=None, help="where to write the grades (default: next to the input)")
    parser.add_argument("--concurrency", type=int, default=4, help="judge calls in flight at once (default 4)")
    parser.add_argument("--task", default=None, help="export input: the task the session worked on")
    parser.add_argument("--reply", default=None, help="export input: the client's final reply, as TEXT or @FILE")
    parser.add_argument("--model", default=EXTERNAL_MODEL, help=f"export input: the model that ran (default {EXTERNAL_MODEL})")
    parser.set_defaults(handler=run)


def _reply_text(value: str) -> str:
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read the reply file {value[1:]}: {exc.strerror or exc}") from exc
    return value


def _inputs(args: argparse.Namespace) -> tuple[list[EpisodeRecord], Path]:
    path: Path = args.path
    if path.is_dir():
        source = path / TRANSCRIPTS_FILE
        if not source.exists():
            raise CliError(f"{path} has no {TRANSCRIPTS_FILE}")
        return _read_transcripts(source), args.out or path / GRADES_FILE
    if not path.exists():
        raise CliError(f"{path} does not exist")
    if path.suffix == ".json":
        if args.task is None or args.reply is None:
            raise CliError("grading an episode export needs --task ID and --reply TEXT|@FILE (the client's final reply)")
        suite = load_suite(args.tasks_root, ids=[args.task])
        record = record_from_export(read_export(path), suite[0].task, _reply_text(args.reply), model=args.model)
        return [record], args.out or path.with_name(f"{path.stem}.grades.jsonl")
    if args.task is not None or args.reply is not None:
        raise CliError("--task and --reply are only for an episode export (.json)")
    default_out = path.with_name(GRADES_FILE) if path.name == TRANSCRIPTS_FILE else path.with_name(f"{path.stem}.grades.jsonl")
    return _read_transcripts(path), args.out or default_out


def _read_transcripts(path: Path) -> list[EpisodeRecord]:
    read = records_file(path)
    print_warning(read.report)
    return read.records


def build_judge(model: str, *, base_url: str | None, cache: JudgeCache | None) -> Judge:
    """The judge `grade --judge MODEL` grades with; `judge audit` builds its judge here too, so an
    audit tests the very judge (provider, settings, protocol) that grading uses."""
    from harness.grading.judge import Judge, create_judge_provider

    return Judge(create_judge_provider(model, base_url=base_url), cache)


async def grade_records(args: argparse.Namespace, records: list[EpisodeRecord]) -> list[EpisodeGrade]:
    from harness.grading.grader import NO_JUDGE, Grader, check_judge_choice
    from harness.grading.replay import real_server

    suite = load_suite(args.tasks_root)
    known = {pair.task.id for pair in suite}
    unknown = sorted({r.task_id for r in records} - known)
    if records and len(unknown) == len({r.task_id for r in records}):
        raise ConfigurationError(
            f"none of the transcripts' tasks ({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}) is under "
            f"{args.tasks_root}/tasks; pass --tasks-root"
        )
    check_judge_choice(args.judge, (r.model for r in records), allow_self_judge=args.allow_self_judge)
    judge = None
    if args.judge != NO_JUDGE:
        cache = None if args.no_cache else JudgeCache(args.cache or default_cache_dir())
        judge = build_judge(args.judge, base_url=args.judge_base_url, cache=cache)
    try:
        grader = Grader(suite, load_template(), judge, concurrency=args.concurrency, server_factory=real_server)
        return await grader.grade_all(records)
    finally:
        if judge is not None:
            await judge.provider.aclose()


def summary(grades: list[EpisodeGrade]) -> str:
    graded = [g for g in grades if g.status == "graded"]
    passed = sum(1 for g in graded if g.passed)
    counts = Counter(g.status for g in grades)
    cached = sum(1 for g in grades if g.judge_cached)
    judged = sum(1 for g in grades if g.judge_cached is not None)
    lines = [f"{len(grades)} episodes: {len(graded)} graded ({passed} passed, {len(graded) - passed} failed), "
             f"{counts['ungraded']} ungraded, {counts['unverified']} unverified (their calls do not replay), "
             f"{counts['error']} infrastructure errors"]
    if judged:
        lines.append(f"judge: {judged - cached} calls, {cached} from cache")
    for status in ("ungraded", "unverified"):
        for reason, n in Counter(g.reason for g in grades if g.status == status).most_common(5):
            lines.append(f"  {status} x{n}: {reason}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    try:
        records, out = _inputs(args)
        grades = asyncio.run(grade_records(args, records))
    except HarnessError as exc:
        raise CliError(str(exc)) from exc
    write_jsonl(out, grades)
    print(summary(grades))
    print(f"wrote {out}", file=sys.stderr)
    return 0
