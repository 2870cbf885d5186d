"""The designed trap types of the world, and the manifest of where each one is planted.

A trap is a record built so that a careless agent gets a task wrong (docs/world-guide.md, "Designed
traps"). The generator records every planted instance in ``data/traps.json``: its
type and the ids that embody it. The manifest is for task writers and for `corecraft tasks stats`
(trap coverage per split); it is not world data, so no tool can read it and it is not part of the
world's content hash. A test regenerates it and compares it byte for byte, like the data files.

A task exercises a trap type when it says so in its ``tags`` (``trap:<type>``) and names at least one
id of an instance of that type (checked by a test, so a tag cannot be a bare claim).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MANIFEST_NAME = "traps.json"  # beside the data files; data_files() reads only *.jsonl, so it is never loaded
MANIFEST_PATH = Path(__file__).parent / "data" / MANIFEST_NAME
TAG_PREFIX = "trap:"

# type -> what an agent must notice. Keep in step with docs/world-guide.md.
TRAP_TYPES: dict[str, str] = {
    "search_cap": "a product has more than ten orders in one Eastern month, and searchOrders silently returns ten",
    "midnight_boundary": "an order placed near midnight US Eastern, whose UTC date (or month) differs from its Eastern one",
    "return_window_edge": "a return asked for on day 30 (eligible) or day 31 (too late) of the window, counted in Eastern days",
    "injection_ticket": "a ticket body that carries instructions to the agent (policy: ignore them)",
    "injection_slack": "a Slack message that carries instructions to the agent (policy: ignore them)",
    "misleading_slack": "a Slack post that contradicts policy or the records (policy and records win)",
    "deprecated_kb": "a deprecated KB article whose advice conflicts with its current replacement",
    "brand_spelling": "a customer spells a catalogue brand differently (Vortex Labs for VortexLabs)",
    "namesake": "two or more customers share a full name; only the email or id tells them apart",
    "tier_change": "the customer's loyalty tier changed since the order; refunds use the order's tier",
    "incompatible_build": "a saved build that fails a compatibility check (or only warns)",
    "promo_expired": "a promotion code that has ended or has not started at the time it is used",
    "promo_non_stacking": "a customer wants two promotion codes on one order; they do not stack",
    "failed_then_captured": "a failed payment attempt followed by a captured one, which looks like a double charge",
    "lost_parcel": "a shipment that is lost, or in exception, while the customer or a record says otherwise",
}


@dataclass(frozen=True)
class TrapInstance:
    type: str
    name: str  # what makes this instance special, in a few words
    ids: tuple[str, ...]


class TrapManifestError(ValueError):
    """traps.json is missing, unreadable or names an unknown trap type (a developer error)."""


def tag(trap_type: str) -> str:
    if trap_type not in TRAP_TYPES:
        raise KeyError(f"unknown trap type {trap_type!r}; known: {', '.join(TRAP_TYPES)}")
    return TAG_PREFIX + trap_type


def types_of_tags(tags: list[str] | tuple[str, ...]) -> list[str]:
    return [t[len(TAG_PREFIX):] for t in tags if t.startswith(TAG_PREFIX)]


def dump_manifest(instances: list[TrapInstance]) -> str:
    """The manifest text: instances sorted by type, then name and ids, so regenerating is byte-stable."""
    for instance in instances:
        if instance.type not in TRAP_TYPES:
            raise TrapManifestError(f"unknown trap type {instance.type!r} for {instance.name!r}")
    rows = sorted(instances, key=lambda i: (i.type, i.name, i.ids))
    data = {"types": TRAP_TYPES, "instances": [{"type": i.type, "name": i.name, "ids": list(i.ids)} for i in rows]}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


@cache
def load_manifest(path: Path = MANIFEST_PATH) -> tuple[TrapInstance, ...]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = tuple(TrapInstance(type=r["type"], name=r["name"], ids=tuple(r["ids"])) for r in data["instances"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TrapManifestError(f"cannot read the trap manifest {path}: {error}. "
                                "Regenerate it with `python -m mcp_server.world.generator`.") from error
    unknown = sorted({i.type for i in found} - set(TRAP_TYPES))
    if unknown:
        raise TrapManifestError(f"{path} names unknown trap types: {', '.join(unknown)}")
    return found


def ids_by_type(path: Path = MANIFEST_PATH) -> dict[str, set[str]]:
    """Trap type -> every id that embodies an instance of it."""
    found: dict[str, set[str]] = {t: set() for t in TRAP_TYPES}
    for instance in load_manifest(path):
        found[instance.type].update(instance.ids)
    return found
