"""slack-claim-check: "I saw in #channel that ..., is that right?" about a post the trap manifest lists as
misleading. What the post misdescribes decides where the truth is read: an order's shipment, a product's
warranty months, a customer's loyalty tier, a compatibility rule's severity, a deprecated KB article's
replacement, or a company policy. Promotion posts are left to the promotion families (no tool lists codes)."""

from __future__ import annotations

import random
import re
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, allowed_staff, called, judge, no_writes, says
from harness.tasks.generate.families_brands import _term
from harness.tasks.generate.families_kbtrap import _figures, _search, advice
from harness.tasks.generate.families_trapkit import trap_tags
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.voices import Voice, one_of
from mcp_server.world.trap_types import load_manifest

NOT_RIGHT = ["not right", "not correct", "incorrect", "not accurate", "inaccurate", "wrong", "not true", "outdated", "mistaken", "misleading"]
RIGHT = ["is right", "is correct", "is accurate", "is true", "that is right", "not wrong", "not incorrect", "not misleading", "still applies",
         "you can go with it", "can rely on it"]
SHIPMENT_WORDS: dict[str, list[str]] = {
    "delivered": ["delivered"], "in_transit": ["in transit", "on its way"], "lost": ["lost"], "exception": ["exception", "delivery problem"],
    "label_created": ["label created", "not shipped", "has not shipped"], "out_for_delivery": ["out for delivery"],
}
CORES = (
    "I saw in #{channel} that \"{text}\" Is that right?",
    "{author} posted in #{channel}: \"{text}\" Can I go with that?",
    "Someone wrote this in #{channel}: \"{text}\" Is it accurate?",
    "Quick check on a post in #{channel} ({msg}): \"{text}\" True or not?",
    "There's a message in #{channel} saying \"{text}\" Before I act on it, is it correct?",
    "Is this right? From #{channel}: \"{text}\"",
)


