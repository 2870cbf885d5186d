"""The transcript file's reader and writer, and the progress line."""

from __future__ import annotations

import io
from pathlib import Path

from harness.runner.progress import Progress
from harness.runner.transcripts import TranscriptWriter, read_transcripts
from harness.transcript import EpisodeRecord


def record(key: str, status: str = "completed") -> EpisodeRecord:
    task_id, _, trial = key.partition("#")
    return EpisodeRecord(key=key, task_id=task_id, trial=int(trial), model="fake/m", status=status, stop_reason="end_turn")  # type: ignore[arg-type]


def test_the_reader_keeps_the_last_record_per_key_and_skips_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    with TranscriptWriter(path) as writer:
        writer.write(record("a#1", "error"))
        writer.write(record("b#1"))
    with path.open("ab") as handle:
        handle.write(b'{"not": "a record"}\n')
    with TranscriptWriter(path) as writer:
        writer.write(record("a#1"))
    log = read_transcripts(path)
    assert {k: r.status for k, r in log.records.items()} == {"a#1": "completed", "b#1": "completed"}
    assert log.bad_lines == [3] and not log.torn_tail and log.valid_length == path.stat().st_size


def test_a_torn_last_line_is_reported_and_cut_off_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    with TranscriptWriter(path) as writer:
        writer.write(record("a#1"))
    whole = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"version": 1, "key": "b#1", "sta')
    log = read_transcripts(path)
    assert log.torn_tail and set(log.records) == {"a#1"} and log.valid_length == whole
    with TranscriptWriter(path, valid_length=log.valid_length) as writer:
        writer.write(record("b#1"))
    again = read_transcripts(path)
    assert set(again.records) == {"a#1", "b#1"} and not again.torn_tail and again.lines == 2


def test_a_missing_transcript_file_reads_as_empty(tmp_path: Path) -> None:
    log = read_transcripts(tmp_path / "none.jsonl")
    assert log.records == {} and log.valid_length == 0


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_in_a_log_prints_whole_lines_at_most_every_interval() -> None:
    stream, clock = io.StringIO(), ManualClock()
    progress = Progress(4, already_done=1, stream=stream, interactive=False, log_interval_s=10, clock=clock)
    progress.episode_started()
    progress.add_cost(0.25)
    clock.now = 12
    progress.episode_finished("max_turns")
    progress.episode_started()
    progress.episode_finished("error")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 3
    assert lines[-1].startswith("[corecraft run] 2/4 done · 1 failed (turn/time cap) · 1 errored · 0 running · $0.2500 spent")


def test_progress_on_a_terminal_rewrites_one_line_and_notes_stay_above_it() -> None:
    stream, clock = io.StringIO(), ManualClock()
    progress = Progress(2, stream=stream, interactive=True, clock=clock)
    progress.episode_started()
    progress.note("episode a#1 errored (connection): refused")
    clock.now = 1
    progress.episode_finished("completed")
    progress.close()
    text = stream.getvalue()
    assert "\r\x1b[K[corecraft run] 0/2 done" in text and "episode a#1 errored (connection): refused\n" in text
    assert text.endswith("\n") and "1/2 done" in text.splitlines()[-1]
