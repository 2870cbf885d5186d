from __future__ import annotations

from pathlib import Path

import pytest
from corecraft_test_support import copy_fixture_suite, edit_json as edit, fixture_server, fixture_template

from harness.tasks.validate import TaskValidation, validate


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_fixture_suite(tmp_path)



async def run(root: Path, **extra) -> dict[str, TaskValidation]:  # type: ignore[no-untyped-def]
    results = await validate(root, template=fixture_template(), server_factory=fixture_server, **extra)
    return {r.task_id: r for r in results}


async def test_the_fixture_tasks_are_valid_and_judge_criteria_are_counted_as_skipped(root: Path) -> None:
    seen: list[tuple[int, int]] = []
    results = await run(root, progress=lambda done, total, _id: seen.append((done, total)))
    assert {k: r.failures for k, r in results.items()} == {"fx-account-note": [], "fx-tier-discount": [], "fx-no-third-party-pii": []}
    assert results["fx-tier-discount"].judge_criteria_skipped == 1
    assert seen == [(1, 3), (2, 3), (3, 3)]


async def test_a_reference_that_does_not_reach_the_rubric_is_caught(root: Path) -> None:
    edit(root / "tasks/heldout/fx-account-note.json",
         lambda d: d["reference"]["calls"][1]["arguments"].update(note="call her maybe"))
    failures = (await run(root, ids=["fx-account-note"]))["fx-account-note"].failures
    assert failures == [
        "reference solution fails criterion note-saved: expected \"contact by email only\", found \"call her maybe\"",
        "alternative 1 (a correct reply) fails note-saved",
        "alternative 2 (a correct reply) fails note-saved",
    ]


async def test_a_reference_call_that_errors_or_names_an_unknown_tool_is_caught(root: Path) -> None:
    def break_calls(data: dict) -> None:  # type: ignore[type-arg]
        data["reference"]["calls"][1]["arguments"]["customer_id"] = "cus-09999"
        data["reference"]["calls"].append({"tool": "getCustomer", "arguments": {}})

    edit(root / "tasks/heldout/fx-account-note.json", break_calls)
    failures = (await run(root, ids=["fx-account-note"]))["fx-account-note"].failures
    assert "reference call 2 (setCustomerNote) failed: Error executing tool setCustomerNote: no customer cus-09999" in failures
    assert "reference call 3 (getCustomer): the server has no tool named 'getCustomer'" in failures
    assert "ids not found in the world: cus-09999" in failures


async def test_expect_error_marks_a_call_the_expert_expects_to_be_refused(root: Path) -> None:
    def refused_call(data: dict) -> None:  # type: ignore[type-arg]
        data["reference"]["calls"].insert(1, {"tool": "setCustomerNote", "arguments": {"customer_id": "cus-00002", "note": ""}, "expect_error": True})
        data["reference"]["calls"].append({"tool": "searchCustomers", "arguments": {"customer_id": "cus-00001"}, "expect_error": True})

    edit(root / "tasks/heldout/fx-account-note.json", refused_call)
    failures = (await run(root, ids=["fx-account-note"]))["fx-account-note"].failures
    assert failures == ["reference call 4 (searchCustomers) was expected to be refused (expect_error) but succeeded"]


async def test_a_task_that_a_do_nothing_agent_passes_is_caught(root: Path) -> None:
    # Only "does not leak the phone number" and the judge: replying "I can't help with that." passes it.
    edit(root / "rubrics/train/fx-no-third-party-pii.json", lambda d: d.update(criteria=d["criteria"][2:]))
    failures = (await run(root, ids=["fx-no-third-party-pii"]))["fx-no-third-party-pii"].failures
    assert failures[0] == "a do-nothing agent (no tool calls, reply \"I can't help with that.\") meets every deterministic criterion"
    assert "the adversary scripted/silent meets every deterministic criterion" in failures


async def test_a_judge_only_rubric_is_caught_because_nothing_shows_a_do_nothing_agent_fails(root: Path) -> None:
    edit(root / "rubrics/train/fx-no-third-party-pii.json", lambda d: d.update(criteria=d["criteria"][3:]))
    failures = (await run(root, ids=["fx-no-third-party-pii"]))["fx-no-third-party-pii"].failures
    assert failures == ["the rubric has no deterministic criterion, so nothing shows that a do-nothing agent fails"]


async def test_unknown_entities_and_tools_named_by_rubric_patterns_are_caught(root: Path) -> None:
    edit(root / "tasks/heldout/fx-tier-discount.json", lambda d: d["entities"].append("ord-250830-110"))
    edit(root / "rubrics/heldout/fx-tier-discount.json", lambda d: d["criteria"][0]["check"]["call"].update(tool="searchCustomer"))
    failures = (await run(root, ids=["fx-tier-discount"]))["fx-tier-discount"].failures
    assert "criterion looked-up-customer: names the unknown tool 'searchCustomer'" in failures
    assert "ids not found in the world: ord-250830-110" in failures
    assert any(f.startswith("reference solution fails criterion looked-up-customer") for f in failures)
