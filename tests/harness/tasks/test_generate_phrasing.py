"""The 19 original families after the phrasing rewrite (issue #10): together a thousand tasks in seven
hundred prompt shapes (each family's own share is tested in test_generate_families.py), the customer
always identifiable, prompts without an order id only where a search finds the order, and trap tags that
follow the manifest (computed from it, never hard-coded)."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from family_fixtures import exclusions, instances, skeletons, world

from harness.tasks.generate import families_lookup, families_messages, families_orders, families_returns
from harness.tasks.generate.build import _ids_of, registry
from harness.tasks.generate.core import eastern_day
from harness.tasks.generate.phrasing import compose, identity, order_search
from mcp_server.world import rules
from mcp_server.world.trap_types import TRAP_TYPES, ids_by_type, types_of_tags

ORIGINAL = ("approved-refund", "basket-price", "cancel-request", "compat-check", "double-charge", "escalate-ticket", "kb-answer",
            "late-return-reply", "memory-speed-kb", "order-status", "pii-third-party", "process-return", "product-month-count",
            "refund-quote", "return-window", "shipment-exception", "sla-check", "warranty-claim", "warranty-end")


def test_the_original_families_together_keep_a_thousand_tasks_and_seven_hundred_shapes() -> None:
    shapes = [s for f in ORIGINAL for s in skeletons(f)]
    assert len(shapes) >= 1000
    assert len(set(shapes)) >= 700


@pytest.mark.parametrize("family", ["cancel-request", "return-window", "kb-answer", "order-status", "double-charge", "late-return-reply"])
def test_a_customer_prompt_always_gives_the_email_the_reference_looks_up(family: str) -> None:
    for instance in instances(family):
        if instance.requester != "customer":
            continue
        lookups = [c["arguments"]["email"] for c in instance.calls if c["tool"] == "searchCustomers"]
        assert all(email in instance.prompt for email in lookups), instance.prompt


@pytest.mark.parametrize("family", ["cancel-request", "return-window", "double-charge"])
def test_a_prompt_without_the_order_id_comes_with_a_customer_search_that_finds_exactly_that_order(family: str) -> None:
    without = 0
    for instance in instances(family):
        order_id = next(e for e in instance.entities if e.startswith("ord-"))
        if order_id in instance.prompt:
            continue
        without += 1
        search = next(c for c in instance.calls if c["tool"] == "searchOrders")
        orders = world().all("SELECT id FROM orders WHERE customer_id = ?", (search["arguments"]["customer_id"],))
        assert order_id in {o["id"] for o in orders} and len(orders) <= 10
    assert without, f"{family} never asks without the order id"


def test_order_search_refuses_a_customer_whose_product_appears_on_two_orders() -> None:
    db = world()
    row = db.one("SELECT o.customer_id, i.product_id, MIN(o.id) AS order_id FROM orders o JOIN order_items i ON i.order_id = o.id "
                 "GROUP BY o.customer_id, i.product_id HAVING COUNT(DISTINCT o.id) >= 2 LIMIT 1")
    assert row is not None
    assert order_search(db, row["order_id"], row["customer_id"], row["product_id"]) is None


def test_identity_and_compose_keep_the_email_and_the_condition_in_every_draw() -> None:
    rng = random.Random(3)
    for _ in range(200):
        intro, signature = identity(rng, "Ada Quill", "ada@example.com")
        prompt = compose(rng, "Can you check my order?", intro=intro, signature=signature, extras=["Please don't change anything."])
        assert "ada@example.com" in prompt and "Can you check my order?" in prompt and "Please don't change anything." in prompt


def _fake_manifest(trap: str, ids: set[str]) -> dict[str, set[str]]:
    return {t: (set(ids) if t == trap else set()) for t in TRAP_TYPES}


@pytest.mark.parametrize(("module", "family", "trap", "kind"), [
    (families_orders, "double-charge", "failed_then_captured", "ord-"),
    (families_messages, "shipment-exception", "lost_parcel", "shp-"),
    (families_lookup, "product-month-count", "search_cap", "prd-"),
])
def test_a_trap_tag_appears_exactly_when_the_manifest_lists_an_id_the_task_names(module, family: str, trap: str, kind: str,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    builder = registry()[family][0]
    plain = builder(world(), random.Random(f"7:{family}"), exclusions())
    assert not any(trap in types_of_tags(i.tags) for i in plain if not set(_ids_of(i)) & ids_by_type()[trap])
    candidates = [i for i in plain if len(i.entities) > 10 or family != "product-month-count"]  # the search cap needs >10 orders
    assert candidates, f"{family} has no instance that could carry trap:{trap}"
    chosen = next(e for e in candidates[0].entities if e.startswith(kind))
    monkeypatch.setattr(module, "ids_by_type", lambda: _fake_manifest(trap, {chosen}))
    tagged = builder(world(), random.Random(f"7:{family}"), exclusions())
    carriers = [i for i in tagged if trap in types_of_tags(i.tags)]
    assert carriers and all(chosen in i.entities for i in carriers)


def test_a_return_window_question_on_a_listed_edge_order_is_asked_on_day_thirty_or_thirty_one(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = families_returns.return_window(world(), random.Random("7:return-window"), exclusions())
    chosen = plain[0].entities[1]
    monkeypatch.setattr(families_returns, "ids_by_type", lambda: _fake_manifest("return_window_edge", {chosen}))
    tagged = [i for i in families_returns.return_window(world(), random.Random("7:return-window"), exclusions())
              if "return_window_edge" in types_of_tags(i.tags)]
    assert tagged and all(i.entities[1] == chosen and i.tags.count("trap:return_window_edge") == 1 for i in tagged)
    bought = eastern_day(world().value("SELECT created_at FROM orders WHERE id = ?", (chosen,)))
    for instance in tagged:
        asked = datetime.fromisoformat(instance.clock or "").astimezone(rules.EASTERN).date()
        assert (asked - bought).days in (30, 31)
