"""What ticket text claims, as patterns: the vocabulary of the ticket rules in coherence.py.

Each symptom names the product categories it can happen to; a ticket whose text shows a symptom must
speak of (or be linked to) a product of one of those categories. Tracking claims say what the
customer believes about the parcel; coherence.py compares them with the shipment's events.
Patterns are matched on lower-cased subject + body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTS_INSIDE = frozenset({"cpu", "motherboard", "gpu", "memory", "storage", "psu", "cooling"})
SYSTEMS = frozenset({"prebuilt", "workstation"})


@dataclass(frozen=True)
class Symptom:
    name: str
    pattern: re.Pattern[str]
    categories: frozenset[str]  # products this can happen to (a bundle counts through its parts)


def _symptom(name: str, pattern: str, *categories: frozenset[str] | str) -> Symptom:
    allowed: set[str] = set()
    for group in categories:
        allowed |= {group} if isinstance(group, str) else set(group)
    return Symptom(name, re.compile(pattern), frozenset(allowed))


SYMPTOMS: tuple[Symptom, ...] = (
    _symptom("no boot after installing it", r"(won't|will not|doesn't|does not|didn't) (boot|post)\b.{0,40}\binstall|\binstall\w*.{0,60}\b(won't|doesn't|no) (boot|post)\b",
             PARTS_INSIDE, "case"),
    _symptom("no picture", r"nothing on (the )?screen|\bno (display|picture|video signal)\b|\bblack screen\b",
             PARTS_INSIDE, "case", "monitor", "cable", SYSTEMS),
    _symptom("runs hot", r"running hot|\bruns hot\b|overheat|\bhits \d+ ?°?c\b|\b\d+ ?°?c (in games|under load)\b|thermal throttl",
             "cpu", "gpu", "psu", "storage", "cooling", "motherboard", "case", SYSTEMS),
    _symptom("noise under load", r"\bwhine\b|\bwhining\b|\bgrinding\b|\brattl\w*|\bfan noise\b|strange noise",
             "gpu", "psu", "cooling", "case", "storage", "motherboard", SYSTEMS),
    _symptom("overclocking", r"overclock", "cpu", "gpu", "memory", "motherboard", "cooling", SYSTEMS),
    _symptom("crashes under load", r"crash\w* under load|keeps crashing|blue ?screens?\b",
             PARTS_INSIDE, SYSTEMS),
    _symptom("graphics upgrade", r"upgrad\w* (my|the) (gpu|graphics card)", "gpu", SYSTEMS),
    _symptom("memory for it", r"more ram\b|which memory|ram to go with", "memory", "motherboard", "cpu", SYSTEMS),
    _symptom("power draw", r"power supply (handle|run|be enough)|\bpsu (be )?enough\b", "gpu", "cpu", "psu"),
    _symptom("dead pixels", r"(dead|stuck) pixels?|backlight bleed", "monitor", SYSTEMS),
    _symptom("mouse buttons", r"double[- ]click\w*|scroll wheel|\bsensor (skips|jitter)", "mouse"),
    _symptom("keys", r"\bkeys? (stick|sticking|chatter\w*|repeat\w*)|key chatter", "keyboard"),
    _symptom("audio", r"\bno sound\b|\bmic(rophone)? (cuts|not working|doesn't work)|crackl\w* (audio|sound)", "headset", SYSTEMS),
    _symptom("network drops", r"wi-?fi (keeps )?drop\w*|\bno internet\b|packet loss|connection (keeps )?drop\w*",
             "networking", "motherboard", SYSTEMS),
)

# What the customer says about the parcel. A claim that tracking shows it delivered needs a delivery scan
# by the time they wrote; a claim that it arrived too. A claim that it is missing may sit on a delivered
# parcel (the customer may not have it), but not in a text that also says it arrived.
DELIVERED_CLAIM = re.compile(r"\b(marked|says|shows|showing|listed) (as )?delivered\b|tracking says (it was )?delivered")
ARRIVED_CLAIM = re.compile(r"\barrived but\b|\bwasn't in the box\b|\breceived something different\b|\bwhen it arrived\b|\bbox arrived\b")
MISSING_CLAIM = re.compile(r"\bwhere is my (order|parcel|package)\b|\bnever arrived\b|\bhasn't moved\b|\bhas not moved\b"
                           r"|\b(parcel|package|order|shipment) (is |was |has been |got )?lost\b")
NOT_YET_ARRIVED = re.compile(r"\bhasn't arrived\b|\bhas not arrived\b|\bnot arrived yet\b|\bbefore it arrives\b|\bstill on its way\b")
