"""`corecraft report`: pass rate, pass@k / pass^k, breakdowns, tokens and cost of a graded run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.cli.main import CliError
from harness.errors import HarnessError
from harness.grading.records import GRADES_FILE, TRANSCRIPTS_FILE, grades_file, records_file
from harness.jsonl import print_warning
from harness.report import build_report, render_markdown


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "report",
        help="summarise a graded run",
        description="Summarise DIR/grades.jsonl (and token use and cost from DIR/transcripts.jsonl): Markdown "
        "for people, or JSON with --json.",
    )
    parser.add_argument("path", type=Path, help="a run directory (or a grades .jsonl file)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    grades_path = path / GRADES_FILE if path.is_dir() else path
    if not grades_path.exists():
        raise CliError(f"{grades_path} does not exist; run `corecraft grade` first")
    transcripts_path = grades_path.parent / TRANSCRIPTS_FILE
    try:
        graded = grades_file(grades_path)
        transcripts = records_file(transcripts_path) if transcripts_path.exists() else None
    except HarnessError as exc:
        raise CliError(str(exc)) from exc
    print_warning(graded.report)
    grades, records = graded.records, None
    if transcripts is not None:
        print_warning(transcripts.report)
        keys = {g.key for g in grades}
        records = [r for r in transcripts.records if r.key in keys]
    report = build_report(grades, records)
    print(json.dumps(report, indent=2) if args.json else render_markdown(report), end="" if not args.json else "\n")
    return 0
