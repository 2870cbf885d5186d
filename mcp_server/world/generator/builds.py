"""Saved PC builds: mostly compatible part lists, some deliberately broken in one known way.

``check_build`` applies the ten compatibility rules the way the rule rows describe them; the
generator uses it to make sure a "compatible" build really is, and a broken one fails as intended.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mcp_server.world.generator.catalog import products_in
from mcp_server.world.generator.common import Row, World, eastern, random_moment, utc_text

BUILD_COUNT = 150
PURPOSES = ["1440p gaming", "4K gaming", "video editing", "streaming and gaming", "home office", "3D rendering",
            "compact living-room PC", "machine-learning experiments", "esports on a budget", "quiet workstation"]
# The single defect a deliberately broken build carries, cycled over the broken ones.
DEFECTS = ["socket", "memory_type", "form_factor", "gpu_length", "cooler_height", "psu_wattage", "psu_headroom",
           "memory_speed", "memory_slots", "m2_slots"]


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


def _break(world: World, parts: list[tuple[Row, int]], defect: str) -> list[tuple[Row, int]] | None:
    """Swap one part so the build fails exactly the named check; None if this build cannot."""
    rng = world.rng
    cats = {p["category"]: i for i, (p, _) in enumerate(parts)}
    spec = {p["category"]: p["specs"] for p, _ in parts}
    board, case, cpu = spec["motherboard"], spec["case"], spec["cpu"]
    candidates: list[tuple[str, Row, int]] = []
    if defect == "socket":
        candidates = [("cpu", c, 1) for c in products_in(world, "cpu") if c["specs"]["socket"] != board["socket"]
                      and c["specs"]["socket"] in spec["cooling"]["sockets"] and c["specs"]["memory_type"] == board["memory_type"]]
    elif defect == "memory_type":
        candidates = [("memory", m, 1) for m in products_in(world, "memory") if m["specs"]["memory_type"] != board["memory_type"] and m["specs"]["modules"] <= board["memory_slots"]]
    elif defect == "form_factor":
        candidates = [("case", c, 1) for c in products_in(world, "case") if board["form_factor"] not in c["specs"]["supported_form_factors"]
                      and c["specs"]["max_gpu_length_mm"] >= spec["gpu"]["length_mm"] and c["specs"]["max_cooler_height_mm"] >= spec["cooling"]["height_mm"]]
    elif defect == "gpu_length":
        candidates = [("gpu", g, 1) for g in products_in(world, "gpu") if g["specs"]["length_mm"] > case["max_gpu_length_mm"]]
    elif defect == "cooler_height":
        candidates = [("cooling", c, 1) for c in products_in(world, "cooling") if c["specs"]["height_mm"] > case["max_cooler_height_mm"] and cpu["socket"] in c["specs"]["sockets"]]
    elif defect in ("psu_wattage", "psu_headroom"):
        gpu = spec["gpu"]
        need = (cpu["tdp_w"] + gpu["tdp_w"] + 75) * 1.2
        if defect == "psu_wattage":
            candidates = [("psu", p, 1) for p in products_in(world, "psu") if p["specs"]["wattage"] < gpu["recommended_psu_w"]]
        else:
            candidates = [("psu", p, 1) for p in products_in(world, "psu") if gpu["recommended_psu_w"] <= p["specs"]["wattage"] < need]
    elif defect == "memory_speed":
        candidates = [("memory", m, 1) for m in products_in(world, "memory") if m["specs"]["memory_type"] == board["memory_type"]
                      and m["specs"]["speed_mhz"] > board["max_memory_speed_mhz"] and m["specs"]["modules"] <= board["memory_slots"]]
    elif defect == "memory_slots":
        kit = parts[cats["memory"]][0]
        if kit["specs"]["modules"] * 2 > board["memory_slots"] and kit["specs"]["speed_mhz"] <= board["max_memory_speed_mhz"]:
            candidates = [("memory", kit, 2)]
        else:
            candidates = [("memory", kit, board["memory_slots"] // max(kit["specs"]["modules"], 1) + 1)]
    elif defect == "m2_slots":
        drive = parts[[i for i, (p, _) in enumerate(parts) if p["category"] == "storage" and p["specs"]["interface"] == "m2"][0]][0]
        candidates = [("storage", drive, board["m2_slots"] + 1)]
    rng.shuffle(candidates)
    for category, product, qty in candidates:
        new = list(parts)
        index = cats[category] if category != "storage" else [i for i, (p, _) in enumerate(parts) if p["category"] == "storage" and p["specs"]["interface"] == "m2"][0]
        new[index] = (product, qty)
        errors, warnings = check_build(new)
        wanted = "psu_wattage" if defect == "psu_headroom" else defect
        found = warnings if defect in ("psu_headroom", "memory_speed") else errors
        other = errors if defect in ("psu_headroom", "memory_speed") else warnings
        if found == [wanted] and not other and (defect not in ("psu_headroom", "memory_speed") or not errors):
            return new
    return None


def build_builds(world: World) -> None:
    rng = world.rng
    customers = world.rows("customers")
    for n in range(BUILD_COUNT):
        parts = _compatible_parts(world)
        defect = DEFECTS[(n // 7) % len(DEFECTS)] if n % 7 == 3 else None  # about one build in seven is broken
        if defect:
            broken = _break(world, parts, defect)
            if broken is not None:
                parts = broken
            else:
                defect = None
        if rng.random() < 0.2:  # some builds also list a monitor or peripherals
            parts.append((rng.choice(products_in(world, rng.choice(["monitor", "keyboard", "mouse", "headset"]))), 1))
        customer = rng.choice(customers)
        created = random_moment(rng, eastern(2024, 8, 1), eastern(2025, 9, 10))
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
