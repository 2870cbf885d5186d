"""The catalogue: brands, products with category-specific specs, inventory, compatibility rules and
warranty policies. All brands are invented."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mcp_server.world.generator.common import NOW, Row, World, eastern, money, random_moment, utc_text

# Warranty months per category; products carry the months of their category's policy.
WARRANTY_MONTHS: dict[str, int] = {
    "cpu": 36, "motherboard": 36, "gpu": 36, "memory": 120, "storage": 60, "psu": 84, "case": 24,
    "cooling": 60, "prebuilt": 24, "workstation": 36, "monitor": 36, "keyboard": 24, "mouse": 24,
    "headset": 12, "networking": 24, "cable": 12, "accessory": 12, "bundle": 24,
}
CATEGORY_COUNTS: dict[str, int] = {
    "cpu": 20, "motherboard": 22, "gpu": 24, "memory": 20, "storage": 20, "psu": 16, "case": 16,
    "cooling": 16, "prebuilt": 10, "workstation": 6, "monitor": 14, "keyboard": 12, "mouse": 12,
    "headset": 10, "networking": 10, "cable": 10, "accessory": 12, "bundle": 8,
}
BRANDS: dict[str, list[str]] = {
    "cpu": ["Northwind Silicon", "Arcwave Micro"],
    "motherboard": ["Pinecrest Boards", "Stratos Logic"],
    "gpu": ["VortexLabs", "Ironleaf Graphics"],
    "memory": ["Kyro-Tek", "Lumen Memory"],
    "storage": ["Q-Bit Storage", "Deepvault"],
    "psu": ["Helion Power", "Voltara"],
    "case": ["Aether & Finch", "Basalt Cases"],
    "cooling": ["ThermaCore", "Frostpeak"],
    "prebuilt": ["CoreCraft Studio"],
    "workstation": ["CoreCraft Studio"],
    "monitor": ["Lumina Displays", "VortexLabs"],
    "keyboard": ["Tactile Forge"],
    "mouse": ["Swiftglide"],
    "headset": ["Sonorus Audio"],
    "networking": ["Meshline", "Stratos Logic"],
    "cable": ["Wirewright"],
    "accessory": ["Benchmate"],
    "bundle": ["CoreCraft Studio"],
}
# Sockets and the memory generation each one takes.
SOCKET_MEMORY: dict[str, str] = {"NW1851": "DDR5", "NW1700": "DDR4", "AW5": "DDR5", "AW4": "DDR4"}
CPU_SOCKETS: dict[str, list[str]] = {"Northwind Silicon": ["NW1851", "NW1700"], "Arcwave Micro": ["AW5", "AW4"]}
CHIPSETS: dict[str, list[str]] = {"NW1851": ["NX890", "NX860"], "NW1700": ["NX760", "NX710"], "AW5": ["AR770E", "AR750"], "AW4": ["AR540", "AR520"]}
FORM_FACTORS = ["E-ATX", "ATX", "Micro-ATX", "Mini-ITX"]
WAREHOUSES = ("east", "west", "central")


def _cpu(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    socket = CPU_SOCKETS[brand][0 if i % 3 else 1]
    tier = i % 4  # 0 entry .. 3 flagship
    cores = [6, 8, 12, 16][tier] + (8 if tier == 3 and rng.random() < 0.5 else 0)
    tdp = [65, 105, 125, 170][tier]
    line = {"Northwind Silicon": "Tempest", "Arcwave Micro": "Rhyolite"}[brand]
    model = f"{line} {[3, 5, 7, 9][tier]} {rng.randint(1, 9)}{rng.randint(4, 9)}{rng.choice(['00', '50'])}{rng.choice(['', 'X', 'K'])}"
    price = [139, 239, 349, 549][tier] + rng.randint(-20, 60) + 0.99
    specs = {
        "socket": socket, "tdp_w": tdp, "cores": cores, "threads": cores * 2,
        "base_clock_ghz": round(rng.uniform(3.0, 4.2), 1), "boost_clock_ghz": round(rng.uniform(4.6, 5.8), 1),
        "memory_type": SOCKET_MEMORY[socket], "integrated_graphics": rng.random() < 0.5,
    }
    return model, specs, price


def _motherboard(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    socket = list(SOCKET_MEMORY)[i % 4]
    form = FORM_FACTORS[[1, 1, 2, 3, 0, 1, 2][i % 7]]
    mem = SOCKET_MEMORY[socket]
    chipset = rng.choice(CHIPSETS[socket])
    itx = form == "Mini-ITX"
    line = {"Pinecrest Boards": "Ridge", "Stratos Logic": "Apex"}[brand]
    specs = {
        "socket": socket, "chipset": chipset, "memory_type": mem, "form_factor": form,
        "max_memory_speed_mhz": rng.choice([6000, 6400, 7200, 8000]) if mem == "DDR5" else rng.choice([3200, 3600, 4000]),
        "memory_slots": 2 if itx else (8 if form == "E-ATX" else 4),
        "sata_ports": rng.choice([2, 4]) if itx else rng.choice([4, 4, 6, 8]),
        "m2_slots": rng.choice([1, 2]) if itx else rng.choice([2, 3, 4]),
        "wifi": rng.random() < 0.6,
    }
    model = f"{line} {chipset} {form.replace('-', '')}{rng.choice(['', ' WiFi', ' Pro', ' Elite'])}"
    price = {"E-ATX": 459, "ATX": 229, "Micro-ATX": 159, "Mini-ITX": 209}[form] + rng.randint(-40, 90) + 0.99
    return model, specs, price


def _gpu(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    tier = i % 3
    vram = [8, rng.choice([12, 16]), rng.choice([16, 20, 24])][tier]
    tdp = [rng.randint(115, 170), rng.randint(200, 285), rng.randint(320, 450)][tier]
    rec = [rng.choice([450, 500, 550]), rng.choice([650, 700, 750]), rng.choice([750, 850, 1000])][tier]
    length = [rng.randint(190, 250), rng.randint(255, 305), rng.randint(310, 358)][tier]
    line = {"VortexLabs": "Cyclone", "Ironleaf Graphics": "Granite"}[brand]
    model = f"{line} {['G', 'V', 'X'][tier]}{rng.randint(5, 9)}{rng.choice(['60', '70', '80'])}{rng.choice(['', ' OC', ' Pro', ' Max'])} {vram}GB"
    price = [279, 549, 1099][tier] + rng.randint(-30, 250) + 0.99
    specs = {"length_mm": length, "recommended_psu_w": rec, "vram_gb": vram, "tdp_w": tdp, "slots": [2, 2.5, 3][tier]}
    return model, specs, price


def _memory(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    mem = "DDR5" if i % 3 else "DDR4"
    speed = rng.choice([5600, 6000, 6400, 7200, 8000]) if mem == "DDR5" else rng.choice([3200, 3600, 4000])
    modules = rng.choice([2, 2, 2, 4, 1])
    capacity = modules * rng.choice([8, 16, 24, 32] if mem == "DDR5" else [8, 16, 32])
    line = {"Kyro-Tek": "Surge", "Lumen Memory": "Glow"}[brand]
    model = f"{line} {mem}-{speed} {capacity}GB ({modules}x{capacity // modules}GB)"
    price = capacity * (2.6 if mem == "DDR5" else 1.9) + (speed - 3000) / 100 + 0.99
    return model, {"memory_type": mem, "speed_mhz": speed, "capacity_gb": capacity, "modules": modules}, price


def _storage(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    interface = "m2" if i % 3 else "sata"
    kind = "hdd" if interface == "sata" and rng.random() < 0.4 else "ssd"
    capacity = rng.choice([4000, 8000, 12000]) if kind == "hdd" else rng.choice([500, 1000, 2000, 4000])
    line = {"Q-Bit Storage": "QB", "Deepvault": "Vault"}[brand]
    model = f"{line} {'Spin' if kind == 'hdd' else ('NV' if interface == 'm2' else 'SA')}{rng.randint(3, 9)}00 {capacity // 1000 if capacity >= 1000 else capacity}{'TB' if capacity >= 1000 else 'GB'}"
    specs = {
        "interface": interface, "type": kind, "capacity_gb": capacity,
        "form": "M.2 2280" if interface == "m2" else ("3.5in" if kind == "hdd" else "2.5in"),
        "read_mbps": rng.choice([7000, 7400, 5000, 3500]) if interface == "m2" else (250 if kind == "hdd" else 550),
    }
    price = capacity * (0.018 if kind == "hdd" else 0.07) + rng.randint(15, 40) + 0.99
    return model, specs, price


def _psu(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    watts = [450, 550, 650, 750, 850, 1000, 1200, 1600][i % 8]
    form = "SFX" if watts <= 750 and i % 5 == 0 else "ATX"
    eff = rng.choice(["Bronze", "Gold", "Gold", "Platinum"])
    line = {"Helion Power": "Sunforge", "Voltara": "Current"}[brand]
    model = f"{line} {watts}W {eff}{' SFX' if form == 'SFX' else ''}"
    specs = {"wattage": watts, "efficiency": f"80 Plus {eff}", "modular": rng.choice(["full", "semi", "none"]), "form_factor": form}
    return model, specs, watts * 0.14 + rng.randint(10, 40) + 0.99


def _case(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    size = ["mid_tower", "full_tower", "micro_tower", "mini_itx", "mid_tower"][i % 5]
    supported = {
        "full_tower": ["E-ATX", "ATX", "Micro-ATX", "Mini-ITX"], "mid_tower": ["ATX", "Micro-ATX", "Mini-ITX"],
        "micro_tower": ["Micro-ATX", "Mini-ITX"], "mini_itx": ["Mini-ITX"],
    }[size]
    gpu_max = {"full_tower": rng.randint(400, 440), "mid_tower": rng.randint(300, 400), "micro_tower": rng.randint(270, 330), "mini_itx": rng.randint(240, 320)}[size]
    cooler_max = {"full_tower": 185, "mid_tower": rng.randint(155, 175), "micro_tower": rng.randint(150, 165), "mini_itx": rng.randint(58, 75)}[size]
    line = {"Aether & Finch": "Lantern", "Basalt Cases": "Monolith"}[brand]
    model = f"{line} {size.replace('_', ' ').title()} {rng.choice(['Air', 'Glass', 'Silent', 'Flow'])} {rng.randint(1, 9)}"
    specs = {
        "size": size, "supported_form_factors": supported, "max_gpu_length_mm": gpu_max,
        "max_cooler_height_mm": cooler_max, "psu_form_factor": "SFX" if size == "mini_itx" else "ATX",
        "drive_bays_2_5": rng.randint(1, 4), "drive_bays_3_5": 0 if size == "mini_itx" else rng.randint(1, 3),
    }
    return model, specs, {"full_tower": 189, "mid_tower": 109, "micro_tower": 79, "mini_itx": 129}[size] + rng.randint(-20, 50) + 0.99


def _cooling(world: World, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    kind = ["air", "air", "aio", "low_profile"][i % 4]
    height = {"air": rng.randint(150, 168), "aio": 27, "low_profile": rng.randint(47, 70)}[kind]
    sockets = list(SOCKET_MEMORY) if i % 5 else ["NW1851", "NW1700"]  # a few Northwind-only coolers
    line = {"ThermaCore": "Glacier", "Frostpeak": "Summit"}[brand]
    radiator = rng.choice([240, 280, 360]) if kind == "aio" else None
    model = f"{line} {'AIO ' + str(radiator) if kind == 'aio' else ('LP' if kind == 'low_profile' else 'Tower')} {rng.randint(2, 9)}{rng.choice(['', ' Pro', ' RGB'])}"
    specs: dict[str, Any] = {"type": "aio" if kind == "aio" else "air", "height_mm": height, "sockets": sockets,
                             "tdp_rating_w": {"air": rng.choice([180, 220, 250]), "aio": rng.choice([250, 300]), "low_profile": 95}[kind]}
    if radiator:
        specs["radiator_mm"] = radiator
    return model, specs, {"air": 59, "aio": 129, "low_profile": 39}[kind] + rng.randint(-10, 40) + 0.99


def _system(world: World, i: int, brand: str, workstation: bool) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    name = rng.choice(["Forge", "Vanguard", "Nimbus", "Atlas", "Beacon"] if workstation else ["Spark", "Blaze", "Nova", "Comet", "Pulse", "Orbit"])
    memory = rng.choice([64, 128, 256]) if workstation else rng.choice([16, 32, 64])
    specs = {
        "cpu_cores": rng.choice([16, 24, 32, 64]) if workstation else rng.choice([6, 8, 12, 16]),
        "gpu_vram_gb": rng.choice([16, 24, 48]) if workstation else rng.choice([8, 12, 16]),
        "memory_gb": memory, "storage_gb": rng.choice([2000, 4000, 8000]) if workstation else rng.choice([1000, 2000]),
        "psu_w": rng.choice([1000, 1200, 1600]) if workstation else rng.choice([650, 750, 850]),
        "form_factor": "full_tower" if workstation else rng.choice(["mid_tower", "mini_itx"]),
        "os_installed": True,
    }
    model = f"{'Pro ' if workstation else ''}{name} {rng.randint(2, 9)}{rng.choice(['00', '50'])}{'' if workstation else rng.choice(['', 'X'])}"
    price = (rng.randint(3200, 7800) if workstation else rng.randint(899, 2899)) + 0.99
    return model, specs, price


def _peripheral(world: World, category: str, i: int, brand: str) -> tuple[str, dict[str, Any], float]:
    rng = world.rng
    if category == "monitor":
        size = rng.choice([24, 27, 27, 32, 34])
        res = "3440x1440" if size == 34 else rng.choice({24: ["1920x1080", "2560x1440"], 27: ["2560x1440", "3840x2160"], 32: ["2560x1440", "3840x2160"]}[size])
        hz = rng.choice([75, 144, 165, 240])
        return f"View {size}{rng.choice(['Q', 'U', 'F'])}{hz}", {"size_in": size, "resolution": res, "refresh_hz": hz, "panel": rng.choice(["IPS", "VA", "OLED"])}, 129 + size * 6 + hz + rng.randint(0, 200) + 0.99
    if category == "keyboard":
        switch = rng.choice(["linear", "tactile", "clicky"])
        layout = rng.choice(["TKL", "75%", "full"])
        return f"Anvil {layout.rstrip('%').title()} {switch.title()}", {"layout": layout, "switch": switch, "wireless": rng.random() < 0.4}, rng.randint(49, 199) + 0.99
    if category == "mouse":
        return f"Dart {rng.choice(['Lite', 'Pro', 'Air', 'Max'])} {rng.randint(2, 8)}", {"dpi": rng.choice([12000, 26000, 30000]), "wireless": rng.random() < 0.5, "weight_g": rng.randint(55, 110)}, rng.randint(29, 149) + 0.99
    if category == "headset":
        return f"Cantor {rng.choice(['Studio', 'Arena', 'Wave'])} {rng.randint(3, 9)}", {"wireless": rng.random() < 0.5, "driver_mm": rng.choice([40, 50]), "microphone": "detachable"}, rng.randint(59, 249) + 0.99
    if category == "networking":
        kind, model, standard = rng.choice([("router", "AX3000", "Wi-Fi 6"), ("router", "BE5800", "Wi-Fi 7"), ("pcie_nic", "2.5G", "Ethernet"),
                                            ("pcie_nic", "10G", "Ethernet"), ("usb_wifi_adapter", "AXE1800", "Wi-Fi 6E"), ("switch", "8-Port 2.5G", "Ethernet")])
        label = {"router": "Router", "pcie_nic": "PCIe Network Card", "usb_wifi_adapter": "USB Wi-Fi Adapter", "switch": "Switch"}[kind]
        return f"Link {label} {model}", {"type": kind, "standard": standard}, rng.randint(39, 329) + 0.99
    if category == "cable":
        kind = rng.choice(["12V-2x6 power", "SATA data", "DisplayPort", "HDMI", "Cat6 Ethernet", "USB-C"])
        length = rng.choice([0.5, 1, 2, 3])
        return f"{kind} cable {length}m", {"type": kind, "length_m": length}, rng.randint(7, 29) + 0.99
    kind = rng.choice(["thermal paste", "anti-static wrist strap", "case fan 3-pack", "GPU support bracket", "cable combs", "screwdriver kit"])
    return f"{kind.title()} {rng.choice(['Basic', 'Plus', 'Pro'])}", {"type": kind}, rng.randint(6, 45) + 0.99


# The PC parts, each made by its own function: (model name, specs, price).
_PART_MAKERS: dict[str, Callable[[World, int, str], tuple[str, dict[str, Any], float]]] = {
    "cpu": _cpu, "motherboard": _motherboard, "gpu": _gpu, "memory": _memory, "storage": _storage,
    "psu": _psu, "case": _case, "cooling": _cooling,
}


def build_catalog(world: World) -> None:
    rng = world.rng
    for category, count in CATEGORY_COUNTS.items():
        prefix = category[:3].upper()
        for i in range(count):
            brand = BRANDS[category][i % len(BRANDS[category])]
            if category in _PART_MAKERS:
                model, specs, price = _PART_MAKERS[category](world, i, brand)
            elif category in ("prebuilt", "workstation"):
                model, specs, price = _system(world, i, brand, category == "workstation")
            elif category == "bundle":
                model, specs, price = "", {}, 0.0  # filled once the parts exist
            else:
                model, specs, price = _peripheral(world, category, i, brand)
            pid = world.next_id("prd", 4)
            world.add("products", {
                "id": pid, "sku": f"{prefix}-{brand[:3].upper().replace(' ', '')}-{world.counters['prd']:04d}",
                "name": f"{brand} {model}", "brand": brand, "category": category, "price": money(price),
                "warranty_months": WARRANTY_MONTHS[category], "specs": specs,
                "description": None, "released_at": utc_text(random_moment(rng, eastern(2023, 1, 10), eastern(2025, 7, 30))),
                "discontinued": 0,
            })
            world.popularity[pid] = rng.choice([0.3, 0.6, 1.0, 1.0, 1.0, 1.5, 2.0, 3.0])
    _fill_bundles(world)
    _unique_names(world)
    _describe(world)
    _inventory(world)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def release_before_first_sale(world: World) -> None:
    """A product is released before anyone orders it or saves it in a build: one whose drawn release
    date falls after its first order (orders.created_at, else the order's first payment) or its first
    saved build (builds.created_at) is moved 10 to 75 days before that moment. Runs last, once every order exists, so that no step sees other dates than before (the
    planted orders already pick products released a week earlier); each moved date is drawn from its
    own product-seeded RNG, so the world's other draws do not move."""
    paid: dict[str, str] = {}
    for payment in world.rows("payments"):
        order_id, stamp = payment["order_id"], payment["created_at"]
        if stamp and (order_id not in paid or _parse(stamp) < _parse(paid[order_id])):
            paid[order_id] = stamp
    first_sale: dict[str, datetime] = {}
    for item in world.rows("order_items"):
        stamp = world.get(item["order_id"])["created_at"] or paid.get(item["order_id"])
        if stamp and (item["product_id"] not in first_sale or _parse(stamp) < first_sale[item["product_id"]]):
            first_sale[item["product_id"]] = _parse(stamp)
    for item in world.rows("build_items"):
        stamp = world.get(item["build_id"])["created_at"]
        if stamp and (item["product_id"] not in first_sale or _parse(stamp) < first_sale[item["product_id"]]):
            first_sale[item["product_id"]] = _parse(stamp)
    for product in world.rows("products"):
        sold = first_sale.get(product["id"])
        if sold and product["released_at"] and _parse(product["released_at"]) > sold:
            rng = random.Random(f"release:{product['id']}")
            product["released_at"] = utc_text(sold - timedelta(days=rng.randint(10, 75), seconds=rng.randint(0, 86399)))


def products_in(world: World, category: str) -> list[Row]:
    return [p for p in world.rows("products") if p["category"] == category]


def _fill_bundles(world: World) -> None:
    rng = world.rng
    names = ["Starter Gaming Kit", "Creator Upgrade Pack", "Streamer Desk Set", "Silent Build Kit",
             "Esports Peripheral Trio", "Small-Form Build Kit", "Storage Boost Pack", "Memory + Cooling Refresh"]
    for n, bundle in enumerate(products_in(world, "bundle")):
        cats = [["cpu", "motherboard", "memory"], ["gpu", "psu"], ["monitor", "headset", "keyboard"], ["case", "cooling", "psu"],
                ["keyboard", "mouse", "headset"], ["case", "motherboard", "psu"], ["storage", "storage"], ["memory", "cooling"]][n % 8]
        parts = [rng.choice(products_in(world, c))["id"] for c in cats]
        value = sum(float(world.get(p)["price"]) for p in parts)
        bundle["name"] = f"CoreCraft Studio {names[n % len(names)]}"
        bundle["specs"] = {"includes_product_ids": parts, "savings_pct": 8}
        bundle["price"] = money(value * 0.92)


REVISIONS = ["Rev. B", "Rev. C", "Rev. D", "Rev. E"]


def _unique_names(world: World) -> None:
    """Products drawn with the same name keep it for the first (lowest id); the later ones are marked as
    later revisions, so that customers and agents can tell them apart by name (no draw: nothing else moves)."""
    seen: dict[str, int] = {}
    for product in world.rows("products"):
        name = product["name"]
        if name in seen:
            product["name"] = f"{name} {REVISIONS[seen[name]]}"
            seen[name] += 1
        else:
            seen[name] = 0


def _describe(world: World) -> None:
    rng = world.rng
    for product in world.rows("products"):
        specs = product["specs"]
        facts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in list(specs.items())[:4])
        product["description"] = f"{product['name']} ({product['category']}). {facts}."
        if rng.random() < 0.05 and product["category"] not in ("cpu", "gpu", "bundle"):
            product["discontinued"] = 1


