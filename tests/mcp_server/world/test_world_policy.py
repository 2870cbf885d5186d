"""The policy document, the company_policies rows and the SLA table agree with rules.py."""

from __future__ import annotations

import re
import sqlite3

import pytest

from mcp_server.world import rules, store
from mcp_server.world.policy import policy_text

TOPICS = {"returns", "refunds", "shipping", "loyalty", "cancellation", "warranty", "builds", "tickets", "escalation",
          "privacy", "recommendations", "security"}


@pytest.fixture(scope="module")
def world() -> sqlite3.Connection:
    return store.load_template().connect_sync()


def _policy_body(world: sqlite3.Connection, topic: str) -> str:
    return str(world.execute("SELECT body FROM company_policies WHERE id = ?", (f"pol-{topic}",)).fetchone()[0])


def test_there_is_one_company_policy_row_per_topic(world: sqlite3.Connection) -> None:
    rows = world.execute("SELECT id, topic FROM company_policies").fetchall()
    assert {topic for _, topic in rows} == TOPICS
    assert all(row_id == f"pol-{topic}" for row_id, topic in rows)


def test_the_policy_document_is_a_system_prompt_of_1200_to_2000_words() -> None:
    words = len(policy_text().split())
    assert 1200 <= words <= 2000


def test_shipping_prices_are_the_same_in_the_policy_document_and_the_shipping_row(world: sqlite3.Connection) -> None:
    for cost in rules.SHIPPING_COST.values():
        assert f"${cost}" in policy_text() and f"${cost}" in _policy_body(world, "shipping")
    assert "never refunded" in policy_text() and "never refunded" in _policy_body(world, "shipping")


def test_loyalty_percentages_are_the_same_in_the_document_the_row_and_the_tier_table(world: sqlite3.Connection) -> None:
    tiers = dict(world.execute("SELECT id, discount_pct FROM loyalty_tiers").fetchall())
    assert tiers == rules.LOYALTY_DISCOUNT_PCT
    for tier, pct in rules.LOYALTY_DISCOUNT_PCT.items():
        assert re.search(rf"\|\s*{tier}\s*\|\s*{pct} %", policy_text()), tier
        assert f"{tier} {pct} %" in _policy_body(world, "loyalty")


def test_every_escalation_type_maps_to_its_department_in_the_document_and_the_row(world: sqlite3.Connection) -> None:
    for kind, department in rules.ESCALATION_DEPARTMENT.items():
        assert re.search(rf"\|\s*{kind}\s*\|\s*{department}\s*\|", policy_text()), kind
        assert f"{kind} -> {department}" in _policy_body(world, "escalation")


def test_the_return_window_is_day_30_after_purchase_in_us_eastern_everywhere(world: sqlite3.Connection) -> None:
    assert "day 30 after the purchase date" in policy_text() and "US Eastern" in policy_text()
    assert "day 30 after the purchase date" in _policy_body(world, "returns")
    assert rules.RETURN_WINDOW_DAYS == 30


def test_slas_cover_every_tier_and_priority_and_better_tiers_are_never_slower(world: sqlite3.Connection) -> None:
    rows = {(tier, priority): (first, resolve) for tier, priority, first, resolve in
            world.execute("SELECT loyalty_tier, priority, first_response_hours, resolution_hours FROM slas")}
    tiers, priorities = list(rules.LOYALTY_DISCOUNT_PCT), ["high", "normal", "low"]
    assert set(rows) == {(t, p) for t in tiers for p in priorities}
    for priority in priorities:
        hours = [rows[(tier, priority)] for tier in tiers]
        assert hours == sorted(hours, reverse=True)
    assert all(first < resolve for first, resolve in rows.values())
