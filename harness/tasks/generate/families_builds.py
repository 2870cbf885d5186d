"""Build family: will these parts work together? (CPU socket, board memory type and slots),
answered only after running the compatibility check."""

from __future__ import annotations

import json
import random
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, called, full_name, no_writes, pick, says
from harness.tasks.generate.phrasing import Variety, compose, identity, variants
from mcp_server.world.trap_types import ids_by_type, tag

YES = ["are compatible", "is compatible", "they're compatible", "fully compatible", "compatible with each other", "work together",
       "will work", "no compatibility errors", "no errors", "no compatibility issues", "no compatibility problems", "good to go"]
NO = ["not compatible", "incompatible", "won't work", "not work together", "doesn't fit", "won't fit", "mismatch", "can't be used",
      "don't match", "doesn't match"]


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
        prompt = _compat_prompt(rng, customer, cpu["name"], board["name"], ram["name"])
        trap_tags = [tag("incompatible_build")] if problems and ids_by_type()["incompatible_build"] & {cpu["id"], board["id"], ram["id"]} else []
        calls = [{"tool": "searchProducts", "arguments": {"query": p["name"]}} for p in (cpu, board, ram)]
        calls.append({"tool": "validateBuildCompatibility", "arguments": {"product_ids": ids}})
        criteria = [
            called("ran-check", "The agent ran the compatibility check on these parts", "validateBuildCompatibility", {}, succeeded=True),
            no_writes("no-build-created", "No build or other record was created or changed"),
        ]
        names = {"cpu": cpu["name"], "board": board["name"], "ram": ram["name"]}
        if problems:
            words = {"socket": f"the CPU's {cs['socket']} socket does not match the board's {bs['socket']}",
                     "memory_type": f"the memory is {rs['memory_type']} but the board takes {bs['memory_type']}",
                     "memory_slots": f"the kit has {rs.get('modules')} modules but the board has {bs['memory_slots']} slots"}
            reply = "These parts are not compatible: " + "; ".join(words[k] for k, _ in problems) + ". I checked them with the compatibility tool."
            criteria.insert(0, says("verdict", "The reply says the parts are not compatible", says_any=NO, never_says=[*YES, "compatible"]))
            for kind, keys in problems:
                criteria.append(says(f"names-{kind.replace('_', '-')}", f"The reply names the failing {kind.replace('_', ' ')} rule",
                                     says_any=keys + (["slots"] if kind == "memory_slots" else []), kind="completeness"))
            difficulty = "medium" if len(problems) == 1 else "hard"
        else:
            reply = (f"Yes, they are compatible: the {cpu['name']} and the {board['name']} share the {cs['socket']} socket, and the {ram['name']} "
                     f"is {rs['memory_type']}, which the board takes. The compatibility check found no errors.")
            criteria.insert(0, says("verdict", "The reply says the parts are compatible", says_any=YES, never_says=NO))
            criteria.append(says("names-socket", "The reply names the shared socket", says_all=[cs["socket"]], kind="completeness"))
            difficulty = "easy"
        alternatives = variants(reply, lambda v, index: _compat_variant(v, index, names, cs, bs, rs, [k for k, _ in problems]))
        out.append(Instance("reasoning", difficulty, "customer", customer["id"], prompt, calls, reply, criteria[:8],
                            entities=[customer["id"], *ids], tags=["compatibility", "builds", *trap_tags], alternatives=alternatives))
    return out


COMPAT_ASKS = (
    "I'm planning a build with the {c}, the {b} and {r}. Will these work together?",
    "Before I order: is the {c} compatible with the {b}, and can I use the {r} on that board?",
    "Quick compatibility question: {c} + {b} + {r}. Any problems?",
    "Would the {c} and {r} both work on a {b}?",
    "Thinking of pairing the {b} with the {c} and the {r}. Is that a valid combo?",
    "Can you check whether {c}, {b} and {r} are compatible with each other?",
    "My cart has the {c}, the {b} and the {r}. Do they all fit together before I check out?",
    "Is there any compatibility issue with the {r} and {c} on the {b}?",
    "Parts list: CPU {c}, motherboard {b}, memory {r}. Will it work?",
    "I want to upgrade to the {b}. Will my {c} and {r} work on it?",
)


def _compat_prompt(rng: random.Random, customer: dict[str, Any], cpu: str, board: str, ram: str) -> str:
    core = pick(rng, COMPAT_ASKS).format(c=cpu, b=board, r=ram)
    intro, signature = identity(rng, full_name(customer), customer["email"])
    if rng.random() < 0.35:  # the answer needs no account, so many write without one
        intro, signature = "", pick(rng, ["", "", full_name(customer), f"- {full_name(customer)}"])
    return compose(rng, core, intro=intro, signature=signature)


def _compat_variant(v: Variety, index: int, names: dict[str, str], cs: dict[str, Any], bs: dict[str, Any], rs: dict[str, Any],
                    problems: list[str]) -> str:
    if not problems:
        if index == 0:
            return (f"The {names['cpu']} and {names['board']} both use the {cs['socket']} socket and the board takes {rs['memory_type']}, "
                    f"which is what the {names['ram']} is, so all three work together. The compatibility check reported no errors.")
        return (f"Good news: no compatibility errors. CPU and motherboard share {cs['socket']}, and the {names['ram']} ({rs['memory_type']}) "
                f"suits the board's {bs['memory_type']} slots.")
    found = {"socket": f"the {names['cpu']} uses {cs['socket']} while the board has {bs['socket']}",
             "memory_type": f"the kit is {rs['memory_type']} and the board needs {bs['memory_type']}",
             "memory_slots": f"the kit has {rs.get('modules')} modules for only {bs['memory_slots']} slots"}
    listed = "; ".join(found[p] for p in problems)
    if index == 0:
        return f"No, this combination won't work: {listed}."
    count = "one problem" if len(problems) == 1 else f"{len(problems)} problems"
    return f"The compatibility check flags {count}: {listed}. So the parts are incompatible as chosen."


FAMILIES = {
    "compat-check": (compat_check, 120),
}
