from __future__ import annotations

import pytest
from corecraft_test_support import changes_from, fixture_server, record
from recorded_runs import recorded

from harness.grading.grader import Grader
from harness.grading.state import ChangeReplayError, WorldMismatchError, rebuild_world, run_state_check
from harness.tasks.models import StateCheck
from harness.transcript import WorldOutcome
from mcp_server.episodes import RowChange
from mcp_server.world.store import DEFAULT_CLOCK, Template

NOTE = "UPDATE customers SET notes = 'contact by email only' WHERE id = 'cus-00001'"
FIND = ("searchCustomers", {"name": "Ada Quill"})
SET_NOTE = ("setCustomerNote", {"customer_id": "cus-00001", "note": "contact by email only"})


def world_with(template: Template, *statements: str):  # type: ignore[no-untyped-def]
    outcome = WorldOutcome(content_hash=template.content_hash, clock=DEFAULT_CLOCK, changes=changes_from(*statements))
    return rebuild_world(template, outcome)


def check(sql: str, expect, **extra) -> StateCheck:  # type: ignore[no-untyped-def]
    return StateCheck(sql=sql, expect=expect, **extra)


async def test_state_criteria_pass_when_the_final_world_has_the_change(template, suite) -> None:  # type: ignore[no-untyped-def]
    done = recorded("fx-account-note", [FIND, SET_NOTE], "Noted on cus-00001.")
    grade = await Grader(suite.values(), template, judge=None, server_factory=fixture_server).grade(done)
    assert {c.id: c.met for c in grade.criteria} == {
        "note-saved": True, "only-that-row": True, "found-first": True, "no-loop": True, "reports-id": True,
        "world_scope": True,
    }
    assert grade.status == "graded" and grade.passed is True and grade.reward == 1.0


async def test_state_criteria_fail_when_the_change_is_missing_or_touches_other_rows(template, suite) -> None:  # type: ignore[no-untyped-def]
    grader = Grader(suite.values(), template, judge=None, server_factory=fixture_server)
    nothing = await grader.grade(recorded("fx-account-note", [], "cus-00001"))
    met = {c.id: c for c in nothing.criteria}
    assert met["note-saved"].met is False and "found null" in met["note-saved"].reason
    assert met["only-that-row"].met is False
    sloppy = recorded("fx-account-note", [SET_NOTE, ("setCustomerNote", {"customer_id": "cus-00002", "note": "x"})], "cus-00001")
    met = {c.id: c for c in (await grader.grade(sloppy)).criteria}
    assert met["note-saved"].met is True
    assert met["only-that-row"].met is False and "cus-00002" in met["only-that-row"].reason
    assert met["world_scope"].met is False and "update customers cus-00002" in met["world_scope"].reason


def test_the_rebuilt_world_holds_the_transcripts_changes_verbatim(template) -> None:  # type: ignore[no-untyped-def]
    changes = changes_from(NOTE, "INSERT INTO customers (id, first_name, last_name, email, loyalty_tier) "
                                 "VALUES ('cus-00099', 'New', 'Person', 'n@example.com', 'none')",
                           "DELETE FROM customers WHERE id = 'cus-00003'")
    conn = rebuild_world(template, WorldOutcome(content_hash=template.content_hash, clock=DEFAULT_CLOCK, changes=changes))
    try:
        assert conn.execute("SELECT id FROM customers ORDER BY id").fetchall() == [("cus-00001",), ("cus-00002",), ("cus-00099",)]
        assert conn.execute("SELECT seq, tbl, row_id, op FROM _changes ORDER BY seq").fetchall() == [
            (c.seq, c.table, c.row_id, c.op) for c in changes
        ]
        assert conn.execute("SELECT value FROM _meta WHERE key = 'clock'").fetchone() == (DEFAULT_CLOCK,)
    finally:
        conn.close()


def test_a_transcript_from_another_world_is_refused_clearly(template) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorldMismatchError, match="recorded against world 0000000000000000, but this checkout's world is"):
        rebuild_world(template, WorldOutcome(content_hash="0000000000000000", clock=DEFAULT_CLOCK, changes=[]))


async def test_a_transcript_from_another_world_is_ungraded_not_failed(template, suite) -> None:  # type: ignore[no-untyped-def]
    grade = await Grader(suite.values(), template, judge=None).grade(
        record("fx-account-note", reply="cus-00001", world_hash="0000000000000000"))
    assert grade.status == "ungraded" and grade.passed is None and grade.reward is None
    assert "recorded against world 0000000000000000" in (grade.reason or "")


