"""The runner end to end over the in-process world: records, resume after a kill, errors rerun,
the manifest check, the budget and the dry run."""

from __future__ import annotations

import asyncio
import gc
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from runner_support import ReplayModel, hold_ticket_task, lookup_task, open_ticket_ids, write_task_root

from harness.agent import EpisodeLimits
from harness.errors import ManifestMismatchError
from harness.runner import RunConfig, execute_run
from harness.runner.transcripts import TRANSCRIPTS_FILE, read_transcripts
from harness.transcript import EpisodeRecord


def lines_of(out: Path) -> list[EpisodeRecord]:
    return [EpisodeRecord.model_validate_json(line) for line in (out / TRANSCRIPTS_FILE).read_text().splitlines()]


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    tickets = open_ticket_ids(2)
    return write_task_root(
        tmp_path / "suite",
        [lookup_task("rt-lookup-a"), lookup_task("rt-lookup-b", "cus-00002"),
         hold_ticket_task("rt-hold-a", tickets[0]), hold_ticket_task("rt-hold-b", tickets[1])],
    )


def config(task_root: Path, out: Path, **changes: object) -> RunConfig:
    settings = dict(model="fake/replay", split="heldout", out_dir=out, trials=2, concurrency=3, tasks_root=task_root)
    settings.update(changes)
    return RunConfig(**settings)  # type: ignore[arg-type]


