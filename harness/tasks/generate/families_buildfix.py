"""Build-fix family: a customer's saved build fails a compatibility check (or only warns), and they ask
why and what to change. The verdict, the failing check and a replacement that clears it are computed
with the server's own rule code (mcp_server.tools.compatibility), so the reference agrees with the tool."""

from __future__ import annotations

import json
import random
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, allowed_staff, called, full_name, judge, money, no_writes, says
from harness.tasks.generate.families_builds import NO, YES
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.voices import Voice, one_of
from mcp_server.tools.compatibility import CHECKS, Checker, Issue, Part
from mcp_server.world.trap_types import ids_by_type, tag

# check kind -> (the category whose part the fix swaps, words that name that part)
SWAP: dict[str, tuple[str, list[str]]] = {
    "socket": ("motherboard", ["motherboard", "board", "CPU", "processor", "cooler"]),
    "memory_type": ("memory", ["memory", "RAM", "kit", "motherboard", "board"]),
    "form_factor": ("case", ["case", "motherboard", "board"]),
    "gpu_length": ("case", ["case", "GPU", "graphics card", "card"]),
    "cooler_height": ("cooling", ["cooler", "case"]),
    "psu_wattage": ("psu", ["PSU", "power supply"]),
    "memory_speed": ("memory", ["memory", "RAM", "kit"]),
    "memory_slots": ("memory", ["memory", "RAM", "kit", "modules", "motherboard", "board"]),
    "m2_slots": ("motherboard", ["motherboard", "board", "M.2", "drive", "SSD"]),
    "sata_ports": ("motherboard", ["motherboard", "board", "SATA", "drive"]),
}
CHECK_WORDS: dict[str, list[str]] = {
    "socket": ["socket"], "memory_type": ["DDR4", "DDR5", "memory type"], "form_factor": ["form factor", "ATX", "Micro-ATX", "Mini-ITX"],
    "gpu_length": ["too long", "length", "mm"], "cooler_height": ["too tall", "height", "mm"], "psu_wattage": ["W", "watts", "wattage"],
    "memory_speed": ["MHz", "speed"], "memory_slots": ["slots", "modules"], "m2_slots": ["M.2"], "sata_ports": ["SATA"],
}
WARNING_OK = ["only a warning", "just a warning", "is a warning", "a warning, not an error", "not an error", "still compatible",
              "is compatible", "will still work", "still works", "will work", "no errors", "does not block", "doesn't block"]


def run_checks(rules: list[dict[str, Any]], parts: list[Part]) -> list[Issue]:
    """Every issue the compatibility tool reports for these parts, through its own check functions."""
    by_category: dict[str, list[Part]] = {}
    for part in parts:
        by_category.setdefault(part.category, []).append(part)
    issues: list[Issue] = []
    for rule in rules:
        check = CHECKS.get(rule["check_kind"])
        if check is not None:
            checker = Checker(rule=rule, params=json.loads(rule["params"]), by_category=by_category)
            check(checker)
            issues.extend(checker.issues)
    return issues


def build_parts(world: World, build_id: str) -> list[Part]:
    rows = world.all("SELECT p.id, p.name, p.category, p.specs, SUM(bi.quantity) AS quantity FROM build_items bi "
                     "JOIN products p ON p.id = bi.product_id WHERE bi.build_id = ? GROUP BY p.id ORDER BY p.id", (build_id,))
    return [Part(r["id"], r["name"], r["category"], json.loads(r["specs"]), int(r["quantity"])) for r in rows]


def replacement(world: World, rules: list[dict[str, Any]], parts: list[Part], category: str, exclusions: Exclusions) -> tuple[Part, dict[str, Any]] | None:
    """The cheapest catalogue product of ``category`` that, swapped in, leaves the build with no error and no warning."""
    old = [p for p in parts if p.category == category]
    if len(old) != 1:
        return None
    rows = world.all("SELECT * FROM products WHERE category = ? AND discontinued = 0 AND id != ? ORDER BY price, id", (category, old[0].product_id))
    for row in rows:
        if not exclusions.allows(row["id"]):
            continue
        new = Part(row["id"], row["name"], row["category"], json.loads(row["specs"]), old[0].quantity)
        if not run_checks(rules, [new if p is old[0] else p for p in parts]):
            return old[0], row
    return None


