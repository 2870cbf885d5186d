"""The episode's final world, rebuilt from its transcript, and the SQL state checks over it.

The final world is the template copy (at the episode's clock) with the transcript's row changes
applied in order (in grading, the changes its replay made: harness/grading/replay.py; never what a
record merely claims); ``_changes`` then holds exactly those changes, so checks can ask both "what is
the refund's status now" and "which rows did the agent touch". Check SQL runs under an SQLite
authorizer that allows reading only, and under a step budget so a runaway query cannot hang
grading.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from harness.errors import GradingError
from harness.grading.results import CheckResult
from harness.tasks.models import StateCheck
from harness.transcript import WorldOutcome
from mcp_server.episodes import RowChange
from mcp_server.world.store import Template, entity_tables, table_columns

# Authorizer actions a read-only query needs; everything else (writes, PRAGMA, ATTACH...) is denied.
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_PROGRESS_EVERY = 1_000  # SQLite VM instructions between progress callbacks
_MAX_PROGRESS_CALLS = 20_000  # about 20 million instructions: far above any sane check


class WorldMismatchError(GradingError):
    """The transcript was recorded against a different world than this checkout's template."""


class ChangeReplayError(GradingError):
    """The transcript's row changes cannot be applied to the template."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rebuild_world(template: Template, world: WorldOutcome) -> sqlite3.Connection:
    """A private connection holding the episode's final world. Raises WorldMismatchError or
    ChangeReplayError when the transcript does not fit this template."""
    if world.content_hash != template.content_hash:
        raise WorldMismatchError(
            f"the transcript was recorded against world {world.content_hash}, but this checkout's world is "
            f"{template.content_hash}; grade it with the world data it was run on"
        )
    conn = template.connect_sync(world.clock)
    try:
        _apply_changes(conn, world.changes)
    except BaseException:
        conn.close()
        raise
    return conn


def _apply_changes(conn: sqlite3.Connection, changes: Sequence[RowChange]) -> None:
    columns = {table: set(table_columns(conn, table)) for table in entity_tables(conn)}
    conn.execute("PRAGMA foreign_keys = OFF")  # the changes were valid in order when they happened
    conn.execute("BEGIN")
    try:
        for change in sorted(changes, key=lambda c: c.seq):
            _apply_one(conn, change, columns)
        # The triggers logged our replay; replace that with the transcript's own log, verbatim.
        conn.execute("DELETE FROM _changes")
        conn.executemany(
            "INSERT INTO _changes(seq, tbl, row_id, op, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (c.seq, c.table, c.row_id, c.op, _image_json(c.before), _image_json(c.after))
                for c in changes
            ],
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    conn.execute("PRAGMA foreign_keys = ON")


def _image_json(image: dict[str, Any] | None) -> str | None:
    return None if image is None else json.dumps(image)


def _apply_one(conn: sqlite3.Connection, change: RowChange, columns: dict[str, set[str]]) -> None:
    where = f"change #{change.seq} ({change.op} {change.table} {change.row_id})"
    known = columns.get(change.table)
    if known is None:
        raise ChangeReplayError(f"{where}: this world has no table {change.table!r}")
    image = change.after if change.op in ("insert", "update") else change.before
    if change.op in ("insert", "update"):
        if not image:
            raise ChangeReplayError(f"{where}: no row image after the change")
        unknown = sorted(set(image) - known)
        if unknown:
            raise ChangeReplayError(f"{where}: columns not in this world: {unknown}")
    try:
        if change.op == "insert":
            assert image is not None
            names = list(image)
            conn.execute(
                f"INSERT INTO {_quoted(change.table)} ({', '.join(map(_quoted, names))}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                [image[n] for n in names],
            )
            return
        key = (change.before or {}).get("id", change.row_id)
        if change.op == "update":
            assert image is not None
            names = list(image)
            cursor = conn.execute(
                f"UPDATE {_quoted(change.table)} SET {', '.join(f'{_quoted(n)} = ?' for n in names)} WHERE id = ?",
                [*(image[n] for n in names), key],
            )
        elif change.op == "delete":
            cursor = conn.execute(f"DELETE FROM {_quoted(change.table)} WHERE id = ?", (key,))
        else:
            raise ChangeReplayError(f"{where}: unknown operation {change.op!r}")
    except sqlite3.Error as exc:
        raise ChangeReplayError(f"{where}: does not apply to this world: {exc}") from exc
    if cursor.rowcount != 1:
        raise ChangeReplayError(f"{where}: the row does not exist in this world")


# --- state checks ------------------------------------------------------------------------


def _read_only(action: int, *_args: Any) -> int:
    return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY


def run_query(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    """Run one read-only query; raises sqlite3.Error for writes, bad SQL or a runaway query."""
    calls = 0

    def budget() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > _MAX_PROGRESS_CALLS else 0

    conn.set_authorizer(_read_only)
    conn.set_progress_handler(budget, _PROGRESS_EVERY)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.set_authorizer(None)
        conn.set_progress_handler(None, _PROGRESS_EVERY)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))  # bool is an int: True/False compare as 1/0


def values_match(actual: Any, expected: Any, tolerance: float) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if _is_number(actual) and _is_number(expected):
        return abs(float(actual) - float(expected)) <= tolerance + 1e-9
    if isinstance(actual, str) and isinstance(expected, str):
        return actual == expected
    return False


def _rows_match(actual: tuple[Any, ...], expected: list[Any], tolerance: float) -> bool:
    return len(actual) == len(expected) and all(values_match(a, e, tolerance) for a, e in zip(actual, expected))


def _multiset_match(actual: list[tuple[Any, ...]], expected: list[list[Any]], tolerance: float) -> bool:
    """Whether the rows pair up one to one (a bipartite matching, since tolerance is not transitive)."""
    if len(actual) != len(expected):
        return False
    owner: dict[int, int] = {}  # actual index -> expected index

    def assign(e: int, seen: set[int]) -> bool:
        for a in range(len(actual)):
            if a in seen or not _rows_match(actual[a], expected[e], tolerance):
                continue
            seen.add(a)
            if a not in owner or assign(owner[a], seen):
                owner[a] = e
                return True
        return False

    return all(assign(e, set()) for e in range(len(expected)))


def _shown(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_state_check(conn: sqlite3.Connection | None, check: StateCheck) -> CheckResult:
    if conn is None:
        return CheckResult(None, "the transcript has no world outcome, so the final state cannot be checked")
    try:
        rows = run_query(conn, check.sql)
    except (sqlite3.Error, sqlite3.Warning) as exc:
        return CheckResult(None, f"the rubric's SQL failed to run (a rubric bug): {exc}")
    expect = check.expect
    if not isinstance(expect, list):
        if len(rows) == 1 and len(rows[0]) == 1:
            value = rows[0][0]
            if values_match(value, expect, check.tolerance):
                return CheckResult(True, f"found {_shown(value)} as expected")
            return CheckResult(False, f"expected {_shown(expect)}, found {_shown(value)}")
        return CheckResult(False, f"expected the single value {_shown(expect)}, but the query returned {len(rows)} rows: {_shown([list(r) for r in rows])}")
    expected_rows = [row if isinstance(row, list) else [row] for row in expect]  # scalars: one-column rows
    if check.ordered:
        met = len(rows) == len(expected_rows) and all(
            _rows_match(a, e, check.tolerance) for a, e in zip(rows, expected_rows)
        )
    else:
        met = _multiset_match(rows, expected_rows, check.tolerance)
    found = _shown([list(r) for r in rows])
    if met:
        return CheckResult(True, f"found the expected {len(rows)} row(s): {found}")
    return CheckResult(False, f"expected rows {_shown(expected_rows)}, found {found}")
