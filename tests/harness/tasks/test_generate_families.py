"""What every registered family owes the training split, checked on the instances the generator writes:
enough of them, each with four to eight criteria and two other correct replies, prompts in many shapes,
trap tags backed by an id the manifest lists, and a sample that validates against the real server.
Each family's own behaviour is tested next to its siblings (test_generate_*.py)."""

from __future__ import annotations

import json

import pytest
from family_fixtures import instances, materialised, skeletons

from harness.tasks.generate import families_brands, families_buildfix, families_injection, families_kbtrap, families_promos, families_slack
from harness.tasks.generate.build import registry
from harness.tasks.trap_coverage import unbacked_trap_tags
from harness.tasks.validate import validate_suite
from mcp_server.world.trap_types import ids_by_type

FAMILIES = sorted(registry())
MIN_INSTANCES = 10
# Instances per family replayed through the server (about 0.1 s each; the whole split is validated by the
# slow test in test_generate.py): two for the content and support trap families, as their tests did.
SAMPLE = 1
SAMPLED_TWICE = {*families_promos.FAMILIES, *families_buildfix.FAMILIES, *families_injection.FAMILIES,
                 *families_brands.FAMILIES, *families_kbtrap.FAMILIES, *families_slack.FAMILIES}


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_yields_enough_instances_with_four_to_eight_criteria_and_two_other_correct_replies(family: str) -> None:
    found = instances(family)
    assert len(found) >= MIN_INSTANCES, f"{family} yields only {len(found)} tasks"
    assert [len(i.criteria) for i in found if not 4 <= len(i.criteria) <= 8] == [], family
    assert [len(i.alternatives) for i in found if len(i.alternatives) != 2] == [], family


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_writes_at_least_four_distinct_prompt_shapes_in_five(family: str) -> None:
    shapes = skeletons(family)
    assert len(set(shapes)) >= 0.8 * len(shapes), f"{family}: {len(set(shapes))} skeletons for {len(shapes)} prompts"


@pytest.mark.parametrize("family", FAMILIES)
def test_every_trap_tag_of_each_family_is_backed_by_an_id_the_manifest_lists(family: str) -> None:
    listed = ids_by_type()
    unbacked = {p.task.id: tags for p in materialised(family, len(instances(family)))
                if (tags := unbacked_trap_tags(p.task, listed))}
    assert unbacked == {}, f"{family}: trap tags that name none of the manifest's ids"


@pytest.mark.parametrize("family", FAMILIES)
async def test_a_sample_of_each_family_validates_and_passes_its_own_rubric(family: str) -> None:
    suite = materialised(family, 2 if family in SAMPLED_TWICE else SAMPLE)
    assert suite, f"{family} has no instance in this world"
    for pair in suite:
        json.dumps(pair.task.model_dump(mode="json"))  # serialisable as the generator writes it
    results = await validate_suite(suite)
    assert {r.task_id: r.failures for r in results if not r.ok} == {}
