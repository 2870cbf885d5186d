"""A small tasks root for the audit tests: the fixture tasks with rubrics of trace and judge
criteria only, so these tests do not depend on the response-check format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from corecraft_test_support import FIXTURES

from harness.grading.judge_audit.labelled import NEGATIVES_FILE

LOOKUP = {"id": "looked-up", "text": "The agent looked up the customer", "kind": "completeness",
          "check": {"method": "trace", "rule": "called", "call": {"tool": "searchCustomers"}}}
RUBRICS = {
    "heldout/fx-tier-discount": [LOOKUP, {
        "id": "tone", "text": "The response is polite and addresses the customer by name", "kind": "format",
        "check": {"method": "judge", "guidance": "A greeting with the customer's first name is enough."}}],
    "heldout/fx-account-note": [LOOKUP],
    "train/fx-no-third-party-pii": [LOOKUP, {
        "id": "declines-politely", "text": "The response declines to share another customer's details and says why",
        "kind": "constraint", "check": {"method": "judge", "include": ["tool_calls"]}}],
}
NEGATIVE = {"task_id": "fx-tier-discount", "criterion_id": "tone", "reply": "Platinum. 15%.", "why": "no greeting, no name"}


def write_negatives(root: Path, *lines: object) -> Path:
    """rubrics/judge-audit/negatives.jsonl with these lines (a str is written as is)."""
    path = root / NEGATIVES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    return path


def audit_root(root: Path) -> Path:
    """Three fixture tasks (one held-out task with a judge criterion, 'tone') and two negatives."""
    for name, criteria in RUBRICS.items():
        for folder in ("tasks", "rubrics"):
            (root / folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "tasks" / f"{name}.json", root / "tasks" / f"{name}.json")
        rubric = {"task_id": name.split("/")[1], "criteria": criteria}
        (root / "rubrics" / f"{name}.json").write_text(json.dumps(rubric), encoding="utf-8")
    write_negatives(root, NEGATIVE, {**NEGATIVE, "reply": "Your tier is Platinum (15%). Don't ask again.", "why": "rude"})
    return root
