"""Verified grading: a transcript's calls are replayed against a fresh episode, and one that does not
give back what it records, or claims changes its calls do not make, is unverified."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from corecraft_test_support import fixture_server, fixture_template
from mcp import Client
from recorded_runs import record_run, recorded

from harness.grading.grader import Grader
from harness.grading.records import record_from_export
from harness.grading.replay import Replayer, consistency_problem
from harness.grading.results import EpisodeGrade
from harness.tasks.loader import TaskWithRubric, load_suite
from harness.transcript import EpisodeRecord, Message
from mcp_server import limits
from mcp_server.audit import META_EPISODE_KEY
from mcp_server.episodes import EpisodeExport, EpisodeRegistry, RowChange
from mcp_server.world.store import load_template

REPO = Path(__file__).resolve().parents[3]
TASK = "ms-009"  # a refund, a resolution and a ticket update; every criterion of its rubric is deterministic
ORDER = "ord-240901-954"  # an order the task has nothing to do with
NOTE_CALLS: list[tuple[str, dict[str, Any] | None]] = [
    ("searchCustomers", {"name": "Ada Quill"}),
    ("setCustomerNote", {"customer_id": "cus-00001", "note": "contact by email only"}),
]
NOTE_REPLY = "Done: cus-00001 now says contact by email only."


@functools.cache
def real_pair() -> TaskWithRubric:
    (pair,) = load_suite(REPO, ids=[TASK])
    return pair


@functools.cache
def _real_run(reference: bool) -> EpisodeRecord:
    task = real_pair().task
    calls = [(c.tool, c.arguments) for c in task.reference.calls] if reference else []
    reply = task.reference.reply if reference else "I can't help with that."
    run = record_run(task, calls, reply, template=load_template(), server_factory=None)
    with ThreadPoolExecutor(max_workers=1) as pool:  # its own event loop, as `corecraft run` would have
        return pool.submit(asyncio.run, run).result()


def reference_run() -> EpisodeRecord:
    return _real_run(True).model_copy(deep=True)


async def grade_real(record: EpisodeRecord) -> EpisodeGrade:
    return await Grader([real_pair()], load_template(), judge=None).grade(record)


def swap_reply(record: EpisodeRecord, reply: str) -> EpisodeRecord:
    """What a model that made the same calls but replied otherwise would have recorded."""
    messages = [*record.messages[:-1], Message(role="assistant", content=reply)]
    return record.model_copy(update={"final_reply": reply, "messages": messages})


async def test_a_reference_run_replays_and_passes_on_the_replayed_world() -> None:
    record = reference_run()
    assert record.world is not None and len(record.world.changes) >= 3
    verification = await Replayer(load_template()).verify(record)
    assert verification.verified and verification.world is not None
    assert verification.world.changes == record.world.changes
    grade = await grade_real(record)
    assert (grade.status, grade.passed, grade.reward) == ("graded", True, 1.0)


@pytest.mark.parametrize(("pasted", "reason"), [
    ({"changes"}, "world change 1 (insert refunds ref-00108) was claimed but no call made it"),
    ({"changes", "calls", "reply"}, "call 1 (searchTickets): the record's messages do not show the model making this call"),
])
async def test_a_do_nothing_record_with_a_reference_runs_changes_pasted_in_is_unverified(pasted: set[str], reason: str) -> None:
    reference, nothing = reference_run(), _real_run(False).model_copy(deep=True)
    assert nothing.world is not None and reference.world is not None and not nothing.tool_calls
    nothing.world.changes = reference.world.changes
    if "calls" in pasted:
        nothing.tool_calls = reference.tool_calls
    if "reply" in pasted:
        nothing = swap_reply(nothing, reference.final_reply or "")
    grade = await grade_real(nothing)
    assert (grade.status, grade.passed, grade.reward) == ("unverified", None, None)
    assert grade.reason == reason and grade.criteria == []


def _impossible(kind: str, changes: list[RowChange]) -> tuple[list[RowChange], str]:
    """The record's changes with one no tool can make, and the mismatch the grade must name."""
    after = len(changes) + 1
    seq = changes[-1].seq + 1
    if kind == "delete an order":
        ghost = RowChange(seq=seq, table="orders", row_id=ORDER, op="delete", before={"id": ORDER, "status": "fulfilled"}, after=None)
        return [*changes, ghost], f"world change {after} (delete orders {ORDER}) was claimed but no call made it"
    if kind == "grant a permission":
        before = {"id": "emp-006", "permissions": '["edit_order", "cancel_order", "escalate"]'}
        grant = RowChange(seq=seq, table="employees", row_id="emp-006", op="update", before=before,
                          after={**before, "permissions": '["edit_order", "cancel_order", "escalate", "issue_refund"]'})
        return [*changes, grant], f"world change {after} (update employees emp-006) was claimed but no call made it"
    if kind == "a phantom refund":
        phantom = RowChange(seq=seq, table="refunds", row_id="ref-99999", op="insert", before=None, after={
            "id": "ref-99999", "payment_id": "pay-nowhere", "order_id": ORDER, "amount": 1e9, "status": "approved"})
        return [*changes, phantom], f"world change {after} (insert refunds ref-99999) was claimed but no call made it"
    first = changes[0].model_copy(update={"seq": -1})
    return [first, *changes[1:]], f"world change 1 (insert refunds ref-00108) differs from the replay: seq recorded -1, replay {changes[0].seq}"


