"""calculatePrice through the MCP client: loyalty, promotions, shipping and refusals."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mcp_server.world.clock import EARLIEST_CLOCK, to_utc_text
from tool_support import call_result, error_text, world_rows

# Promotions still running an hour after the earliest clock the world accepts can be priced with.
RUNNING = f"ends_at > '{to_utc_text(EARLIEST_CLOCK + timedelta(hours=1))}'"


async def price(arguments: dict[str, Any], *, clock: str | None = None) -> Any:
    return await call_result("calculatePrice", arguments, clock=clock)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def product(category: str, offset: int = 0) -> sqlite3.Row:
    rows = world_rows("SELECT * FROM products WHERE category = ? ORDER BY id LIMIT 1 OFFSET ?", (category, offset))
    assert rows, f"the world has no {category} product"
    return rows[0]


def running_clock(promo: sqlite3.Row) -> str:
    """A moment inside the promotion's window that the world clock accepts."""
    starts = datetime.strptime(promo["starts_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (max(starts, EARLIEST_CLOCK) + timedelta(hours=1)).isoformat()


async def test_gold_quote_takes_ten_percent_off_the_subtotal_and_adds_express_shipping() -> None:
    gpu, ram = product("gpu"), product("memory")
    result = await price({
        "items": [{"product_id": gpu["id"], "quantity": 1}, {"product_id": ram["id"], "quantity": 2}],
        "loyalty_tier": "gold", "shipping_service": "express",
    })
    quote = result.structured_content
    subtotal = cents(Decimal(str(gpu["price"]))) + cents(Decimal(str(ram["price"])) * 2)
    loyalty = cents(subtotal * Decimal("0.10"))
    assert Decimal(str(quote["subtotal"])) == subtotal
    assert Decimal(str(quote["loyalty_discount"])) == loyalty
    assert quote["shipping"] == 19.99
    assert Decimal(str(quote["total"])) == subtotal - loyalty + Decimal("19.99")
    assert [line["quantity"] for line in quote["lines"]] == [1, 2]


async def test_no_tier_and_standard_shipping_are_the_defaults() -> None:
    cpu = product("cpu")
    quote = (await price({"items": [{"product_id": cpu["id"], "quantity": 1}]})).structured_content
    assert quote["loyalty_discount"] == 0 and quote["shipping"] == 9.99
    assert Decimal(str(quote["total"])) == cents(Decimal(str(cpu["price"]))) + Decimal("9.99")


async def test_unknown_product_is_named_in_the_error() -> None:
    result = await price({"items": [{"product_id": "prd-9999", "quantity": 1}]})
    assert "no product with id prd-9999" in error_text(result)


async def test_unknown_promotion_code_is_an_error() -> None:
    cpu = product("cpu")
    result = await price({"items": [{"product_id": cpu["id"], "quantity": 1}], "promo_code": "NO-SUCH-CODE"})
    assert "no promotion has the code 'NO-SUCH-CODE'" in error_text(result)


async def test_expired_promotion_says_when_it_ended() -> None:
    promos = world_rows("SELECT * FROM promotions WHERE ends_at <= '2025-09-15T18:00:00Z' ORDER BY id LIMIT 1")
    assert promos, "the world has no expired promotion"
    promo = promos[0]
    ended = datetime.strptime(promo["ends_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    ended_eastern = ended.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    item = product(promo["category"] or "cpu")
    result = await price({"items": [{"product_id": item["id"], "quantity": 1}], "promo_code": promo["code"]})
    assert f"has expired: it ended {ended_eastern}" in error_text(result)


async def test_non_stackable_promotion_and_loyalty_discount_give_only_the_larger_one() -> None:
    promos = world_rows(f"SELECT * FROM promotions WHERE stackable_with_loyalty = 0 AND {RUNNING} ORDER BY id LIMIT 1")
    assert promos, "the world has no non-stackable promotion"
    promo = promos[0]
    item = product(promo["category"] or "gpu")
    quantity = max(1, int(Decimal(str(promo["min_subtotal"])) / Decimal(str(item["price"]))) + 1)
    result = await price(
        {"items": [{"product_id": item["id"], "quantity": quantity}], "loyalty_tier": "platinum", "promo_code": promo["code"].lower()},
        clock=running_clock(promo),
    )
    quote = result.structured_content
    subtotal = Decimal(str(quote["subtotal"]))
    loyalty = cents(subtotal * Decimal("0.15"))
    if promo["discount_type"] == "percent":
        offer = cents(subtotal * Decimal(str(promo["discount_value"])) / 100)
    else:
        offer = min(cents(Decimal(str(promo["discount_value"]))), subtotal)
    assert (Decimal(str(quote["loyalty_discount"])), Decimal(str(quote["promo_discount"]))) == (
        (Decimal("0.00"), offer) if offer > loyalty else (loyalty, Decimal("0.00"))
    )
    assert "does not stack" in " ".join(quote["notes"])


async def test_stackable_promotion_applies_with_the_loyalty_discount() -> None:
    promos = world_rows(f"SELECT * FROM promotions WHERE stackable_with_loyalty = 1 AND {RUNNING} ORDER BY id LIMIT 1")
    assert promos, "the world has no stackable promotion"
    promo = promos[0]
    item = product(promo["category"] or "gpu")
    quantity = max(1, int(Decimal(str(promo["min_subtotal"])) / Decimal(str(item["price"]))) + 1)
    quote = (await price(
        {"items": [{"product_id": item["id"], "quantity": quantity}], "loyalty_tier": "silver", "promo_code": promo["code"]},
        clock=running_clock(promo),
    )).structured_content
    subtotal = Decimal(str(quote["subtotal"]))
    assert Decimal(str(quote["loyalty_discount"])) == cents(subtotal * Decimal("0.05"))
    assert quote["promo_discount"] > 0
    assert Decimal(str(quote["total"])) == subtotal - Decimal(str(quote["loyalty_discount"])) - Decimal(str(quote["promo_discount"])) + Decimal("9.99")


async def test_category_promotion_on_items_of_other_categories_is_an_error() -> None:
    promos = world_rows(f"SELECT * FROM promotions WHERE category IS NOT NULL AND min_subtotal <= 50 AND {RUNNING} ORDER BY id LIMIT 1")
    if not promos:
        promos = world_rows(f"SELECT * FROM promotions WHERE category IS NOT NULL AND {RUNNING} ORDER BY id LIMIT 1")
    assert promos, "the world has no category promotion"
    promo = promos[0]
    other = world_rows("SELECT * FROM products WHERE category != ? ORDER BY price DESC LIMIT 1", (promo["category"],))[0]
    quantity = max(1, int(Decimal(str(promo["min_subtotal"])) / Decimal(str(other["price"]))) + 1)
    result = await price(
        {"items": [{"product_id": other["id"], "quantity": min(quantity, 100)}], "promo_code": promo["code"]},
        clock=running_clock(promo),
    )
    assert f"applies only to {promo['category']} products" in error_text(result)


async def test_promotion_below_its_minimum_subtotal_is_an_error() -> None:
    promos = world_rows(
        f"""SELECT * FROM (SELECT pr.*, (SELECT p.id FROM products p WHERE (pr.category IS NULL OR p.category = pr.category)
                                          AND p.price < pr.min_subtotal ORDER BY p.price LIMIT 1) AS cheap_id
                           FROM promotions pr WHERE pr.min_subtotal > 0 AND pr.{RUNNING})
            WHERE cheap_id IS NOT NULL ORDER BY id LIMIT 1"""
    )
    assert promos, "the world has no promotion with a minimum above one of its products' price"
    promo = promos[0]
    cheap = [{"id": promo["cheap_id"]}]
    result = await price({"items": [{"product_id": cheap[0]["id"], "quantity": 1}], "promo_code": promo["code"]}, clock=running_clock(promo))
    assert "needs a subtotal of at least" in error_text(result)


async def test_quantity_must_be_positive() -> None:
    cpu = product("cpu")
    result = await price({"items": [{"product_id": cpu["id"], "quantity": 0}]})
    assert "greater than or equal to 1" in error_text(result)


async def test_the_quote_reads_the_tier_discount_from_the_worlds_loyalty_tiers_table() -> None:
    tier = world_rows("SELECT * FROM loyalty_tiers WHERE id = 'platinum'")[0]
    ssd = product("storage")
    quote = (await price({"items": [{"product_id": ssd["id"], "quantity": 1}], "loyalty_tier": "platinum"})).structured_content
    assert (quote["loyalty_tier_name"], quote["loyalty_discount_pct"]) == (tier["name"], tier["discount_pct"])
    assert Decimal(str(quote["loyalty_discount"])) == cents(Decimal(str(ssd["price"])) * Decimal(str(tier["discount_pct"])) / 100)
