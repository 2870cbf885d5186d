"""The run's transcript file: append-only JSONL, one ``EpisodeRecord`` per line.

Each record is written, flushed and fsync'd as its episode ends, so a killed run loses at most the
episodes in flight. A run killed mid-write leaves a torn last line; the reader ignores it (and says
so) and the writer cuts it off before appending. A key may appear several times (an errored
attempt, then its rerun): the last record for a key is the one that counts.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from harness.transcript import EpisodeRecord

TRANSCRIPTS_FILE = "transcripts.jsonl"


@dataclass
class TranscriptLog:
    """What a transcript file holds: the latest record per key, and what could not be read."""

    records: dict[str, EpisodeRecord] = field(default_factory=dict)
    lines: int = 0
    torn_tail: bool = False  # the last line was cut off mid-write (ignored)
    bad_lines: list[int] = field(default_factory=list)  # complete lines that do not parse (ignored)
    valid_length: int = 0  # bytes up to the end of the last complete line
    spent_usd: float = 0.0  # over every record, superseded ones included: they were paid for too


def read_transcripts(path: Path) -> TranscriptLog:
    log = TranscriptLog()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return log
    offset = 0
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        complete = raw.endswith(b"\n")
        if not complete:
            log.torn_tail = bool(raw.strip())
            break
        offset += len(raw)
        log.valid_length = offset
        if not raw.strip():
            continue
        log.lines += 1
        try:
            record = EpisodeRecord.model_validate_json(raw)
        except (ValidationError, ValueError):
            log.bad_lines.append(number)
            continue
        log.records[record.key] = record
        log.spent_usd += record.cost_usd
    return log


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
