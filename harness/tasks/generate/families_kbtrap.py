"""Deprecated-KB family: someone asks about a topic whose knowledge-base search returns both a deprecated
article and its current replacement (often quoting the deprecated advice as their premise). The right
answer follows the current article, cites its id, and does not give the deprecated one as the source.
The pairs, their text and the figures the old advice got wrong are all read from kb_articles."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, allowed_customers, allowed_staff, called, judge, no_writes, says
from harness.tasks.generate.families_trapkit import asker, customer_prompt, trap_tags
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.voices import one_of
from mcp_server.world.trap_types import load_manifest

SEARCH_LIMIT = 50  # searchKnowledgeBase's default page: both articles must be on it
FIGURE = re.compile(r"\$?\d+(?:\.\d+)?(?:\s?(?:%|percent|days?|months?|hours?|W|mm|MHz))?")
OUTDATED = ["deprecated", "superseded", "replaced", "outdated", "out of date", "no longer current", "no longer valid", "no longer applies",
            "retired", "withdrawn", "not current", "not right", "not correct", "incorrect", "not accurate", "old version"]
STILL_GOOD = ["not deprecated", "not outdated", "not superseded", "still current", "still valid", "still applies", "still correct",
              "still accurate", "still right", "is correct", "is right", "that is right", "is accurate", "is still how"]
PREMISE = (
    "The KB article \"{old_title}\" says: {old_advice} Is that still how we handle it?",
    "I found this in the knowledge base: \"{old_advice}\" Can I tell the customer that?",
    "Someone pointed me at the article on {topic}. It says {old_advice_lower} Is that right?",
    "Checking before I reply to a customer: {old_advice} Correct?",
    "Is this still our guidance? \"{old_advice}\" (from the article \"{old_title}\")",
)
OPEN = (
    "What's our current guidance on {topic}? Which KB article should I follow?",
    "Can you check the knowledge base for {topic} and tell me what the current rule is?",
    "I need the up-to-date KB answer on {topic}, with the article id please.",
    "There seem to be two articles about {topic}. Which one is current, and what does it say?",
)
CUSTOMER = (
    "What's your policy on {topic}? Is there an up-to-date help article on it?",
    "Could you tell me how {topic} works at CoreCraft now? I think I read an older answer somewhere.",
    "I've seen two different answers about {topic} on your help pages. Which one is current?",
)


def kb_current_advice(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    colleagues = allowed_staff(world, exclusions)
    people = allowed_customers(world, exclusions)
    pairs = []
    for old in world.all("SELECT * FROM kb_articles WHERE deprecated = 1 AND superseded_by IS NOT NULL ORDER BY id"):
        new = world.one("SELECT * FROM kb_articles WHERE id = ? AND deprecated = 0", (old["superseded_by"],))
        if new is None or not exclusions.allows(old["id"], new["id"], *json.loads(new["product_ids"]), *json.loads(old["product_ids"])):
            continue
        search = _search(world, old, new)
        if search is not None:
            pairs.append((old, new, search))
    rng.shuffle(pairs)
    listed = {i for m in load_manifest() if m.type == "deprecated_kb" for i in m.ids}
    pairs.sort(key=lambda p: p[0]["id"] not in listed)
    out: list[Instance] = []
    for old, new, search in pairs:
        for shape in rng.sample(["premise", "open", "customer"], 2):
            customer = people[rng.randrange(len(people))]
            out.append(_instance(rng, old, new, search, shape, customer, colleagues))
    return out


def _search(world: World, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """A searchKnowledgeBase call whose first page holds both articles: a shared tag, the rarest first."""
    shared = [t for t in json.loads(old["tags"]) if t in json.loads(new["tags"])]
    counts = {t: world.value("SELECT COUNT(*) FROM kb_articles k, json_each(k.tags) j WHERE lower(j.value) = lower(?)", (t,)) for t in shared}
    for tag in sorted(shared, key=lambda t: (counts[t], t)):
        ids = [r["id"] for r in world.all("SELECT k.id FROM kb_articles k, json_each(k.tags) j WHERE lower(j.value) = lower(?) "
                                          "ORDER BY k.id LIMIT ?", (tag, SEARCH_LIMIT))]
        if old["id"] in ids and new["id"] in ids:
            return {"tag": tag, "source": "kb"}
    return None


def advice(article: dict[str, Any]) -> str:
    """The article's guidance as plain text: its first section, without the title and markdown."""
    body = article["body"].split("\n\n", 1)[1] if article["body"].startswith("# ") and "\n\n" in article["body"] else article["body"]
    body = body.split("\n## ", 1)[0].replace("**", "").replace("`", "")
    return " ".join(body.split())