@pytest.mark.parametrize("kind", ["delete an order", "grant a permission", "a phantom refund", "a negative seq"])
async def test_a_change_no_tool_made_makes_the_record_unverified_with_the_change_named(kind: str) -> None:
    record = reference_run()
    assert record.world is not None
    record.world.changes, reason = _impossible(kind, record.world.changes)
    grade = await grade_real(record)
    assert (grade.status, grade.passed, grade.reward, grade.reason) == ("unverified", None, None, reason)


def _edited(text: str) -> str:
    position = next(i for i, ch in enumerate(text) if ch.isdigit())
    return text[:position] + ("7" if text[position] != "7" else "8") + text[position + 1:]


async def test_a_result_edited_by_one_character_is_unverified_and_the_call_named() -> None:
    record = reference_run()
    number = 2  # getOrderDetails
    call = record.tool_calls[number - 1]
    edited = _edited(call.result)
    call.result = edited
    only_the_call = record.model_copy(deep=True)
    next(m for m in record.messages if m.tool_call_id == call.call_id).content = edited
    grade = await grade_real(record)
    assert grade.status == "unverified" and grade.reason is not None
    assert grade.reason.startswith("call 2 (getOrderDetails): the recorded result differs from the replay: recorded \"")
    assert len(grade.reason) < 300  # both sides shortened around the difference
    # edited in the tool call alone, the record disagrees with itself before anything is replayed
    assert (await grade_real(only_the_call)).reason == (
        "call 2 (getOrderDetails): the result in the record's messages differs from the recorded result")


async def test_a_record_whose_reply_was_swapped_but_whose_calls_are_real_is_graded_on_its_merits() -> None:
    wrong = "Sorry, no refund is possible for this order."
    grade = await grade_real(swap_reply(reference_run(), wrong))
    assert grade.status == "graded" and grade.passed is False
    assert [c.method for c in grade.criteria if not c.met] == ["response"]
    # a final reply that is not the conversation's last turn is a record at odds with itself
    edited = reference_run().model_copy(update={"final_reply": wrong})
    assert (await grade_real(edited)).reason == "the final reply is not the record's last assistant message"


async def test_records_making_the_same_calls_share_one_replay(template) -> None:  # type: ignore[no-untyped-def]
    replayer = Replayer(template, server_factory=fixture_server)
    first = recorded("fx-account-note", NOTE_CALLS, NOTE_REPLY)
    async with replayer:
        assert (await replayer.verify(first)).verified
        assert (await replayer.verify(swap_reply(first, "Her id is cus-00001."))).verified
    assert replayer.replays_run == 1


async def test_a_call_the_harness_refused_as_broken_json_is_not_sent_and_still_replays(template) -> None:  # type: ignore[no-untyped-def]
    run = recorded("fx-account-note", [("setCustomerNote", None), *NOTE_CALLS], NOTE_REPLY)
    assert run.tool_calls[0].is_error and run.tool_calls[0].result.startswith("tool arguments are not valid JSON")
    assert (await Replayer(template, server_factory=fixture_server).verify(run)).verified


async def test_a_call_to_a_tool_the_server_does_not_list_is_refused_by_the_loop_and_still_replays(template) -> None:  # type: ignore[no-untyped-def]
    run = recorded("fx-account-note", [("refundEverything", {"order_id": "ord-250101-000"}), *NOTE_CALLS], NOTE_REPLY)
    assert run.tool_calls[0].is_error and run.tool_calls[0].result.startswith("unknown tool 'refundEverything'")
    assert (await Replayer(template, server_factory=fixture_server).verify(run)).verified


async def test_the_unknown_tool_refusal_cannot_hide_a_call_to_a_real_tool(template) -> None:  # type: ignore[no-untyped-def]
    run = recorded("fx-account-note", NOTE_CALLS, NOTE_REPLY).model_copy(deep=True)
    forged = run.tool_calls[1]  # the note was really written; pretend the loop refused it
    forged.is_error, forged.result = True, "unknown tool 'setCustomerNote': no tool of that name exists."
    for message in run.messages:
        if message.role == "tool" and message.tool_call_id == forged.call_id:
            message.content, message.is_error = forged.result, True  # a careful forger edits the conversation too
    verification = await Replayer(template, server_factory=fixture_server).verify(run)
    assert not verification.verified
    assert "call 2 (setCustomerNote)" in str(verification.problem)


