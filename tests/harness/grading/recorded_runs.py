"""Real recorded runs for the grading tests: a scripted model makes the given calls (one per turn)
through a server in process, then replies, and the agent loop records the episode exactly as
`corecraft run` does, so the record replays. Grading now replays every transcript, so a test that
wants a transcript graded on its merits needs one of these rather than a hand-built record."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from corecraft_test_support import FIXTURES, fixture_server, fixture_template

from harness.agent import DEFAULT_MAX_TURNS, EpisodeLimits, run_episode
from harness.grading.replay import ReplayConnection, ServerFactory
from harness.providers.base import ToolCall, ToolSchema
from harness.providers.scripted import ScriptedConversation, ScriptStep
from harness.tasks.loader import load_suite
from harness.tasks.models import Task
from harness.transcript import EpisodeRecord
from mcp_server.world.store import Template

MODEL = "openai/gpt-under-test"
Call = tuple[str, dict[str, Any]]
BROKEN_JSON = "tool arguments are not valid JSON (Expecting value): {nope"  # as parse_arguments words it
_RUNS: dict[str, EpisodeRecord] = {}


class ScriptedModel:
    """A provider that makes ``calls`` one per turn and then replies ``reply``. A call given as
    (name, None) stands for arguments the model sent as broken JSON (the harness refuses them)."""

    settings: dict[str, Any] = {}

    def __init__(self, calls: Sequence[tuple[str, dict[str, Any] | None]], reply: str, model: str = MODEL) -> None:
        self.calls, self.reply, self.model = list(calls), reply, model

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> ScriptedConversation:
        steps = [
            ScriptStep(calls=[ToolCall(id=f"call-{n}", name=name, arguments=dict(args or {}),
                                       argument_error=None if args is not None else BROKEN_JSON)])
            for n, (name, args) in enumerate(self.calls, start=1)
        ]
        return ScriptedConversation([*steps, ScriptStep(text=self.reply)])


async def record_run(
    task: Task, calls: Sequence[tuple[str, dict[str, Any] | None]], reply: str, *, template: Template,
    server_factory: ServerFactory | None, trial: int = 0, model: str = MODEL, max_turns: int = DEFAULT_MAX_TURNS,
) -> EpisodeRecord:
    connection = ReplayConnection(template, server_factory, max_episodes=2)
    return await run_episode(provider=ScriptedModel(calls, reply, model), connection=connection, task=task,  # type: ignore[arg-type]
                             trial=trial, episode_id=f"{task.id}.t{trial}", limits=EpisodeLimits(max_turns=max_turns))


def fixture_task(task_id: str) -> Task:
    (pair,) = load_suite(FIXTURES, ids=[task_id])
    return pair.task


def recorded(
    task_id: str, calls: Sequence[tuple[str, dict[str, Any] | None]] = (), reply: str = "", *, trial: int = 0,
    model: str = MODEL, max_turns: int = DEFAULT_MAX_TURNS,
) -> EpisodeRecord:
    """A real run of a fixture task on the fixture server (cached: the world is deterministic).
    Callable from sync and async tests alike: it runs on a worker thread with its own event loop."""
    key = json.dumps([task_id, calls, reply, trial, model, max_turns], sort_keys=True)
    if key not in _RUNS:
        run = record_run(fixture_task(task_id), calls, reply, template=fixture_template(), server_factory=fixture_server,
                         trial=trial, model=model, max_turns=max_turns)
        with ThreadPoolExecutor(max_workers=1) as pool:
            _RUNS[key] = pool.submit(asyncio.run, run).result()
    return _RUNS[key].model_copy(deep=True)
