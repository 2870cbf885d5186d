"""The commerce-trap families (families_timing, families_charges, families_accounts): the trap values their
rubrics call wrong are really wrong (what every family owes the split is tested over all of them in
test_generate_families.py)."""

from __future__ import annotations

from family_fixtures import entity, instances, world

from harness.tasks.generate.core import Instance, eastern_day, utc


def _checks(instance: Instance, kind: str) -> list[dict]:
    return [c["check"] for c in instance.criteria if c["check"]["method"] == "response" and c["check"].get(kind)]


def test_the_utc_date_of_a_late_evening_order_is_a_wrong_answer() -> None:
    for instance in instances("order-date-eastern"):
        order = entity(instance, "ord-")
        created = world().value("SELECT created_at FROM orders WHERE id = ?", (order,))
        (dates,) = [c["dates"][0] for c in _checks(instance, "dates")]
        assert dates["value"] == eastern_day(created).isoformat() != utc(created).date().isoformat()
        assert utc(created).date().isoformat() in dates["wrong"]


def test_a_failed_attempt_is_never_counted_as_a_charge() -> None:
    for instance in instances("payment-attempts"):
        (amount,) = [c["numbers"][0] for c in _checks(instance, "numbers")]
        assert amount["wrong"] and all(w > amount["value"] for w in amount["wrong"])
        assert not any(c["tool"] in ("createRefund", "updatePaymentStatus") for c in instance.calls)


def test_capped_counts_differ_from_the_first_ten_orders() -> None:
    for instance in instances("capped-month-units"):
        (count,) = [c["numbers"][0] for c in _checks(instance, "numbers")]
        assert count.get("wrong"), instance.prompt
        assert sum(c["tool"] == "searchOrders" for c in instance.calls) >= 2


def test_return_deadlines_fall_on_day_thirty_or_thirty_one_and_write_nothing() -> None:
    db = world()
    for instance in instances("return-deadline"):
        ticket = entity(instance, "tkt-")
        asked, bought = db.one("SELECT t.created_at AS t, o.created_at AS o FROM support_tickets t JOIN orders o ON o.id = t.order_id "
                               "WHERE t.id = ?", (ticket,)).values()
        assert (eastern_day(asked) - eastern_day(bought)).days in (30, 31)
        assert instance.clock and instance.clock >= "2025-08-15"
        assert all(c["tool"] in ("searchCustomers", "getOrderDetails") for c in instance.calls)


def test_tier_answers_use_the_tier_the_order_was_placed_with() -> None:
    db = world()
    for instance in instances("tier-at-purchase"):
        order = entity(instance, "ord-")
        placed, now = db.one("SELECT o.loyalty_tier, c.loyalty_tier AS now FROM orders o JOIN customers c ON c.id = o.customer_id "
                             "WHERE o.id = ?", (order,)).values()
        assert placed != now and placed in instance.reply