def test_a_call_the_harness_refused_never_counts_as_having_called_the_tool() -> None:
    from harness.grading.replay import calls_that_reached_the_world
    from harness.grading.trace import run_trace_check
    from harness.tasks.models import TraceCheck

    run = recorded("fx-account-note", [("setCustomerNote", None), ("searchCustomers", {"name": "Ada Quill"})], NOTE_REPLY)
    check = TraceCheck.model_validate({"method": "trace", "rule": "called", "call": {"tool": "setCustomerNote"}})
    assert run_trace_check(check, run.tool_calls).met  # the raw record would satisfy it...
    assert not run_trace_check(check, calls_that_reached_the_world(run.tool_calls)).met  # ...grading does not


async def session(calls: list[tuple[str, dict[str, Any]]]) -> EpisodeExport:
    """A session as any MCP client would run it, exported from the server's audit log."""
    registry = EpisodeRegistry(fixture_template())
    meta = {META_EPISODE_KEY: "desktop-session"}
    async with Client(fixture_server(registry)) as client:
        for name, arguments in calls:
            await client.call_tool(name, arguments, meta=meta)  # type: ignore[arg-type]
    export = await registry.close("desktop-session")
    assert export is not None
    return export


async def test_an_export_replays_and_its_results_read_as_the_agent_renders_them(template, suite) -> None:  # type: ignore[no-untyped-def]
    export = await session([c for c in NOTE_CALLS if c[1] is not None])  # type: ignore[misc]
    record = record_from_export(export, suite["fx-account-note"].task, NOTE_REPLY)
    assert consistency_problem(record) is None
    assert (await Replayer(template, server_factory=fixture_server).verify(record)).verified
    agent = recorded("fx-account-note", NOTE_CALLS, NOTE_REPLY)
    assert [c.result for c in record.tool_calls] == [c.result for c in agent.tool_calls]


async def test_oversized_arguments_kept_as_a_digest_replay_as_the_same_refusal(template, suite) -> None:  # type: ignore[no-untyped-def]
    huge = {"customer_id": "cus-00001", "note": "x" * (limits.MAX_ARGUMENT_CHARS + 10)}
    export = await session([("setCustomerNote", huge), NOTE_CALLS[1]])  # type: ignore[list-item]
    assert limits.is_omitted(export.audit[0].arguments)
    record = record_from_export(export, suite["fx-account-note"].task, NOTE_REPLY)
    chars = len(limits.canonical_text(huge))
    assert record.tool_calls[0].result == limits.oversized_arguments_message("setCustomerNote", chars)
    replayer = Replayer(template, server_factory=fixture_server)
    assert (await replayer.verify(record)).verified
    small = record.model_copy(deep=True)
    small.tool_calls[0].arguments = limits.omitted({"note": "short"})
    small.messages[1].tool_calls[0]["arguments"] = small.tool_calls[0].arguments
    reason = (await replayer.verify(small)).problem
    assert reason is not None and reason.startswith("call 1 (setCustomerNote): the record keeps only a digest of its arguments")


async def test_a_result_kept_as_a_digest_is_compared_by_its_hash(template, suite) -> None:  # type: ignore[no-untyped-def]
    export = await session([("searchCustomers", {"name": "Ada Quill"})])
    payload = export.audit[0].result
    replayer = Replayer(template, server_factory=fixture_server)

    def digested(marker: dict[str, Any]) -> EpisodeRecord:
        entry = export.audit[0].model_copy(update={"result": marker})
        return record_from_export(export.model_copy(update={"audit": [entry]}), suite["fx-account-note"].task, "ok")

    assert (await replayer.verify(digested(limits.omitted(payload)))).verified
    forged = limits.omitted(payload)
    forged[limits.OMITTED_KEY]["sha256"] = "0" * 64
    reason = (await replayer.verify(digested(forged))).problem
    assert reason is not None and reason.startswith("call 1 (searchCustomers): the record keeps a digest of its result")


async def test_a_record_of_another_world_stays_ungraded_though_its_rubric_reads_no_state(template, suite) -> None:  # type: ignore[no-untyped-def]
    record = recorded("fx-tier-discount", [("searchCustomers", {"customer_id": "cus-00002"})], "You are Platinum: 15% off.")
    assert record.world is not None
    record.world.content_hash = "0000000000000000"
    grade = await Grader(suite.values(), template, judge=None, server_factory=fixture_server).grade(record)
    assert grade.status == "ungraded" and "recorded against world 0000000000000000" in (grade.reason or "")


def test_only_a_timed_out_record_may_hold_calls_the_model_asked_for_that_never_ran() -> None:
    run = recorded("fx-account-note", NOTE_CALLS, NOTE_REPLY)
    pending = Message(role="assistant", tool_calls=[{"id": "call-9", "name": "searchCustomers", "arguments": {}}])
    cut = run.model_copy(update={"messages": [*run.messages[:-1], pending], "final_reply": None, "status": "timeout"})
    assert consistency_problem(cut) is None
    assert consistency_problem(cut.model_copy(update={"status": "completed"})) == (
        "the record's messages show a tool call (searchCustomers, id call-9) that the record does not hold")
