"""Knowledge-base families: answering from the current article (product known issues, BIOS, cooler mounting, PSU
fan noise), and memory rated above the board's maximum, whose deprecated predecessor gives the opposite advice."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, allowed_customers, called, full_name, identify_calls, no_writes, num, pick, says,
)
from harness.tasks.generate.phrasing import compose, customer_ask, identity, variants
from mcp_server.world.trap_types import ids_by_type, tag

SYMPTOM = {
    "coil": ["it makes a high-pitched whine when I'm gaming", "there's a buzzing, whining noise from the card under load"],
    "bios": ["I want to put one of the newest CPUs in it, is there anything I need to do first?",
             "a friend said I may need a BIOS update before using a new CPU with it, is that right?"],
    "mount": ["which sockets does it fit and how tall is it? I want to be sure it goes in my case",
              "before I install it: what sockets does it support and what's its height?"],
    "fan": ["the fan never seems to spin, is it broken?", "it clicks when I switch the PC on and the fan often stays still; is that normal?"],
}


RAW_DATA = r'"[a-z_]+"\s*:'  # a JSON key: tool output pasted as the reply
DEFECT = ["not normal", "is a defect", "it's a defect", "is defective", "is faulty", "is broken", "faulty unit", "defective unit"]
NO_UPDATE = ["not need", "no need", "no update", "not necessary", "not required", "out of the box"]


def raw_data(cid: str = "readable") -> dict[str, Any]:
    return says(cid, "The reply is written for the customer, not pasted tool output", kind="format", not_pattern=RAW_DATA)


def _fact(kind: str, body: str) -> dict[str, Any] | None:
    """The article's key facts for one kind of article, or None when the body does not state them."""
    if kind == "coil":
        return {}
    if kind == "bios":
        found = re.search(r"BIOS version ([\d.]+) or later for the newest CPUs on socket (\S+)\.", body)
        return {"version": found.group(1), "socket": found.group(2)} if found else None
    if kind == "mount":
        found = re.search(r"Supported sockets: ([^.]+)\. Height (\d+) mm", body)
        return {"sockets": [s.strip() for s in found.group(1).split(",")], "height": int(found.group(2))} if found else None
    found = re.search(r"runs its fan only above (\d+) % load", body)
    return {"load": int(found.group(1))} if found else None


def _kb_answer(kind: str, fact: dict[str, Any], product: str, article: dict[str, Any]) -> tuple[list[dict[str, Any]], str, list[str]]:
    source = f"(Source: our knowledge-base article {article['id']}, \"{article['title']}\".)"
    if kind == "coil":
        body = "It is normal under heavy load. Capping the frame rate reduces it. Only a loud whine at idle would point to a defect."
        criteria = [says("key-fact", "The reply suggests capping the frame rate", says_any=["frame rate", "framerate", "fps", "frame cap"], kind="completeness"),
                    says("normal", "The reply says the whine under load is normal, not a defect", says_any=["normal", "not a defect", "expected", "harmless"],
                         never_says=DEFECT)]
        alts = ["A faint whine under heavy load is expected with this card, so it's normal and not a fault; capping your frame rate will reduce it. "
                "Only a loud whine at idle would point to a defect.",
                "Capping the FPS in your games usually calms it down. That coil whine under load is harmless, not a defect; if it were loud while idle, we'd look at it as a fault."]
    elif kind == "bios":
        body = (f"You will need BIOS version {fact['version']} or later for the newest {fact['socket']} CPUs. Update the BIOS with a USB stick "
                "through the flashback port before you install the new CPU.")
        criteria = [says("key-fact", f"The reply says the board needs BIOS version {fact['version']} or later for the newest CPUs",
                         numbers=[num(float(fact["version"]))], never_says=NO_UPDATE),
                    says("flashback", "The reply says how to update (USB stick / flashback port)", says_any=["flashback", "usb"], kind="completeness")]
        alts = [f"Yes: update the BIOS first. The newest {fact['socket']} CPUs need version {fact['version']} or later; flash it from a USB stick using the flashback port.",
                f"Before fitting one of the newest {fact['socket']} processors, the board needs BIOS {fact['version']} or newer. You can flash it with a USB stick through the BIOS flashback port."]
    elif kind == "mount":
        sockets = ", ".join(fact["sockets"])
        body = (f"It is compatible with the {sockets} sockets. It is {fact['height']} mm tall, so check your case's cooler clearance first.")
        criteria = [says("key-fact", "The reply gives the supported sockets and the height", kind="completeness", numbers=[num(fact["height"])], says_all=fact["sockets"]),
                    says("fits", "The reply says the cooler supports those sockets", says_any=["compatible", "supports", "support", "fits", "works with"],
                         never_says=["not compatible", "incompatible", "not supported", "does not support", "does not fit", "will not fit"]),
                    says("clearance", "The reply tells the customer to check the case's cooler clearance", says_any=["clearance", "fit in your case", "fits your case", "case"],
                         kind="completeness")]
        alts = [f"It supports {sockets}. Height is {fact['height']} mm, so make sure your case has that much CPU cooler clearance.",
                f"Height: {fact['height']} millimetres, so measure your case's cooler clearance. Socket support: {sockets}."]
    else:
        body = (f"This is normal. The fan only runs above {fact['load']}% load, and the click at start-up is the fan relay.")
        criteria = [says("key-fact", f"The reply says the fan only runs above {fact['load']}% load", numbers=[num(fact["load"])], kind="completeness"),
                    says("normal", "The reply says the behaviour is normal (not a defect)", says_any=["normal", "not a defect", "expected", "by design", "nothing wrong", "nothing is wrong"],
                         never_says=DEFECT)]
        alts = [f"Nothing is wrong with it: the fan is designed to stay off until the load passes {fact['load']}%, and the start-up click is the fan relay.",
                f"The start-up click comes from the fan relay and the fan stays still below {fact['load']} percent load. Both are normal for this unit."]
    reply = f"Thanks for asking about your {product}. {body} {source}"
    return [*criteria, raw_data()], reply, [f"{a} ({article['id']})" if i == 0 else a for i, a in enumerate(alts)]


