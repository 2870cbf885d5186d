"""The `corecraft` entry point: a closed pipe ends a command quietly, and float options refuse
values that would switch a limit off."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import BROKEN_PIPE_EXIT, build_parser, main
from harness.grading.records import write_jsonl
from harness.grading.results import EpisodeGrade

REPO = Path(__file__).resolve().parents[3]


def test_a_reader_that_closes_the_pipe_after_one_line_ends_the_command_quietly(tmp_path: Path) -> None:
    # Distinct ungraded reasons make `report --json` print far more than a pipe buffer holds, so
    # the command is still writing when the reader goes away, as under `| head -1`.
    grades = [EpisodeGrade(key=f"t-{n}#1", task_id=f"t-{n}", trial=1, model="m/x", status="ungraded",
                           reason=f"reason number {n} " + "x" * 100) for n in range(2000)]
    write_jsonl(tmp_path / "grades.jsonl", grades)
    command = [sys.executable, "-m", "harness.cli.main", "report", str(tmp_path), "--json"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline() == b"{\n"
        child.stdout.close()
        errors = child.stderr.read().decode()
        assert child.wait(timeout=60) == BROKEN_PIPE_EXIT
    assert errors == ""  # no traceback, no "Exception ignored" from the final flush


def handler_raising(exc: BaseException) -> argparse.Namespace:
    def handler(_args: argparse.Namespace) -> int:
        raise exc

    return argparse.Namespace(command="fake", handler=handler)


def test_a_broken_pipe_raised_inside_a_task_group_also_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    group = ExceptionGroup("workers", [BrokenPipeError(), ExceptionGroup("inner", [BrokenPipeError()])])
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", lambda *_a, **_k: handler_raising(group))
    assert main(["fake"]) == BROKEN_PIPE_EXIT


def test_other_failures_in_a_task_group_are_not_taken_for_a_closed_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    group = ExceptionGroup("workers", [BrokenPipeError(), ValueError("a real bug")])
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", lambda *_a, **_k: handler_raising(group))
    with pytest.raises(ExceptionGroup):
        main(["fake"])


RUN = ["run", "--model", "scripted/reference", "--split", "heldout", "--out", "o"]


@pytest.mark.parametrize("option", ["--max-cost", "--episode-timeout", "--temperature"])
@pytest.mark.parametrize(("value", "message"), [
    ("nan", "expected a finite number, got 'nan'"), ("inf", "expected a finite number, got 'inf'"),
    ("-inf", "expected a finite number"), ("1e400", "expected a finite number"),
    ("-0.5", "must be at least 0, got '-0.5'"), ("ten", "expected a number, got 'ten'"),
])
def test_run_refuses_a_float_option_that_would_switch_its_limit_off(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*RUN, f"{option}={value}"])
    assert exited.value.code == 2
    assert f"argument {option}: {message}" in capsys.readouterr().err


def test_run_takes_finite_non_negative_limits_zero_included() -> None:
    args = build_parser().parse_args([*RUN, "--max-cost", "0", "--episode-timeout", "2.5", "--temperature", "0"])
    assert (args.max_cost, args.episode_timeout, args.temperature) == (0.0, 2.5, 0.0)


@pytest.mark.parametrize("value", ["0", "nan", "inf", "-3"])
def test_serve_refuses_an_idle_timeout_that_is_not_a_positive_finite_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", f"--idle-timeout={value}"])
    assert exited.value.code == 2 and "argument --idle-timeout:" in capsys.readouterr().err


def test_a_named_subcommand_imports_only_its_own_module_and_help_lists_them_all() -> None:
    from harness.cli.main import SUBCOMMAND_MODULES, build_parser

    def commands(argv: list[str]) -> set[str]:
        parser = build_parser(argv)
        (group,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return set(group.choices)

    assert commands(["report", "runs/x"]) == {"report"}
    everything = {name.removesuffix("_cmd") for name in SUBCOMMAND_MODULES}
    assert commands([]) == commands(["--help"]) == commands(["reprot"]) == everything


def test_the_grade_command_parses_its_arguments_without_loading_the_grader_the_server_or_the_sdks() -> None:
    # The grader brings in the MCP server and the judge's SDKs (most of a second): `grade --help`
    # and a usage error must not wait for them; grading itself imports them when it starts.
    probe = (
        "import sys; from harness.cli.main import build_parser; "
        "build_parser(['grade', 'runs/x', '--judge', 'none']).parse_args(['grade', 'runs/x', '--judge', 'none']); "
        "print(*(name in sys.modules for name in ('harness.grading.grader', 'mcp', 'openai', 'anthropic')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False", "False", "False"]
