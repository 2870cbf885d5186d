"""World ids in tasks, and which of the spec's 14 entity types a task reaches.

Ids are recognised by prefix (``<prefix>-...``), following the id formats in schema.sql:

=========  ====================  ==========================
prefix     table                 entity type
=========  ====================  ==========================
cus        customers             customers
ord        orders                orders
prd        products              products
bld        builds                builds
tkt        support_tickets       support_tickets
sla        slas                  slas
shp        shipments             shipping_records
cmp        compatibility_rules   compatibility_rules
wty        warranty_policies     warranty_policies
kb         kb_articles           kb_articles
promo      promotions            promotions
inv        inventory             inventory_levels
pol        company_policies      company_policies
emp, oli, bli, pay, ref, rfl, esc, res, ch, msg: supporting records (employees, order and build
items, payments, refunds and their lines, escalations, resolutions, Slack channels and messages)
=========  ====================  ==========================

Loyalty tiers have bare ids (``gold``) and are reached through the tables a task's reference calls
touch (see replay.py), as are types that tools read without the task naming an id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from harness.tasks.models import Task
from mcp_server.world.store import ENTITY_TYPES, SUPPORTING_TYPES

ID_PREFIXES: dict[str, str] = {
    "cus": "customers", "emp": "employees", "prd": "products", "inv": "inventory", "bld": "builds",
    "bli": "build_items", "promo": "promotions", "ord": "orders", "oli": "order_items", "pay": "payments",
    "shp": "shipments", "tkt": "support_tickets", "sla": "slas", "ref": "refunds", "rfl": "refund_lines",
    "esc": "escalations", "res": "resolutions", "cmp": "compatibility_rules", "wty": "warranty_policies",
    "kb": "kb_articles", "pol": "company_policies", "ch": "slack_channels", "msg": "slack_messages",
}
TABLE_TYPES: dict[str, str] = {table: name for name, table in {**SUPPORTING_TYPES, **ENTITY_TYPES}.items()}


_ID_REST = re.compile(r"[a-z0-9][a-z0-9-]*")


def table_of_id(value: str) -> str | None:
    """The table an id belongs to by its prefix, or None if the string is not an id."""
    prefix, dash, rest = value.partition("-")
    # An id is one token: free text that merely starts with an id ("ord-250327-332 (late)") is not one.
    if not dash or not rest or prefix not in ID_PREFIXES or not _ID_REST.fullmatch(rest):
        return None
    return ID_PREFIXES[prefix]


def ids_in(value: Any) -> Iterator[str]:
    """Every id-shaped string inside a JSON value (arguments nest lists and objects)."""
    if isinstance(value, str):
        if table_of_id(value.strip()) is not None:
            yield value.strip()
    elif isinstance(value, list):
        for item in value:
            yield from ids_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from ids_in(item)


def task_ids(task: Task) -> list[str]:
    """Ids the task mentions: its entities, its requester and ids in reference arguments, in order."""
    found = [task.requester_id, *task.entities]
    for call in task.reference.calls:
        found.extend(ids_in(call.arguments))
    return list(dict.fromkeys(found))


def entity_types_of_tables(tables: Iterable[str]) -> set[str]:
    """The spec's 14 entity types among these tables."""
    return {TABLE_TYPES[t] for t in tables if t in TABLE_TYPES and TABLE_TYPES[t] in ENTITY_TYPES}
