"""Shared pieces of the F3 families (catalog, loyalty, followups, approvers): who asks, how a colleague
introduces the customer, and the wrong values a reply may not state. Holds no families itself."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

from harness.tasks.generate.core import full_name
from harness.tasks.generate.phrasing import compose

NO_WRITE_TOOLS = ("createRefund", "processReturn", "createEscalation", "createResolution", "updateOrderStatus",
                  "updatePaymentStatus", "updateTicketStatus")


def colleague_prompt(rng: random.Random, employee: dict[str, Any], core: str, extras: Sequence[str] = ()) -> str:
    sign = rng.choice(("", "", employee["name"], f"- {employee['name'].split()[0]}", f"{employee['name']} ({employee['id']})"))
    return compose(rng, core, colleague=True, signature=sign, extras=extras)


def who_is(rng: random.Random, customer: dict[str, Any]) -> str:
    """How a colleague names the customer they are helping (the email always appears)."""
    return rng.choice(("{name} ({email})", "customer {email}", "{email}", "{name}, {email},", "a customer ({email})")).format(
        name=full_name(customer), email=customer["email"])


def wrong_values(wrong: Iterable[float], stated: Iterable[float]) -> list[float]:
    """Trap values that are not also a number the reference reply states for another reason."""
    right = [float(s) for s in stated]
    return sorted({float(w) for w in wrong if all(abs(float(w) - r) > 0.011 for r in right)})


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]
