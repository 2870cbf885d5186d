"""`corecraft run` as a user meets it: exit codes, configuration errors before any episode, flags."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from runner_support import lookup_task, write_task_root

from harness.cli import run_cmd
from harness.cli.main import CliError, build_parser, main


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    return write_task_root(tmp_path / "suite", [lookup_task("cli-lookup-a"), lookup_task("cli-lookup-b", "cus-00002")])


def run(task_root: Path, out: Path, *extra: str) -> int:
    return main(["run", "--split", "heldout", "--out", str(out), "--tasks-root", str(task_root), *extra])


def test_a_scripted_run_exits_zero_and_a_rerun_skips_everything(task_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert run(task_root, out, "--model", "scripted/reference", "--trials", "2") == 0
    assert "4 episodes finished in this run" in capsys.readouterr().out
    assert run(task_root, out, "--model", "scripted/reference", "--trials", "2") == 0
    assert "0 episodes finished in this run; 4 already done before" in capsys.readouterr().out


def test_a_missing_api_key_is_reported_before_any_episode_starts(
    task_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    out = tmp_path / "run"
    assert run(task_root, out, "--model", "anthropic/claude-opus-4-6") == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err
    assert not (out / "transcripts.jsonl").exists()


def test_a_dry_run_needs_no_key_and_writes_nothing(
    task_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "run"
    assert run(task_root, out, "--model", "openai/gpt-5.2", "--trials", "3", "--dry-run") == 0
    printed = capsys.readouterr().out
    assert "6 episodes, nothing was run" in printed and "estimated cost:" in printed and "Assumptions:" in printed
    assert not out.exists()


def test_a_changed_configuration_on_resume_exits_two_with_the_differences(
    task_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert run(task_root, out, "--model", "scripted/reference") == 0
    assert run(task_root, out, "--model", "scripted/reference", "--max-turns", "5") == 2
    assert "max_turns (100 -> 5)" in capsys.readouterr().err


def test_settings_flags_win_over_generic_settings_and_values_parse_as_json() -> None:
    args = build_parser().parse_args(
        ["run", "--model", "m/x", "--split", "train", "--out", "o", "--setting", "temperature=0.3",
         "--setting", 'extra_body={"top_k": 20}', "--setting", "seed=7", "--temperature", "0", "--thinking-budget", "2048"]
    )
    assert run_cmd.model_settings(args) == {"temperature": 0.0, "extra_body": {"top_k": 20}, "seed": 7, "thinking_budget": 2048}


def test_a_setting_without_a_value_is_a_usage_error() -> None:
    args = argparse.Namespace(setting=["temperature"], thinking_budget=None, max_tokens=None, temperature=None, reasoning_effort=None)
    with pytest.raises(CliError, match="KEY=VALUE"):
        run_cmd.model_settings(args)


def test_the_manifest_records_the_settings_readably(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"scripted/reference": {"input": 0, "output": 0}}))
    assert run(task_root, out, "--model", "scripted/reference", "--episode-timeout", "60", "--price-table", str(prices)) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["limits"] == {"max_turns": 100, "episode_timeout_s": 60.0}
    assert manifest["settings"]["max_tokens"] > 0 and manifest["price_table"] == str(prices)
    assert all(len(manifest[k]) == 16 for k in ("world_hash", "tools_hash", "system_prompt_hash"))


def test_open_model_flags_become_recorded_settings() -> None:
    args = build_parser().parse_args(
        ["run", "--model", "openai-compatible/m", "--split", "train", "--out", "o", "--request-timeout", "900",
         "--tool-call-parser", "hermes", "--compact-tools"]
    )
    assert run_cmd.model_settings(args) == {"request_timeout_s": 900.0, "tool_call_parser": "hermes"}
    assert args.compact_tools is True


def test_a_request_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--model", "m/x", "--split", "train", "--out", "o", "--request-timeout", "0"])
    assert "--request-timeout: must be above 0" in capsys.readouterr().err


def test_an_unreachable_base_url_exits_two_before_any_episode(
    task_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("CORECRAFT_COMPAT_API_KEY", raising=False)
    out = tmp_path / "run"
    assert run(task_root, out, "--model", "openai-compatible/m", "--base-url", f"http://127.0.0.1:{port}/v1") == 2
    assert f"cannot reach the model server at http://127.0.0.1:{port}/v1" in capsys.readouterr().err
    assert not (out / "transcripts.jsonl").exists()


def test_a_dry_run_shows_what_the_prompt_costs_every_turn(
    task_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(task_root, tmp_path / "run", "--model", "openai/gpt-5.2", "--dry-run", "--compact-tools") == 0
    printed = capsys.readouterr().out
    assert "Prompt cost per turn (estimated at characters / 4: no tokenizer for this model here)" in printed
    assert "with --compact-tools" in printed and "(compact descriptions)" in printed
