"""The closing lines of bench/local_model.sh: what a graded local-model run did, from its directory.

    python bench/local_model_summary.py RUN_DIR

Reads RUN_DIR/report.json (`corecraft report --json`), RUN_DIR/transcripts.jsonl and
RUN_DIR/manifest.json. Exits 1 when no episode made a tool call: the model never reached the world.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.runner.transcripts import read_transcripts


def summary(run_dir: Path) -> tuple[list[str], bool]:
    """The lines to print, and whether any episode made a tool call."""
    report: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    manifest: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text())
    records = [r for r in read_transcripts(run_dir / "transcripts.jsonl").records.values() if r.status != "error"]
    tools = report.get("tool_use") or {"tool_calls": 0, "parsed_from_text": 0, "tool_errors": 0, "turns": 0,
                                       "without_tool_calls": 0, "episodes": 0}
    turns = sum(r.turns for r in records)
    seconds = sum(r.duration_s for r in records)
    rate = report["pass_rate"]
    reward = report["mean_reward"]
    tasks = sorted(manifest["tasks"])
    lines = [
        f"model:            {manifest['model']} at {manifest.get('base_url')}",
        f"tasks:            {len(tasks)} held-out ({', '.join(tasks)}), at most {manifest['limits']['max_turns']} "
        f"turns each, {manifest.get('tool_descriptions', 'full')} tool descriptions",
        f"episodes:         {report['episodes']} ({report['graded']} graded, {report['ungraded']} ungraded, "
        f"{report.get('unverified', 0)} unverified, {report['errors']} infrastructure errors)",
        f"tool calls made:  {tools['tool_calls']} ({tools['parsed_from_text']} read from text, {tools['tool_errors']} "
        f"answered with a tool error) in {tools['turns']} turns; "
        f"{tools['episodes'] - tools['without_tool_calls']} of {tools['episodes']} episodes made at least one",
        f"pass rate:        {'n/a' if rate is None else f'{100 * rate:.1f} %'} ({report['passed']} of {report['graded']} graded)",
        f"mean reward:      {'n/a' if reward is None else f'{reward:.3f}'}",
        f"seconds per turn: {seconds / turns:.1f} ({turns} turns in {seconds:.0f} s)" if turns else "seconds per turn: n/a",
    ]
    lines += [f"warning:          {w}" for w in report.get("warnings", [])]
    return lines, tools["tool_calls"] > 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    lines, reached = summary(Path(argv[0]))
    print("\n".join(lines))
    return 0 if reached else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