def _figures(text: str) -> set[str]:
    return {m.group(0).strip() for m in FIGURE.finditer(text) if any(ch.isdigit() for ch in m.group(0))}


def _instance(rng: random.Random, old: dict[str, Any], new: dict[str, Any], search: dict[str, Any], shape: str,
              customer: dict[str, Any], colleagues: list[dict[str, Any]]) -> Instance:
    old_advice, new_advice = advice(old), advice(new)
    topic = old["title"].split(":")[0].strip()
    topic = topic[0].lower() + topic[1:] if not topic[:2].isupper() else topic
    fields = {"old_title": old["title"], "old_advice": old_advice, "old_advice_lower": old_advice[0].lower() + old_advice[1:], "topic": topic}
    if shape == "customer":
        requester, requester_id = "customer", customer["id"]
        voice = asker(rng, customer, [], 0.0)[2]
        core = one_of(rng, CUSTOMER).format(**fields)
        prompt = customer_prompt(rng, voice, core, customer) if rng.random() < 0.5 else voice.frame(rng, core)
    else:
        requester, requester_id, voice = asker(rng, customer, colleagues, 1.0)
        prompt = voice.frame(rng, one_of(rng, PREMISE if shape == "premise" else OPEN).format(**fields))
    opener = "No, that is outdated. " if shape == "premise" else ""
    reply = (f"{opener}{old['id']} is deprecated: it was replaced by {new['id']} (\"{new['title']}\"). "
             f"The current guidance, per {new['id']}: {new_advice}")
    stale_figures = sorted(_figures(old_advice) - _figures(new_advice))
    old_id = old["id"]
    criteria = [
        says("outdated", "The reply says the old advice is outdated (deprecated and replaced)", says_any=OUTDATED, never_says=STILL_GOOD),
        says("cites-current", f"The reply cites the current article {new['id']}, not the deprecated {old_id}", says_any=[new["id"]],
             never_says=[f"per {old_id}", f"see {old_id}", f"follow {old_id}", f"{old_id} is current", f"{old_id} still applies",
                         f"{old_id} is the current", f"{old_id} is correct", f"source {old_id}", f"based on {old_id}"]),
        called("searched", "The agent searched the knowledge base", "searchKnowledgeBase", {}, succeeded=True),
        judge("current-advice", "The reply gives the current article's guidance, not the deprecated one's",
              f"The current article {new['id']} says: {new_advice} The deprecated {old_id} said: {old_advice} "
              "A reply that presents the deprecated advice as current fails."),
        no_writes("no-writes", "Nothing was changed (a knowledge question)"),
    ]
    if stale_figures:
        criteria.insert(1, says("no-stale-figures", "The reply does not state the deprecated article's figures as current", kind="constraint",
                                never_says=stale_figures))

    def build(v: Variety, index: int) -> str:
        if index == 0:
            return (f"Use {new['id']} (\"{new['title']}\"); {old_id} has been {v.pick(['superseded', 'replaced', 'retired'])}. "
                    f"What applies now: {new_advice}")
        return f"{new_advice} That's from the current article {new['id']}. The older {old_id} is {v.pick(['outdated', 'deprecated'])}, so don't rely on it."
    tags = ["knowledge-base", "deprecated-kb", *trap_tags("deprecated_kb", old_id, new["id"])]
    entities = ([customer["id"]] if requester == "customer" else []) + [new["id"], old_id]
    return Instance("reasoning", "medium", requester, requester_id, prompt, [{"tool": "searchKnowledgeBase", "arguments": search}],
                    reply, criteria, entities=entities, tags=tags, alternatives=variants(reply, build))


FAMILIES = {
    "kb-current-advice": (kb_current_advice, 60),
}
