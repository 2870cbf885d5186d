"""Build family: will these parts work together? (CPU socket, board memory type and slots),
answered only after running the compatibility check."""

from __future__ import annotations

import json
import random
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, called, full_name, no_writes, pick, says

YES = r"(compatible|work together|will work|fits|good to go|no (compatibility )?(errors|issues|problems))"
NO = r"(not compatible|incompatible|won't work|will not work|doesn't fit|does not fit|mismatch|can't be used|cannot be used|won't fit|will not fit|not fit)"


def compat_check(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    def parts(category: str) -> list[dict[str, Any]]:
        rows = world.all("SELECT * FROM products WHERE category = ? ORDER BY id", (category,))
        for row in rows:
            row["spec"] = json.loads(row["specs"])
        return rows

    cpus, boards, rams = parts("cpu"), parts("motherboard"), parts("memory")
    customers = world.all("SELECT * FROM customers ORDER BY id")
    out: list[Instance] = []
    for _ in range(2000):
        cpu, board, ram = cpus[rng.randrange(len(cpus))], boards[rng.randrange(len(boards))], rams[rng.randrange(len(rams))]
        if rng.random() < 0.5:  # half the questions pair a matching board, so both verdicts are common
            same = [b for b in boards if b["spec"].get("socket") == cpu["spec"].get("socket")]
            board = same[rng.randrange(len(same))] if same else board
        cs, bs, rs = cpu["spec"], board["spec"], ram["spec"]
        if not all(k in cs for k in ("socket",)) or not all(k in bs for k in ("socket", "memory_type", "memory_slots")) or "memory_type" not in rs:
            continue
        problems = []
        if cs["socket"] != bs["socket"]:
            problems.append(("socket", [cs["socket"], bs["socket"], "socket"]))
        if rs["memory_type"] != bs["memory_type"]:
            problems.append(("memory_type", [rs["memory_type"], bs["memory_type"]]))
        if rs.get("modules", 1) > bs["memory_slots"]:
            problems.append(("memory_slots", ["slot"]))
        customer = customers[rng.randrange(len(customers))]
        if not exclusions.allows(customer["id"], cpu["id"], board["id"], ram["id"]):
            continue
        ids = [cpu["id"], board["id"], ram["id"]]
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} ({customer['email']}). I'm planning a build with the {cpu['name']}, the {board['name']} and {ram['name']}. Will these work together?",
            f"Before I order: is the {cpu['name']} compatible with the {board['name']}, and can I use the {ram['name']} on that board? - {full_name(customer)}",
            f"Quick compatibility question: {cpu['name']} + {board['name']} + {ram['name']}. Any problems? My account email is {customer['email']}.",
        ])
        calls = [{"tool": "searchProducts", "arguments": {"query": p["name"]}} for p in (cpu, board, ram)]
        calls.append({"tool": "validateBuildCompatibility", "arguments": {"product_ids": ids}})
        criteria = [
            called("ran-check", "The agent ran the compatibility check on these parts", "validateBuildCompatibility", {}, succeeded=True),
            no_writes("no-build-created", "No build or other record was created or changed"),
        ]
        if problems:
            words = {"socket": f"the CPU's {cs['socket']} socket does not match the board's {bs['socket']}",
                     "memory_type": f"the memory is {rs['memory_type']} but the board takes {bs['memory_type']}",
                     "memory_slots": f"the kit has {rs.get('modules')} modules but the board has {bs['memory_slots']} slots"}
            reply = "These parts are not compatible: " + "; ".join(words[k] for k, _ in problems) + ". I checked them with the compatibility tool."
            criteria.insert(0, says("verdict", "The reply says the parts are not compatible", pattern=NO))
            for kind, keys in problems:
                criteria.append(says(f"names-{kind.replace('_', '-')}", f"The reply names the failing {kind.replace('_', ' ')} rule", contains_any=keys))
            difficulty = "medium" if len(problems) == 1 else "hard"
        else:
            reply = (f"Yes, they are compatible: the {cpu['name']} and the {board['name']} share the {cs['socket']} socket, and the {ram['name']} "
                     f"is {rs['memory_type']}, which the board takes. The compatibility check found no errors.")
            criteria.insert(0, says("verdict", "The reply says the parts are compatible", pattern=YES, not_pattern=NO))
            criteria.append(says("names-socket", "The reply names the shared socket", contains_all=[cs["socket"]], kind="completeness"))
            difficulty = "easy"
        out.append(Instance("reasoning", difficulty, "customer", customer["id"], prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], *ids], tags=["compatibility", "builds"]))
    return out


FAMILIES = {
    "compat-check": (compat_check, 120),
}
