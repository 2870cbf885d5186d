"""`corecraft run`: run a model on a task split, K trials per task, N episodes at a time, into DIR.

Run the same command again on the same DIR to resume: finished episodes are kept, errored ones run
again. Exit code 0 when every episode finished (whatever the model scored), 1 when some ended in
infrastructure errors or were not started (--max-cost), 2 for a usage or configuration problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from harness.cli.main import CliError, number

CONNECTIONS = ("inprocess", "stdio", "http")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run",
        help="run a model on tasks and save transcripts (resumable)",
        description=(
            "Run MODEL (<provider>/<model>, e.g. anthropic/claude-opus-4-6, openai/gpt-5.2, "
            "openai-compatible/glm-4.6 with --base-url, scripted/reference) on the tasks of a split. "
            "Writes DIR/manifest.json and appends one record per episode to DIR/transcripts.jsonl. "
            "Running the same command on the same DIR resumes it. Exit code: 0 all episodes finished, "
            "1 some errored or were not started, 2 bad usage or configuration."
        ),
    )
    parser.add_argument("--model", required=True, help="<provider>/<model>")
    parser.add_argument("--split", required=True, choices=("heldout", "train"))
    parser.add_argument("--task", dest="task_ids", action="append", metavar="ID", help="only this task (repeatable)")
    parser.add_argument("--trials", type=int, default=1, help="episodes per task (default 1)")
    parser.add_argument("--concurrency", type=int, default=8, help="episodes in flight at once (default 8)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory (created or resumed)")
    parser.add_argument("--tasks-root", type=Path, default=Path("."), help="directory holding tasks/ and rubrics/ (default .)")
    parser.add_argument("--base-url", help="model API base URL (required for openai-compatible/)")
    parser.add_argument("--connection", choices=CONNECTIONS, default="inprocess",
                        help="how episodes reach the world: inprocess (default, fastest), stdio (a `corecraft serve` "
                        "process per episode) or http (a running server, see --server-url)")
    parser.add_argument("--server-url", help="MCP endpoint of a running `corecraft serve --transport http`, e.g. http://127.0.0.1:8765/mcp")
    parser.add_argument("--max-turns", type=int, default=None, help="model turns per episode before it stops as max_turns (default 100)")
    parser.add_argument("--episode-timeout", type=number(minimum=0), default=None, metavar="SECONDS",
                        help="wall-clock limit per episode, recorded as timeout (default 1800; 0 = none)")
    parser.add_argument("--max-cost", type=number(minimum=0), default=None, metavar="USD",
                        help="stop starting episodes once DIR's runs have spent this much, earlier invocations "
                        "included (running episodes finish)")
    parser.add_argument("--dry-run", action="store_true", help="estimate tokens and cost, run nothing")
    parser.add_argument("--price-table", type=Path, help="JSON file of prices (USD per million tokens) over the built-in table")
    settings = parser.add_argument_group("model settings")
    settings.add_argument("--max-tokens", type=int, help="output token cap per model turn")
    settings.add_argument("--temperature", type=number(minimum=0))
    settings.add_argument("--reasoning-effort", choices=("none", "minimal", "low", "medium", "high", "xhigh", "max"))
    settings.add_argument("--thinking-budget", help="Anthropic thinking budget in tokens, or 'adaptive'")
    settings.add_argument("--request-timeout", type=number(minimum=0, above=True), metavar="SECONDS",
                          help="how long one model request may take before it fails (default 600); a request "
                          "that timed out is not sent again, so give a slow local server enough")
    settings.add_argument("--tool-call-parser", metavar="FORMAT",
                          help="openai-compatible/ only: how to read tool calls the model writes as text: auto "
                          "(default), none, or one format: hermes, glm45, qwen3_coder, mistral, deepseek, json, "
                          "pythonic (see docs/open-models.md)")
    settings.add_argument("--compact-tools", action="store_true",
                          help="send the tools with compact descriptions (first sentences, no titles): same "
                          "tools, same rules, a shorter prompt for small hardware; recorded in the manifest")
    settings.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                          help="any other model setting; VALUE is parsed as JSON when it can be (repeatable)")
    parser.set_defaults(handler=run)


def model_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings from --setting pairs, then the dedicated flags (which win)."""
    chosen: dict[str, Any] = {}
    for pair in args.setting:
        key, equals, raw = pair.partition("=")
        if not equals or not key.strip():
            raise CliError(f"--setting expects KEY=VALUE, got {pair!r}")
        try:
            chosen[key.strip()] = json.loads(raw)
        except ValueError:
            chosen[key.strip()] = raw
    budget: Any = args.thinking_budget
    if budget is not None and budget != "adaptive":
        try:
            budget = int(budget)
        except ValueError as exc:
            raise CliError(f"--thinking-budget must be a number of tokens or 'adaptive', got {budget!r}") from exc
    flags = {"max_tokens": args.max_tokens, "temperature": args.temperature,
             "reasoning_effort": args.reasoning_effort, "thinking_budget": budget,
             "request_timeout_s": args.request_timeout, "tool_call_parser": args.tool_call_parser}
    chosen.update({key: value for key, value in flags.items() if value is not None})
    return chosen


def run(args: argparse.Namespace) -> int:
    from harness.agent import DEFAULT_EPISODE_TIMEOUT_S, DEFAULT_MAX_TURNS, EpisodeLimits
    from harness.errors import HarnessError
    from harness.runner import RunConfig, execute_run

    timeout = DEFAULT_EPISODE_TIMEOUT_S if args.episode_timeout is None else (args.episode_timeout or None)
    config = RunConfig(
        model=args.model,
        split=args.split,
        out_dir=args.out,
        task_ids=args.task_ids,
        trials=args.trials,
        concurrency=args.concurrency,
        settings=model_settings(args),
        base_url=args.base_url,
        connection=args.connection,
        server_url=args.server_url,
        limits=EpisodeLimits(max_turns=DEFAULT_MAX_TURNS if args.max_turns is None else args.max_turns, timeout_s=timeout),
        max_cost_usd=args.max_cost,
        dry_run=args.dry_run,
        price_table=args.price_table,
        tasks_root=args.tasks_root,
        tool_descriptions="compact" if args.compact_tools else "full",
    )
    if args.connection == "http" and not args.server_url:
        raise CliError("--connection http needs --server-url")
    try:
        summary = asyncio.run(execute_run(config))
    except HarnessError as exc:  # configuration, task files, manifest mismatch, an unreachable server
        raise CliError(str(exc)) from exc
    if summary.estimate is not None:
        print(summary.estimate.render(config.model))
        return 0
    print(summary.render(), file=sys.stdout)
    return summary.exit_code
