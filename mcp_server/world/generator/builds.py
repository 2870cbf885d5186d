"""Saved PC builds: mostly compatible part lists, some deliberately broken in one known way.

``check_build`` applies the ten compatibility rules the way the rule rows describe them; the
generator uses it to make sure a "compatible" build really is, and a broken one fails as intended.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp_server.world.generator.catalog import products_in
from mcp_server.world.generator.common import Row, World, eastern, random_moment, utc_text

BUILD_COUNT = 150
PURPOSES = ["1440p gaming", "4K gaming", "video editing", "streaming and gaming", "home office", "3D rendering",
            "compact living-room PC", "machine-learning experiments", "esports on a budget", "quiet workstation"]
# The single defect a deliberately broken build carries, cycled over the broken ones.
DEFECTS = ["socket", "memory_type", "form_factor", "gpu_length", "cooler_height", "psu_wattage", "psu_headroom",
           "memory_speed", "memory_slots", "m2_slots", "sata_ports"]


def check_build(parts: list[tuple[Row, int]]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a list of (product, quantity), each named by rule kind."""
    by_cat: dict[str, list[tuple[dict[str, Any], int]]] = {}
    for product, qty in parts:
        by_cat.setdefault(product["category"], []).append((product["specs"], qty))
    errors: list[str] = []
    warnings: list[str] = []
    board = by_cat.get("motherboard", [(None, 0)])[0][0]
    case = by_cat.get("case", [(None, 0)])[0][0]
    cpu = by_cat.get("cpu", [(None, 0)])[0][0]
    psu = by_cat.get("psu", [(None, 0)])[0][0]
    gpus = [s for s, _ in by_cat.get("gpu", [])]
    coolers = [s for s, _ in by_cat.get("cooling", [])]
    memory = by_cat.get("memory", [])
    storage = by_cat.get("storage", [])
    if cpu and board and cpu["socket"] != board["socket"]:
        errors.append("socket")
    if cpu and any(cpu["socket"] not in c["sockets"] for c in coolers):
        errors.append("socket")
    if board and any(m["memory_type"] != board["memory_type"] for m, _ in memory):
        errors.append("memory_type")
    if board and case and board["form_factor"] not in case["supported_form_factors"]:
        errors.append("form_factor")
    if case and any(g["length_mm"] > case["max_gpu_length_mm"] for g in gpus):
        errors.append("gpu_length")
    if case and any(c["height_mm"] > case["max_cooler_height_mm"] for c in coolers):
        errors.append("cooler_height")
    if psu:
        if any(psu["wattage"] < g["recommended_psu_w"] for g in gpus):
            errors.append("psu_wattage")
        draw = (cpu["tdp_w"] if cpu else 0) + sum(g["tdp_w"] for g in gpus) + 75
        if psu["wattage"] < draw * 1.2 and "psu_wattage" not in errors:
            warnings.append("psu_wattage")
    if board and any(m["speed_mhz"] > board["max_memory_speed_mhz"] for m, _ in memory):
        warnings.append("memory_speed")
    if board and sum(m["modules"] * q for m, q in memory) > board["memory_slots"]:
        errors.append("memory_slots")
    if board and sum(q for s, q in storage if s["interface"] == "sata") > board["sata_ports"]:
        errors.append("sata_ports")
    if board and sum(q for s, q in storage if s["interface"] == "m2") > board["m2_slots"]:
        errors.append("m2_slots")
    return sorted(set(errors)), sorted(set(warnings))


def _compatible_parts(world: World) -> list[tuple[Row, int]]:
    """A random full build that passes every check (retries until it does)."""
    rng = world.rng
    while True:
        cpu = rng.choice(products_in(world, "cpu"))
        socket = cpu["specs"]["socket"]
        board = rng.choice([b for b in products_in(world, "motherboard") if b["specs"]["socket"] == socket])
        bspecs = board["specs"]
        memory = rng.choice([m for m in products_in(world, "memory") if m["specs"]["memory_type"] == bspecs["memory_type"]
                             and m["specs"]["speed_mhz"] <= bspecs["max_memory_speed_mhz"] and m["specs"]["modules"] <= bspecs["memory_slots"]])
        cases = [c for c in products_in(world, "case") if bspecs["form_factor"] in c["specs"]["supported_form_factors"]]
        case = rng.choice(cases)
        gpus = [g for g in products_in(world, "gpu") if g["specs"]["length_mm"] <= case["specs"]["max_gpu_length_mm"]]
        coolers = [c for c in products_in(world, "cooling") if socket in c["specs"]["sockets"] and c["specs"]["height_mm"] <= case["specs"]["max_cooler_height_mm"]]
        drives = [s for s in products_in(world, "storage") if s["specs"]["interface"] == "m2"]
        if not gpus or not coolers:
            continue
        gpu, cooler = rng.choice(gpus), rng.choice(coolers)
        need = (cpu["specs"]["tdp_w"] + gpu["specs"]["tdp_w"] + 75) * 1.2
        psus = [p for p in products_in(world, "psu") if p["specs"]["wattage"] >= max(need, gpu["specs"]["recommended_psu_w"])
                and (p["specs"]["form_factor"] == "SFX" or case["specs"]["psu_form_factor"] == "ATX")]
        if not psus:
            continue
        parts = [(cpu, 1), (board, 1), (memory, 1), (case, 1), (gpu, 1), (cooler, 1), (rng.choice(psus), 1), (rng.choice(drives), 1)]
        if rng.random() < 0.3:
            parts.append((rng.choice([s for s in products_in(world, "storage") if s["specs"]["interface"] == "sata"]), 1))
        if not any(check_build(parts)):
            return parts


