from __future__ import annotations

from pathlib import Path

from view_support import write_run

from harness.view.episode import RESULT_LIMIT, episode_view, row_diff
from harness.view.model import load_run
from mcp_server.episodes import RowChange


def test_each_tool_call_carries_its_result_error_and_timing_and_tool_messages_are_not_repeated(tmp_path: Path) -> None:
    view = episode_view(load_run(write_run(tmp_path / "run", {"t-fail": "failed"})).episodes[0])
    assert view.prompt == "Please handle t-fail: refund order ord-1."
    assert view.system_prompt == "You are a CoreCraft support agent."
    assert [t.role for t in view.turns] == ["assistant", "assistant", "assistant"]
    lookup, refund = view.turns[0].calls[0], view.turns[1].calls[0]
    assert lookup.preview == 'getOrderDetails(order_id="ord-1")' and '"status": "fulfilled"' in lookup.result
    assert (lookup.duration_ms, lookup.is_error) == (42.0, False)
    assert refund.is_error and refund.result == "refund amount exceeds the order total"
    assert view.turns[0].reasoning == "The order is eligible."
    assert view.turns[-1].content == "All done."


def test_criteria_list_failed_ones_first_then_ungraded_then_met(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", {"t-fail": "failed", "t-judge": "ungraded"}))
    verdicts = {e.task_id: [c.met for c in episode_view(e).criteria] for e in run.episodes}
    assert verdicts == {"t-fail": [False, True, True], "t-judge": [None, True, True]}


def test_an_update_shows_only_the_fields_that_changed() -> None:
    diff = row_diff(RowChange(seq=1, table="orders", row_id="ord-1", op="update",
                              before={"id": "ord-1", "status": "fulfilled", "notes": None},
                              after={"id": "ord-1", "status": "cancelled", "notes": {"by": "agent"}}))
    assert [(f.name, f.before, f.after) for f in diff.fields] == [
        ("status", "fulfilled", "cancelled"), ("notes", "null", '{"by": "agent"}')]


def test_an_insert_shows_every_field_of_the_new_row() -> None:
    diff = row_diff(RowChange(seq=1, table="refunds", row_id="ref-1", op="insert", before=None,
                              after={"id": "ref-1", "amount": 25.98}))
    assert [(f.name, f.before, f.after) for f in diff.fields] == [("id", None, "ref-1"), ("amount", None, "25.98")]


def test_a_huge_tool_result_is_cut_and_says_how_much_is_left_out(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", {"t-pass": "passed"}))
    record = run.episodes[0].record
    assert record is not None
    record.tool_calls[0].result = "x" * (RESULT_LIMIT + 123)
    call = episode_view(run.episodes[0]).turns[0].calls[0]
    assert len(call.result) == RESULT_LIMIT and call.cut == 123
