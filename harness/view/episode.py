"""One episode as its page shows it: the prompt, the conversation with each tool call joined to
its recorded result and timing, the world's changes as field diffs, and the criteria, failed first."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.grading.results import CriterionGrade
from harness.transcript import EpisodeRecord, Message, ToolCallRecord
from harness.view.model import Episode
from mcp_server.episodes import RowChange

RESULT_LIMIT = 20_000  # characters of one tool result shown; the rest stays in transcripts.jsonl
PREVIEW_LIMIT = 120
_VERDICT_ORDER = {False: 0, None: 1, True: 2}  # failed first, then undecided, then met


@dataclass(frozen=True)
class Call:
    name: str
    arguments: str  # pretty JSON
    preview: str  # one line: name(key=value, ...)
    result: str
    cut: int  # characters of the result not shown
    is_error: bool
    duration_ms: float | None
    turn: int | None


@dataclass(frozen=True)
class Turn:
    role: str
    content: str
    reasoning: str | None = None
    calls: list[Call] = field(default_factory=list)


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class RowDiff:
    table: str
    row_id: str
    op: str
    fields: list[FieldChange]


@dataclass(frozen=True)
class EpisodeView:
    episode: Episode
    system_prompt: str | None
    prompt: str | None
    turns: list[Turn]
    changes: list[RowDiff]
    criteria: list[CriterionGrade]


def _json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def _preview(name: str, arguments: dict[str, Any]) -> str:
    text = f"{name}(" + ", ".join(f"{k}={_json(v, None)}" for k, v in arguments.items()) + ")"
    return text if len(text) <= PREVIEW_LIMIT else text[: PREVIEW_LIMIT - 1] + "…"


def _readable_result(text: str) -> str:
    """A JSON result pretty-printed (the model saw it compact); any other text as it is."""
    if text[:1] in "{[":
        try:
            return _json(json.loads(text))
        except ValueError:
            pass
    return text


def _call(name: str, arguments: dict[str, Any], record: ToolCallRecord | None) -> Call:
    result = _readable_result(record.result) if record else ""
    return Call(
        name=name, arguments=_json(arguments), preview=_preview(name, arguments), result=result[:RESULT_LIMIT],
        cut=max(0, len(result) - RESULT_LIMIT), is_error=bool(record and record.is_error),
        duration_ms=record.duration_ms if record else None, turn=record.turn if record else None,
    )


def conversation(record: EpisodeRecord) -> list[Turn]:
    """The messages after the system prompt and the task prompt, tool results inside their calls."""
    by_id = {call.call_id: call for call in record.tool_calls}
    shown: set[str] = set()
    turns: list[Turn] = []
    for message in _after_prompt(record.messages):
        if message.role == "tool" and message.tool_call_id in shown:
            continue  # already shown inside the call it answers
        calls = []
        for request in message.tool_calls:
            call_id = str(request.get("id", ""))
            arguments = request.get("arguments")
            calls.append(_call(str(request.get("name", "?")), arguments if isinstance(arguments, dict) else {},
                               by_id.get(call_id)))
            if call_id in by_id:
                shown.add(call_id)
        turns.append(Turn(message.role, message.content, message.reasoning, calls))
    missing = [call for call in record.tool_calls if call.call_id not in shown]
    if missing:  # calls the messages do not mention (a transcript without messages)
        turns.append(Turn("tool calls", "", None, [_call(c.name, c.arguments, c) for c in missing]))
    return turns


def _after_prompt(messages: list[Message]) -> list[Message]:
    rest = [m for m in messages if m.role != "system"]
    return rest[1:] if rest and rest[0].role == "user" else rest


def _value(value: Any) -> str:
    return value if isinstance(value, str) else _json(value, None)


def row_diff(change: RowChange) -> RowDiff:
    before, after = change.before or {}, change.after or {}
    names = list(dict.fromkeys([*before, *after]))
    fields = [
        FieldChange(name, _value(before[name]) if name in before else None, _value(after[name]) if name in after else None)
        for name in names
        if change.op != "update" or before.get(name) != after.get(name)
    ]
    return RowDiff(change.table, change.row_id, change.op, fields)


def episode_view(episode: Episode) -> EpisodeView:
    record = episode.record
    messages = record.messages if record else []
    system = next((m.content for m in messages if m.role == "system"), None)
    user = [m for m in messages if m.role != "system"][:1]
    criteria = sorted(episode.grade.criteria, key=lambda c: _VERDICT_ORDER[c.met]) if episode.grade else []
    return EpisodeView(
        episode=episode, system_prompt=system,
        prompt=user[0].content if user and user[0].role == "user" else None,
        turns=conversation(record) if record else [],
        changes=[row_diff(c) for c in sorted(record.world.changes, key=lambda c: c.seq)] if record and record.world else [],
        criteria=criteria,
    )
