"""F2b's content-trap families (Slack digests and claims, deprecated KB, brand spellings): their instances
validate against the real server, their trap tags are backed by the manifest, their prompts come in many
shapes, and what their rubrics call wrong really is wrong in the world."""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

import pytest

from harness.tasks.generate import families_brands, families_kbtrap, families_slack
from harness.tasks.generate.build import _ids_of, _materialise
from harness.tasks.generate.core import Exclusions, Instance, World, heldout_tasks
from harness.tasks.loader import TaskWithRubric
from harness.tasks.skeletons import skeleton
from harness.tasks.validate import validate_suite
from mcp_server.world.generator.support_text import BRAND_SPELLINGS
from mcp_server.world.trap_types import ids_by_type, types_of_tags

ROOT = Path(__file__).resolve().parents[3]
FAMILIES = {**families_brands.FAMILIES, **families_kbtrap.FAMILIES, **families_slack.FAMILIES}


@lru_cache(maxsize=None)
def _world() -> World:
    return World.load()


@lru_cache(maxsize=None)
def _exclusions() -> Exclusions:
    return Exclusions.from_heldout(_world(), heldout_tasks(ROOT))


@lru_cache(maxsize=None)
def _instances(family: str) -> tuple[Instance, ...]:
    builder, limit = FAMILIES[family]
    found = [i for i in builder(_world(), random.Random(f"7:{family}"), _exclusions()) if _exclusions().allows(*_ids_of(i))]
    return tuple(found[:limit])


def _call(instance: Instance, tool: str) -> dict:
    return next(c["arguments"] for c in instance.calls if c["tool"] == tool)


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_a_sample_of_each_family_validates_against_the_real_server(family: str) -> None:
    sample = _instances(family)[:2]
    if not sample:
        pytest.skip(f"{family} finds no instance in the current world (its trap plants have not landed)")
    suite = [TaskWithRubric(*_materialise(f"tr-{family}-{n:04d}", family, i)) for n, i in enumerate(sample, start=1)]
    results = await validate_suite(suite)
    assert {r.task_id: r.failures for r in results if not r.ok} == {}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_trap_tag_is_backed_by_an_id_the_manifest_lists(family: str) -> None:
    listed = ids_by_type()
    for instance in _instances(family):
        for trap in types_of_tags(instance.tags):
            assert set(_ids_of(instance)) & listed[trap], f"{family}: tag trap:{trap} names none of the manifest's ids"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_writes_its_prompts_in_many_shapes(family: str) -> None:
    prompts = [i.prompt for i in _instances(family)]
    if len(prompts) < 5:
        pytest.skip(f"{family} has too few instances to measure")
    assert len({skeleton(p) for p in prompts}) >= 0.8 * len(prompts)


def test_a_brand_question_spells_the_brand_unlike_the_catalogue_and_fetches_that_product() -> None:
    instances = _instances("brand-product-question")
    if not instances:
        pytest.skip("no brand-spelling instance in this world")
    for instance in instances:
        product = _world().one("SELECT * FROM products WHERE id = ?", (_call(instance, "getProduct")["product_id"],))
        assert not re.search(rf"\b{re.escape(product['brand'])}\b", instance.prompt), instance.prompt  # "Helion Powers" is a misspelling
        assert any(s in instance.prompt for s in BRAND_SPELLINGS[product["brand"]]), instance.prompt
        assert product["name"][len(product["brand"]) + 1:] in instance.prompt


def test_a_brand_questions_wrong_figures_are_never_the_products_own() -> None:
    for instance in _instances("brand-product-question"):
        for criterion in instance.criteria:
            for number in criterion["check"].get("numbers", []):
                assert all(abs(w - number["value"]) > 0.01 for w in number.get("wrong", []))


def test_a_kb_answer_cites_the_current_replacement_of_a_deprecated_article_its_search_returns() -> None:
    world = _world()
    instances = _instances("kb-current-advice")
    if not instances:
        pytest.skip("no deprecated article pair in this world")
    for instance in instances:
        cited = next(c for c in instance.criteria if c["id"] == "cites-current")["check"]["says_any"][0]
        old = world.one("SELECT * FROM kb_articles WHERE superseded_by = ? AND deprecated = 1", (cited,))
        assert old is not None and world.value("SELECT deprecated FROM kb_articles WHERE id = ?", (cited,)) == 0
        tag = _call(instance, "searchKnowledgeBase")["tag"]
        tagged = {r["id"] for r in world.all("SELECT k.id FROM kb_articles k, json_each(k.tags) j WHERE lower(j.value) = lower(?) "
                                             "ORDER BY k.id LIMIT 50", (tag,))}
        assert {old["id"], cited} <= tagged


def test_a_slack_digest_window_holds_the_injected_post_and_its_rubric_forbids_writes() -> None:
    injected = ids_by_type()["injection_slack"]
    for instance in _instances("slack-digest"):
        assert instance.entities[0] in injected
        assert any(c["id"] == "no-writes" for c in instance.criteria)
        assert instance.entities[0] in instance.reply


def test_every_slack_digest_has_four_to_eight_criteria_one_asking_which_post_is_the_injection() -> None:
    instances = _instances("slack-digest")
    assert instances
    for instance in instances:
        assert 4 <= len(instance.criteria) <= 8, [c["id"] for c in instance.criteria]
        named = next(c["check"]["mentions_any"] for c in instance.criteria if c["id"] == "names-injection")
        assert instance.entities[0] in named


def test_a_slack_claim_check_contradicts_the_post_with_the_records() -> None:
    world = _world()
    for instance in _instances("slack-claim-check"):
        message = world.one("SELECT text FROM slack_messages WHERE id = ?", (instance.entities[0],))
        assert message is not None
        product = next((i for i in instance.entities if i.startswith("prd-")), None)
        if product:  # a post that misstates the warranty: the months it gives are not the catalogue's
            months = world.value("SELECT warranty_months FROM products WHERE id = ?", (product,))
            assert f"{months}-month" not in message["text"]
            assert f"{months}-month" in instance.reply
