"""Entry point of the `corecraft` command: dispatches to one module per subcommand.

Each subcommand module defines ``add_parser(subparsers) -> None`` that registers its parser and
sets ``handler`` (a function taking the parsed args and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Callable, Sequence

# What a shell reports for a process killed by SIGPIPE (128 + 13): `corecraft ... | head -1`.
BROKEN_PIPE_EXIT = 141
SUBCOMMAND_MODULES = (
    "serve", "tools_cmd", "world_cmd", "run_cmd", "grade_cmd", "judge_cmd", "report_cmd", "tasks_cmd", "view_cmd",
)


class CliError(Exception):
    """A usage problem to report to the user in one line (exit code 2)."""


def number(*, minimum: float = 0.0, above: bool = False) -> Callable[[str], float]:
    """An argparse type for a finite float of at least ``minimum`` (or above it, with ``above``).

    ``float()`` accepts nan, inf and negatives, and each of those quietly switches a limit off
    (nan compares false with everything), so every float option goes through this."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if value < minimum or (above and value == minimum):
            bound = f"above {minimum:g}" if above else f"at least {minimum:g}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text!r}")
        return value

    return parse


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. Given the arguments, it imports only the module of the subcommand they name
    (each module imports what its command needs, and the server's imports cost a second);
    without one it knows (`--help`, a typo) it imports them all, to list and check them."""
    parser = argparse.ArgumentParser(
        prog="corecraft",
        description="CoreCraft: a customer-support world for agents (MCP server), with an evaluation harness.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _named_module(argv)
    for name in (chosen,) if chosen else SUBCOMMAND_MODULES:
        importlib.import_module(f"harness.cli.{name}").add_parser(subparsers)
    return parser


def _named_module(argv: Sequence[str] | None) -> str | None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-"):
        return None
    wanted = args[0]
    return next((name for name in SUBCOMMAND_MODULES if name.removesuffix("_cmd") == wanted), None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a reader that went away fails here, inside the handler below, not at exit
        return code
    except CliError as exc:
        print(f"corecraft {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    except BaseExceptionGroup as group:  # a write in a task of a task group
        if group.split(BrokenPipeError)[1] is not None:
            raise
        return _reader_went_away()


def _reader_went_away() -> int:
    """Whoever read our output closed the pipe (`| head -1`): stop quietly, as tools do. Point
    stdout at /dev/null so that the interpreter's final flush does not fail and print again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (captured in tests)
        pass
    return BROKEN_PIPE_EXIT


if __name__ == "__main__":
    # Under `python -m` this file is __main__; run the package module so that the CliError that
    # subcommands import from harness.cli.main is the class main() catches.
    from harness.cli.main import main as package_main

    sys.exit(package_main())
