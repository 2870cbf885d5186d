"""Reading transcripts and grades, writing grades, and turning a server audit export into a
transcript so that a session of any MCP client can be graded."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from harness.errors import GradingError
from harness.grading.results import EpisodeGrade
from harness.jsonl import RecordFile, read_record_file
from harness.tasks.models import Task
from harness.transcript import EpisodeRecord, Message, ToolCallRecord, WorldOutcome
from mcp_server import limits

if TYPE_CHECKING:  # the MCP SDK and the server cost ~0.4 s to import; `report` needs neither
    from mcp_server.episodes import EpisodeExport

TRANSCRIPTS_FILE = "transcripts.jsonl"
GRADES_FILE = "grades.jsonl"
EXTERNAL_MODEL = "external/mcp-client"


def records_file(path: Path) -> RecordFile[EpisodeRecord]:
    """Transcripts under the shared reading policy (harness.jsonl): when a key repeats (a resumed
    run), the last record wins; damaged lines and a torn tail are skipped and in the report."""
    return read_record_file(path, EpisodeRecord, key=lambda r: r.key)


def grades_file(path: Path) -> RecordFile[EpisodeGrade]:
    return read_record_file(path, EpisodeGrade, key=lambda g: g.key)


def read_records(path: Path) -> list[EpisodeRecord]:
    return records_file(path).records


def read_grades(path: Path) -> list[EpisodeGrade]:
    return grades_file(path).records


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


REJECTED_PREFIX = "rejected before the tool ran: "  # how the audit notes a request the protocol layer refused


def rendered_result(result: Any, is_error: bool) -> str:
    """An audit entry's result as the agent loop shows it to the model (``render_tool_result``), so
    that a record built from an export compares with a replay exactly as an agent's record does.
    A result the audit kept only as a digest stays that digest (replay compares it by hash)."""
    from mcp.types import CallToolResult, TextContent

    from harness.agent import render_tool_result

    if limits.is_omitted(result):
        return limits.canonical_text(result)
    if isinstance(result, str) or result is None:
        text = result or ""
        if is_error and text.startswith(REJECTED_PREFIX):
            text = text[len(REJECTED_PREFIX):]  # the client received the protocol error's message itself
        return render_tool_result(CallToolResult(content=[TextContent(type="text", text=text)], is_error=is_error))
    return render_tool_result(CallToolResult(content=[], structured_content=result, is_error=is_error))


def record_from_export(
    export: EpisodeExport, task: Task, reply: str, *, model: str = EXTERNAL_MODEL, trial: int = 1
) -> EpisodeRecord:
    """A transcript for a session recorded by the server's audit log: the tool calls come from the
    audit entries (in order; the turn of each call is unknown and set to its index), with results
    rendered as the agent renders them, the world outcome from the export, and the final reply from
    whoever ran the client. The messages show one assistant turn per call, as the calls were made."""
    calls = [
        ToolCallRecord(
            call_id=f"audit-{entry.index}", name=entry.tool, arguments=entry.arguments,
            result=rendered_result(entry.result, entry.is_error), is_error=entry.is_error,
            duration_ms=entry.duration_ms, turn=entry.index,
        )
        for entry in sorted(export.audit, key=lambda e: e.index)
    ]
    messages = [Message(role="user", content=task.prompt)]
    for call in calls:
        messages.append(Message(role="assistant", tool_calls=[{"id": call.call_id, "name": call.name, "arguments": call.arguments}]))
        messages.append(Message(role="tool", content=call.result, tool_call_id=call.call_id, is_error=call.is_error))
    messages.append(Message(role="assistant", content=reply))
    return EpisodeRecord(
        key=f"{task.id}#{trial}",
        task_id=task.id,
        trial=trial,
        model=model,
        status="completed",
        stop_reason="external_client",
        messages=messages,
        tool_calls=calls,
        final_reply=reply,
        world=WorldOutcome(content_hash=export.content_hash, clock=export.clock, changes=export.changes),
    )


def read_export(path: Path) -> EpisodeExport:
    from mcp_server.episodes import EpisodeExport

    try:
        return EpisodeExport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GradingError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise GradingError(f"{path} is not an episode export: {where}: {first['msg']}") from exc
