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


def write_lines(path: Path, *lines: bytes) -> None:
    path.write_bytes(b"".join(lines))


def line(key: str, status: str = "completed", reply: str = "ok") -> bytes:
    rec = record(key, status)
    rec.final_reply = reply
    return rec.model_dump_json().encode("utf-8") + b"\n"


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
    assert list(log.report.damaged) == [3] and "not a EpisodeRecord" in log.report.damaged[3]
    assert not log.report.torn_tail and log.report.valid_length == path.stat().st_size and log.report.superseded == 1


def test_a_torn_last_line_is_reported_and_cut_off_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    with TranscriptWriter(path) as writer:
        writer.write(record("a#1"))
    whole = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"version": 1, "key": "b#1", "sta')
    log = read_transcripts(path)
    assert log.report.torn_tail and set(log.records) == {"a#1"} and log.report.valid_length == whole
    assert log.report.warning() == f"warning: {path}: ignored a torn last line (a run killed mid-write)"
    with TranscriptWriter(path, valid_length=log.report.valid_length) as writer:
        writer.write(record("b#1"))
    again = read_transcripts(path)
    assert set(again.records) == {"a#1", "b#1"} and again.report.clean and again.report.lines == 2


def test_a_last_line_torn_inside_a_multibyte_character_is_a_torn_tail_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    euro = line("b#1", reply="price: 10 \u20ac and more")
    cut = euro[: euro.index("\u20ac".encode()) + 2]  # two of the three bytes of the euro sign
    write_lines(path, line("a#1"), cut)
    log = read_transcripts(path)
    assert set(log.records) == {"a#1"} and log.report.torn_tail and not log.report.damaged
    assert log.report.valid_length == len(line("a#1"))


def test_a_damaged_middle_line_is_skipped_by_number_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    write_lines(path, line("a#1"), b"\x00" * 40 + b"\n", b'{"key": "x", \xff\xfe}\n', b"{broken json\n", line("b#1"))
    log = read_transcripts(path)
    assert set(log.records) == {"a#1", "b#1"} and not log.report.torn_tail
    assert log.report.damaged == {2: "not valid JSON", 3: "not valid UTF-8", 4: "not valid JSON"}
    assert log.report.warning() == f"warning: {path}: skipped damaged lines 2, 3, 4 (line 2: not valid JSON)"


def test_the_warning_names_at_most_ten_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    write_lines(path, *([b"{}\n"] * 12), line("a#1"))
    log = read_transcripts(path)
    assert log.report.warning() == (f"warning: {path}: skipped damaged lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more "
                                    "(line 1: not a EpisodeRecord: key: Field required)")


def test_a_last_line_of_nul_bytes_is_a_torn_tail_even_after_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    write_lines(path, line("a#1"), b"\x00" * 64 + b"\n", b"\n")
    log = read_transcripts(path)
    assert set(log.records) == {"a#1"} and log.report.torn_tail and not log.report.damaged
    assert log.report.valid_length == len(line("a#1"))


def test_a_whole_last_record_without_its_newline_is_kept_and_the_next_append_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    write_lines(path, line("a#1"), line("b#1").rstrip(b"\n"))
    log = read_transcripts(path)
    assert set(log.records) == {"a#1", "b#1"} and log.report.clean
    with TranscriptWriter(path, valid_length=log.report.valid_length) as writer:
        writer.write(record("c#1"))
    again = read_transcripts(path)
    assert set(again.records) == {"a#1", "b#1", "c#1"} and again.report.clean


def test_an_empty_or_blank_transcript_file_reads_as_empty_and_clean(tmp_path: Path) -> None:
    for content in (b"", b"\n\n  \n"):
        path = tmp_path / "transcripts.jsonl"
        path.write_bytes(content)
        log = read_transcripts(path)
        assert log.records == {} and log.report.clean and log.report.warning() is None


def test_the_spend_counts_superseded_attempts_too(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    first, second = record("a#1", "error"), record("a#1")
    first.cost_usd, second.cost_usd = 0.25, 0.5
    write_lines(path, first.model_dump_json().encode() + b"\n", second.model_dump_json().encode() + b"\n")
    log = read_transcripts(path)
    assert log.records["a#1"].status == "completed" and log.spent_usd == 0.75


def test_a_missing_transcript_file_reads_as_empty(tmp_path: Path) -> None:
    log = read_transcripts(tmp_path / "none.jsonl")
    assert log.records == {} and log.report.valid_length == 0 and log.report.clean


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
    assert lines[-1].startswith("[corecraft run] 2/4 done · 1 failed (turn/time cap) · 1 errored · 0 running · 0 tool calls in 0 turns · $0.2500 spent")


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


def test_progress_counts_tool_calls_and_turns_and_warns_once_when_none_are_made() -> None:
    stream = io.StringIO()
    progress = Progress(5, stream=stream, interactive=False, log_interval_s=0)
    for _ in range(4):
        progress.episode_started()
        progress.add_turn(0)
        progress.episode_finished("completed", tool_calls=0)
    text = stream.getvalue()
    assert text.count("WARNING: none of the 3 episodes finished so far made a tool call") == 1
    assert "WARNING: none of the 4" not in text
    progress.episode_started()
    for calls in (3, 4, 0):
        progress.add_turn(calls)
    progress.episode_finished("max_turns", tool_calls=7)
    assert "· 7 tool calls in 7 turns ·" in progress.line()


def test_progress_stays_quiet_about_tool_calls_once_a_model_has_made_some() -> None:
    stream = io.StringIO()
    progress = Progress(4, stream=stream, interactive=False, log_interval_s=0)
    for calls in (2, 0, 0, 0):
        progress.episode_started()
        progress.episode_finished("completed", tool_calls=calls)
    assert "WARNING" not in stream.getvalue()
