"""`corecraft judge audit`: measure a judge model against the labelled set before trusting it.

Exit code 0 when the audit ran, whatever the agreement (a low score is a result, not a failure of
the command); 1 when ``--min-agreement`` is given and agreement is below it; 2 for a usage or
configuration problem (a bad labelled-set line, a missing API key).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from harness.cli.grade_cmd import build_judge
from harness.cli.main import CliError
from harness.errors import HarnessError
from harness.grading.cache import JudgeCache, default_cache_dir
from harness.grading.grader import NO_JUDGE
from harness.grading.judge_audit.audit import AuditReport, run_audit
from harness.grading.judge_audit.labelled import AUDIT_SPLIT, NEGATIVES_FILE, LabelledReply, labelled_set
from harness.grading.judge_audit.render import render_text
from harness.tasks.loader import load_suite
from mcp_server.world.store import load_template


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("judge", help="check an LLM judge before trusting its grades",
                                   description="Work with the LLM judge that grades judge criteria.")
    commands = parser.add_subparsers(dest="judge_command", metavar="ACTION", required=True)
    audit = commands.add_parser(
        "audit", help="measure a judge model against replies with known verdicts",
        description="Ask the judge for the verdict of every judge criterion of the held-out tasks on replies whose "
        "verdict is known (each task's reference reply and alternatives: met; the hand-written replies in "
        f"{NEGATIVES_FILE}: not met), with the reference solution's tool calls and world changes, and report "
        "agreement, false passes and false fails. Exit code: 0 it ran, 1 agreement below --min-agreement, "
        "2 bad usage or configuration.",
    )
    audit.add_argument("--judge", required=True, metavar="MODEL", help="the judge model, e.g. openai/gpt-5.2")
    audit.add_argument("--judge-base-url", default=None, help="base URL for the judge's provider")
    audit.add_argument("--cache", nargs="?", const="", default=None, metavar="DIR",
                       help="read and write the judge cache (in DIR, default "
                       f"{default_cache_dir()}); without it every verdict is asked fresh")
    audit.add_argument("--concurrency", type=int, default=4, help="judge calls in flight at once (default 4)")
    audit.add_argument("--tasks-root", type=Path, default=Path("."), help="directory holding tasks/ and rubrics/ (default .)")
    audit.add_argument("--task", dest="task_ids", action="append", metavar="ID", help="only this held-out task (repeatable)")
    audit.add_argument("--negatives", type=Path, default=None, metavar="FILE",
                       help=f"negatives file (default TASKS_ROOT/{NEGATIVES_FILE})")
    audit.add_argument("--min-agreement", type=_fraction, default=None, metavar="X",
                       help="exit 1 when agreement is below X (a fraction, 0.9, or a percentage, 90%%)")
    audit.add_argument("--json", action="store_true", help="print the report as JSON (every item, with its verdict)")
    audit.add_argument("--quiet", action="store_true", help="no progress on stderr")
    audit.set_defaults(handler=run)


def _fraction(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.9 or a percentage such as 90%, got {text!r}") from exc
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (or 0% and 100%), got {text!r}")
    return value


class _Progress:
    """Progress on stderr: one updating line on a terminal, a line every 10 % otherwise (CI logs)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.tty:
            print(f"\rjudging labelled replies: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)
            return
        step = max(1, total // 10)
        if done == total or done // step != self.shown:
            self.shown = done // step
            print(f"judging labelled replies: {done}/{total}", file=sys.stderr, flush=True)


async def _audit(args: argparse.Namespace, items: list[LabelledReply]) -> AuditReport:
    suite = load_suite(args.tasks_root, AUDIT_SPLIT)
    cache = None if args.cache is None else JudgeCache(Path(args.cache) if args.cache else default_cache_dir())
    judge = build_judge(args.judge, base_url=args.judge_base_url, cache=cache)
    try:
        return await run_audit(judge, suite, items, load_template(), concurrency=args.concurrency,
                               progress=_Progress(not args.quiet))
    finally:
        await judge.provider.aclose()


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    if args.judge == NO_JUDGE:
        raise CliError("an audit needs a judge model, e.g. --judge openai/gpt-5.2")
    try:
        items = labelled_set(args.tasks_root, task_ids=args.task_ids, negatives_path=args.negatives)
        if not items:
            raise CliError("no labelled replies: none of the chosen tasks has a judge criterion")
        report = asyncio.run(_audit(args, items))
    except HarnessError as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps(report.to_json(), indent=2, ensure_ascii=False) if args.json else render_text(report))
    rate = report.agreement_rate or 0.0
    if args.min_agreement is not None and rate < args.min_agreement:
        print(f"agreement {rate:.1%} is below --min-agreement {args.min_agreement:.1%}", file=sys.stderr)
        return 1
    return 0
