"""``refund-approvers``: a colleague asks whether they, or their manager, can approve a refund of some
size, and who in support can. The answer follows the issue_refund permission (searchEmployees), not
job titles, and not the size of the refund: the deprecated article saying any agent may authorise
small amounts, and the Slack post repeating it, are wrong. Nothing is refunded or approved.
"""

from __future__ import annotations

import json
import random
from typing import Any

from harness.tasks.generate.core import Exclusions, Instance, World, called, no_writes, says
from harness.tasks.generate.families_askkit import cap
from harness.tasks.generate.families_trapkit import trap_tags
from harness.tasks.generate.phrasing import Variety, compose, variants

PERMISSION = "issue_refund"
BASIS = ["issue_refund", "issue refund", "refund permission", "permission to issue refunds", "permission"]
SELF_ASKS = (
    "Can I approve a {amount} refund myself, or does someone else have to? If not me, who in support can?",
    "I've got a {amount} refund to sign off. Am I allowed to approve it, and if not, who on the support side is?",
    "Do I have the rights to approve a {amount} refund? Who in support does?",
    "Before I create it: can I be the approver on a {amount} refund? Otherwise who should I name?",
)
MANAGER_ASKS = (
    "Can my manager approve a {amount} refund? If not, who in support should I ask?",
    "I need a {amount} refund approved. Can {manager} sign it off, or do I need someone else?",
    "Would {manager} be able to approve a refund of {amount}? If they can't, who in support holds the right permission?",
    "My manager is {manager}. Are they allowed to approve a {amount} refund? If not, who can?",
)
PREMISES = {
    "kb": (" I read in the KB that agents can authorise anything under $250.", "deprecated_kb"),
    "slack": (" Someone in Slack said leads let any agent sign off refunds up to $250.", "misleading_slack"),
}


def _permissions(employee: dict[str, Any]) -> list[str]:
    return list(json.loads(employee["permissions"]))


def _first(employee: dict[str, Any]) -> str:
    return employee["name"].split()[0]


def _premise_ids(world: World) -> dict[str, str | None]:
    """The planted sources of the small-amount myth, found by what they say (not by id)."""
    kb = world.value("SELECT id FROM kb_articles WHERE deprecated = 1 AND body LIKE '%authorise amounts under%' ORDER BY id")
    slack = world.value("SELECT id FROM slack_messages WHERE text LIKE '%sign off refunds up to%' ORDER BY id")
    return {"kb": kb, "slack": slack}


