"""Replaying reference solutions through the real MCP server, in process.

One template, one server and one ``mcp.Client`` serve every task: each task gets its own episode
(chosen through the request ``_meta``, as the audit middleware allows), its reference calls run in
order, and the episode's export becomes a transcript with the reference reply as final reply.
An SQLite authorizer on the episode's connection records which tables the calls read and wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp import Client, MCPError
from mcp.server.mcpserver import MCPServer

from harness.grading.records import record_from_export
from harness.tasks.models import Task
from harness.transcript import EpisodeRecord
from mcp_server.audit import META_CLOCK_KEY, META_EPISODE_KEY
from mcp_server.episodes import EpisodeRegistry
from mcp_server.world.store import Template

ServerFactory = Callable[[EpisodeRegistry], MCPServer[EpisodeRegistry]]
Progress = Callable[[int, int, str], None]
REFERENCE_MODEL = "reference/expert"
_WRITE_ACTIONS = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}


def real_server(registry: EpisodeRegistry) -> MCPServer[EpisodeRegistry]:
    from mcp_server.server import build_server

    return build_server(registry=registry)


@dataclass
class Replay:
    task: Task
    record: EpisodeRecord
    problems: list[str] = field(default_factory=list)  # reference calls that did not behave as written
    tables_read: set[str] = field(default_factory=set)
    tables_written: set[str] = field(default_factory=set)
    write_tools: frozenset[str] = frozenset()  # the server's tools not marked read-only


class _TableRecorder:
    def __init__(self) -> None:
        self.read: set[str] = set()
        self.written: set[str] = set()

    def __call__(self, action: int, arg1: str | None, *_rest: Any) -> int:
        if arg1 and not arg1.startswith(("_", "sqlite_")):
            if action == sqlite3.SQLITE_READ:
                self.read.add(arg1)
            elif action in _WRITE_ACTIONS:
                self.written.add(arg1)
        return sqlite3.SQLITE_OK


def _result_text(result: Any) -> str:
    texts = [getattr(block, "text", "") for block in result.content]
    return " ".join(t for t in texts if t)[:300]


async def replay_references(
    tasks: Sequence[Task],
    template: Template,
    *,
    server_factory: ServerFactory = real_server,
    progress: Progress | None = None,
) -> tuple[list[Replay], set[str]]:
    """Replay every task's reference solution. Returns the replays (in task order) and the names
    of the tools the server offers."""
    registry = EpisodeRegistry(template, max_episodes=4)
    server = server_factory(registry)
    replays: list[Replay] = []
    try:
        async with Client(server) as client:
            listed = (await client.list_tools()).tools
            tool_names = {tool.name for tool in listed}
            writes = frozenset(t.name for t in listed if not (t.annotations and t.annotations.read_only_hint))
            for number, task in enumerate(tasks, start=1):
                replay = await _replay_one(client, registry, task, tool_names)
                replay.write_tools = writes
                replays.append(replay)
                if progress is not None:
                    progress(number, len(tasks), task.id)
    finally:
        await registry.close_all()
    return replays, tool_names


async def _replay_one(client: Client, registry: EpisodeRegistry, task: Task, tool_names: set[str]) -> Replay:
    episode_id = f"replay.{task.id}"
    meta: dict[str, Any] = {META_EPISODE_KEY: episode_id}
    if task.clock is not None:
        meta[META_CLOCK_KEY] = task.clock
    episode = await registry.get(episode_id, task.clock)
    recorder = _TableRecorder()
    await episode.db.set_authorizer(recorder)
    problems: list[str] = []
    try:
        for number, call in enumerate(task.reference.calls, start=1):
            label = f"reference call {number} ({call.tool})"
            if call.tool not in tool_names:
                problems.append(f"{label}: the server has no tool named {call.tool!r}")
                continue
            try:
                result = await client.call_tool(call.tool, call.arguments, meta=meta)  # type: ignore[arg-type]
            except MCPError as exc:
                problems.append(f"{label}: rejected by the server: {exc}")
                continue
            if result.is_error and not call.expect_error:
                problems.append(f"{label} failed: {_result_text(result)}")
            elif call.expect_error and not result.is_error:
                problems.append(f"{label} was expected to be refused (expect_error) but succeeded")
    finally:
        await episode.db.set_authorizer(None)
    export = await registry.close(episode_id)
    assert export is not None
    record = record_from_export(export, task, task.reference.reply, model=REFERENCE_MODEL)
    return Replay(task=task, record=record, problems=problems, tables_read=recorder.read, tables_written=recorder.written)
