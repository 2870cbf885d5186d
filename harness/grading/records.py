"""Reading transcripts and grades, writing grades, and turning a server audit export into a
transcript so that a session of any MCP client can be graded."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import GradingError
from harness.grading.results import EpisodeGrade
from harness.tasks.models import Task
from harness.transcript import EpisodeRecord, Message, ToolCallRecord, WorldOutcome
from mcp_server.episodes import EpisodeExport

TRANSCRIPTS_FILE = "transcripts.jsonl"
GRADES_FILE = "grades.jsonl"
EXTERNAL_MODEL = "external/mcp-client"
M = TypeVar("M", bound=BaseModel)


def _read_jsonl(path: Path, model: type[M]) -> list[M]:
    """Every line as ``model``. A damaged last line (a crash mid-write) is skipped; damage elsewhere
    is an error naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GradingError(f"cannot read {path}: {exc.strerror or exc}") from exc
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    items: list[M] = []
    for position, (number, line) in enumerate(numbered):
        try:
            items.append(model.model_validate_json(line))
        except ValidationError as exc:
            if position == len(numbered) - 1 and exc.errors()[0]["type"] == "json_invalid":
                continue  # an interrupted final write
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise GradingError(f"{path}:{number}: not a {model.__name__}: {where}: {first['msg']}") from exc
    return items


def read_records(path: Path) -> list[EpisodeRecord]:
    """Transcripts from a JSONL file; when a key repeats (a resumed run), the last record wins."""
    latest: dict[str, EpisodeRecord] = {}
    for record in _read_jsonl(path, EpisodeRecord):
        latest.pop(record.key, None)
        latest[record.key] = record
    return list(latest.values())


def read_grades(path: Path) -> list[EpisodeGrade]:
    return _read_jsonl(path, EpisodeGrade)


def write_jsonl(path: Path, items: Iterable[BaseModel]) -> None:
    """Replace ``path`` atomically with one JSON line per item."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for item in items:
                handle.write(item.model_dump_json() + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _result_text(result: Any) -> str:
    if isinstance(result, str):
        return result
    return json.dumps(result, indent=2, ensure_ascii=False, default=str)


def record_from_export(
    export: EpisodeExport, task: Task, reply: str, *, model: str = EXTERNAL_MODEL, trial: int = 1
) -> EpisodeRecord:
    """A transcript for a session recorded by the server's audit log: the tool calls come from the
    audit entries (in order; the turn of each call is unknown and set to its index), the world
    outcome from the export, and the final reply from whoever ran the client."""
    calls = [
        ToolCallRecord(
            call_id=f"audit-{entry.index}", name=entry.tool, arguments=entry.arguments,
            result=_result_text(entry.result), is_error=entry.is_error, duration_ms=entry.duration_ms,
            turn=entry.index,
        )
        for entry in sorted(export.audit, key=lambda e: e.index)
    ]
    return EpisodeRecord(
        key=f"{task.id}#{trial}",
        task_id=task.id,
        trial=trial,
        model=model,
        status="completed",
        stop_reason="external_client",
        messages=[Message(role="user", content=task.prompt), Message(role="assistant", content=reply)],
        tool_calls=calls,
        final_reply=reply,
        world=WorldOutcome(content_hash=export.content_hash, clock=export.clock, changes=export.changes),
    )


def read_export(path: Path) -> EpisodeExport:
    try:
        return EpisodeExport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GradingError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise GradingError(f"{path} is not an episode export: {where}: {first['msg']}") from exc
