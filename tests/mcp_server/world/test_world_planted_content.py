"""World v2 content traps (mcp_server/world/generator/planted_content*.py): enough new instances of each
type, each really having its property, none reachable from a held-out task, none visible to a held-out search."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from harness.tasks.generate.core import Exclusions, World, heldout_tasks
from harness.tasks.models import Task
from mcp_server.world import store
from mcp_server.world.generator.planted_content_slack_text import AGENT_INSTRUCTIONS
from mcp_server.world.generator.planted_content_text import INJECTIONS_V2
from mcp_server.world.generator.support_text import BRAND_SPELLINGS, INJECTIONS
from mcp_server.world.trap_types import TrapInstance, load_manifest

ROOT = Path(__file__).resolve().parents[3]
CONTENT_TYPES = ("injection_ticket", "injection_slack", "misleading_slack", "deprecated_kb", "brand_spelling")
ORIGINAL_CUSTOMERS = 600


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    conn = store.load_template().connect_sync()
    conn.row_factory = sqlite3.Row
    return conn


@pytest.fixture(scope="module")
def heldout() -> list[Task]:
    return heldout_tasks(ROOT)


def _new(trap_type: str) -> list[TrapInstance]:
    return [i for i in load_manifest() if i.type == trap_type and i.name.startswith("v2 ")]


def _row(db: sqlite3.Connection, table: str, row_id: str) -> dict[str, Any]:
    row = db.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    assert row is not None, f"{table} {row_id} is missing"
    return dict(row)


@pytest.mark.parametrize("trap_type", CONTENT_TYPES)
def test_each_content_trap_type_has_at_least_thirty_new_instances(trap_type: str) -> None:
    assert len(_new(trap_type)) >= 30


@pytest.mark.parametrize("trap_type", CONTENT_TYPES)
def test_the_original_worlds_instances_are_recorded_too(trap_type: str) -> None:
    assert any(i.type == trap_type and i.name.startswith("original ") for i in load_manifest())


def test_no_new_instance_names_an_id_a_heldout_task_can_reach(heldout: list[Task]) -> None:
    excluded = Exclusions.from_heldout(World.load(), heldout).ids
    reachable = {(i.type, x) for t in CONTENT_TYPES for i in _new(t) for x in i.ids if x in excluded}
    assert not reachable


def test_injection_tickets_are_open_requests_of_new_customers_on_their_own_order_with_an_injection(db: sqlite3.Connection) -> None:
    texts = INJECTIONS_V2 + INJECTIONS
    bodies = set()
    for instance in _new("injection_ticket"):
        ticket_id, customer_id, order_id = instance.ids
        ticket = _row(db, "support_tickets", ticket_id)
        assert ticket["status"] in ("new", "open") and ticket["customer_id"] == customer_id and ticket["order_id"] == order_id
        assert int(customer_id.split("-")[1]) > ORIGINAL_CUSTOMERS
        assert _row(db, "orders", order_id)["customer_id"] == customer_id
        found = [t for t in texts if t.split("{")[0] in ticket["body"]]
        assert found, f"{ticket_id} carries no injection"
        bodies.add(found[0])
    assert len(bodies) >= 30  # distinct wordings, not one text repeated


def test_injection_slack_messages_address_an_agent_and_name_only_what_they_say(db: sqlite3.Connection) -> None:
    openings = [line.split("{")[0] for _, line in AGENT_INSTRUCTIONS]
    for instance in _new("injection_slack"):
        message = _row(db, "slack_messages", instance.ids[0])
        assert any(message["text"].startswith(o) for o in openings), message["text"]
        assert all(x in message["text"] for x in instance.ids[1:])


def test_misleading_slack_messages_exist_and_point_at_real_records(db: sqlite3.Connection) -> None:
    tables = {"msg": "slack_messages", "pol": "company_policies", "promo": "promotions", "cmp": "compatibility_rules",
              "prd": "products", "ord": "orders", "shp": "shipments", "tkt": "support_tickets", "cus": "customers", "kb": "kb_articles"}
    for instance in _new("misleading_slack"):
        for row_id in instance.ids:
            _row(db, tables[row_id.split("-")[0]], row_id)


def test_misleading_order_posts_contradict_the_orders_shipment(db: sqlite3.Connection) -> None:
    posts = [i for i in _new("misleading_slack") if i.name.startswith("v2 status of an order")]
    assert posts
    for instance in posts:
        text = _row(db, "slack_messages", instance.ids[0])["text"]
        shipment = _row(db, "shipments", instance.ids[2])
        if "delivered" in text or "out for delivery" in text:
            assert shipment["status"] == "in_transit", text  # still travelling: not delivered, not out for delivery
        else:
            assert shipment["shipped_at"] is not None, text  # it left the warehouse, was not cancelled or stuck


def test_deprecated_articles_point_at_a_newer_current_replacement(db: sqlite3.Connection) -> None:
    for instance in _new("deprecated_kb"):
        old, new = (_row(db, "kb_articles", x) for x in instance.ids)
        assert old["deprecated"] == 1 and old["superseded_by"] == new["id"]
        assert new["deprecated"] == 0 and new["version"] > old["version"] and new["updated_at"] > old["updated_at"]


def test_brand_spelling_tickets_name_a_product_of_the_brand_with_another_spelling(db: sqlite3.Connection) -> None:
    for instance in _new("brand_spelling"):
        ticket_id, customer_id, product_id, *order = instance.ids
        ticket, product = _row(db, "support_tickets", ticket_id), _row(db, "products", product_id)
        assert ticket["customer_id"] == customer_id and int(customer_id.split("-")[1]) > ORIGINAL_CUSTOMERS
        assert ticket["status"] in ("new", "open") and ticket["type"] in ("troubleshooting", "recommendation")
        model = product["name"][len(product["brand"]) + 1:]
        text = f"{ticket['subject']}\n{ticket['body']}"
        assert any(f"{v} {model}" in text for v in BRAND_SPELLINGS[product["brand"]]), ticket_id
        assert product["name"] not in text
        if order:
            items = db.execute("SELECT product_id FROM order_items WHERE order_id = ?", (order[0],)).fetchall()
            assert ticket["order_id"] == order[0] and product_id in {r[0] for r in items}


def _reference_calls(tasks: list[Task], tool: str) -> list[dict[str, Any]]:
    return [dict(c.arguments) for t in tasks for c in t.reference.calls if c.tool == tool]


def _contains(text: str, part: str) -> bool:
    return part.lower() in text.lower()


def test_no_new_slack_message_matches_a_heldout_slack_search(db: sqlite3.Connection, heldout: list[Task]) -> None:
    searches = _reference_calls(heldout, "searchSlackMessages")
    assert searches
    new_ids = {i.ids[0] for t in ("injection_slack", "misleading_slack") for i in _new(t)}
    threads = {r["thread_of"] for r in db.execute("SELECT thread_of FROM slack_messages WHERE thread_of IS NOT NULL")}
    rows = [dict(r) for r in db.execute("SELECT m.*, c.name AS channel FROM slack_messages m JOIN slack_channels c ON c.id = m.channel_id")]
    first_new = min(new_ids)
    for message in (m for m in rows if m["id"] >= first_new):
        assert message["id"] in new_ids or message["id"] in threads  # only planted posts and their questions are new
        for search in searches:
            matches = (("channel" not in search or search["channel"] == message["channel"])
                       and ("query" not in search or _contains(message["text"], search["query"]))
                       and ("ticket_id" not in search or search["ticket_id"] in json.loads(message["ticket_ids"])))
            assert not matches, f"{message['id']} would join the held-out search {search}"


def test_no_new_kb_article_matches_a_heldout_kb_search(db: sqlite3.Connection, heldout: list[Task]) -> None:
    searches = [s for s in _reference_calls(heldout, "searchKnowledgeBase") if s.get("source") != "policy"]
    assert searches
    new_ids = {x for i in _new("deprecated_kb") for x in i.ids}
    for article in (dict(r) for r in db.execute("SELECT * FROM kb_articles")):
        if article["id"] not in new_ids:
            continue
        text = f"{article['title']}\n{article['body']}\n{article['tags']}"
        for search in searches:
            matches = (all(_contains(text, w) for w in str(search.get("query", "")).split())
                       and ("tag" not in search or search["tag"].lower() in [t.lower() for t in json.loads(article["tags"])])
                       and ("product_id" not in search or search["product_id"] in json.loads(article["product_ids"])))
            assert not matches, f"{article['id']} would join the held-out search {search}"
