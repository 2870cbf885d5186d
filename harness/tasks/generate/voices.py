"""Who is asking and how: openers, sign-offs and asides that give one family many phrasings.

A family writes the core of its ask in a few wordings; ``Voice.frame`` wraps that core in the way a
real requester writes: a customer or a colleague, terse or rambling, with or without the ids. Every
piece is drawn from the family's own seeded RNG, so the split stays reproducible. The point is the
number of distinct prompt skeletons (harness/tasks/skeletons.py): a model trained on the split should
meet the same request in many shapes, not one template with names swapped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

_CUSTOMER_OPENERS = ("", "", "Hi,", "Hello,", "Hi there,", "Hey,", "Good morning,", "Good afternoon,", "Hello support team,",
                     "Hi CoreCraft,", "Quick question.", "Sorry to bother you.", "I hope you can help.")
_CUSTOMER_RAMBLES = (
    "I've been a customer for a while and this is the first time I've had to write in.",
    "I'm writing from my phone so sorry for any typos.",
    "I already tried the chat earlier but got disconnected.",
    "My partner says I worry too much but I'd rather ask.",
    "I'm in the middle of a build this weekend so timing matters a bit.",
    "I looked around your website but couldn't find a clear answer.",
    "This is for a PC I'm putting together for my kid.",
    "Work has been hectic, so I'm only getting to this now.",
)
_CUSTOMER_SIGNOFFS = ("", "", "Thanks!", "Thanks in advance.", "Cheers,", "Appreciate it.", "Thank you,", "Best,", "Regards,",
                      "Thanks for your help.")
_COLLEAGUE_OPENERS = ("", "", "Hey,", "Hi,", "Quick one:", "Can you help with this?", "Got a minute?", "Need a hand here.",
                      "Picking this up from the queue:", "For a customer I'm on with:")
_COLLEAGUE_RAMBLES = (
    "The queue is long today so I'm splitting things up.",
    "I'm covering for someone on leave and don't know this area well.",
    "My manager asked me to double-check before anything goes out.",
    "I'd rather get this right than fast.",
    "I'll paste your answer into my notes.",
)
_COLLEAGUE_SIGNOFFS = ("", "", "Thanks.", "Thanks!", "Cheers.", "Ta.", "Much appreciated.")


@dataclass(frozen=True)
class Voice:
    """How one prompt is written: by whom (customer or colleague) and how long-winded."""

    colleague: bool
    rambling: bool

    @classmethod
    def draw(cls, rng: random.Random, colleague_share: float = 0.0, rambling_share: float = 0.35) -> Voice:
        return cls(colleague=rng.random() < colleague_share, rambling=rng.random() < rambling_share)

    def frame(self, rng: random.Random, core: str, signature: str = "") -> str:
        """``core`` (the ask itself) with an opener, perhaps an aside, and a sign-off with ``signature``."""
        openers, rambles, signoffs = ((_COLLEAGUE_OPENERS, _COLLEAGUE_RAMBLES, _COLLEAGUE_SIGNOFFS) if self.colleague
                                      else (_CUSTOMER_OPENERS, _CUSTOMER_RAMBLES, _CUSTOMER_SIGNOFFS))
        parts = [rng.choice(openers)]
        if self.rambling:
            parts.append(rng.choice(rambles))
        parts.append(core)
        text = " ".join(p for p in parts if p)
        ending = " ".join(p for p in (rng.choice(signoffs), signature) if p)
        if ending:
            text += ("\n\n" if self.rambling else " ") + ending
        return text


def one_of(rng: random.Random, options: Sequence[str]) -> str:
    """One wording; options may hold ``{name}``-style fields the caller fills in with ``str.format``."""
    return options[rng.randrange(len(options))]
