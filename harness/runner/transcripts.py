"""The run's transcript file: append-only JSONL, one ``EpisodeRecord`` per line.

Each record is written, flushed and fsync'd as its episode ends, so a killed run loses at most the
episodes in flight. Reading follows the policy of harness.jsonl (shared with `grade` and `report`):
a torn last line (a run killed mid-write) is ignored and the writer cuts it off before appending,
damaged lines are skipped and reported, and the last record for a repeated key is the one that
counts (an errored attempt, then its rerun).
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from harness.jsonl import ReadReport, read_record_file
from harness.transcript import EpisodeRecord

TRANSCRIPTS_FILE = "transcripts.jsonl"


@dataclass
class TranscriptLog:
    """What a transcript file holds: the latest record per key, and what could not be read."""

    records: dict[str, EpisodeRecord]
    report: ReadReport  # damaged lines, a torn tail, and how many bytes to keep
    spent_usd: float = 0.0  # over every record, superseded ones included: they were paid for too


def read_transcripts(path: Path) -> TranscriptLog:
    """The transcripts under the shared reading policy (harness.jsonl); a missing file is empty."""
    read = read_record_file(path, EpisodeRecord, key=lambda r: r.key, missing_ok=True)
    spent = sum(r.cost_usd for r in read.records) + sum(r.cost_usd for r in read.superseded)
    return TranscriptLog({r.key: r for r in read.records}, read.report, spent)


class TranscriptWriter:
    """Appends records durably. Opening it cuts off a torn last line left by a killed run.

    ``append`` serializes and fsyncs on a worker thread: an fsync takes milliseconds, and on the
    event loop it would stall every episode in flight. A lock keeps lines whole and in one piece."""

    def __init__(self, path: Path, *, valid_length: int | None = None, fsync: bool = True) -> None:
        self.path = path
        self.fsync = fsync
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("ab")
        self._lock = threading.Lock()
        if valid_length is not None and self._handle.tell() > valid_length:
            self._handle.truncate(valid_length)
            self._handle.seek(valid_length)
        if self._handle.tell() and not _ends_with_newline(path):
            self._handle.write(b"\n")  # a last record without its newline: keep it, start a new line

    def write(self, record: EpisodeRecord) -> None:
        line = record.model_dump_json().encode("utf-8") + b"\n"
        with self._lock:
            if self._handle.closed:
                return  # the run was cancelled meanwhile: this episode simply runs again on resume
            self._handle.write(line)
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())

    async def append(self, record: EpisodeRecord) -> None:
        """``write`` off the event loop; returns once the record is on disk."""
        await asyncio.to_thread(self.write, record)

    def close(self) -> None:
        with self._lock:
            self._handle.close()

    def __enter__(self) -> TranscriptWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
