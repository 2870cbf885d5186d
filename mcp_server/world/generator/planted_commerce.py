"""World v2: commerce trap instances planted for the training split (see trap_types.py).

Every record here is new (new customers and what they own), appended after the original world, so no
id a held-out task cites changes. Each instance is recorded with ``world.plant``. The original world's
instances of the same types (docs/world-guide.md, "Designed traps") are recorded too, so that the
manifest lists every instance; task writers keep away from those through the held-out exclusions.
"""

from __future__ import annotations

from mcp_server.world.generator import planted_orders
from mcp_server.world.generator.builds import DEFECTS
from mcp_server.world.generator.common import NOW, World, utc_text
from mcp_server.world.generator.planted_commerce_builds import plant_builds
from mcp_server.world.generator.planted_commerce_people import Names, plant_namesakes, plant_tier_changes
from mcp_server.world.generator.planted_commerce_promos import add_promotions, plant_expired, plant_non_stacking
from mcp_server.world.generator.planted_orders_base import guarded_planter


def plant(world: World) -> None:
    """Plant the commerce traps: namesakes, tier changes, incompatible builds and promotion asks."""
    planted_orders.plant(world)
    record_original(world)
    planter = guarded_planter(world)  # after the order traps, so that their search_cap products are reserved
    names = Names(world)
    plant_namesakes(planter, names)
    plant_tier_changes(planter, names)
    plant_builds(world, names)
    add_promotions(world)
    plant_expired(planter, names)
    plant_non_stacking(planter, names)


def record_original(world: World) -> None:
    """The original world's namesakes, tier changes, broken builds and promotion traps, for the manifest."""
    for first, last in (("Jordan", "Lee"), ("Chris", "Morgan")):
        group = [c["id"] for c in world.rows("customers") if (c["first_name"], c["last_name"]) == (first, last)]
        for customer_id in group:
            marked = [o for o in world.notes["same_name_customer_orders"] if world.get(o)["customer_id"] == customer_id]
            world.plant("namesake", f"original: {first} {last}", customer_id, *(c for c in group if c != customer_id), *marked)
    for customer_id in world.notes["loyalty_tier_changed"]:
        current = world.get(customer_id)["loyalty_tier"]
        old = [o["id"] for o in world.rows("orders") if o["customer_id"] == customer_id and o["loyalty_tier"] != current]
        if old:  # a tier change with no order at the old tier is no trap
            world.plant("tier_change", f"original: {world.get(old[0])['loyalty_tier']} -> {current}", customer_id, *old)
    for defect in DEFECTS:
        for build_id in world.notes[f"build_incompatible_{defect}"]:
            world.plant("incompatible_build", f"original: {defect}", build_id, world.get(build_id)["customer_id"])
    now = utc_text(NOW)
    for promo in world.rows("promotions"):
        if promo["code"] in ("SUMMER25", "BACKTOSCHOOL", "PLATINUMPREVIEW"):
            state = "not started" if promo["starts_at"] > now else "ended"
            world.plant("promo_expired", f"original: {promo['code']} {state} at the default clock", promo["id"])
    running = [p["id"] for p in world.rows("promotions") if p["starts_at"] <= now < p["ends_at"]]
    world.plant("promo_non_stacking", "original: the codes running at the default clock", *running)
