"""Entry point of the `corecraft` command: dispatches to one module per subcommand.

Each subcommand module defines ``add_parser(subparsers) -> None`` that registers its parser and
sets ``handler`` (a function taking the parsed args and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMAND_MODULES = ("serve", "tools_cmd", "world_cmd", "run_cmd", "grade_cmd", "judge_cmd", "report_cmd", "tasks_cmd")


class CliError(Exception):
    """A usage problem to report to the user in one line (exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corecraft",
        description="CoreCraft: a customer-support world for agents (MCP server), with an evaluation harness.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"harness.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"corecraft {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Under `python -m` this file is __main__; run the package module so that the CliError that
    # subcommands import from harness.cli.main is the class main() catches.
    from harness.cli.main import main as package_main

    sys.exit(package_main())
