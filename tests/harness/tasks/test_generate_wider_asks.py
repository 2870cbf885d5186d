"""The families that widen what the training split asks (families_catalog, families_loyalty, families_followup,
families_approvers): twenty instances each, the right facts from the world with the careless answers listed
as wrong, and nothing written (what every family owes the split is tested over all of them in
test_generate_families.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from family_fixtures import check, entity, instances, world

from harness.tasks.generate import families_approvers, families_catalog, families_followup, families_loyalty
from harness.tasks.generate.core import eastern_day
from harness.tasks.generate.families_askkit import NO_WRITE_TOOLS
from mcp_server.world import rules

FAMILIES = sorted({**families_catalog.FAMILIES, **families_loyalty.FAMILIES, **families_followup.FAMILIES, **families_approvers.FAMILIES})


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_yields_at_least_twenty_instances(family: str) -> None:
    assert len(instances(family)) >= 20, f"{family} found only {len(instances(family))} instances in the world"


@pytest.mark.parametrize("family", FAMILIES)
def test_no_family_writes_anything(family: str) -> None:
    for instance in instances(family):
        assert not [c for c in instance.calls if c["tool"] in NO_WRITE_TOOLS], (family, instance.prompt)
        assert any(c["id"] == "no-writes" for c in instance.criteria), family


def test_restock_dates_are_the_earliest_eta_and_never_a_stock_update_day() -> None:
    for instance in instances("restock-eta"):
        rows = world().all("SELECT * FROM inventory WHERE product_id = ?", (entity(instance, "prd-"),))
        assert sum(max(r["on_hand"] - r["reserved"], 0) for r in rows) == 0
        dates = check(instance, "restock-date").get("dates")
        etas = sorted(eastern_day(r["restock_eta"]) for r in rows if r["restock_eta"])
        if not etas:
            assert not dates
            continue
        assert dates[0]["value"] == etas[0].isoformat()
        assert not {d.isoformat() for d in etas} & set(dates[0].get("wrong", []))


def test_warehouse_counts_leave_out_reserved_units_and_list_on_hand_as_wrong() -> None:
    for instance in instances("warehouse-stock"):
        rows = world().all("SELECT * FROM inventory WHERE product_id = ?", (entity(instance, "prd-"),))
        available = {max(r["on_hand"] - r["reserved"], 0) for r in rows} | {sum(max(r["on_hand"] - r["reserved"], 0) for r in rows)}
        on_hand = {r["on_hand"] for r in rows} | {sum(r["on_hand"] for r in rows)}
        numbers = [n for c in instance.criteria for n in c["check"].get("numbers", [])]
        assert numbers and all(n["value"] in available and n["wrong"] and set(n["wrong"]) <= on_hand for n in numbers)


def test_order_breakdowns_add_up_and_list_other_tiers_discounts_as_wrong() -> None:
    changed = 0
    for instance in instances("order-breakdown"):
        order = world().one("SELECT o.*, c.loyalty_tier AS now FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
                            (entity(instance, "ord-"),))
        values = [Decimal(str(n["value"])) for n in check(instance, "amounts")["numbers"]]
        subtotal, loyalty, *promo, shipping, total = values
        assert subtotal - loyalty - sum(promo, Decimal(0)) + shipping == total == Decimal(str(order["total"]))
        wrong = check(instance, "amounts")["numbers"][1]["wrong"]
        assert float(loyalty) not in wrong
        if order["now"] != order["loyalty_tier"] and rules.LOYALTY_DISCOUNT_PCT[order["now"]]:
            changed += 1
            today = float(rules.loyalty_discount(order["subtotal"], order["now"]))
            assert today in wrong or today in map(float, values)
    assert changed, "no order placed at an earlier tier was picked"


def test_loyalty_answers_use_todays_tier_and_list_an_older_orders_rate_as_wrong() -> None:
    for instance in instances("loyalty-benefits"):
        customer = world().customer(entity(instance, "cus-"))
        tier = customer["loyalty_tier"]
        assert tier in check(instance, "tier")["says_any"][0].lower() or tier == "none"
        if tier == "none":
            continue
        discount = check(instance, "discount")["numbers"][0]
        assert discount["value"] == rules.LOYALTY_DISCOUNT_PCT[tier]
        older = world().value("SELECT loyalty_tier FROM orders WHERE customer_id = ? AND created_at IS NOT NULL ORDER BY created_at DESC, id DESC "
                              "LIMIT 1", (customer["id"],))
        if older and rules.LOYALTY_DISCOUNT_PCT[older] not in (discount["value"], rules.LOYALTY_DISCOUNT_PCT.get(families_loyalty.NEXT_TIER.get(tier, ""), -1)):
            assert rules.LOYALTY_DISCOUNT_PCT[older] in discount["wrong"]


def test_ticket_followups_date_the_resolution_by_its_eastern_day_not_the_opening() -> None:
    dated = 0
    for instance in instances("ticket-followup"):
        ticket = world().one("SELECT t.*, r.created_at AS resolved_at FROM support_tickets t LEFT JOIN resolutions r ON r.ticket_id = t.id "
                             "WHERE t.id = ?", (entity(instance, "tkt-"),))
        ids = [c for c in instance.criteria if c["id"] == "resolved-on"]
        assert bool(ids) == (ticket["resolved_at"] is not None)
        if ids:
            dated += 1
            (day,) = ids[0]["check"]["dates"]
            assert day["value"] == eastern_day(ticket["resolved_at"]).isoformat()
            assert eastern_day(ticket["created_at"]).isoformat() in day.get("wrong", []) or eastern_day(ticket["created_at"]).isoformat() == day["value"]
    assert dated


def test_escalation_answers_follow_the_escalation_record() -> None:
    for instance in instances("escalation-status"):
        escalation = world().one("SELECT * FROM escalations WHERE ticket_id = ?", (entity(instance, "tkt-"),))
        if escalation is None:
            assert "not been escalated" in check(instance, "escalated")["says_any"]
            continue
        assert check(instance, "department")["says_any"] == families_followup.DEPARTMENT_WORDS[escalation["department"]]
        assert f"{escalation['priority']} priority" in check(instance, "priority")["says_any"]
        assert escalation["status"] in instance.reply


def test_refund_approvers_are_named_by_permission_not_title() -> None:
    holds = {e["id"]: "issue_refund" in json.loads(e["permissions"]) for e in world().employees()}
    by_name = {e["name"]: e["id"] for e in world().employees()}
    for instance in instances("refund-approvers"):
        subject = instance.entities[1] if len(instance.entities) > 1 and instance.entities[1].startswith("emp-") else instance.requester_id
        approvers = [c for c in instance.criteria if c["id"] == "approvers"]
        assert bool(approvers) != holds[subject], instance.prompt
        for named in (a["check"] for a in approvers):
            assert all(holds[by_name[n]] for n in named["says_all"])
            wrongly = [p.removesuffix(" can approve") for p in named["never_says"] if p.removesuffix(" can approve") in by_name]
            assert wrongly and not any(holds[by_name[n]] for n in wrongly)
