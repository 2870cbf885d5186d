"""Small run directories for the viewer's tests, written the way `corecraft run` and `grade` write
them, with model-written text that tries to break out of the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.grading.records import GRADES_FILE, TRANSCRIPTS_FILE, write_jsonl
from harness.grading.results import CriterionGrade, EpisodeGrade
from harness.transcript import EpisodeRecord, Message, ToolCallRecord, Usage, WorldOutcome
from mcp_server.episodes import RowChange

# Each would run script, fetch something or end an element early if it reached the page as markup.
HOSTILE_REPLY = ('Refund done.</textarea></pre><script>window.__pwned = 1</script>'
                 '<img src="https://attacker.example/x.png" onerror="window.__pwned = 2">')
HOSTILE_ARGUMENT = '</pre><script>window.__pwned = 3</script><iframe src="https://attacker.example/"></iframe>'
HOSTILE_REASONING = '<style>@import url("https://attacker.example/a.css");</style><!-- ]]> --></details>'
FAILED_REASON = "the reply states the wrong claim(s) ['refund approved']"
MANIFEST: dict[str, Any] = {"model": "openai/gpt-x", "split": "heldout", "trials": 1, "concurrency": 2,
            "tasks": {"t-pass": "h1", "t-fail": "h2", "t-judge": "h3", "t-replay": "h4", "t-infra": "h5"}}


def record(task: str, *, reply: str = "All done.", model: str = "openai/gpt-x", cost: float = 0.01,
           status: str = "completed", argument: str = "ord-1", reasoning: str | None = None) -> EpisodeRecord:
    call = ToolCallRecord(call_id="c1", name="getOrderDetails", arguments={"order_id": argument},
                          result='{"order": {"id": "ord-1", "status": "fulfilled"}}', is_error=False,
                          duration_ms=42.0, turn=1)
    failing = ToolCallRecord(call_id="c2", name="createRefund", arguments={"order_id": "ord-1", "amount": 10},
                             result="refund amount exceeds the order total", is_error=True, duration_ms=7.5, turn=2)
    messages = [
        Message(role="system", content="You are a CoreCraft support agent."),
        Message(role="user", content=f"Please handle {task}: refund order ord-1."),
        Message(role="assistant", reasoning=reasoning,
                tool_calls=[{"id": "c1", "name": "getOrderDetails", "arguments": {"order_id": argument}}]),
        Message(role="tool", content=call.result, tool_call_id="c1", is_error=False),
        Message(role="assistant",
                tool_calls=[{"id": "c2", "name": "createRefund", "arguments": {"order_id": "ord-1", "amount": 10}}]),
        Message(role="tool", content=failing.result, tool_call_id="c2", is_error=True),
        Message(role="assistant", content=reply),
    ]
    change = RowChange(seq=1, table="orders", row_id="ord-1", op="update",
                       before={"id": "ord-1", "status": "fulfilled", "total": 35.97},
                       after={"id": "ord-1", "status": "refund_requested", "total": 35.97})
    return EpisodeRecord(
        key=f"{task}#1", task_id=task, trial=1, model=model, status=status,  # type: ignore[arg-type]
        stop_reason="end_turn" if status != "error" else "provider_error", messages=messages,
        tool_calls=[call, failing], final_reply=reply, turns=3, usage=Usage(input_tokens=1200, output_tokens=80),
        cost_usd=cost, error="provider 500 after 6 retries" if status == "error" else None,
        world=WorldOutcome(content_hash="abc", clock="2025-09-15T14:00:00-04:00", changes=[change]),
    )


def grade(task: str, outcome: str, *, model: str = "openai/gpt-x", category: str = "communication") -> EpisodeGrade:
    """A grade for ``outcome``: passed, failed, ungraded, unverified or error."""
    met = outcome != "failed"
    criteria = [
        CriterionGrade(id="refund_amount", kind="correctness", method="response", met=met,
                       reason="the reply states 25.98" if met else FAILED_REASON),
        CriterionGrade(id="tone", kind="format", method="judge", met=None if outcome == "ungraded" else True,
                       reason="judge: courteous and clear" if outcome != "ungraded" else "this criterion needs the LLM judge"),
        CriterionGrade(id="no_writes", kind="constraint", method="state", met=True, reason="found 0 as expected"),
    ]
    status = "graded" if outcome in ("passed", "failed") else outcome
    reasons = {"ungraded": "this criterion needs the LLM judge, but grading ran with --judge none",
               "unverified": "call 2 (createRefund) does not replay: the recorded result differs",
               "error": "provider 500 after 6 retries"}
    return EpisodeGrade(
        key=f"{task}#1", task_id=task, trial=1, model=model, status=status,  # type: ignore[arg-type]
        reward=(1.0 if met else 2 / 3) if status == "graded" else None, passed=met if status == "graded" else None,
        criteria=criteria if status != "error" else [], judge="anthropic/judge-model", category=category,
        difficulty="hard" if task.endswith("fail") else "easy", reason=reasons.get(outcome),
    )


def write_run(directory: Path, outcomes: dict[str, str], *, model: str = "openai/gpt-x", hostile: bool = False,
              damaged_line: bool = False, manifest: dict[str, Any] | None = None) -> Path:
    """A run directory with one episode per task id in ``outcomes`` (task -> outcome)."""
    directory.mkdir(parents=True, exist_ok=True)
    records = [record(task, model=model, status="error" if outcome == "error" else "completed",
                      reply=HOSTILE_REPLY if hostile else "All done.", argument=HOSTILE_ARGUMENT if hostile else "ord-1",
                      reasoning=HOSTILE_REASONING if hostile else "The order is eligible.")
               for task, outcome in outcomes.items()]
    write_jsonl(directory / TRANSCRIPTS_FILE, records)
    write_jsonl(directory / GRADES_FILE, [grade(task, outcome, model=model) for task, outcome in outcomes.items()])
    if damaged_line:
        lines = (directory / GRADES_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
        (directory / GRADES_FILE).write_text("".join([lines[0], "{not json\n", *lines[1:]]), encoding="utf-8")
    (directory / "manifest.json").write_text(json.dumps({**MANIFEST, "model": model, **(manifest or {})}), encoding="utf-8")
    return directory


BASELINE = {"t-pass": "passed", "t-fail": "failed", "t-judge": "ungraded", "t-replay": "unverified", "t-infra": "error",
            "t-also": "passed"}
# t-pass flips to failed, t-fail to passed; the rest stay
CHALLENGER = {**BASELINE, "t-pass": "failed", "t-fail": "passed"}
