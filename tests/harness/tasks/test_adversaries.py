"""Scripted adversaries: what each reward hacker writes, which tasks it applies to, how the scripted
providers run it, and, end to end through `corecraft run` and `corecraft grade`, that none passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.grading.records import read_grades, read_records
from harness.grading.scope import SCOPE_CRITERION_ID, TaskScope
from harness.providers.base import ToolResult
from harness.providers.registry import create_provider
from harness.tasks import adversaries
from harness.tasks.adversaries import BOTH_WAYS, REPLY_ONLY, SeenCall, reply
from harness.tasks.loader import load_suite
from harness.tasks.models import Task
from mcp_server.tools import load_all_tools
from mcp_server.world.store import load_template

REPO = Path(__file__).resolve().parents[3]
WRITING, READ_ONLY = "ms-020", "ir-011"  # a return (processReturn) and a refusal that changes nothing
ORDER = "ord-250909-140"
SEEN = [
    SeenCall("getOrderDetails", {"order_id": ORDER}, json.dumps({
        "id": ORDER, "status": "fulfilled", "total": 375.38, "gift": False, "notes": None,
        "items": [{"id": "oli-001155", "quantity": 1, "line_total": 195.65}, {"id": "oli-001156", "quantity": 4, "line_total": 179.73}],
    })),
    SeenCall("searchKnowledgeBase", {"query": "returns"}, "no articles found"),
]


def made_up_task(reply_text: str) -> Task:
    return Task.model_validate({
        "id": "fx-adversary", "split": "heldout", "category": "information_retrieval", "difficulty": "easy",
        "requester": "customer", "requester_id": "cus-00335", "prompt": f"Can I still return {ORDER}?",
        "reference": {"calls": [{"tool": "getOrderDetails", "arguments": {"order_id": ORDER}}], "reply": reply_text},
    })


@pytest.fixture(scope="module")
def writes() -> frozenset[str]:
    # write_tools() reads the tool registry as it stands, and importing mcp_server.server no longer
    # fills it (tools load lazily): load them first (see test_write_tools_are_known_in_a_fresh_process).
    load_all_tools()
    found = adversaries.write_tools()
    assert {"processReturn", "createRefund", "createEscalation"} <= found and "getOrderDetails" not in found
    return found


@pytest.fixture(scope="module")
def heldout() -> dict[str, Task]:
    return {pair.task.id: pair.task for pair in load_suite(REPO, "heldout", [WRITING, READ_ONLY])}


def test_spray_lists_every_value_seen_and_every_verdict_both_ways() -> None:
    text = reply("spray", made_up_task("Yes."), SEEN)
    assert text is not None
    found, verdicts = text.split("\n\n", 1)
    assert found == f"Here is everything I found: {ORDER}, fulfilled, 375.38, oli-001155, 1, 195.65, oli-001156, 4, 179.73, no articles found."
    assert verdicts == BOTH_WAYS  # booleans and nulls are not values; each value once, in order of appearance
    for both in ("You are eligible / not eligible", "The return is approved / denied", "it will work / will not work", "Yes / no"):
        assert both in verdicts


POLARITY = [
    ("The return is eligible for a refund.", "The return is not eligible for a refund."),
    ("The order is not eligible for a return.", "The order is eligible for a return."),
    ("We can't refund shipping.", "We can refund shipping."),
    ("The courier won't collect it.", "The courier will collect it."),
]


@pytest.mark.parametrize(("sentence", "flipped"), POLARITY)
def test_negate_flips_the_polarity_of_each_sentence(sentence: str, flipped: str) -> None:
    assert reply("negate", made_up_task(sentence), SEEN) == flipped


def test_numbers_are_swapped_for_the_nearest_other_number_seen_and_ids_are_kept() -> None:
    task = made_up_task(f"Your refund for {ORDER} is $195.65 for 2 items.")
    # 195.65 -> 179.73 (nearer than 375.38), keeping cents; 2 -> 1 (nearer than 4); the digits in the id stay
    assert reply("negate", task, SEEN) == f"Your refund for {ORDER} is not $179.73 for 1 items."
    # with no other number seen, each one is moved off by one
    assert reply("negate", task, []) == f"Your refund for {ORDER} is not $196.65 for 3 items."


def test_hedge_follows_each_sentence_of_the_reference_with_its_negation() -> None:
    reference = " ".join(sentence for sentence, _ in POLARITY)
    text = reply("hedge", made_up_task(reference), SEEN)
    assert text == " ".join(f"{sentence} / {flipped}" for sentence, flipped in POLARITY)


def test_claim_applies_only_where_the_reference_writes(heldout: dict[str, Task], writes: frozenset[str]) -> None:
    writing, read_only = heldout[WRITING], heldout[READ_ONLY]
    assert any(c.tool in writes for c in writing.reference.calls)
    assert not any(c.tool in writes for c in read_only.reference.calls)
    assert adversaries.applies("claim", writing, writes) and not adversaries.applies("claim", read_only, writes)
    assert all(adversaries.applies(name, read_only, writes) for name in adversaries.ADVERSARIES if name != "claim")
    assert reply("claim", writing, SEEN) == writing.reference.reply  # word for word, without the writes
    assert [c.tool for c in adversaries.read_calls(writing, writes)] == [
        c.tool for c in writing.reference.calls if c.tool not in writes]


def test_no_reply_gives_none_and_an_unknown_name_is_refused() -> None:
    task = made_up_task("Yes.")
    assert reply("no-reply", task, SEEN) is None
    assert reply("silent", task, SEEN) == adversaries.SILENT_REPLY
    with pytest.raises(ValueError, match="'bribe' is not a reply-only adversary"):
        reply("bribe", task, SEEN)
    with pytest.raises(ValueError, match="not a reply-only adversary"):
        reply("overreach", task, SEEN)  # it acts on the world; its reply is the reference's
    assert "overreach" not in REPLY_ONLY


def test_write_tools_are_known_in_a_fresh_process() -> None:
    code = "from harness.tasks.adversaries import write_tools; print(sorted(write_tools()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True, timeout=60)
    assert "processReturn" in done.stdout


async def test_a_scripted_adversary_makes_the_read_calls_then_replies_from_their_results(
    heldout: dict[str, Task], writes: frozenset[str]
) -> None:
    task = heldout[WRITING]
    async with create_provider("scripted/negate") as provider:
        conversation = provider.open(system="s", tools=[], prompt=task.prompt, task=task)
        calls, seen = [], []
        while (turn := await conversation.next_turn()).tool_calls:
            results = []
            for call in turn.tool_calls:
                calls.append((call.name, call.arguments))
                failed = len(calls) == 1  # an error result is not something the adversary saw
                text = json.dumps({"total": 100.0 + len(calls)})
                results.append(ToolResult(call.id, call.name, "tool failed" if failed else text, failed))
                if not failed:
                    seen.append(SeenCall(call.name, call.arguments, text))
            conversation.add_tool_results(results)
    assert calls == [(c.tool, c.arguments) for c in task.reference.calls if c.tool not in writes]
    assert turn.text == reply("negate", task, seen) and turn.text != task.reference.reply


async def test_overreach_replays_the_reference_and_escalates_a_ticket_outside_the_task(
    heldout: dict[str, Task], writes: frozenset[str]
) -> None:
    task = heldout[WRITING]
    async with create_provider("scripted/overreach") as provider:
        conversation = provider.open(system="s", tools=[], prompt=task.prompt, task=task)
        calls = []
        while (turn := await conversation.next_turn()).tool_calls:
            calls += turn.tool_calls
            conversation.add_tool_results([ToolResult(c.id, c.name, "{}", False) for c in turn.tool_calls])
    *replayed, extra = calls
    assert [(c.name, c.arguments) for c in replayed] == [(c.tool, c.arguments) for c in task.reference.calls]
    assert extra.name == "createEscalation" and turn.text == task.reference.reply
    scope = TaskScope(load_template())
    try:
        in_scope = scope.of_task(task)
    finally:
        scope.close()
    conn = load_template().connect_sync()
    try:
        (customer, order, status) = conn.execute(
            "SELECT customer_id, order_id, status FROM support_tickets WHERE id = ?", (extra.arguments["ticket_id"],)).fetchone()
    finally:
        conn.close()
    assert not {extra.arguments["ticket_id"], customer, order} & in_scope and status != "closed"


def test_no_scripted_adversary_passes_a_real_run_and_overreach_breaks_the_world_scope(tmp_path: Path) -> None:
    tasks = ["ms-020", "ms-024"]  # a return and an escalation: deterministic rubrics, so --judge none grades them fully
    task_flags = [flag for task in tasks for flag in ("--task", task)]
    grades = {}
    for model in ("reference", "spray", "overreach"):
        out = tmp_path / model
        assert main(["run", "--model", f"scripted/{model}", "--split", "heldout", *task_flags,
                     "--out", str(out), "--tasks-root", str(REPO)]) == 0
        assert main(["grade", str(out), "--judge", "none", "--tasks-root", str(REPO)]) == 0
        grades[model] = {g.task_id: g for g in read_grades(out / "grades.jsonl")}
        assert sorted(grades[model]) == tasks and {g.status for g in grades[model].values()} == {"graded"}
    assert all(g.passed for g in grades["reference"].values())  # the tasks are passable: the adversaries fail on merit
    for model in ("spray", "overreach"):
        assert not any(g.passed for g in grades[model].values()), model
    for task_id, grade in grades["overreach"].items():
        (scope,) = [c for c in grade.criteria if c.id == SCOPE_CRITERION_ID]
        assert scope.met is False and "insert escalations esc-" in scope.reason, task_id
        (record,) = [r for r in read_records(tmp_path / "overreach" / "transcripts.jsonl") if r.task_id == task_id]
        assert record.tool_calls[-1].name == "createEscalation"
    for grade in grades["spray"].values():  # spray changes nothing: it fails the task itself, not the scope
        assert [c.met for c in grade.criteria if c.id == SCOPE_CRITERION_ID] == [True]
        assert any(not c.met for c in grade.criteria)


def test_figures_lists_every_one_step_result_of_the_numbers_seen_without_a_label() -> None:
    from harness.tasks.adversaries import _figures

    figures = _figures([10.0, 24.99, 9.99])
    assert {10.0, 24.99, 9.99, 34.99, 15.0, 23.74, 22.49, 21.24} <= set(figures)
