"""Deterministic generator of the committed world data (``python -m mcp_server.world.generator``).

``generate(out_dir)`` builds every table from a fixed seed and writes one JSONL file per table,
rows sorted by id and keys sorted, so that regenerating gives byte-identical files.
"""

from __future__ import annotations

import random
from pathlib import Path

from mcp_server.world.generator import builds, catalog, content, history, people, slack, support, traps
from mcp_server.world.generator.common import SEED, World, write_tables


def build_world(seed: int = SEED) -> World:
    """All tables in memory; the order matters because later steps refer to earlier records."""
    world = World(rng=random.Random(seed))
    people.build_loyalty_tiers(world)
    catalog.build_catalog(world)
    catalog.build_rules(world)
    catalog.build_warranty_policies(world)
    people.build_customers(world)
    people.build_employees(world)
    builds.build_builds(world)
    content.build_promotions(world)
    content.build_slas(world)
    content.build_company_policies(world)
    history.build_orders(world)
    history.build_refunds(world)
    traps.commerce_traps(world)
    support.build_support(world)
    traps.support_traps(world)
    content.build_kb(world)
    slack.build_channels(world)
    drafts = slack.build_slack(world)
    traps.slack_traps(world, drafts)
    drafts.write()
    traps.timestamp_noise(world)
    return world


def generate(out_dir: Path, seed: int = SEED) -> dict[str, int]:
    """Generate the world into ``out_dir``; returns rows written per table."""
    return write_tables(build_world(seed), Path(out_dir))