def test_changes_that_do_not_fit_the_template_cannot_be_replayed(template) -> None:  # type: ignore[no-untyped-def]
    ghost = RowChange(seq=1, table="customers", row_id="cus-09999", op="update",
                      before={"id": "cus-09999"}, after={"id": "cus-09999", "notes": "x"})
    with pytest.raises(ChangeReplayError, match="the row does not exist"):
        rebuild_world(template, WorldOutcome(content_hash=template.content_hash, clock=DEFAULT_CLOCK, changes=[ghost]))
    odd = RowChange(seq=1, table="customers", row_id="cus-00001", op="update",
                    before={"id": "cus-00001"}, after={"id": "cus-00001", "nickname": "x"})
    with pytest.raises(ChangeReplayError, match=r"columns not in this world: \['nickname'\]"):
        rebuild_world(template, WorldOutcome(content_hash=template.content_hash, clock=DEFAULT_CLOCK, changes=[odd]))


@pytest.mark.parametrize("sql", [
    "DELETE FROM customers",
    "UPDATE customers SET notes = 'hacked'",
    "SELECT 1; DELETE FROM customers",
    "PRAGMA writable_schema = ON",
    "ATTACH DATABASE ':memory:' AS other",
])
def test_state_check_sql_can_only_read(template, sql: str) -> None:  # type: ignore[no-untyped-def]
    conn = world_with(template)
    try:
        result = run_state_check(conn, check(sql, 0))
        assert result.met is None and "rubric's SQL failed" in result.reason
        assert conn.execute("SELECT COUNT(*) FROM customers WHERE notes IS NULL").fetchone() == (3,)
    finally:
        conn.close()


def test_a_runaway_query_is_stopped(template) -> None:  # type: ignore[no-untyped-def]
    conn = world_with(template)
    try:
        result = run_state_check(conn, check("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT MAX(i) FROM n", 1))
        assert result.met is None and "interrupted" in result.reason
    finally:
        conn.close()


@pytest.mark.parametrize(("sql", "expect", "extra", "met"), [
    ("SELECT discount_pct FROM loyalty_tiers WHERE id = 'gold'", 10, {}, True),
    ("SELECT discount_pct FROM loyalty_tiers WHERE id = 'gold'", 10.004, {}, True),
    ("SELECT discount_pct FROM loyalty_tiers WHERE id = 'gold'", 10.01, {}, False),
    ("SELECT discount_pct FROM loyalty_tiers WHERE id = 'gold'", 10.5, {"tolerance": 0.5}, True),
    ("SELECT loyalty_tier FROM customers WHERE id = 'cus-00001'", "gold", {}, True),
    ("SELECT loyalty_tier FROM customers WHERE id = 'cus-00001'", "Gold", {}, False),
    ("SELECT loyalty_tier FROM customers WHERE id = 'cus-00001'", 10, {}, False),
    ("SELECT notes FROM customers WHERE id = 'cus-00001'", None, {}, True),
    ("SELECT notes FROM customers WHERE id = 'cus-00001'", "", {}, False),
    ("SELECT COUNT(*) > 0 FROM customers", True, {}, True),
    ("SELECT id FROM customers WHERE id = 'nobody'", None, {}, False),
    ("SELECT id FROM customers WHERE id = 'nobody'", [], {}, True),
    ("SELECT id, loyalty_tier FROM customers", [["cus-00003", "none"], ["cus-00001", "gold"], ["cus-00002", "platinum"]], {}, True),
    ("SELECT id FROM customers ORDER BY id", ["cus-00001", "cus-00002", "cus-00003"], {"ordered": True}, True),
    ("SELECT id FROM customers ORDER BY id DESC", ["cus-00001", "cus-00002", "cus-00003"], {"ordered": True}, False),
    ("SELECT id FROM customers", ["cus-00001", "cus-00002"], {}, False),
    ("SELECT id FROM customers WHERE id = 'cus-00001'", ["cus-00001"], {}, True),
    ("SELECT discount_pct FROM loyalty_tiers", [0, 5, 10, 15.004], {}, True),
])
def test_state_check_comparisons(template, sql: str, expect, extra: dict, met: bool) -> None:  # type: ignore[no-untyped-def]
    conn = world_with(template)
    try:
        assert run_state_check(conn, check(sql, expect, **extra)).met is met
    finally:
        conn.close()


def test_state_checks_can_read_the_change_log_and_its_json_images(template) -> None:  # type: ignore[no-untyped-def]
    conn = world_with(template, NOTE)
    try:
        sql = "SELECT json_extract(after, '$.notes') FROM _changes WHERE tbl = 'customers' AND op = 'update'"
        assert run_state_check(conn, check(sql, "contact by email only")).met is True
    finally:
        conn.close()


async def test_a_rubric_with_broken_sql_leaves_the_transcript_ungraded(template, suite) -> None:  # type: ignore[no-untyped-def]
    pair = suite["fx-account-note"]
    broken = pair.rubric.model_copy(deep=True)
    broken.criteria[0].check = StateCheck(sql="SELECT nope FROM customers", expect=1)
    from harness.tasks.loader import TaskWithRubric

    grader = Grader([TaskWithRubric(pair.task, broken)], template, judge=None, server_factory=fixture_server)
    grade = await grader.grade(recorded("fx-account-note", [SET_NOTE], "cus-00001"))
    assert grade.status == "ungraded" and "no such column: nope" in (grade.reason or "")
