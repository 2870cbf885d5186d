"""Helpers for the runner tests: small task directories over the real world, and a fake model
that replays each task's reference solution with a chosen delay, usage and failures."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from harness.errors import FatalProviderError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.tasks.models import Task
from harness.transcript import Usage
from mcp_server.world.store import load_template

TEMPLATE = load_template()


def open_ticket_ids(count: int) -> list[str]:
    conn = TEMPLATE.connect_sync()
    try:
        rows = conn.execute("SELECT id FROM support_tickets WHERE status = 'open' ORDER BY id LIMIT ?", (count,)).fetchall()
    finally:
        conn.close()
    assert len(rows) == count, "the world has too few open tickets"
    return [str(r[0]) for r in rows]


def lookup_task(task_id: str, customer_id: str = "cus-00001", split: str = "heldout") -> dict[str, Any]:
    return {
        "id": task_id, "split": split, "category": "information_retrieval", "difficulty": "easy",
        "requester": "employee", "requester_id": "emp-001", "prompt": f"What loyalty tier is {customer_id} in?",
        "reference": {"calls": [{"tool": "searchCustomers", "arguments": {"customer_id": customer_id}}], "reply": "Gold."},
    }


def hold_ticket_task(task_id: str, ticket_id: str, split: str = "heldout") -> dict[str, Any]:
    return {
        "id": task_id, "split": split, "category": "multi_step", "difficulty": "easy",
        "requester": "employee", "requester_id": "emp-001", "prompt": f"Put ticket {ticket_id} on hold for the customer.",
        "reference": {
            "calls": [{"tool": "updateTicketStatus", "arguments": {"ticket_id": ticket_id, "status": "pending_customer"}}],
            "reply": f"{ticket_id} now waits for the customer.",
        },
    }


def write_task_root(root: Path, tasks: list[dict[str, Any]]) -> Path:
    """tasks/<split>/<id>.json and a one-criterion rubrics/<split>/<id>.json for each task."""
    for task in tasks:
        for kind, body in (
            ("tasks", task),
            ("rubrics", {"task_id": task["id"], "criteria": [{"id": "replied", "text": "The reply is not empty",
                                                               "kind": "format", "check": {"method": "response", "pattern": "."}}]}),
        ):
            path = root / kind / task["split"] / f"{task['id']}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(body), encoding="utf-8")
    return root


class ReplayConversation:
    def __init__(self, model: ReplayModel, task: Task) -> None:
        self.model, self.task = model, task
        self.turn = 0

    async def next_turn(self) -> ModelTurn:
        self.turn += 1
        if self.model.delay_s:
            await asyncio.sleep(self.model.delay_s)
        if self.task.id in self.model.failing:
            raise FatalProviderError(f"HTTP 400 from the fake model for {self.task.id}")
        usage = Usage(input_tokens=self.model.input_tokens_per_turn, output_tokens=10)
        calls = self.task.reference.calls
        if self.turn <= len(calls):
            call = calls[self.turn - 1]
            tool_call = ToolCall(id=f"c{self.turn}", name=call.tool, arguments=dict(call.arguments))
            return ModelTurn(text="", tool_calls=[tool_call], usage=usage, stop_reason="tool_use")
        return ModelTurn(text=self.task.reference.reply, tool_calls=[], usage=usage, stop_reason="end_turn")

    def add_tool_results(self, results: list[ToolResult]) -> None:
        return None


class ReplayModel:
    """Replays the reference, one call per turn; ``failing`` task ids raise a provider error."""

    model = "fake/replay"

    def __init__(self, *, delay_s: float = 0.0, failing: set[str] | None = None, input_tokens_per_turn: int = 1000) -> None:
        self.delay_s = delay_s
        self.failing = set(failing or ())
        self.input_tokens_per_turn = input_tokens_per_turn
        self.settings: dict[str, Any] = {"max_tokens": 64}
        self.opened: list[str] = []
        self.closed = False

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> ReplayConversation:
        self.opened.append(task.id)
        return ReplayConversation(self, task)

    async def aclose(self) -> None:
        self.closed = True