def kb_answer(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    articles = world.all("SELECT * FROM kb_articles WHERE deprecated = 0 AND (title LIKE 'Known issue: coil whine%' OR title LIKE 'BIOS update for%' "
                         "OR title LIKE 'Mounting the%' OR title LIKE 'Fan noise on%') ORDER BY id")
    out: list[Instance] = []
    for article in articles:
        products = json.loads(article["product_ids"])
        if len(products) != 1 or not exclusions.allows(article["id"], products[0]):
            continue
        kind = ("coil" if "coil whine" in article["title"] else "bios" if article["title"].startswith("BIOS") else
                "mount" if article["title"].startswith("Mounting") else "fan")
        fact = _fact(kind, article["body"])
        if fact is None:
            continue
        product = world.one("SELECT * FROM products WHERE id = ?", (products[0],))
        assert product is not None
        buyers = world.all("SELECT DISTINCT o.customer_id, o.id AS order_id FROM orders o JOIN order_items i ON i.order_id = o.id "
                           "WHERE i.product_id = ? AND o.status IN ('fulfilled', 'paid') ORDER BY o.id", (product["id"],))
        buyers = [b for b in buyers if exclusions.allows(b["customer_id"], b["order_id"])]
        rng.shuffle(buyers)
        trap_tags = [tag("deprecated_kb")] if article["id"] in ids_by_type()["deprecated_kb"] else []
        for buyer in buyers[:10]:
            customer = world.customer(buyer["customer_id"])
            symptom = rng.choice(SYMPTOM[kind])
            about = pick(rng, ["I bought the {p} from you; {s}", "Question about my {p} (order {o}): {s}", "About the {p}: {s}",
                               "My {p} from order {o}: {s}", "I have the {p}. {S}", "So I got the {p} from you recently, and {s}",
                               "Re the {p} I ordered: {s}", "{S} This is about the {p}."]).format(
                p=product["name"], o=buyer["order_id"], s=symptom, S=symptom[0].upper() + symptom[1:])
            prompt = customer_ask(rng, customer, about)
            calls = [*identify_calls(customer), {"tool": "searchProducts", "arguments": {"query": product["name"]}},
                     {"tool": "searchKnowledgeBase", "arguments": {"product_id": product["id"], "include_body": True}}]
            criteria, reply, alternatives = _kb_answer(kind, fact, product["name"], article)
            criteria.insert(1, called("searched-kb", "The agent looked the answer up in the knowledge base", "searchKnowledgeBase", {}, succeeded=True))
            criteria.append(no_writes())
            out.append(Instance("communication", "easy" if kind != "mount" else "medium", "customer", customer["id"], prompt, calls, reply, criteria,
                                entities=[customer["id"], product["id"], article["id"]], tags=["knowledge-base", f"kb-{kind}", *trap_tags],
                                alternatives=alternatives))
    rng.shuffle(out)
    return out


def memory_speed(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    current = world.one("SELECT * FROM kb_articles WHERE title = 'Memory speed above the board maximum (a warning)' AND deprecated = 0")
    stale = world.one("SELECT * FROM kb_articles WHERE superseded_by = ?", (current["id"],)) if current else None
    if current is None or stale is None or not exclusions.allows(current["id"], stale["id"]):
        return []
    rams = [dict(p, spec=json.loads(p["specs"])) for p in world.all("SELECT * FROM products WHERE category = 'memory' AND discontinued = 0 ORDER BY id")]
    boards = [dict(p, spec=json.loads(p["specs"])) for p in world.all("SELECT * FROM products WHERE category = 'motherboard' AND discontinued = 0 ORDER BY id")]
    pairs = [(r, b) for r in rams for b in boards if r["spec"].get("memory_type") == b["spec"].get("memory_type")
             and r["spec"].get("speed_mhz", 0) > b["spec"].get("max_memory_speed_mhz", 10**6)
             and r["spec"].get("modules", 1) <= b["spec"].get("memory_slots", 0) and exclusions.allows(r["id"], b["id"])]
    rng.shuffle(pairs)
    customers = allowed_customers(world, exclusions)
    out: list[Instance] = []
    trap_tags = [tag("deprecated_kb")] if ids_by_type()["deprecated_kb"] & {current["id"], stale["id"]} else []
    for ram, board in pairs:
        customer = customers[rng.randrange(len(customers))]
        speed, limit = ram["spec"]["speed_mhz"], board["spec"]["max_memory_speed_mhz"]
        core = pick(rng, [
            "I read somewhere that memory faster than the motherboard supports is incompatible. I want the {r} on the {b}; will that work or do I need a slower kit?",
            "Is the {r} ({v} MHz) OK on the {b}? I think the board tops out lower. Should I buy something slower?",
            "Will the {r} work in the {b}, or is it too fast for the board?",
            "My {b} lists a lower max memory speed than the {r} is rated for. Is that kit incompatible, or will it still run?",
            "Someone on a forum says the {r} won't work with the {b} because it's rated {v} MHz. True? Do I need a slower kit?",
            "Planning to pair the {r} with the {b}. Does the memory speed being above the board's limit matter?",
            "Can I run the {r} on a {b}, or should I return it for slower RAM?",
            "Do I need slower memory than the {r} for the {b}? The speeds don't match.",
        ]).format(r=ram["name"], b=board["name"], v=speed)
        intro, signature = identity(rng, full_name(customer), customer["email"])
        if rng.random() < 0.3:  # many ask without giving their account at all (the answer needs none)
            intro, signature = "", pick(rng, ["", full_name(customer), f"- {full_name(customer)}"])
        prompt = compose(rng, core, intro=intro, signature=signature)
        calls = [{"tool": "searchProducts", "arguments": {"query": ram["name"]}}, {"tool": "searchProducts", "arguments": {"query": board["name"]}},
                 {"tool": "validateBuildCompatibility", "arguments": {"product_ids": [ram["id"], board["id"]]}},
                 {"tool": "searchKnowledgeBase", "arguments": {"query": "memory speed", "include_body": True}}]
        reply = (f"Yes, it will work: the {ram['name']} is rated {speed} MHz and the {board['name']} supports up to {limit} MHz, so the kit simply "
                 f"runs at {limit} MHz. It is a warning, not an incompatibility, so there's no need to buy a slower kit (per our current article "
                 f"{current['id']}; an older article that said otherwise has been withdrawn).")
        criteria = [
            says("works", "The reply says the kit works on the board (a warning, not an incompatibility)",
                 says_any=["will work", "works", "it's fine", "is fine", "no need", "can use", "will run", "runs at", "compatible"],
                 never_says=["not compatible", "incompatible", "will not work", "need a slower", "should buy a slower", "must buy a slower",
                             "buy a slower kit", "get a slower kit"]),
            says("board-speed", f"The reply says it runs at the board's maximum of {limit} MHz (not its rated {speed} MHz)", numbers=[num(limit)],
                 never_says=[f"runs at {speed}", f"run at {speed}", f"running at {speed}", "full rated speed", "its rated speed"]),
            says("no-stale-article", f"The reply does not cite the deprecated article {stale['id']} as guidance", kind="constraint", never_says=[stale["id"]]),
            called("checked", "The agent ran the compatibility check on the two parts", "validateBuildCompatibility", {}, succeeded=True),
            raw_data(),
            no_writes(),
        ]
        alternatives = variants(reply, lambda v, index: (
            f"You can use the {ram['name']} on the {board['name']}. The board tops out at {limit} MHz, so the {speed} MHz kit "
            f"will run at {limit} MHz: the compatibility check only gives a warning, and there's no need for a slower kit."
            if index == 0 else
            f"No need to buy anything slower. Memory rated above the board's maximum still works; it just runs at the board's {limit} MHz limit "
            f"instead of {speed} MHz. The pair is compatible (a warning, not an error), per {current['id']}."))
        out.append(Instance("communication", "medium", "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], ram["id"], board["id"], current["id"], *([stale["id"]] if trap_tags else [])],
                            tags=["knowledge-base", "deprecated-kb", "compatibility", *trap_tags],
                            alternatives=alternatives))
    return out


FAMILIES = {
    "kb-answer": (kb_answer, 150),
    "memory-speed-kb": (memory_speed, 80),
}