CORES_ERROR = (
    "My saved build \"{build}\" fails the compatibility check. Why, and what should I change?",
    "Your site says my build {build_ref} isn't compatible. What's wrong with it and how do I fix it?",
    "I can't check out my build {build_ref}: something about compatibility. Which part is the problem?",
    "Can you look at my build {build_ref} and tell me what doesn't fit together? I'd like a part that works instead.",
    "The builder flags an error on {build_ref}. What is it and what would you swap?",
)
CORES_WARNING = (
    "My build {build_ref} shows a warning in the compatibility check. Does it matter, or do I have to change something?",
    "Is my saved build {build_ref} OK to order? The checker gave me a warning and I'm not sure what it means.",
    "The compatibility checker has a yellow warning on {build_ref}. Will the PC still work?",
    "Before I buy the parts for {build_ref}: the tool warns about something. Should I change a part?",
)
COLLEAGUE = (
    "{name} ({email}) says their build {build_ref} won't pass the compatibility check. Can you tell me what's wrong and what to suggest?",
    "Customer {email} asks about the compatibility result on their build {build_ref}. What's the problem, if any, and what should they change?",
)
IDENTIFY = ("My email is {email}.", "Account: {email}.", "{name}, {email}", "(I'm {name}, {email})")


def build_fix(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rules = world.all("SELECT * FROM compatibility_rules ORDER BY id")
    trapped = ids_by_type().get("incompatible_build", set())
    staff = [e["id"] for e in allowed_staff(world, exclusions)]
    builds = world.all("SELECT b.*, c.email, c.first_name, c.last_name FROM builds b JOIN customers c ON c.id = b.customer_id ORDER BY b.id")
    rng.shuffle(builds)
    builds.sort(key=lambda b: b["id"] not in trapped)  # planted instances first, so the cap keeps the tagged ones
    out: list[Instance] = []
    for build in builds:
        if not exclusions.allows(build["id"], build["customer_id"]):
            continue
        parts = build_parts(world, build["id"])  # its parts are catalogue items the task never names: not filtered
        issues = run_checks(rules, parts)
        if len(issues) != 1:
            continue  # passing builds are another family; several problems make the fix ambiguous
        issue = issues[0]
        swap = replacement(world, rules, parts, SWAP[issue.check_kind][0], exclusions)
        if issue.severity == "error" and swap is None:
            continue
        out.append(_instance(rng, staff, build, parts, issue, swap, build["id"] in trapped))
    return out


def _instance(rng: random.Random, staff: list[str], build: dict[str, Any], parts: list[Part], issue: Issue,
              swap: tuple[Part, dict[str, Any]] | None, trapped: bool) -> Instance:
    error = issue.severity == "error"
    customer = {"id": build["customer_id"], "email": build["email"], "first_name": build["first_name"], "last_name": build["last_name"]}
    with_id = rng.random() < 0.5
    fields = {"build": build["name"], "build_ref": f"{build['id']} ({build['name']})" if with_id else f"\"{build['name']}\"",
              "name": full_name(customer), "email": customer["email"]}
    voice = Voice.draw(rng, colleague_share=0.25 if staff else 0.0)
    if voice.colleague:
        core = one_of(rng, COLLEAGUE).format(**fields)
    else:
        ask, who = one_of(rng, CORES_ERROR if error else CORES_WARNING).format(**fields), one_of(rng, IDENTIFY).format(**fields)
        core = f"{ask} {who}" if rng.random() < 0.6 else f"{who} {ask}"
    prompt = voice.frame(rng, core)
    calls: list[dict[str, Any]] = [{"tool": "searchCustomers", "arguments": {"email": customer["email"]}},
                                   {"tool": "searchBuilds", "arguments": {"customer_id": customer["id"]}},
                                   {"tool": "validateBuildCompatibility", "arguments": {"build_id": build["id"]}}]
    if swap is not None:  # look the replacement up, as the reply quotes its name and price
        calls.append({"tool": "searchProducts", "arguments": {"category": swap[1]["category"], "max_price": swap[1]["price"]}})
        calls.append({"tool": "getProduct", "arguments": {"product_id": swap[1]["id"]}})
    kind = issue.check_kind.replace("_", " ")
    nouns = SWAP[issue.check_kind][1]
    fix = ""
    if swap is not None:
        old, new = swap
        fix = (f"Swapping the {old.name} for the {new['name']} ({new['id']}, {money(new['price'])}) clears it: "
               "with that part the build passes every check.")
    if error:
        reply = (f"Build {build['id']} is not compatible: the {kind} check fails with an error. The tool says: {issue.message}. {fix}")
        criteria = [says("verdict", "The reply says the build is not compatible as saved", says_any=NO, never_says=[*YES, "is compatible"])]
    else:
        reply = (f"Build {build['id']} is compatible: the {kind} check gives only a warning, not an error, so it will work. "
                 f"The tool says: {issue.message}. You don't have to change anything; {fix[0].lower() + fix[1:] if fix else 'it is your call.'}")
        criteria = [says("verdict", "The reply says the build is compatible and the warning does not block it", says_any=WARNING_OK,
                         never_says=[*NO, "is an error", "must change", "have to change", "need to replace", "must replace", "won't work"])]
    criteria += [
        says("names-check", f"The reply names the {kind} problem", kind="completeness", says_any=CHECK_WORDS[issue.check_kind]),
        called("ran-check", "The agent ran the compatibility check on the saved build", "validateBuildCompatibility",
               {"build_id": build["id"]}, succeeded=True),
        no_writes("no-writes", "Nothing was changed: the build is only checked"),
    ]
    if error:
        criteria.append(says("suggests-fix", "The reply says which part to change", kind="completeness", mentions_any=nouns))
        criteria.append(judge("fix-works", "The change the reply suggests would clear the failing check",
                              f"The failing check is {issue.check_kind}: {issue.message}. A correct fix replaces one of the parts it names "
                              "with one that satisfies the rule (the reference suggests "
                              f"{swap[1]['name'] if swap else 'a matching part'}); a fix that keeps the conflict fails.", ["tool_calls"]))

    def build_alt(v: Variety, index: int) -> str:
        swap_text = ""
        if swap is not None:
            swap_text = f"the {swap[1]['name']} ({swap[1]['id']}) in place of the {swap[0].name} passes every check"
        if error:
            if index == 0:
                return f"The compatibility check flags one error on {build['id']}, the {kind} rule: {issue.message}. So it won't work as saved; {swap_text}."
            return f"{swap_text[0].upper() + swap_text[1:]}. As saved, the build is incompatible because of the {kind} check ({issue.message})."
        if index == 0:
            return f"It's only a warning, not an error: {issue.message}. The build is still compatible and will work." + (
                f" If you want the warning gone, {swap_text}." if swap_text else "")
        return f"No errors on {build['id']}; the {kind} check gives just a warning ({issue.message}), so the build is compatible as it is."
    tags = ["builds", "compatibility"] + ([tag("incompatible_build")] if trapped else [])
    requester, requester_id = ("employee", rng.choice(staff)) if voice.colleague else ("customer", customer["id"])
    return Instance("reasoning", "hard" if error else "medium", requester, requester_id, prompt, calls, reply, criteria,
                    entities=[customer["id"], build["id"]], tags=tags, alternatives=variants(reply, build_alt))


FAMILIES = {
    "build-fix": (build_fix, 60),
}