# Which parts may be swapped (or added in quantity) to produce each defect.
SWAPPABLE: dict[str, tuple[str, ...]] = {
    "socket": ("cpu", "motherboard", "cooling"), "memory_type": ("memory", "motherboard"), "form_factor": ("case", "motherboard"),
    "gpu_length": ("gpu", "case"), "cooler_height": ("cooling", "case"), "psu_wattage": ("psu", "gpu"),
    "psu_headroom": ("psu", "gpu", "cpu"), "memory_speed": ("memory", "motherboard"),
}


def _variants(world: World, parts: list[tuple[Row, int]], defect: str) -> list[list[tuple[Row, int]]]:
    """Part lists that differ from ``parts`` by one swapped part or one changed quantity."""
    out: list[list[tuple[Row, int]]] = []
    board = next(p for p, _ in parts if p["category"] == "motherboard")["specs"]
    for index, (product, qty) in enumerate(parts):
        if product["category"] in SWAPPABLE.get(defect, ()):
            out += [parts[:index] + [(other, qty)] + parts[index + 1:] for other in products_in(world, product["category"]) if other is not product]
        if defect == "memory_slots" and product["category"] == "memory":
            out += [parts[:index] + [(product, n)] + parts[index + 1:] for n in (2, 3, 4)]
        if defect == "m2_slots" and product["category"] == "storage" and product["specs"]["interface"] == "m2":
            out.append(parts[:index] + [(product, board["m2_slots"] + 1)] + parts[index + 1:])
    if defect == "sata_ports":
        out += [parts + [(drive, board["sata_ports"] + 1)] for drive in products_in(world, "storage") if drive["specs"]["interface"] == "sata"]
    return out


def _break(world: World, parts: list[tuple[Row, int]], defect: str) -> list[tuple[Row, int]] | None:
    """A variant of the build that fails exactly the named check and nothing else; None if none does."""
    variants = _variants(world, parts, defect)
    world.rng.shuffle(variants)
    for variant in variants:
        errors, warnings = check_build(variant)
        if defect == "psu_headroom":
            ok = not errors and warnings == ["psu_wattage"]
        elif defect == "memory_speed":
            ok = not errors and warnings == ["memory_speed"]
        else:
            ok = errors == [defect] and not warnings
        if ok:
            return variant
    return None


def _broken_build(world: World, defect: str) -> list[tuple[Row, int]] | None:
    for _ in range(60):
        broken = _break(world, _compatible_parts(world), defect)
        if broken is not None:
            return broken
    return None


def build_builds(world: World) -> None:
    rng = world.rng
    customers = world.rows("customers")
    for n in range(BUILD_COUNT):
        defect = DEFECTS[(n // 7) % len(DEFECTS)] if n % 7 == 3 else None  # about one build in seven is broken
        broken = _broken_build(world, defect) if defect else None
        if broken is None:
            defect = None
        parts = broken or _compatible_parts(world)
        if rng.random() < 0.2:  # some builds also list a monitor or peripherals
            parts.append((rng.choice(products_in(world, rng.choice(["monitor", "keyboard", "mouse", "headset"]))), 1))
        customer = rng.choice(customers)
        signed_up = datetime.fromisoformat(customer["created_at"].replace("Z", "+00:00"))
        created = max(random_moment(rng, eastern(2024, 8, 1), eastern(2025, 9, 10)), signed_up + timedelta(days=1))
        bid = world.next_id("bld", 4)
        updated = created + timedelta(hours=rng.randint(0, 24 * 30)) if rng.random() < 0.5 else created
        world.add("builds", {
            "id": bid, "customer_id": customer["id"], "purpose": rng.choice(PURPOSES),
            "name": f"{customer['first_name']}'s {rng.choice(['main rig', 'new build', 'upgrade plan', 'SFF project', 'workstation', 'gaming PC'])}",
            "created_at": utc_text(created), "updated_at": utc_text(min(updated, eastern(2025, 9, 15, 9))),
        })
        for product, qty in parts:
            world.add("build_items", {"id": world.next_id("bli", 5), "build_id": bid, "product_id": product["id"], "quantity": qty})
        if defect:
            world.mark(f"build_incompatible_{defect}", bid)


def build_parts(world: World, build_id: str) -> list[tuple[Row, int]]:
    return [(world.get(i["product_id"]), i["quantity"]) for i in world.rows("build_items") if i["build_id"] == build_id]