def _inventory(world: World) -> None:
    rng = world.rng
    for product in world.rows("products"):
        sold_out_everywhere = rng.random() < 0.05
        for warehouse in WAREHOUSES:
            zero = sold_out_everywhere or rng.random() < 0.1
            on_hand = 0 if zero else rng.randint(3, 120)
            reserved = 0 if zero else rng.randint(0, min(on_hand, 12))
            backorderable = 1 if (zero and rng.random() < 0.7) or rng.random() < 0.2 else 0
            eta = utc_text(NOW + timedelta(days=rng.randint(5, 40))) if zero and backorderable else None
            world.add("inventory", {
                "id": f"inv-{product['id']}-{warehouse}", "product_id": product["id"], "warehouse": warehouse,
                "on_hand": on_hand, "reserved": reserved, "backorderable": backorderable, "restock_eta": eta,
                "updated_at": utc_text(NOW - timedelta(hours=rng.randint(1, 24 * 20))),
            })


def build_rules(world: World) -> None:
    rules = [
        ("socket", "CPU socket matches motherboard", "error", "The CPU's socket must equal the motherboard's socket, and a CPU cooler must list that socket among its supported sockets.", {"cpu_field": "socket", "board_field": "socket", "cooler_field": "sockets"}),
        ("memory_type", "Memory generation matches motherboard", "error", "Every memory kit's memory_type (DDR4 or DDR5) must equal the motherboard's memory_type.", {"memory_field": "memory_type", "board_field": "memory_type"}),
        ("form_factor", "Motherboard fits the case", "error", "The motherboard's form_factor must be one of the case's supported_form_factors.", {"board_field": "form_factor", "case_field": "supported_form_factors"}),
        ("gpu_length", "Graphics card fits the case", "error", "Each GPU's length_mm must be at most the case's max_gpu_length_mm.", {"gpu_field": "length_mm", "case_field": "max_gpu_length_mm"}),
        ("cooler_height", "CPU cooler fits the case", "error", "The cooler's height_mm must be at most the case's max_cooler_height_mm.", {"cooler_field": "height_mm", "case_field": "max_cooler_height_mm"}),
        ("psu_wattage", "Power supply is strong enough", "error", "Error when the PSU's wattage is below the GPU's recommended_psu_w. Warning when the wattage is below the estimated draw (CPU tdp_w + GPU tdp_w + 75 W for the rest of the system) plus 20 % headroom.", {"gpu_field": "recommended_psu_w", "headroom_pct": 20, "base_system_w": 75, "warning_severity": "warning"}),
        ("memory_speed", "Memory speed within board support", "warning", "A memory kit rated above the motherboard's max_memory_speed_mhz works, but only at the board's maximum speed: a warning, not an error.", {"memory_field": "speed_mhz", "board_field": "max_memory_speed_mhz"}),
        ("memory_slots", "Enough memory slots", "error", "The total number of memory modules (modules per kit x quantity) must not exceed the motherboard's memory_slots.", {"memory_field": "modules", "board_field": "memory_slots"}),
        ("sata_ports", "Enough SATA ports", "error", "The number of SATA drives (storage with interface sata, times quantity) must not exceed the motherboard's sata_ports.", {"storage_interface": "sata", "board_field": "sata_ports"}),
        ("m2_slots", "Enough M.2 slots", "error", "The number of M.2 drives (storage with interface m2, times quantity) must not exceed the motherboard's m2_slots.", {"storage_interface": "m2", "board_field": "m2_slots"}),
    ]
    for kind, name, severity, description, params in rules:
        world.add("compatibility_rules", {"id": f"cmp-{kind}", "name": name, "check_kind": kind, "severity": severity, "description": description, "params": params})


def build_warranty_policies(world: World) -> None:
    common_exclusions = ["physical damage", "liquid damage", "unauthorised modification", "damage from overclocking or over-volting"]
    extra: dict[str, list[str]] = {
        "gpu": ["mining or other continuous compute use beyond rated duty"], "psu": ["use outside the rated input voltage"],
        "storage": ["wear beyond the rated write endurance (TBW)"], "cooling": ["coolant loss caused by a punctured or cut tube"],
        "monitor": ["up to 3 dead or stuck pixels (within panel specification)"], "cable": ["fraying from bending beyond the rated radius"],
    }
    for category, months in {**WARRANTY_MONTHS, "default": 12}.items():
        world.add("warranty_policies", {
            "id": f"wty-{category}", "category": category, "months": months,
            "coverage": f"Defects in materials and workmanship for {months} months from the delivery date (the purchase date if no delivery is recorded). Repair or replacement with the same or an equivalent model.",
            "exclusions": common_exclusions + extra.get(category, []),
            "claim_process": "Claims open only after the 30-day return window has ended. Confirm the customer, the order and the warranty status, ask whether the item has physical or liquid damage or was overclocked, then escalate with type warranty (product_management).",
        })