async def test_scripted_reference_run_writes_one_record_per_task_and_trial_with_world_changes(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary = await execute_run(config(task_root, out, model="scripted/reference"), stream=io.StringIO())
    records = lines_of(out)
    assert sorted(r.key for r in records) == sorted(f"{t}#{n}" for t in ("rt-lookup-a", "rt-lookup-b", "rt-hold-a", "rt-hold-b") for n in (1, 2))
    assert {r.status for r in records} == {"completed"} and summary.exit_code == 0
    holds = [r for r in records if r.task_id.startswith("rt-hold")]
    assert all(r.world and [c.op for c in r.world.changes if c.table == "support_tickets"] == ["update"] for r in holds)
    assert all(r.world and r.world.changes == [] for r in records if r.task_id.startswith("rt-lookup"))
    assert len({r.episode_id for r in records}) == len(records)  # every episode its own world
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == "scripted/reference" and set(manifest["tasks"]) == {"rt-lookup-a", "rt-lookup-b", "rt-hold-a", "rt-hold-b"}
    assert {r.manifest_hash for r in records} == {summary_hash(out)}


def summary_hash(out: Path) -> str:
    from harness.runner.manifest import load_manifest

    manifest = load_manifest(out)
    assert manifest is not None
    return manifest.identity_hash()


async def test_a_killed_run_resumes_and_every_episode_ends_up_exactly_once(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = asyncio.create_task(execute_run(config(task_root, out, concurrency=2), provider=ReplayModel(delay_s=0.05), stream=io.StringIO()))
    path = out / TRANSCRIPTS_FILE
    while not (path.exists() and len(path.read_text().splitlines()) >= 3):
        assert not first.done(), "the run ended before it could be killed"
        await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    written = len(path.read_text().splitlines())
    assert 3 <= written < 8
    with path.open("a") as handle:  # a record torn mid-write by the kill
        handle.write('{"version": 1, "key": "rt-hold-b#2", "status": "comp')

    stream = io.StringIO()
    second = ReplayModel()
    summary = await execute_run(config(task_root, out, concurrency=2), provider=second, stream=stream)
    keys = Counter(r.key for r in lines_of(out))  # every line parses: the torn tail was cut off
    assert len(keys) == 8 and set(keys.values()) == {1}
    assert summary.skipped == written and len(second.opened) == 8 - written
    assert "ignored a torn last line (a run killed mid-write)" in stream.getvalue() and summary.exit_code == 0


async def test_errored_episodes_are_run_again_on_resume_and_the_last_record_counts(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    failing = await execute_run(config(task_root, out), provider=ReplayModel(failing={"rt-lookup-b"}), stream=io.StringIO())
    assert failing.exit_code == 1 and failing.errors_remaining == 2 and failing.statuses == {"completed": 6, "error": 2}

    healthy = ReplayModel()
    resumed = await execute_run(config(task_root, out), provider=healthy, stream=io.StringIO())
    assert healthy.opened == ["rt-lookup-b", "rt-lookup-b"] and resumed.exit_code == 0
    log = read_transcripts(out / TRANSCRIPTS_FILE)
    assert log.report.lines == 10 and log.report.superseded == 2 and {r.status for r in log.records.values()} == {"completed"}


async def test_resuming_with_a_different_configuration_is_refused(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    await execute_run(config(task_root, out, trials=1), provider=ReplayModel(), stream=io.StringIO())
    with pytest.raises(ManifestMismatchError, match="max_turns"):
        await execute_run(config(task_root, out, trials=1, limits=EpisodeLimits(max_turns=7)), provider=ReplayModel(), stream=io.StringIO())
    prompt_path = task_root / "tasks" / "heldout" / "rt-lookup-a.json"
    prompt_path.write_text(prompt_path.read_text().replace("What loyalty tier", "Which loyalty tier"))
    with pytest.raises(ManifestMismatchError, match="rt-lookup-a"):
        await execute_run(config(task_root, out, trials=1), provider=ReplayModel(), stream=io.StringIO())


async def test_a_directory_with_transcripts_but_no_manifest_is_refused(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    await execute_run(config(task_root, out, trials=1), provider=ReplayModel(), stream=io.StringIO())
    (out / "manifest.json").unlink()
    with pytest.raises(ManifestMismatchError, match="no manifest.json"):
        await execute_run(config(task_root, out, trials=1), provider=ReplayModel(), stream=io.StringIO())


async def test_more_trials_on_the_same_directory_only_run_the_new_ones(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    await execute_run(config(task_root, out, trials=1), provider=ReplayModel(), stream=io.StringIO())
    more = ReplayModel()
    summary = await execute_run(config(task_root, out, trials=2), provider=more, stream=io.StringIO())
    assert summary.skipped == 4 and len(more.opened) == 4 and len(lines_of(out)) == 8


async def test_max_cost_stops_new_episodes_while_running_ones_finish(task_root: Path, tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"fake/replay": {"input": 1000, "output": 0}}))  # $1 per turn of 1000 tokens
    out = tmp_path / "run"
    summary = await execute_run(
        config(task_root, out, concurrency=2, max_cost_usd=3.0, price_table=prices), provider=ReplayModel(), stream=io.StringIO()
    )
    records = lines_of(out)
    assert summary.not_started == 8 - len(records) > 0 and summary.exit_code == 1
    assert {r.status for r in records} == {"completed"}  # the episodes in flight were finished, not cut off
    assert summary.spent_usd == pytest.approx(sum(r.cost_usd for r in records)) and summary.spent_usd >= 3.0
    assert len(records) <= 3  # two turns ($2) per episode: at most one start after $3 was reached, per worker

    again = ReplayModel()  # the budget belongs to the directory: a resume with it starts nothing
    resumed = await execute_run(
        config(task_root, out, concurrency=2, max_cost_usd=3.0, price_table=prices), provider=again, stream=io.StringIO()
    )
    assert again.opened == [] and resumed.not_started == 8 - len(records) and resumed.spent_before_usd == summary.spent_usd


async def test_a_dry_run_estimates_the_cost_and_runs_nothing(task_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    model = ReplayModel()
    summary = await execute_run(config(task_root, out, model="openai/gpt-5.2", dry_run=True), provider=model, stream=io.StringIO())
    assert summary.estimate is not None and summary.estimate.usd > 0 and summary.estimate.episodes == 8
    assert "turns per episode" in summary.estimate.render("openai/gpt-5.2")
    assert model.opened == [] and not out.exists()


async def test_objects_alive_at_the_start_stay_out_of_full_collections_while_episodes_run_and_only_then(
    task_root: Path, tmp_path: Path
) -> None:
    frozen_during: list[int] = []

    class FreezeWatcher(ReplayModel):
        def open(self, **kwargs: Any) -> Any:
            frozen_during.append(gc.get_freeze_count())
            return super().open(**kwargs)

    before = gc.get_freeze_count()
    await execute_run(config(task_root, tmp_path / "run"), provider=FreezeWatcher(), stream=io.StringIO())
    assert len(frozen_during) == 8 and min(frozen_during) > before + 10_000  # the world, the server, the SDKs
    assert gc.get_freeze_count() == before
