"""The runner: tasks x trials episodes, at most N in flight, written to DIR as they finish.

``DIR/manifest.json`` pins what the results depend on; ``DIR/transcripts.jsonl`` gets one record
per finished episode. Running the same command on the same DIR resumes: finished episodes are
skipped, infrastructure errors are run again, and a different configuration is refused.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import traceback
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mcp.types import Tool

from harness.agent import EpisodeLimits, backoff_sleep, episode_key, run_episode, system_prompt, tool_schemas
from harness.connections import ConnectionKind, WorldConnection, open_connection
from harness.episode_journal import JOURNAL_FILE, EpisodeJournal
from harness.errors import ConfigurationError
from harness.jsonl import print_warning
from harness.pricing import PriceTable, load_price_table
from harness.providers.base import Provider
from harness.providers.tool_descriptions import TOOL_DESCRIPTION_CHOICES, ToolDescriptions
from harness.runner.estimate import CostEstimate, estimate_cost
from harness.runner.manifest import Manifest, digest, environment_facts, reconcile, task_digest, tools_digest
from harness.runner.progress import NO_TOOL_CALL_HINT, Progress
from harness.runner.prompt_cost import measure_prompt_cost
from harness.runner.transcripts import TRANSCRIPTS_FILE, TranscriptWriter, read_transcripts
from harness.tasks.loader import TaskWithRubric, load_suite
from harness.tasks.models import Task
from harness.transcript import EpisodeRecord


@dataclass
class RunConfig:
    model: str
    split: str
    out_dir: Path
    task_ids: list[str] | None = None
    trials: int = 1
    concurrency: int = 8
    settings: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    connection: ConnectionKind = "inprocess"
    server_url: str | None = None
    limits: EpisodeLimits = field(default_factory=EpisodeLimits)
    max_cost_usd: float | None = None
    dry_run: bool = False
    price_table: Path | None = None
    tasks_root: Path = Path(".")
    tool_descriptions: ToolDescriptions = "full"  # "compact": --compact-tools

    def check(self) -> None:
        if self.tool_descriptions not in TOOL_DESCRIPTION_CHOICES:
            raise ConfigurationError(f"tool descriptions must be one of {', '.join(TOOL_DESCRIPTION_CHOICES)}")
        if self.trials < 1:
            raise ConfigurationError("--trials must be at least 1")
        if self.concurrency < 1:
            raise ConfigurationError("--concurrency must be at least 1")
        if self.limits.max_turns < 1:
            raise ConfigurationError("--max-turns must be at least 1")
        if self.limits.timeout_s is not None and self.limits.timeout_s <= 0:
            raise ConfigurationError("--episode-timeout must be positive")
        if self.max_cost_usd is not None and self.max_cost_usd < 0:
            raise ConfigurationError("--max-cost must not be negative")


@dataclass
class RunSummary:
    planned: int  # task x trial episodes in the selection
    skipped: int = 0  # already finished in DIR before this run
    statuses: Counter[str] = field(default_factory=Counter)  # records written by this run
    not_started: int = 0  # left out because --max-cost was reached
    errors_remaining: int = 0  # keys whose latest record is an infrastructure error
    spent_usd: float = 0.0  # by this invocation
    spent_before_usd: float = 0.0  # by earlier invocations on the same directory
    estimate: CostEstimate | None = None
    tool_calls: int = 0  # made by the episodes this run finished (errored ones not counted)
    turns: int = 0
    without_tool_calls: int = 0  # finished episodes that never made a tool call

    @property
    def exit_code(self) -> int:
        """0 when every episode has finished (whatever the model scored); 1 otherwise."""
        return 1 if self.errors_remaining or self.not_started else 0

    def render(self) -> str:
        finished = sum(n for status, n in self.statuses.items() if status != "error")
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()) if status != "error")
        lines = [f"{finished} episodes finished in this run" + (f" ({by_status})" if by_status else "")
                 + f"; {self.skipped} already done before; ${self.spent_usd:.4f} spent"
                 + (f" (${self.spent_before_usd + self.spent_usd:.4f} in this directory)." if self.spent_before_usd else ".")]
        if finished:
            lines.append(f"{self.tool_calls} tool calls in {self.turns} model turns "
                         f"({self.tool_calls / finished:.1f} calls and {self.turns / finished:.1f} turns per episode).")
            if self.without_tool_calls == finished:
                lines.append(f"WARNING: no episode made a single tool call: the model never reached the world and each "
                             f"episode's first reply was graded as its answer. {NO_TOOL_CALL_HINT}")
            elif self.without_tool_calls:
                lines.append(f"note: {self.without_tool_calls} of {finished} episodes made no tool call.")
        if self.errors_remaining:
            lines.append(f"{self.errors_remaining} episodes ended in infrastructure errors: run the same command again to retry them.")
        if self.not_started:
            lines.append(f"{self.not_started} episodes were not started because --max-cost was reached.")
        return "\n".join(lines)


def episode_id_for(task: Task, trial: int) -> str:
    """Unique per attempt, so a rerun never meets the leftovers of an earlier attempt on a server."""
    return f"{task.id}.t{trial}.{os.urandom(4).hex()}"


def build_manifest(config: RunConfig, suite: list[TaskWithRubric], tools: list[Tool], world_hash: str,
                   model: str, settings: dict[str, Any]) -> Manifest:
    prompts = sorted({system_prompt(pair.task) for pair in suite})
    return Manifest(
        model=model,
        settings=settings,
        limits={"max_turns": config.limits.max_turns, "episode_timeout_s": config.limits.timeout_s},
        split=config.split,
        world_hash=world_hash,
        tools_hash=tools_digest(tools),
        system_prompt_hash=digest(prompts),
        tasks={pair.task.id: task_digest(pair.task) for pair in suite},
        rubrics={pair.task.id: digest(pair.rubric.model_dump(mode="json")) for pair in suite},
        tool_descriptions=config.tool_descriptions,
        trials=config.trials,
        concurrency=config.concurrency,
        connection=config.connection,
        base_url=config.base_url,
        server_url=config.server_url,
        max_cost_usd=config.max_cost_usd,
        price_table=str(config.price_table) if config.price_table else None,
        environment=environment_facts(),
    )


def default_provider(config: RunConfig) -> Provider:
    from harness.providers.registry import check_credentials, create_provider

    check_credentials(config.model, config.base_url)
    return create_provider(config.model, config.settings, base_url=config.base_url, sleep=backoff_sleep)


async def check_model_server(config: RunConfig, model: str, out: TextIO) -> None:
    """An unreachable OpenAI-compatible server fails the run in seconds, before any episode."""
    from harness.providers.preflight import check_server

    if not config.model.startswith("openai-compatible/") or config.base_url is None:
        return
    found = await check_server(config.base_url)
    served = model.partition("/")[2]
    if not found.lists(served):
        out.write(f"note: the server at {config.base_url} lists the models {', '.join(found.models)}, not "
                  f"{served!r}; a server that checks the name will refuse every request\n")


async def execute_run(
    config: RunConfig,
    *,
    provider: Provider | None = None,
    connection: WorldConnection | None = None,
    stream: TextIO | None = None,
) -> RunSummary:
    """Run (or resume) the configured episodes. ``provider`` and ``connection`` default to the
    ones the config names; both are closed at the end only if this function created them."""
    config.check()
    out = stream if stream is not None else sys.stderr
    suite = load_suite(config.tasks_root, config.split, config.task_ids)
    if not suite:
        raise ConfigurationError(f"no tasks in split {config.split!r} under {config.tasks_root / 'tasks'}")
    prices = load_price_table(config.price_table)
    own_provider = provider is None and not config.dry_run
    model = default_provider(config) if own_provider else provider  # a missing key fails here, first
    own_connection = connection is None
    try:
        if own_provider and model is not None:
            await check_model_server(config, model.model, out)
        world = connection or open_connection(
            config.connection, server_url=config.server_url, max_episodes=max(512, config.concurrency + 16)
        )
        try:
            async with world:
                if config.dry_run:
                    return await _dry_run(config, suite, await world.list_tools(), prices)
                assert model is not None
                return await _run(config, suite, model, world, prices, out)
        finally:
            if own_connection:
                await world.aclose()
    finally:
        if own_provider and model is not None:
            await model.aclose()


async def _dry_run(config: RunConfig, suite: list[TaskWithRubric], tools: list[Tool], prices: PriceTable) -> RunSummary:
    reasoning = bool(config.settings.get("reasoning_effort") or config.settings.get("thinking_budget"))
    # Only an OpenAI-compatible server may have the model's tokenizer at hand (/tokenize).
    compatible = config.model.startswith("openai-compatible/")
    prompt = await measure_prompt_cost(
        sorted({system_prompt(pair.task) for pair in suite}), tool_schemas(tools), config.tool_descriptions,
        model=config.model.partition("/")[2], base_url=config.base_url if compatible else None,
    )
    estimate = estimate_cost([p.task for p in suite], config.trials, tools, config.model, prices,
                             reasoning=reasoning, prompt=prompt)
    return RunSummary(planned=len(suite) * config.trials, estimate=estimate)


async def _run(
    config: RunConfig, suite: list[TaskWithRubric], provider: Provider, world: WorldConnection,
    prices: PriceTable, out: TextIO,
) -> RunSummary:
    leftovers = await world.use_journal(EpisodeJournal(config.out_dir / JOURNAL_FILE))
    if leftovers:
        out.write(f"note: closed {leftovers} episode(s) an earlier, interrupted run left open on the server\n")
    tools = await world.list_tools()
    world_hash = await world.world_hash()
    manifest = reconcile(config.out_dir, build_manifest(config, suite, tools, world_hash, provider.model, dict(provider.settings)))
    manifest_hash = manifest.identity_hash()

    path = config.out_dir / TRANSCRIPTS_FILE
    log = read_transcripts(path)
    print_warning(log.report, out)  # an episode whose only record was skipped runs again
    latest = {key: record.status for key, record in log.records.items()}  # kept current as records land
    wanted = [(pair.task, trial) for pair in suite for trial in range(1, config.trials + 1)]
    queue = deque((task, trial) for task, trial in wanted if latest.get(episode_key(task.id, trial), "error") == "error")
    summary = RunSummary(planned=len(wanted), skipped=len(wanted) - len(queue), spent_before_usd=log.spent_usd)
    progress = Progress(len(wanted), already_done=summary.skipped, stream=out)
    budget_hit = asyncio.Event()

    def check_budget() -> None:
        # The budget is the directory's: what earlier invocations spent counts too.
        total = summary.spent_before_usd + summary.spent_usd
        if config.max_cost_usd is not None and total >= config.max_cost_usd and not budget_hit.is_set():
            budget_hit.set()
            progress.note(f"--max-cost ${config.max_cost_usd:g} reached (${total:.4f} spent in {config.out_dir}): "
                          "no new episodes start; those running finish")

    def spend(usd: float) -> None:
        summary.spent_usd += usd
        progress.add_cost(usd)
        check_budget()

    if queue:
        check_budget()

    async def one(task: Task, trial: int) -> EpisodeRecord:
        try:
            record = await run_episode(
                provider=provider, connection=world, task=task, trial=trial, episode_id=episode_id_for(task, trial),
                limits=config.limits, cost_of=lambda usage: prices.cost_of(provider.model, usage), on_cost=spend,
                on_turn=progress.add_turn,
                manifest_hash=manifest_hash, world_hash=world_hash, tool_descriptions=config.tool_descriptions,
            )
        except Exception as exc:  # noqa: BLE001 - a harness bug must not sink a long run: record it, go on
            record = _crash_record(task, trial, provider, manifest_hash, exc)
        if record.status != "error" and record.world is not None and record.world.content_hash != world_hash:
            record.status, record.stop_reason = "error", "connection"
            record.error = f"the server's world {record.world.content_hash} is not the run's world {world_hash}"
        return record

    async def worker(writer: TranscriptWriter) -> None:
        while queue and not budget_hit.is_set():
            task, trial = queue.popleft()
            progress.episode_started()
            record = await one(task, trial)
            await writer.append(record)  # on disk before the episode counts as done
            latest[record.key] = record.status
            summary.statuses[record.status] += 1
            if record.status != "error":
                summary.tool_calls += len(record.tool_calls)
                summary.turns += record.turns
                summary.without_tool_calls += not record.tool_calls
            progress.episode_finished(record.status, tool_calls=len(record.tool_calls))
            if record.status == "error":
                progress.note(f"episode {record.key} errored ({record.stop_reason}): {record.error}")

    with TranscriptWriter(path, valid_length=log.report.valid_length) as writer, run_wide_objects_frozen():
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(config.concurrency, len(queue))):
                    group.create_task(worker(writer))
        finally:
            progress.close()
    summary.not_started = len(queue)
    summary.errors_remaining = sum(1 for task, trial in wanted if latest.get(episode_key(task.id, trial)) == "error")
    return summary


@contextmanager
def run_wide_objects_frozen() -> Iterator[None]:
    """Keep what is alive when the episodes start (the world template, the server's tools, the
    SDKs: about 140,000 objects) out of the garbage collector's full passes while they run. Each
    full pass walks all of them, about 70 ms on the event loop that stalls every episode in flight;
    episodes' own objects are still collected as usual. Undone when the episodes are done; left
    alone where the process had frozen objects already (whoever did manages them)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _crash_record(task: Task, trial: int, provider: Provider, manifest_hash: str, exc: Exception) -> EpisodeRecord:
    detail = "".join(traceback.format_exception(exc, limit=-6)).strip()
    return EpisodeRecord(
        key=episode_key(task.id, trial), task_id=task.id, trial=trial, model=provider.model,
        settings=dict(provider.settings), manifest_hash=manifest_hash, status="error",
        stop_reason="harness", error=f"{type(exc).__name__}: {exc}\n{detail}",
    )