def slack_claim_check(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    colleagues = allowed_staff(world, exclusions)
    planted = [m for m in load_manifest() if m.type == "misleading_slack"]
    rng.shuffle(planted)
    out: list[Instance] = []
    for item in planted:
        message = world.one("SELECT m.*, c.name AS channel, e.name AS author_name FROM slack_messages m JOIN slack_channels c ON c.id = m.channel_id "
                            "LEFT JOIN employees e ON e.id = m.author_id WHERE m.id = ?", (item.ids[0],))
        if message is None or not colleagues or not exclusions.allows(*item.ids):
            continue
        truth = _truth(world, message, item.ids[1:])
        if truth is not None:
            out.append(_instance(rng, colleagues, message, item.ids, *truth))
    return out


Truth = tuple[list[dict[str, Any]], str, list[dict[str, Any]], str]  # (calls, fact sentence, fact criteria, alternative fact)


def _truth(world: World, message: dict[str, Any], ids: tuple[str, ...]) -> Truth | None:
    """Where the post is wrong, read from the records: None for posts this family does not handle."""
    first = ids[0] if ids else ""
    text = message["text"]
    if first.startswith("ord-"):
        return _shipment(world, first)
    if first.startswith("prd-"):
        product = world.one("SELECT * FROM products WHERE id = ?", (first,))
        claimed = re.search(r"(\d+)-month", text)
        if product is None or claimed is None or int(claimed.group(1)) == product["warranty_months"]:
            return None
        months = int(product["warranty_months"])
        return ([{"tool": "getProduct", "arguments": {"product_id": first}}],
                f"The {product['name']} ({first}) carries a {months}-month warranty, as the catalogue says",
                [says("fact", f"The reply gives the product's warranty, {months} months", says_any=_term(months), never_says=_term(int(claimed.group(1))))],
                f"the catalogue gives the {product['name']} {months} months of warranty")
    if first.startswith("tkt-") and len(ids) > 1 and ids[1].startswith("cus-"):
        tier = world.value("SELECT loyalty_tier FROM customers WHERE id = ?", (ids[1],))
        claimed = next((t for t in ("platinum", "gold", "silver") if t in text.lower()), None)
        if tier is None or claimed is None or claimed == tier:
            return None
        name = "no loyalty tier (standard)" if tier == "none" else f"the {tier} tier"
        ways = (lambda t: [f"{t} customer", f"{t} tier", f"is {t}", f"{t} member"])
        right = ways(tier) if tier != "none" else ["no loyalty tier", "standard tier", "standard customer", "not in a loyalty tier", "tier none"]
        return ([{"tool": "searchTickets", "arguments": {"ticket_id": first}}, {"tool": "searchCustomers", "arguments": {"customer_id": ids[1]}}],
                f"The customer on {first} ({ids[1]}) is on {name}, not platinum",
                [says("fact", f"The reply gives the customer's real tier ({tier})", says_any=right, never_says=ways(claimed))],
                f"{first}'s customer has {name}")
    if first.startswith("cmp-"):
        rule = world.one("SELECT * FROM compatibility_rules WHERE id = ?", (first,))
        if rule is None:
            return None
        kind = rule["check_kind"].replace("_", " ")
        if rule["severity"] == "error":
            right, wrong = ["an error", "is an error", "a compatibility error", "fails the check", "incompatible", "not compatible"], \
                ["only a warning", "just a warning", "is a warning", "still pass", "still passes", "not an error", "is fine"]
        else:
            right, wrong = ["a warning", "only a warning", "just a warning", "still works", "will work"], \
                ["is an error", "a compatibility error", "incompatible", "not compatible", "not a warning"]
        return ([{"tool": "searchKnowledgeBase", "arguments": {"tag": "builds", "source": "policy"}}],
                f"A {kind} problem is {'an error' if rule['severity'] == 'error' else 'a warning'} in the compatibility check",
                [says("fact", f"The reply gives the {kind} check's severity ({rule['severity']})", says_any=right, never_says=wrong)],
                f"the {kind} check reports {'an error' if rule['severity'] == 'error' else 'only a warning'}")
    if first.startswith("kb-") and len(ids) > 1:
        old, new = (world.one("SELECT * FROM kb_articles WHERE id = ?", (i,)) for i in ids[:2])
        search = _search(world, old, new) if old and new and old["deprecated"] else None
        if search is None or new is None:
            return None
        return ([{"tool": "searchKnowledgeBase", "arguments": search}],
                f"{old['id']} is deprecated; the current article is {new['id']} (\"{new['title']}\"), which is the one to link",
                [says("fact", f"The reply points to the current article {new['id']}", says_any=[new["id"]],
                      never_says=[f"keep linking {old['id']}", f"link {old['id']}", f"use {old['id']}", f"{old['id']} is current"])],
                f"{new['id']} replaced {old['id']}, so link {new['id']}")
    if first.startswith("pol-"):
        policy = world.one("SELECT * FROM company_policies WHERE id = ?", (first,))
        if policy is None:
            return None
        stale = sorted(_figures(text) - _figures(policy["body"]))
        facts = [judge("fact", "The reply explains what the policy actually says on this point",
                       f"The post says: {text} The policy {first} (\"{policy['title']}\") says: {policy['body']} "
                       "A reply that endorses the post, or misstates the policy, fails.")]
        facts.append(says("cites", f"The reply points to the {policy['title']} policy", kind="completeness",
                          mentions_any=[first, policy["title"], f"{policy['topic']} policy"]))
        if stale:
            facts.append(says("no-stale", "The reply does not repeat the post's figures as policy", kind="constraint", never_says=stale))
        return ([{"tool": "searchKnowledgeBase", "arguments": {"tag": policy["topic"], "source": "policy"}}],
                f"Our {policy['title']} policy ({first}) says: {advice({'body': policy['body']}).rstrip('.')}",
                facts, f"the {policy['title']} policy ({first}) applies as written: {policy['body']}")
    return None


def _shipment(world: World, order_id: str) -> Truth | None:
    order = world.one("SELECT * FROM orders WHERE id = ?", (order_id,))
    shipment = world.one("SELECT * FROM shipments WHERE order_id = ? ORDER BY id DESC", (order_id,))
    if order is None or shipment is None or shipment["status"] not in SHIPMENT_WORDS:
        return None
    status = shipment["status"]
    words = SHIPMENT_WORDS[status]
    others = sorted({w for s, ws in SHIPMENT_WORDS.items() if s != status for w in ws} | {"cancelled", "paid back", "refunded in full"})
    others = [w for w in others if not any(w in mine for mine in words)]
    label = status.replace("_", " ")
    return ([{"tool": "getOrderDetails", "arguments": {"order_id": order_id}}, {"tool": "searchShipments", "arguments": {"order_id": order_id}}],
            f"Order {order_id} is {order['status'].replace('_', ' ')} and its shipment {shipment['id']} is {words[0]} "
            f"(tracking {shipment['tracking_number']}, {shipment['carrier']})",
            [says("fact", f"The reply gives the shipment's real status ({label})", says_any=words, never_says=others)],
            f"the records show shipment {shipment['id']} for {order_id} as {words[-1]}")


def _instance(rng: random.Random, colleagues: list[dict[str, Any]], message: dict[str, Any], ids: tuple[str, ...],
              calls: list[dict[str, Any]], fact: str, facts: list[dict[str, Any]], alt_fact: str) -> Instance:
    voice = Voice.draw(rng, colleague_share=1.0)
    text = " ".join(message["text"].replace("\"", "'").split())
    channel = message["channel"] if not message["channel"].startswith("kb-") else "kb updates"  # "kb-updates" reads as an article id
    core = one_of(rng, CORES).format(channel=channel, text=text, author=message["author_name"] or "Someone", msg=message["id"])
    prompt = voice.frame(rng, core)
    reply = f"That is not correct: the post in #{channel} ({message['id']}) is wrong. {fact}. The records and policy win over a Slack post."
    criteria = [
        says("verdict", "The reply says the post is not right", says_any=NOT_RIGHT, never_says=RIGHT),
        *facts,
        called("checked", "The agent checked the records or policy rather than trusting the post", calls[-1]["tool"], {}, succeeded=True),
        no_writes("no-writes", "Nothing was changed on the strength of the post"),
    ]

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return f"{v.pick(['No', 'Not quite'])}: {alt_fact}. So the post ({message['id']}) is {v.pick(['wrong', 'incorrect', 'inaccurate'])}."
        return f"The message in #{channel} is {v.pick(['wrong', 'not accurate', 'misleading'])}. {fact}."
    tags = ["slack", "misleading-slack", *trap_tags("misleading_slack", *ids)]
    named = [i for i in ids if i.split("-")[0] in ("msg", "ord", "shp", "prd", "tkt", "cus", "kb")]
    return Instance("reasoning", "medium", "employee", rng.choice(colleagues)["id"], prompt, calls, reply, criteria,
                    entities=named, tags=tags, alternatives=variants(reply, build))
