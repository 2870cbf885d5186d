from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from corecraft_test_support import FIXTURES, FakeJudgeProvider, fixture_server, fixture_template, record, verdicts_json
from mcp import Client
from recorded_runs import recorded

import harness.cli.grade_cmd as grade_cmd
import harness.grading.judge as judge_module
import harness.grading.replay as replay_module
from harness.cli.main import main
from harness.grading.records import read_grades, read_records, write_jsonl
from mcp_server.audit import META_EPISODE_KEY
from mcp_server.episodes import EpisodeExport, EpisodeRegistry

SET_NOTE = ("setCustomerNote", {"customer_id": "cus-00001", "note": "contact by email only"})
TIER_REPLY = "Hi Bram, you are Platinum: 15% off."


@pytest.fixture(autouse=True)
def fixture_world(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grade against the fixture world, replaying on the fixture server."""
    monkeypatch.setattr(grade_cmd, "load_template", fixture_template)
    monkeypatch.setattr(replay_module, "real_server", fixture_server)  # grade imports it when it grades


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    failed = record("fx-tier-discount", status="error", reply=None, trial=2)  # never replayed: not the model's run
    failed.error = "provider returned 500 four times"
    write_jsonl(tmp_path / "transcripts.jsonl", [
        recorded("fx-account-note", [("searchCustomers", {"name": "quill"}), SET_NOTE], "Noted for cus-00001."),
        recorded("fx-account-note", [], "I can't help with that.", trial=1),
        recorded("fx-tier-discount", [("searchCustomers", {"customer_id": "cus-00002"})], TIER_REPLY),
        failed,
    ])
    return tmp_path


def grade(run_dir: Path, *extra: str) -> int:
    return main(["grade", str(run_dir), "--tasks-root", str(FIXTURES), *extra])


def test_grading_a_run_directory_writes_one_grade_per_episode(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert grade(run_dir, "--judge", "none") == 0
    grades = {g.key: g for g in read_grades(run_dir / "grades.jsonl")}
    assert [(k, g.status, g.passed) for k, g in grades.items()] == [
        ("fx-account-note#0", "graded", True), ("fx-account-note#1", "graded", False),
        ("fx-tier-discount#0", "ungraded", None), ("fx-tier-discount#2", "error", None),
    ]
    assert grades["fx-tier-discount#0"].reason == "this criterion needs the LLM judge, but grading ran with --judge none"
    # only "at most 6 calls" and the grader's world-scope criterion (nothing changed) hold
    assert grades["fx-account-note#1"].reward == pytest.approx(2 / 6)
    assert grades["fx-account-note#0"].category == "multi_step" and grades["fx-account-note#0"].difficulty == "medium"
    line = json.loads((run_dir / "grades.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert {"key", "task_id", "trial", "status", "reward", "passed", "criteria", "judge"} <= set(line)
    assert set(line["criteria"][0]) == {"id", "kind", "method", "met", "reason"}
    assert ("4 episodes: 2 graded (1 passed, 1 failed), 1 ungraded, 0 unverified (their calls do not replay), "
            "1 infrastructure errors") in capsys.readouterr().out


def test_a_transcript_whose_calls_do_not_replay_is_unverified_and_counted_apart(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = run_dir / "transcripts.jsonl"
    records = read_records(path)
    forged = records[1]  # the do-nothing run, claiming the note was saved anyway
    assert forged.world is not None and records[0].world is not None
    forged.world.changes = records[0].world.changes
    write_jsonl(path, records)
    assert grade(run_dir, "--judge", "none") == 0
    grades = {g.key: g for g in read_grades(run_dir / "grades.jsonl")}
    assert (grades["fx-account-note#1"].status, grades["fx-account-note#1"].passed) == ("unverified", None)
    out = capsys.readouterr().out
    assert "4 episodes: 1 graded (1 passed, 0 failed), 1 ungraded, 1 unverified (their calls do not replay)" in out
    assert "  unverified x1: world change 1 (update customers cus-00001) was claimed but no call made it" in out


def test_regrading_with_a_judge_rewrites_the_grades_and_reuses_the_cache(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []

    def judge_provider(model: str, **_: object) -> FakeJudgeProvider:
        provider = FakeJudgeProvider(lambda _p: verdicts_json(("tone", True)), model=model)
        provider.prompts = prompts
        return provider

    monkeypatch.setattr(judge_module, "create_judge_provider", judge_provider)
    grade(run_dir, "--judge", "none")
    cache = ["--cache", str(tmp_path / "judge-cache")]
    assert grade(run_dir, "--judge", "anthropic/judge-model", *cache) == 0
    assert grade(run_dir, "--judge", "anthropic/judge-model", *cache) == 0
    assert len(prompts) == 1  # the second grade came from the cache
    grades = {g.key: g for g in read_grades(run_dir / "grades.jsonl")}
    assert len(grades) == 4 and grades["fx-tier-discount#0"].passed is True and grades["fx-tier-discount#0"].judge_cached is True
    assert "judge: 0 calls, 1 from cache" in capsys.readouterr().out


def test_the_model_under_test_cannot_judge_itself(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert grade(run_dir, "--judge", "openai-responses/gpt-under-test") == 2
    assert "is the model under test (openai/gpt-under-test)" in capsys.readouterr().err
    assert not (run_dir / "grades.jsonl").exists()


def test_a_resumed_run_is_graded_by_its_last_record_per_key(run_dir: Path) -> None:
    path = run_dir / "transcripts.jsonl"
    retried = record("fx-tier-discount", status="completed", reply=TIER_REPLY, trial=2)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(retried.model_dump_json() + "\n")
        handle.write('{"key": "fx-tier-dis')  # an interrupted final write
    records = read_records(path)
    assert len(records) == 4 and records[-1].key == "fx-tier-discount#2" and records[-1].status == "completed"


async def recorded_session() -> EpisodeExport:
    """A session as a desktop client would run it, exported from the server's audit log."""
    registry = EpisodeRegistry(fixture_template())
    meta = {META_EPISODE_KEY: "desktop-session"}
    async with Client(fixture_server(registry)) as client:
        await client.call_tool("searchCustomers", {"name": "quill"}, meta=meta)  # type: ignore[arg-type]
        await client.call_tool("setCustomerNote", {"customer_id": "cus-00001", "note": "contact by email only"}, meta=meta)  # type: ignore[arg-type]
    export = await registry.close("desktop-session")
    assert export is not None
    return export


def test_a_session_from_any_mcp_client_is_graded_from_the_server_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = asyncio.run(recorded_session())  # the command runs its own event loop, so this test is sync
    assert [e.tool for e in export.audit] == ["searchCustomers", "setCustomerNote"]
    path = tmp_path / "desktop-session.json"
    path.write_text(export.model_dump_json(), encoding="utf-8")
    (tmp_path / "reply.txt").write_text("Done: cus-00001 is noted.", encoding="utf-8")
    args = ["grade", str(path), "--tasks-root", str(FIXTURES), "--judge", "none", "--task", "fx-account-note"]
    assert main([*args, "--reply", "@" + str(tmp_path / "reply.txt")]) == 0
    (result,) = read_grades(tmp_path / "desktop-session.grades.jsonl")
    assert (result.status, result.passed, result.model) == ("graded", True, "external/mcp-client")
    assert main([*args, "--reply", "All set."]) == 0
    (result,) = read_grades(tmp_path / "desktop-session.grades.jsonl")
    assert result.passed is False and [c.id for c in result.criteria if not c.met] == ["reports-id"]
    forged = export.model_copy(update={"changes": export.changes[:-1]})  # the note "never happened"
    path.write_text(forged.model_dump_json(), encoding="utf-8")
    assert main([*args, "--reply", "All set."]) == 0
    (result,) = read_grades(tmp_path / "desktop-session.grades.jsonl")
    assert result.status == "unverified" and result.reason == (
        "world change 1 (update customers cus-00001) was made by the calls, but the record does not claim it")


def test_an_export_needs_the_task_and_the_reply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "session.json"
    path.write_text("{}", encoding="utf-8")
    assert main(["grade", str(path), "--judge", "none", "--tasks-root", str(FIXTURES)]) == 2
    assert "needs --task ID and --reply" in capsys.readouterr().err


def test_a_directory_without_transcripts_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(tmp_path), "--judge", "none"]) == 2
    assert "has no transcripts.jsonl" in capsys.readouterr().err


def test_a_wrong_tasks_root_is_reported_instead_of_grading_nothing(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(run_dir), "--judge", "none", "--tasks-root", str(tmp_path / "elsewhere")]) == 2
    assert "pass --tasks-root" in capsys.readouterr().err