def refund_approvers(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    employees = world.employees()
    by_id = {e["id"]: e for e in employees}
    holders = [e for e in employees if e["support_role"] and PERMISSION in _permissions(e)]
    lacking = [e for e in employees if e["support_role"] and PERMISSION not in _permissions(e)]
    sources = _premise_ids(world)
    asks = [(e, kind) for e in employees if exclusions.allows(e["id"]) for kind in ("self", "manager")
            if kind == "self" or (e["manager_id"] and exclusions.allows(e["manager_id"]))]
    rng.shuffle(asks)
    out: list[Instance] = []
    for employee, kind in asks:
        if not holders:
            break
        amount = rng.choice([rng.randint(40, 240), rng.randint(260, 1400)])
        amount_text = f"${amount}" if rng.random() < 0.5 else f"${amount}.00"
        manager = by_id.get(employee["manager_id"]) if kind == "manager" else None
        core = rng.choice(SELF_ASKS if kind == "self" else MANAGER_ASKS).format(amount=amount_text, manager=manager["name"] if manager else "")
        premise = rng.choice(["kb", "slack", None, None]) if amount < 250 else None
        premise_id = sources.get(premise) if premise else None
        if premise and premise_id:
            core += PREMISES[premise][0]
        form = rng.randrange(3)  # who is asking: in the text with the id, in brackets with the team, or signed
        signature = ""
        if form == 0:
            core = f"{core} I'm {employee['name']} ({employee['id']})."
        elif form == 1:
            core = f"{core} ({employee['name']}, {employee['department'].replace('_', ' ')})"
        else:
            signature = rng.choice([f"{employee['name']} ({employee['id']})", f"- {employee['name']}, {employee['id']}", f"{employee['id']}"])
        calls = [{"tool": "searchEmployees", "arguments": {"name": employee["name"]} if form == 1 else {"employee_id": employee["id"]}}]
        if manager:
            calls.append({"tool": "searchEmployees", "arguments": {"employee_id": manager["id"]}})
        calls.append({"tool": "searchEmployees", "arguments": {"department": "support", "permission": PERMISSION}})
        if premise_id:
            calls.append({"tool": "searchKnowledgeBase", "arguments": {"query": "authorise money back"}} if premise == "kb" else
                         {"tool": "searchSlackMessages", "arguments": {"query": "sign off refunds"}})
        prompt = compose(rng, cap(core), colleague=True, signature=signature)
        subject = manager or employee
        criteria, reply, alternatives = _answer(employee, manager, PERMISSION in _permissions(subject), holders, lacking)
        tags = ["refunds", "permissions"]
        if premise_id:
            tags += trap_tags(PREMISES[premise][1], premise_id)
        out.append(Instance("reasoning", "hard" if premise_id else "medium", "employee", employee["id"], prompt, calls, reply, criteria,
                            entities=[employee["id"], *([manager["id"]] if manager else []), *([premise_id] if premise_id else [])],
                            tags=tags, alternatives=alternatives))
    return out


def _answer(employee: dict[str, Any], manager: dict[str, Any] | None, can: bool, holders: list[dict[str, Any]],
            lacking: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str, list[str]]:
    names = [h["name"] for h in holders if h["id"] != employee["id"]]
    listed = ", ".join(names)
    criteria = [called("read-permissions", "The agent looked up who holds issue_refund", "searchEmployees", {"permission": PERMISSION})]
    if manager is None:
        if can:
            verdict = says("verdict", "The reply says the requester can approve it (they hold issue_refund)",
                           says_any=["yes", "you can approve", "you hold", "you have issue_refund", "you have the issue_refund"],
                           never_says=["you cannot approve", "you can not approve", "you do not have", "declined", "denied", "rejected"])
            reply = f"Yes, you can approve it yourself: you hold the issue_refund permission, which is what approval needs, whatever the amount."
        else:
            verdict = says("verdict", "The reply says the requester cannot approve it (no issue_refund)",
                           says_any=["cannot approve", "can not approve", "not able to approve", "unable to approve", "do not have",
                                     "do not hold", "not allowed to approve"],
                           never_says=["yes", "you can approve", "you may approve", "you are able to approve", "you can sign off", "any agent can"])
            reply = (f"You can't approve it yourself: you don't hold the issue_refund permission, and the amount doesn't change that. "
                     f"In support these people hold it: {listed}. Ask one of them to approve it; until then the refund stays pending.")
    else:
        first, full = _first(manager), manager["name"]
        if can:
            verdict = says("verdict", f"The reply says {full} can approve it (holds issue_refund)",
                           says_any=["yes", f"{first} can approve", f"{full} can approve", f"{first} holds", f"{full} holds", f"{first} has issue_refund"],
                           never_says=[f"{first} cannot approve", f"{first} can not approve", f"{full} can not approve", f"{first} does not have",
                                       "declined", "denied", "rejected"])
            reply = f"Yes, {full} can approve it: {first} holds the issue_refund permission, which is what approval needs, whatever the amount."
        else:
            verdict = says("verdict", f"The reply says {full} cannot approve it (no issue_refund)",
                           says_any=[f"{first} cannot approve", f"{first} can not approve", f"{full} cannot approve", f"{full} can not approve",
                                     f"{first} does not have", f"{first} does not hold", f"{full} does not hold", "manager cannot approve",
                                     "not able to approve", "cannot approve"],
                           never_says=["yes", f"{first} can approve", f"{full} can approve", f"{first} holds", f"{full} holds"])
            reply = (f"{full} can't approve it: {first} does not hold the issue_refund permission, and the amount doesn't change that. "
                     f"In support these people hold it: {listed}. Ask one of them to approve it; until then the refund stays pending.")
    criteria.append(verdict)
    if not can:
        wrong = [f"{e['name']} can approve" for e in lacking] + ["any agent can approve", "any support agent can", "all agents can approve"]
        criteria.append(says("approvers", "The reply names the support staff who hold issue_refund", says_all=names, never_says=wrong))
    criteria += [says("basis", "The reply says approval follows the issue_refund permission", "completeness", mentions_any=BASIS), no_writes()]

    def build(v: Variety, index: int) -> str:
        who = "you" if manager is None else manager["name"]
        has = "hold" if manager is None else "holds"
        if can:
            return (f"Approval needs issue_refund, and {who} {has} it, so yes: {who} can approve it." if index == 0 else
                    f"Yes. {cap(who)} {has} issue_refund, the permission that approves refunds of any size.")
        lack = "do not hold" if manager is None else "does not hold"
        people = ", ".join(v.shuffled(names))
        return (f"{cap(who)} {lack} issue_refund, so {who} cannot approve it. Support staff with that permission: {people}." if index == 0 else
                f"Support staff who hold issue_refund: {people}. {cap(who)} {lack} it and cannot approve it; the size of the refund doesn't matter.")
    return criteria, reply, variants(reply, build)


FAMILIES = {
    "refund-approvers": (refund_approvers, 40),
}
