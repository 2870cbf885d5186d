"""Which held-out reference calls answer differently on the current world than on an older one.

    .venv/bin/python bench/heldout_drift.py [--rev REV | --without-plants] [--ids com-001,ir-002] [--lines 8]

Replays every held-out reference solution (tasks/heldout) through the real MCP server twice: once on a
world built from ``mcp_server/world/data`` as committed at REV (default: the parent of the commit
"World v2 scaffolding ...", i.e. the world before v2), once on the current data directory. Prints, per
task, each reference call whose result text differs, as a compact diff of the pretty-printed results,
and a summary count; ``new records`` lists ids of a changed result that the older world lacks.
``--without-plants`` compares with the current generator's world minus its planted (world v2) steps
instead, which leaves only the changes planted records cause. A report: it always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mcp import Client, MCPError  # noqa: E402

from harness.tasks.loader import load_tasks  # noqa: E402
from harness.tasks.models import Task  # noqa: E402
from mcp_server.audit import META_CLOCK_KEY, META_EPISODE_KEY  # noqa: E402
from mcp_server.episodes import EpisodeRegistry  # noqa: E402
from mcp_server.server import build_server  # noqa: E402
from mcp_server.world.store import DATA_DIR, Template, build_template, content_hash  # noqa: E402

DATA_PATH = "mcp_server/world/data"
RECORD_ID = re.compile(r"\b[a-z]{2,5}-\d{3,6}(?:-\d{3})?\b")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout


def default_rev() -> str:
    """The parent of the "World v2 scaffolding" commit: the world the held-out tasks were written on."""
    found = git("log", "--format=%h", "--fixed-strings", "--grep=World v2 scaffolding", "-n", "1").strip()
    return f"{found}^" if found else sys.exit("no 'World v2 scaffolding' commit found: pass --rev")


def export_data(rev: str, out: Path) -> None:
    """The data files of ``rev``, written into ``out`` (git show, so the working tree is untouched)."""
    for name in git("ls-tree", "--name-only", rev, f"{DATA_PATH}/").split():
        (out / Path(name).name).write_text(git("show", f"{rev}:{name}"), encoding="utf-8")


def generate_without_plants(out: Path) -> None:
    """The current generator's world without the planted steps (they only append records)."""
    from mcp_server.world import generator

    generator.PLANTED_STEPS = ()
    generator.planted_content.plant_slack = lambda world, drafts: None  # type: ignore[assignment]
    generator.generate(out)


def record_ids(data_dir: Path) -> set[str]:
    """Every record id of a data directory (so a diff can name the records that are new)."""
    return {json.loads(line)["id"] for path in data_dir.glob("*.jsonl") for line in path.read_text(encoding="utf-8").splitlines() if line}


def template_for(data_dir: Path) -> Template:
    return Template(image=build_template(data_dir), content_hash=content_hash(data_dir))


def _text(result: Any) -> str:
    return ("ERROR " if result.is_error else "") + " ".join(getattr(b, "text", "") for b in result.content if getattr(b, "text", ""))


async def replay(template: Template, tasks: list[Task]) -> dict[str, list[str]]:
    """Each task's reference call results, in order (an error's text stands for its result)."""
    registry = EpisodeRegistry(template, max_episodes=4)
    results: dict[str, list[str]] = {}
    try:
        async with Client(build_server(registry=registry)) as client:
            for task in tasks:
                episode = f"drift.{task.id}"
                meta: dict[str, Any] = {META_EPISODE_KEY: episode, **({META_CLOCK_KEY: task.clock} if task.clock else {})}
                await registry.get(episode, task.clock)
                texts = []
                for call in task.reference.calls:
                    try:
                        texts.append(_text(await client.call_tool(call.tool, call.arguments, meta=meta)))  # type: ignore[arg-type]
                    except MCPError as exc:
                        texts.append(f"REJECTED {exc}")
                results[task.id] = texts
                await registry.close(episode)
    finally:
        await registry.close_all()
    return results


def pretty(text: str) -> list[str]:
    try:
        return json.dumps(json.loads(text), indent=1, sort_keys=True).splitlines()
    except ValueError:
        return text.splitlines()


def compact_diff(before: str, after: str, limit: int) -> list[str]:
    lines = [line for line in difflib.unified_diff(pretty(before), pretty(after), lineterm="", n=0)
             if not line.startswith(("---", "+++", "@@"))]
    shown = [line if len(line) <= 160 else line[:157] + "..." for line in lines[:limit]]
    return shown + ([f"  ... {len(lines) - limit} more changed lines"] if len(lines) > limit else [])


def report(task: Task, before: list[str], after: list[str], old_ids: set[str], limit: int) -> tuple[list[str], int]:
    """The differing calls of one task, and how many of them show records the older world lacks."""
    lines, fresh = [], 0
    for number, (call, old, new) in enumerate(zip(task.reference.calls, before, after), start=1):
        if old == new:
            continue
        lines.append(f"  call {number} {call.tool} {json.dumps(call.arguments, sort_keys=True)[:120]}")
        lines.extend(f"    {line}" for line in compact_diff(old, new, limit))
        new_ids = sorted(set(RECORD_ID.findall(new)) - old_ids)
        if new_ids:  # records the older world lacks: planted ones, or ids a write took
            fresh += 1
            lines.append(f"    new records: {', '.join(new_ids[:12])}{' ...' if len(new_ids) > 12 else ''}")
    return lines, fresh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", help="git revision of the older world data (default: before world v2)")
    parser.add_argument("--without-plants", action="store_true", help="compare with the world generated without planted steps")
    parser.add_argument("--data", default=str(DATA_DIR), help="current data directory (default: the committed one)")
    parser.add_argument("--ids", help="comma-separated held-out task ids (default: all)")
    parser.add_argument("--lines", type=int, default=8, help="changed lines shown per call")
    args = parser.parse_args(argv)
    tasks = load_tasks(REPO, "heldout", args.ids.split(",") if args.ids else None)
    with tempfile.TemporaryDirectory() as tmp:
        base, origin = Path(tmp), "the generator without planted steps"
        if args.without_plants:
            generate_without_plants(base)
        else:
            origin = f"{DATA_PATH} at {args.rev or default_rev()}"
            export_data(args.rev or default_rev(), base)
        old, old_ids = asyncio.run(replay(template_for(base), tasks)), record_ids(base)
    new = asyncio.run(replay(template_for(Path(args.data)), tasks))
    calls = tasks_changed = fresh = 0
    for task in tasks:
        lines, task_fresh = report(task, old[task.id], new[task.id], old_ids, args.lines)
        if lines:
            print(f"{task.id}:", *lines, sep="\n")
            tasks_changed, calls, fresh = tasks_changed + 1, calls + sum(ln.startswith("  call ") for ln in lines), fresh + task_fresh
    print(f"\nsummary: {calls} of {sum(len(t.reference.calls) for t in tasks)} reference calls differ, in {tasks_changed} of {len(tasks)} tasks; {fresh} of them "
          f"show records the older world lacks (old world: {origin}; new: {args.data})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
