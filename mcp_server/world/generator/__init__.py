"""Deterministic generator of the committed world data (``python -m mcp_server.world.generator``).

``generate(out_dir)`` builds every table from a fixed seed and writes one JSONL file per table,
rows sorted by id and keys sorted, so that regenerating gives byte-identical files.
"""

from __future__ import annotations

import random
from pathlib import Path

from mcp_server.world.generator import builds, catalog, content, history, people, planted_commerce, planted_content, planted_content_slack, slack, support, traps
from mcp_server.world.generator.common import SEED, World, write_tables


STEPS = (
    ("loyalty_tiers", people.build_loyalty_tiers),
    ("catalog", catalog.build_catalog),
    ("rules", catalog.build_rules),
    ("warranty", catalog.build_warranty_policies),
    ("customers", people.build_customers),
    ("employees", people.build_employees),
    ("builds", builds.build_builds),
    ("promotions", content.build_promotions),
    ("slas", content.build_slas),
    ("policies", content.build_company_policies),
    ("orders", history.build_orders),
    ("refunds", history.build_refunds),
    ("commerce_traps", traps.commerce_traps),
    ("support", support.build_support),
    ("support_traps", traps.support_traps),
    ("kb", content.build_kb),
    ("slack_channels", slack.build_channels),
)
# world v2: extra trap instances for the training split. They run after everything above, Slack and the
# timestamp noise included, because those sample from whole tables: a record added before them would
# reshuffle which original records they touch (held-out tasks cite those records).
PLANTED_STEPS = (
    ("planted_commerce", planted_commerce.plant),
    ("planted_content", planted_content.plant),
)


def build_world(seed: int = SEED) -> World:
    """All tables in memory. Steps run in order (later ones refer to earlier records), each with its
    own RNG derived from the seed and the step's name, so that changing one step does not reshuffle
    the records of the others."""
    world = World(rng=random.Random(seed))
    for name, step in STEPS:
        world.rng = random.Random(f"{seed}:{name}")
        step(world)
    world.rng = random.Random(f"{seed}:slack")
    drafts = slack.build_slack(world)
    traps.slack_traps(world, drafts)
    world.rng = random.Random(f"{seed}:noise")
    traps.timestamp_noise(world)
    for name, step in PLANTED_STEPS:
        world.rng = random.Random(f"{seed}:{name}")
        step(world)
    world.rng = random.Random(f"{seed}:planted_slack")
    planted_posts = planted_content_slack.collect_posts(world)
    drafts.write()  # the original messages take their ids first
    planted_content.write_slack(world, planted_posts)
    catalog.release_before_first_sale(world)  # last: it reads every order, and no step reads the dates it moves
    return world


def generate(out_dir: Path, seed: int = SEED) -> dict[str, int]:
    """Generate the world into ``out_dir``; returns rows written per table."""
    return write_tables(build_world(seed), Path(out_dir))
