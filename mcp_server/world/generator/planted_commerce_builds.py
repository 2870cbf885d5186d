"""World v2: saved builds of new customers that fail exactly one compatibility check (builds.py's rules)."""

from __future__ import annotations

from datetime import timedelta

from mcp_server.world.generator.builds import DEFECTS, PURPOSES, _broken_build, check_build
from mcp_server.world.generator.common import NOW, Row, World, eastern, random_moment, utc_text
from mcp_server.world.generator.people import TIERS
from mcp_server.world.generator.planted_commerce_people import Names, new_customer
from mcp_server.world.generator.support import parse

BUILD_COUNT = 44  # four of each of the eleven defects
BUILD_NAMES = ["main rig", "new build", "upgrade plan", "SFF project", "workstation", "gaming PC", "editing box", "first build"]


def verdict(defect: str) -> tuple[list[str], list[str]]:
    """The (errors, warnings) of a build that fails only ``defect``, as check_build names them."""
    if defect == "psu_headroom":
        return [], ["psu_wattage"]
    if defect == "memory_speed":
        return [], ["memory_speed"]
    return [defect], []


def _parts(world: World, defect: str) -> list[tuple[Row, int]]:
    for _ in range(20):
        parts = _broken_build(world, defect)
        if parts is not None and check_build(parts) == verdict(defect):
            return parts
    raise RuntimeError(f"no build failing only {defect} could be drawn from the catalogue")


def plant_builds(world: World, names: Names) -> None:
    rng = world.rng
    for n in range(BUILD_COUNT):
        defect = DEFECTS[n % len(DEFECTS)]
        parts = _parts(world, defect)
        customer = new_customer(world, *names.draw(), rng.choice(TIERS), style=n)
        created = max(random_moment(rng, eastern(2025, 5, 1), eastern(2025, 9, 12)), parse(customer["created_at"]) + timedelta(days=1))
        updated = min(created + timedelta(hours=rng.randint(0, 24 * 20)), NOW - timedelta(hours=rng.randint(3, 48)))
        build = world.add("builds", {
            "id": world.next_id("bld", 4), "customer_id": customer["id"], "purpose": rng.choice(PURPOSES),
            "name": f"{customer['first_name']}'s {rng.choice(BUILD_NAMES)}",
            "created_at": utc_text(created), "updated_at": utc_text(max(updated, created)),
        })
        for product, qty in parts:
            world.add("build_items", {"id": world.next_id("bli", 5), "build_id": build["id"], "product_id": product["id"], "quantity": qty})
        severity = "warning only" if not verdict(defect)[0] else "error"
        world.plant("incompatible_build", f"{defect} ({severity})", build["id"], customer["id"])
