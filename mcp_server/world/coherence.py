"""Coherence rules: the committed world tells a story a reader can believe (issue #10).

invariants.py checks money, references and statuses; these rules check what the records say to a
reader: products have names that tell them apart, a ticket's text fits the product it speaks of and
what tracking showed when it was written, goods are returned or troubleshot only once delivered, an
order contains only products already released, a Slack message names only records that exist when it
is posted, and nothing happens after the world's default clock. Each rule is
``(connection) -> [violation, ...]`` naming the ids involved; ``check_rules`` runs them all by name.
The committed world passes every rule (tests/mcp_server/world/test_world_coherence.py); tool writes
are not expected to keep them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp_server.world.coherence_text import ARRIVED_CLAIM, DELIVERED_CLAIM, MISSING_CLAIM, NOT_YET_ARRIVED, SYMPTOMS
from mcp_server.world.store import DEFAULT_CLOCK, entity_tables, table_columns

Rule = Callable[[sqlite3.Connection], list[str]]
FUTURE_BY_DESIGN = frozenset({"starts_at", "ends_at"})  # promotion windows may lie ahead; etas are forecasts
EXTRA_TIME_COLUMNS = frozenset({"effective_from"})


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def unique_product_names(conn: sqlite3.Connection) -> list[str]:
    """No two products share a name (case and spacing ignored): customers and agents go by names."""
    groups: dict[str, list[str]] = defaultdict(list)
    for pid, name in conn.execute("SELECT id, name FROM products ORDER BY id"):
        groups[" ".join(str(name).casefold().split())].append(pid)
    return [f"products {', '.join(ids)}: share the name {conn.execute('SELECT name FROM products WHERE id = ?', (ids[0],)).fetchone()[0]!r}"
            for ids in groups.values() if len(ids) > 1]


class _Catalogue:
    """Finds the products a text names (by model name, so that customers' brand spellings match)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.category: dict[str, str] = {}
        self.parts: dict[str, list[str]] = {}
        models: list[tuple[str, str]] = []
        for pid, name, brand, category, specs in conn.execute("SELECT id, name, brand, category, specs FROM products"):
            self.category[pid] = category
            self.parts[pid] = list((json.loads(specs or "{}") or {}).get("includes_product_ids", []))
            model = name[len(brand):].strip() if brand and name.startswith(brand) else name
            models.append((model.casefold(), pid))
        self.models = sorted(models, key=lambda m: -len(m[0]))  # longest first: "X Rev. B" before "X"

    def named_in(self, text: str) -> list[str]:
        taken: list[tuple[int, int]] = []
        found: list[str] = []
        for model, pid in self.models:
            for match in re.finditer(re.escape(model), text):
                span = match.span()
                if not any(span[0] < end and start < span[1] for start, end in taken):
                    taken.append(span)
                    found.append(pid)
        return found

    def categories(self, product_ids: list[str]) -> set[str]:
        out: set[str] = set()
        for pid in product_ids:
            out.add(self.category.get(pid, ""))
            out |= {self.category.get(part, "") for part in self.parts.get(pid, [])}
        return out


def ticket_fits_product(conn: sqlite3.Connection) -> list[str]:
    """A symptom in a ticket's text happens to the product it speaks of: no hot cable, no monitor that
    stops a PC booting once installed, no overclocked mouse. The products are those the text names,
    else those of the linked order or build."""
    catalogue = _Catalogue(conn)
    linked: dict[str, list[str]] = defaultdict(list)
    for order_id, pid in conn.execute("SELECT order_id, product_id FROM order_items"):
        linked[order_id].append(pid)
    for build_id, pid in conn.execute("SELECT build_id, product_id FROM build_items"):
        linked[build_id].append(pid)
    out = []
    for ticket in _rows(conn, "SELECT id, order_id, build_id, subject, body FROM support_tickets ORDER BY id"):
        text = f"{ticket['subject'] or ''}\n{ticket['body'] or ''}".casefold()
        symptoms = [s for s in SYMPTOMS if s.pattern.search(text)]
        if not symptoms:
            continue
        named = catalogue.named_in(text)
        products = named or linked.get(ticket["order_id"] or "", []) + linked.get(ticket["build_id"] or "", [])
        if not products:
            continue
        have = catalogue.categories(products)
        for symptom in symptoms:
            if not have & symptom.categories:
                where = "it names" if named else "on its order/build"
                out.append(f"support_tickets {ticket['id']}: speaks of '{symptom.name}' but the products {where} "
                           f"({', '.join(sorted(set(products)))}: {', '.join(sorted(have))}) cannot have it")
    return out


def _deliveries(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """order id -> its shipments, each with ``delivered`` (delivered_at, else the delivered event's time)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for shipment in _rows(conn, "SELECT id, order_id, status, delivered_at, events FROM shipments ORDER BY id"):
        events = json.loads(shipment["events"] or "[]")
        scans = [e["at"] for e in events if e.get("status") == "delivered" and e.get("at")]
        stamp = shipment["delivered_at"] or (min(scans) if scans else None)
        shipment["delivered"] = _when(stamp) if stamp else None
        out[shipment["order_id"]].append(shipment)
    return out


def ticket_after_delivery(conn: sqlite3.Connection) -> list[str]:
    """A return or troubleshooting ticket on an order speaks of goods the customer has: it is created
    after their delivery (unless its text says they have not arrived yet)."""
    shipments = _deliveries(conn)
    out = []
    for ticket in _rows(conn, "SELECT id, order_id, type, subject, body, created_at FROM support_tickets "
                              "WHERE type IN ('return', 'troubleshooting') AND order_id IS NOT NULL ORDER BY id"):
        if ticket["created_at"] is None or NOT_YET_ARRIVED.search(f"{ticket['subject']}\n{ticket['body']}".casefold()):
            continue
        delivered = [s["delivered"] for s in shipments.get(ticket["order_id"], []) if s["delivered"]]
        if not delivered:
            states = ", ".join(f"{s['id']} {s['status']}" for s in shipments.get(ticket["order_id"], [])) or "no shipment"
            out.append(f"support_tickets {ticket['id']}: {ticket['type']} ticket on order {ticket['order_id']}, which was never delivered ({states})")
        elif _when(ticket["created_at"]) < min(delivered):
            out.append(f"support_tickets {ticket['id']}: {ticket['type']} ticket created {ticket['created_at']}, before order "
                       f"{ticket['order_id']} was delivered ({min(delivered).strftime('%Y-%m-%dT%H:%M:%SZ')})")
    return out


def designed_lost_parcels() -> set[str]:
    """Tickets planted as lost_parcel traps (data/traps.json): their customer's wrong claim is the point."""
    from mcp_server.world.trap_types import ids_by_type

    return {i for i in ids_by_type().get("lost_parcel", set()) if i.startswith("tkt-")}


def ticket_matches_tracking(conn: sqlite3.Connection, designed: set[str] | None = None) -> list[str]:
    """What a ticket says about the parcel agrees with tracking when it was written: "marked delivered"
    and "it arrived" need a delivery scan by then, and a text that says it arrived does not also ask
    where the parcel is. A customer may ask where a delivered parcel is (they may not have it). Tickets
    planted as lost_parcel traps (``designed``; default: the trap manifest) are exempt."""
    exempt = designed_lost_parcels() if designed is None else designed
    shipments = _deliveries(conn)
    out = []
    for ticket in _rows(conn, "SELECT id, order_id, subject, body, created_at FROM support_tickets WHERE order_id IS NOT NULL ORDER BY id"):
        text = f"{ticket['subject'] or ''}\n{ticket['body'] or ''}".casefold()
        claims_delivered, claims_arrived, claims_missing = (bool(p.search(text)) for p in (DELIVERED_CLAIM, ARRIVED_CLAIM, MISSING_CLAIM))
        if not (claims_delivered or claims_arrived) or ticket["id"] in exempt:
            continue
        own = shipments.get(ticket["order_id"], [])
        written = _when(ticket["created_at"]) if ticket["created_at"] else None
        delivered_then = [s for s in own if s["delivered"] and (written is None or s["delivered"] <= written)]
        states = ", ".join(f"{s['id']} {s['status']}" for s in own) or "no shipment"
        if claims_delivered and not any(s["status"] == "delivered" for s in delivered_then):
            out.append(f"support_tickets {ticket['id']}: says tracking shows order {ticket['order_id']} delivered, but it was not delivered when the ticket was written ({states})")
        if claims_arrived and not delivered_then:
            out.append(f"support_tickets {ticket['id']}: says order {ticket['order_id']} arrived, but it was not delivered when the ticket was written ({states})")
        if claims_arrived and claims_missing:
            out.append(f"support_tickets {ticket['id']}: says order {ticket['order_id']} arrived and asks where it is")
    return out


def orders_only_released_products(conn: sqlite3.Connection) -> list[str]:
    """An order contains only products released by the time it was placed (orders.created_at, else the
    time of the order's first payment), and a saved build only products released when it was saved:
    nobody buys or plans with what the catalogue does not sell yet."""
    out = []
    for line in _rows(conn, "SELECT o.id AS order_id, COALESCE(o.created_at, (SELECT MIN(p.created_at) FROM payments p "
                            "WHERE p.order_id = o.id)) AS placed, i.product_id, pr.released_at FROM orders o "
                            "JOIN order_items i ON i.order_id = o.id JOIN products pr ON pr.id = i.product_id "
                            "WHERE pr.released_at IS NOT NULL ORDER BY o.id, i.id"):
        if line["placed"] and _when(line["released_at"]) > _when(line["placed"]):
            out.append(f"orders {line['order_id']}: placed {line['placed']} but contains product {line['product_id']}, "
                       f"released only {line['released_at']}")
    for line in _rows(conn, "SELECT b.id AS build_id, b.created_at, i.product_id, pr.released_at FROM builds b "
                            "JOIN build_items i ON i.build_id = b.id JOIN products pr ON pr.id = i.product_id "
                            "WHERE pr.released_at IS NOT NULL AND b.created_at IS NOT NULL ORDER BY b.id, i.id"):
        if _when(line["released_at"]) > _when(line["created_at"]):
            out.append(f"builds {line['build_id']}: saved {line['created_at']} with product {line['product_id']}, "
                       f"released only {line['released_at']}")
    return out


def nothing_after_clock(conn: sqlite3.Connection) -> list[str]:
    """Every recorded moment (created, updated, posted, captured, shipped, delivered, tracking events...)
    is at or before the default clock: the world has no future history. Promotion windows and etas may
    lie ahead."""
    clock = _when(DEFAULT_CLOCK)
    out = []
    for table in entity_tables(conn):
        columns = [c for c in table_columns(conn, table)
                   if (c.endswith("_at") and c not in FUTURE_BY_DESIGN) or c in EXTRA_TIME_COLUMNS]
        for column in columns:
            for row_id, stamp in conn.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'):
                if _when(stamp) > clock:
                    out.append(f"{table} {row_id}: {column} {stamp} is after the default clock {DEFAULT_CLOCK}")
    for row_id, events in conn.execute("SELECT id, events FROM shipments"):
        for event in json.loads(events or "[]"):
            if event.get("at") and _when(event["at"]) > clock:
                out.append(f"shipments {row_id}: tracking event {event.get('status')} at {event['at']} is after the default clock {DEFAULT_CLOCK}")
    return out


# When each kind of record comes to exist (tables without such a time, or whose time is not a birth,
# such as kb_articles.updated_at or a promotion's planned window, are not checked).
BORN_AT = {"builds": "created_at", "customers": "created_at", "employees": "hired_at", "escalations": "created_at",
           "orders": "created_at", "payments": "created_at", "products": "released_at", "refunds": "created_at",
           "resolutions": "created_at", "slack_messages": "posted_at", "support_tickets": "created_at"}
RECORD_ID = re.compile(r"\b[a-z]{2,5}-[0-9]{3,6}(?:-[0-9]{3})?\b")
# Original-world messages that name a record dated after them, listed rather than fixed because held-out
# tasks read them: msg-00354 cites tkt-00001, which was created six days after it. (Posts that named a
# product "released" after the order they discuss are gone: the generator dates every release before the
# product's first order, see orders_only_released_products.)
ORIGINAL_EARLY_MENTIONS = frozenset({("msg-00354", "tkt-00001")})


def slack_names_existing_records(conn: sqlite3.Connection, exempt: frozenset[tuple[str, str]] = ORIGINAL_EARLY_MENTIONS) -> list[str]:
    """A Slack message names only records that exist when it is posted: every order, ticket, product,
    customer, build, refund... in its text, its ticket and product lists, and the message it replies to
    came to exist (BORN_AT) no later than the message. ``exempt``: (message, record) pairs let stand."""
    born: dict[str, tuple[str, str]] = {}
    for table, column in BORN_AT.items():
        born.update((row_id, (table, stamp)) for row_id, stamp in conn.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'))
    out = []
    for message in _rows(conn, "SELECT id, posted_at, text, thread_of, ticket_ids, product_ids FROM slack_messages ORDER BY id"):
        named = set(RECORD_ID.findall(message["text"] or "")) | set(json.loads(message["ticket_ids"] or "[]"))
        named |= set(json.loads(message["product_ids"] or "[]")) | ({message["thread_of"]} if message["thread_of"] else set())
        for record in sorted(named - {message["id"]}):
            table, stamp = born.get(record, ("", ""))
            if stamp and _when(stamp) > _when(message["posted_at"]) and (message["id"], record) not in exempt:
                out.append(f"slack_messages {message['id']}: posted {message['posted_at']} but names {table} {record}, "
                           f"which exists only from {stamp}")
    return out


COHERENCE_RULES: dict[str, Rule] = {
    "unique_product_names": unique_product_names,
    "ticket_fits_product": ticket_fits_product,
    "ticket_after_delivery": ticket_after_delivery,
    "ticket_matches_tracking": ticket_matches_tracking,
    "orders_only_released_products": orders_only_released_products,
    "nothing_after_clock": nothing_after_clock,
    "slack_names_existing_records": slack_names_existing_records,
}


def check_rules(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Violations per rule name (every rule listed, an empty list when it holds)."""
    return {name: rule(conn) for name, rule in COHERENCE_RULES.items()}
