"""Generated reply variants: the reference's facts in other words, order and formats.

Each family writes two alternative replies per task (``Instance.alternatives``) with a ``Variety``:
counts as number words ("fourteen"), dates as "10/15/2025", "15 October 2025" or "2025-10-15",
amounts as "1234.50 dollars" or "USD 1,234.50", and synonyms picked at random. The generator behind
a ``Variety`` is seeded from the reference reply, so the variants are as reproducible as the rest of
the generated split and drawing them never disturbs a family's own random sequence.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from harness.tasks.generate.core import full_name
from harness.tasks.generate.voices import Voice

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
DATE_STYLES = ("long", "us", "dmy", "iso", "short")
MONEY_STYLES = ("dollar", "dollars", "usd", "usd-after", "plain-dollar")


def number_words(n: int) -> str:
    """English words for 0 <= n < 1000 ("one hundred and four", "twenty-one")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")


def count_text(n: int) -> str:
    """A count in words where the grader reads it back as a number (3 to 999); digits otherwise
    ("one" and "two" stay words in ordinary prose, so they are not read as numbers)."""
    return number_words(n) if 3 <= n < 1000 else str(n)


def date_text(day: date, style: str) -> str:
    month = MONTHS[day.month - 1]
    return {
        "long": f"{month} {day.day}, {day.year}",
        "us": f"{day.month}/{day.day}/{day.year}",
        "dmy": f"{day.day} {month} {day.year}",
        "iso": day.isoformat(),
        "short": f"{month[:3]} {day.day}, {day.year}",
    }[style]


def money_text(value: Decimal | float, style: str) -> str:
    amount = Decimal(str(value))
    return {
        "dollar": f"${amount:,.2f}",
        "dollars": f"{amount:.2f} dollars",
        "usd": f"USD {amount:,.2f}",
        "usd-after": f"{amount:,.2f} USD",
        "plain-dollar": f"${amount:.2f}",
    }[style]


class Variety:
    """Random but reproducible choices of wording and format for one alternative reply."""

    def __init__(self, *keys: object) -> None:
        self.rng = random.Random("variant:" + "|".join(map(str, keys)))
        self.date_style = self.rng.choice(DATE_STYLES)
        self.money_style = self.rng.choice(MONEY_STYLES)

    def pick(self, options: Sequence[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float = 0.5) -> bool:
        return self.rng.random() < p

    def date(self, day: date) -> str:
        return date_text(day, self.date_style)

    def money(self, value: Decimal | float) -> str:
        return money_text(value, self.money_style)

    def count(self, n: int) -> str:
        return count_text(n) if self.chance(0.7) else str(n)

    def shuffled(self, parts: Sequence[str]) -> list[str]:
        found = list(parts)
        self.rng.shuffle(found)
        return found


def variants(reply: str, build: Callable[[Variety, int], str], n: int = 2) -> list[str]:
    """``n`` alternatives: ``build(variety, index)`` for index 0..n-1, each with its own Variety."""
    return [build(Variety(reply, index), index) for index in range(n)]


# --- prompts -------------------------------------------------------------------------------------
# Families write the core of an ask in several wordings; these helpers add who is asking (name and
# email up front, in the sign-off, or both) and wrap it in a ``voices.Voice`` so one family's prompts
# come in many skeletons (harness/tasks/skeletons.py). All draws use the family's own RNG.

_INTROS = ("I'm {name} ({email}).", "{name} here, {email}.", "This is {name}, account email {email}.",
           "My name is {name} and my account email is {email}.", "Account: {email} ({name}).", "{name} ({email}) writing.",
           "It's {name}; my email with you is {email}.", "Email on my account: {email}.")
_SIGNATURES = ("{name}", "- {name}", "{name}, {email}", "{name} ({email})", "-- {name} / {email}", "{email}", "{name}\n{email}")


def identity(rng: random.Random, name: str, email: str) -> tuple[str, str]:
    """(intro, signature) naming a customer; the email always appears in one of them (agents look it up)."""
    if rng.random() < 0.5:
        intro = rng.choice(_INTROS).format(name=name, email=email)
        signature = rng.choice(("", "", "{name}", "- {name}")).format(name=name)
    else:
        intro = ""
        signature = rng.choice([s for s in _SIGNATURES if "{email}" in s]).format(name=name, email=email)
    return intro, signature


def compose(rng: random.Random, core: str, *, colleague: bool = False, intro: str = "", signature: str = "",
            extras: Sequence[str] = (), rambling_share: float = 0.35) -> str:
    """A whole prompt: ``intro`` (placed before or after the core), the core ask, one of ``extras`` (a
    closing condition such as "please don't change anything"; required when given) and a voice frame."""
    voice = Voice(colleague=colleague, rambling=rng.random() < rambling_share)
    parts = [core]
    if intro:
        parts.insert(0 if rng.random() < 0.7 else 1, intro)
    if extras:
        parts.append(rng.choice(list(extras)))
    return voice.frame(rng, " ".join(p.strip() for p in parts if p), signature)


def customer_ask(rng: random.Random, customer: dict[str, Any], core: str, extras: Sequence[str] = ()) -> str:
    """A customer's prompt: ``core`` with their name and email as an intro or a signature (see identity)."""
    intro, signature = identity(rng, full_name(customer), customer["email"])
    return compose(rng, core, intro=intro, signature=signature, extras=extras)


def order_search(world: Any, order_id: str, customer_id: str, product_id: str | None = None) -> dict[str, Any] | None:
    """The searchOrders call that finds ``order_id`` among its customer's orders when a prompt names it
    without its id ("the X I ordered"), or None when that would be ambiguous: more than ten orders (the
    search cap) or, with ``product_id``, another of the customer's orders holding that product."""
    orders = [r["id"] for r in world.all("SELECT id FROM orders WHERE customer_id = ? ORDER BY id", (customer_id,))]
    if order_id not in orders or len(orders) > 10:
        return None
    if product_id is not None:
        holding = world.value("SELECT COUNT(DISTINCT o.id) FROM orders o JOIN order_items i ON i.order_id = o.id "
                              "WHERE o.customer_id = ? AND i.product_id = ?", (customer_id, product_id))
        if holding != 1:
            return None
    elif len(orders) != 1:
        return None
    return {"tool": "searchOrders", "arguments": {"customer_id": customer_id}}
