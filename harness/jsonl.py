"""The one reader of JSONL record files (transcripts, grades), used by `run` (resume), `grade` and
`report`, so that every command treats a damaged file the same way and says so the same way.

The policy:

- a torn last line (no trailing newline and not a whole record, or not valid UTF-8/JSON at the end
  of the file) is what a run killed mid-write leaves: it is ignored, and the transcript writer cuts
  it off before appending;
- a complete line that is damaged (bad UTF-8, bad JSON, not a record) is skipped and reported by
  its line number; reading never fails on content;
- when a key repeats, the last valid record wins (a resumed run's rerun supersedes the errored
  attempt), in the order of those last records.

Commands print ``report.warning()`` to stderr whenever something was skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Generic, TextIO, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError

M = TypeVar("M", bound=BaseModel)
TORN_TAIL = "ignored a torn last line (a run killed mid-write)"
_LISTED_LINES = 10  # damaged line numbers named in a warning before "and N more"


class RecordFileError(HarnessError):
    """A record file cannot be read at all (missing, unreadable); damaged content never raises."""


@dataclass
class ReadReport:
    """What reading a record file found, beyond its records."""

    path: Path
    lines: int = 0  # non-blank lines, damaged and torn ones included
    torn_tail: bool = False
    damaged: dict[int, str] = field(default_factory=dict)  # line number -> what is wrong with it
    superseded: int = 0  # records replaced by a later record with the same key
    valid_length: int = 0  # bytes worth keeping: the whole file but a torn tail

    @property
    def clean(self) -> bool:
        return not self.torn_tail and not self.damaged

    def warning(self) -> str | None:
        """The one-line warning every command prints when something was skipped, else None."""
        if self.clean:
            return None
        parts = []
        if self.damaged:
            numbers = sorted(self.damaged)
            shown = ", ".join(str(n) for n in numbers[:_LISTED_LINES])
            more = f" and {len(numbers) - _LISTED_LINES} more" if len(numbers) > _LISTED_LINES else ""
            first = self.damaged[numbers[0]]
            if len(numbers) == 1:
                parts.append(f"skipped damaged line {shown} ({first})")
            else:
                parts.append(f"skipped damaged lines {shown}{more} (line {numbers[0]}: {first})")
        if self.torn_tail:
            parts.append(TORN_TAIL)
        return f"warning: {self.path}: {'; '.join(parts)}"


@dataclass
class RecordFile(Generic[M]):
    records: list[M]  # the last valid record per key
    superseded: list[M]  # earlier records of a repeated key (still paid for, never graded)
    report: ReadReport


def _problem(raw: bytes, model: type[M]) -> tuple[M | None, str, bool]:
    """The record on ``raw``, or None with what is wrong and whether it is a syntax problem."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not valid UTF-8", True
    try:
        return model.model_validate_json(raw), "", False
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            return None, "not valid JSON", True
        where = ".".join(str(p) for p in first["loc"]) or "line"
        return None, f"not a {model.__name__}: {where}: {first['msg']}", False


def read_record_file(
    path: Path, model: type[M], *, key: Callable[[M], str], missing_ok: bool = False
) -> RecordFile[M]:
    """Every record of ``path`` under the policy above. Raises RecordFileError only when the file
    cannot be opened (a missing file reads as empty with ``missing_ok``)."""
    report = ReadReport(path)
    latest: dict[str, M] = {}
    superseded: list[M] = []
    last_failure: tuple[int, int, bool, bool] | None = None  # number, start offset, complete, syntax
    offset = 0
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        if missing_ok:
            return RecordFile([], [], report)
        raise RecordFileError(f"{path} does not exist") from exc
    except OSError as exc:
        raise RecordFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        # Iterating a binary file splits on b"\n" only, one line in memory at a time.
        for number, raw in enumerate(_lines(handle, path), start=1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            report.lines += 1
            record, problem, syntax = _problem(raw, model)
            if record is None:
                report.damaged[number] = problem
                last_failure = (number, start, raw.endswith(b"\n"), syntax)
                continue
            last_failure = None
            previous = latest.pop(key(record), None)
            if previous is not None:
                superseded.append(previous)
            latest[key(record)] = record
    report.valid_length = offset
    if last_failure is not None:
        number, start, complete, syntax = last_failure
        if not complete or syntax:  # cut off mid-write: not damage, and not worth keeping
            del report.damaged[number]
            report.torn_tail = True
            report.valid_length = start
    report.superseded = len(superseded)
    return RecordFile(list(latest.values()), superseded, report)


def print_warning(report: ReadReport, stream: TextIO | None = None) -> None:
    """Print ``report``'s warning (if any) to ``stream`` (stderr by default)."""
    message = report.warning()
    if message is not None:
        print(message, file=stream if stream is not None else sys.stderr)


def _lines(handle: BinaryIO, path: Path) -> Iterator[bytes]:
    try:
        yield from handle
    except OSError as exc:  # a disk error mid-file, or a directory given as a file
        raise RecordFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
