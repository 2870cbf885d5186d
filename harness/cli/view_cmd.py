"""`corecraft view`: write a run's (or several runs') HTML report, and optionally serve it."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from harness.cli.main import CliError
from harness.errors import HarnessError

VIEW_FILE = "view.html"
COMPARE_FILE = "view-compare.html"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "view",
        help="an HTML report and transcript viewer for runs",
        description="Write one self-contained HTML file (works offline, fetches nothing) showing a run: pass rates "
        "with 95 %% intervals, plots, every episode's conversation, tool calls, world changes and criteria. Given "
        "several run directories, the first is the baseline each other run is compared with.",
    )
    parser.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR", help="run directories (from `corecraft run`)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"the HTML file to write (default RUN_DIR/{VIEW_FILE}, or {COMPARE_FILE} for several runs)")
    parser.add_argument("--serve", action="store_true", help="also serve the report on http://127.0.0.1:PORT/ until Ctrl-C")
    parser.add_argument("--port", type=int, default=0, help="the port for --serve (default: any free one)")
    parser.set_defaults(handler=run)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically: a browser reloading it never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    from harness.view.model import load_runs  # imported here: the other commands need none of it
    from harness.view.pages import render

    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0..65535, got {args.port}")
    try:
        runs = load_runs(list(args.runs))
    except HarnessError as exc:
        raise CliError(str(exc)) from exc
    for loaded in runs:
        for warning in loaded.warnings:
            print(warning if warning.startswith("warning:") else f"warning: {warning}", file=sys.stderr)
    html = render(runs)
    out: Path = args.out or args.runs[0] / (VIEW_FILE if len(runs) == 1 else COMPARE_FILE)
    try:
        _write(out, html)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(f"wrote {out} ({len(html.encode('utf-8')) / 1e6:.1f} MB): open it in a browser")
    if args.serve:
        return _serve(html.encode("utf-8"), args.port)
    return 0


def _serve(page: bytes, port: int) -> int:
    from harness.view.server import ReportServer

    try:
        server = ReportServer(page, port)
    except OSError as exc:
        raise CliError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    print(f"serving on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
