"""The company policy document, given to agents as their system prompt."""

from __future__ import annotations

from pathlib import Path

from mcp_server.world.clock import parse_clock
from mcp_server.world.store import DEFAULT_CLOCK

POLICY_PATH = Path(__file__).parent / "policy.md"


def policy_text() -> str:
    return POLICY_PATH.read_text(encoding="utf-8")


def policy_prompt_text(clock: str | None = None) -> str:
    """The policy with the world's current date and time stated up front."""
    moment = parse_clock(clock or DEFAULT_CLOCK)
    stamp = moment.strftime("%A %d %B %Y, %H:%M") + f" (UTC{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]})"
    return f"The current date and time is {stamp}. Treat this as 'now' for every date calculation.\n\n{policy_text()}"
