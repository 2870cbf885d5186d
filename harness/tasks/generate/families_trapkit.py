"""Shared pieces of the trap families (families_timing, families_charges, families_accounts and the content
and wider-ask families): trap tags backed by the manifest, who asks, and prompts framed in many shapes.

This module defines no family of its own (FAMILIES is empty); it keeps the family modules short.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from harness.tasks.generate.core import full_name, utc
from harness.tasks.generate.voices import Voice
from mcp_server.world import rules
from mcp_server.world.trap_types import ids_by_type, tag

T = TypeVar("T")
EASTERN_WORDS = ["Eastern", "ET", "EDT", "EST", "US Eastern", "New York time"]


def trap_tags(trap_type: str, *idents: str | None) -> list[str]:
    """``trap:<type>`` when one of the ids is listed in the manifest for that type, else nothing: a tag is
    never a bare claim (a test checks it against the manifest)."""
    listed = ids_by_type()[trap_type]
    return [tag(trap_type)] if any(i in listed for i in idents if i) else []


def planted_first(rows: list[T], trap_type: str, ids: Callable[[T], Sequence[str | None]]) -> list[T]:
    """The rows (already shuffled) with those the manifest lists for ``trap_type`` first, so a family's
    cap keeps the instances that carry the trap tag."""
    listed = ids_by_type()[trap_type]
    return sorted(rows, key=lambda row: not any(i in listed for i in ids(row) if i))


def asker(rng: random.Random, customer: dict[str, Any], colleagues: list[dict[str, Any]], share: float) -> tuple[str, str, Voice]:
    """(requester, requester_id, voice): a colleague with probability ``share`` (when there is one)."""
    voice = Voice.draw(rng, colleague_share=share if colleagues else 0.0)
    if voice.colleague:
        employee = colleagues[rng.randrange(len(colleagues))]
        return "employee", employee["id"], voice
    return "customer", customer["id"], voice


def customer_prompt(rng: random.Random, voice: Voice, core: str, customer: dict[str, Any]) -> str:
    """A customer's ask: the email (identity) either in the text or in the signature."""
    name, email = full_name(customer), customer["email"]
    where = rng.randrange(4)
    if where == 0:
        return voice.frame(rng, f"This is {name}, {email}. {core}")
    if where == 1:
        return voice.frame(rng, f"{core} My account email is {email}.", name)
    if where == 2:
        return voice.frame(rng, core, f"{name} ({email})")
    return voice.frame(rng, f"{core} ({name}, {email})")


def colleague_prompt(rng: random.Random, voice: Voice, core: str) -> str:
    return voice.frame(rng, core)


def clock_after(moment: str, minutes: int) -> str:
    """A task clock ``minutes`` after a UTC record time, on the same US Eastern day, with its offset."""
    start = utc(moment)
    later = datetime.fromtimestamp(start.timestamp() + minutes * 60, tz=rules.EASTERN)
    if later.date() != rules.eastern_date(start):
        later = start.astimezone(rules.EASTERN)
    return later.replace(microsecond=0).isoformat()


def eastern_time(moment: str) -> str:
    """The US Eastern wall time of a UTC record time, e.g. '9:41 PM'."""
    local = utc(moment).astimezone(rules.EASTERN)
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'PM' if local.hour >= 12 else 'AM'}"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


FAMILIES: dict[str, Any] = {}  # helpers only
