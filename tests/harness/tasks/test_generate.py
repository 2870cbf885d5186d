"""The generated training split: reproducible, disjoint from the held-out tasks, well formed."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from harness.tasks.entities import task_ids
from harness.tasks.generate.build import PREFIX, generate, registry, write
from harness.tasks.generate.core import Exclusions, World, heldout_tasks
from harness.tasks.loader import load_suite
from harness.tasks.models import ReferenceCall, ReferenceSolution, Task
from harness.tasks.validate import validate_suite

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return generate(ROOT)


@pytest.fixture(scope="module")
def train() -> list:
    return load_suite(ROOT, "train")


def test_committed_training_files_equal_a_fresh_generation(generated: dict[str, str]) -> None:
    committed = {
        f"{folder}/{path.name}": path.read_text(encoding="utf-8")
        for folder in ("tasks/train", "rubrics/train")
        for path in sorted((ROOT / folder).glob(f"{PREFIX}*.json"))
    }
    stale = sorted(set(committed) - set(generated))
    missing = sorted(set(generated) - set(committed))
    changed = sorted(p for p in set(generated) & set(committed) if generated[p] != committed[p])
    assert not (stale or missing or changed), (
        "tasks/train is out of date (did tasks/heldout change?): run `python -m harness.tasks.generate`. "
        f"stale {stale[:3]}, missing {missing[:3]}, changed {changed[:3]}"
    )


def test_generation_is_byte_identical_when_repeated(generated: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "tasks" / "heldout").mkdir(parents=True)
    for path in sorted((ROOT / "tasks" / "heldout").glob("*.json")):
        (tmp_path / "tasks" / "heldout" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    write(tmp_path, generate(tmp_path))
    again = {f"{f}/{p.name}": p.read_text(encoding="utf-8") for f in ("tasks/train", "rubrics/train") for p in sorted((tmp_path / f).glob("*.json"))}
    assert again == generated


def test_write_removes_stale_generated_files_but_keeps_hand_written_ones(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "train"
    folder.mkdir(parents=True)
    (folder / "tr-gone-0001.json").write_text("{}", encoding="utf-8")
    (folder / "hand-written.json").write_text("{}", encoding="utf-8")
    written, removed = write(tmp_path, {"tasks/train/tr-new-0001.json": "{}\n"})
    assert (written, removed) == (1, 1)
    assert sorted(p.name for p in folder.iterdir()) == ["hand-written.json", "tr-new-0001.json"]


def test_no_training_task_uses_an_entity_of_a_heldout_task(train: list) -> None:
    world = World.load()
    excluded = Exclusions.from_heldout(world, heldout_tasks(ROOT))
    clashes = {pair.task.id: sorted(set(task_ids(pair.task)) & excluded.ids) for pair in train}
    assert {k: v for k, v in clashes.items() if v} == {}


def test_an_employee_a_heldout_task_only_involves_stays_usable_but_one_it_is_about_does_not() -> None:
    task = Task(
        id="ho-staff", split="heldout", category="multi_step", difficulty="easy", requester="employee",
        requester_id="emp-001", prompt="-", entities=["emp-002", "tkt-00001"],
        reference=ReferenceSolution(calls=[ReferenceCall(tool="createRefund", arguments={"approved_by": "emp-003"})], reply="-"),
    )
    excluded = Exclusions.from_heldout(World.load(), [task]).ids
    assert "emp-002" in excluded and "tkt-00001" in excluded
    assert "emp-001" not in excluded and "emp-003" not in excluded


def test_training_split_has_at_least_a_thousand_tasks_in_every_category(train: list) -> None:
    assert len(train) >= 1000
    categories = Counter(pair.task.category for pair in train)
    assert set(categories) == {"information_retrieval", "communication", "reasoning", "multi_step"}
    difficulties = Counter(pair.task.difficulty for pair in train)
    assert set(difficulties) == {"easy", "medium", "hard"}
    assert Counter(pair.task.requester for pair in train)["employee"] >= len(train) // 5


def test_every_generated_task_names_its_family_and_has_four_to_eight_criteria(train: list) -> None:
    families = set(registry())
    for pair in train:
        assert pair.task.family in families and pair.task.id.startswith(f"{PREFIX}{pair.task.family}-")
        assert 4 <= len(pair.rubric.criteria) <= 8, pair.task.id


def test_each_family_draws_from_its_own_seeded_generator() -> None:
    world = World.load()
    builder, _ = registry()["order-status"]
    first = builder(world, random.Random("7:order-status"), Exclusions())
    second = builder(world, random.Random("7:order-status"), Exclusions())
    other = builder(world, random.Random("8:order-status"), Exclusions())
    assert [i.prompt for i in first] == [i.prompt for i in second] != [i.prompt for i in other]


@pytest.mark.slow
async def test_every_training_task_validates(train: list) -> None:
    results = await validate_suite(train)
    assert {r.task_id: r.failures for r in results if not r.ok} == {}


def test_generated_json_is_sorted_and_stable(generated: dict[str, str]) -> None:
    assert list(generated) == sorted(generated)
    sample = json.loads(next(iter(generated.values())))
    assert sample  # parses


def _calls(instance) -> list[str]:
    return [call["tool"] for call in instance.calls]


def test_warranty_claims_escalate_only_after_the_check_and_never_for_expired_or_voided_items() -> None:
    world = World.load()
    builder, _ = registry()["warranty-claim"]
    instances = builder(world, random.Random("7:warranty-claim"), Exclusions())
    variants = Counter(next(t for t in i.tags if t.startswith("warranty-")) for i in instances)
    assert {"warranty-ask", "warranty-confirmed", "warranty-excluded"} <= set(variants)
    for instance in instances:
        tools = _calls(instance)
        escalates = "createEscalation" in tools
        assert escalates == ("warranty-confirmed" in instance.tags), instance.prompt
        if escalates:
            assert tools.index("checkWarrantyStatus") < tools.index("createEscalation")


def test_approved_refunds_name_an_approver_only_when_they_hold_issue_refund() -> None:
    world = World.load()
    permissions = {e["id"]: json.loads(e["permissions"]) for e in world.employees()}
    builder, _ = registry()["approved-refund"]
    instances = builder(world, random.Random("7:approved-refund"), Exclusions())
    assert instances
    for instance in instances:
        refund = next(c["arguments"] for c in instance.calls if c["tool"] == "createRefund")
        named = next(e for e in instance.entities if e.startswith("emp-"))
        assert ("approved_by" in refund) == ("issue_refund" in permissions[named])


def test_memory_speed_answers_never_cite_the_deprecated_article() -> None:
    world = World.load()
    stale = world.value("SELECT id FROM kb_articles WHERE deprecated = 1 AND superseded_by = "
                        "(SELECT id FROM kb_articles WHERE title = 'Memory speed above the board maximum (a warning)')")
    builder, _ = registry()["memory-speed-kb"]
    instances = builder(world, random.Random("7:memory-speed-kb"), Exclusions())
    assert instances and stale
    assert all(stale not in i.reply and any(c["id"] == "no-stale-article" for c in i.criteria) for i in instances)
