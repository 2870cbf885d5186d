"""searchProducts and getProduct through the MCP client."""

from __future__ import annotations

from mcp_server.world.clock import EARLIEST_CLOCK, to_utc_text
from tool_support import call, call_error, call_with_rows, world_row, world_rows


def available_stock(product_id: str) -> int:
    return int(world_row("SELECT COALESCE(SUM(MAX(on_hand - reserved, 0)), 0) AS n FROM inventory WHERE product_id = ?", (product_id,))["n"])


async def test_search_products_filters_by_category_and_price_range_with_specs_and_stock() -> None:
    expected = [r["id"] for r in world_rows("SELECT id FROM products WHERE category = 'gpu' AND price BETWEEN 300 AND 700 ORDER BY id")]
    found = await call("searchProducts", {"category": "gpu", "min_price": 300, "max_price": 700, "limit": 200})
    assert [p["id"] for p in found["products"]] == expected and expected
    first = found["products"][0]
    assert isinstance(first["specs"], dict) and "length_mm" in first["specs"]
    assert first["available_stock"] == available_stock(first["id"])


async def test_search_products_matches_the_brand_only_as_the_catalogue_spells_it() -> None:
    stored = await call("searchProducts", {"brand": "vortexlabs", "limit": 200})
    spaced = await call("searchProducts", {"brand": "Vortex Labs"})
    assert stored["count"] > 0 and all(p["brand"] == "VortexLabs" for p in stored["products"])
    assert spaced == {"products": [], "count": 0}


async def test_search_products_query_matches_name_sku_or_description() -> None:
    product = world_row("SELECT id, sku FROM products ORDER BY id")
    found = await call("searchProducts", {"query": product["sku"].lower()})
    assert [p["id"] for p in found["products"]] == [product["id"]]


async def test_search_products_in_stock_only_leaves_out_products_with_nothing_available() -> None:
    sold_out = world_row(
        "SELECT product_id FROM inventory GROUP BY product_id HAVING SUM(MAX(on_hand - reserved, 0)) = 0"
    )["product_id"]
    category = world_row("SELECT category FROM products WHERE id = ?", (sold_out,))["category"]
    everything = await call("searchProducts", {"category": category, "limit": 200})
    in_stock = await call("searchProducts", {"category": category, "in_stock_only": True, "limit": 200})
    assert sold_out in {p["id"] for p in everything["products"]}
    assert sold_out not in {p["id"] for p in in_stock["products"]}
    assert all(p["available_stock"] > 0 for p in in_stock["products"])


async def test_search_products_refuses_a_price_range_upside_down() -> None:
    assert "min_price" in await call_error("searchProducts", {"min_price": 500, "max_price": 100})


async def test_get_product_gives_stock_per_warehouse_warranty_terms_and_active_promotions() -> None:
    product = world_row("SELECT id, category FROM products WHERE category = 'gpu' ORDER BY id")
    details = await call("getProduct", {"product_id": product["id"]})
    warehouses = world_rows("SELECT warehouse, on_hand, reserved FROM inventory WHERE product_id = ? ORDER BY warehouse", (product["id"],))
    assert [(w["warehouse"], w["on_hand"], w["reserved"]) for w in details["inventory"]] == [tuple(w) for w in warehouses]
    assert all(w["available"] == max(w["on_hand"] - w["reserved"], 0) for w in details["inventory"])
    assert details["warranty_policy"]["category"] == "gpu"
    assert isinstance(details["warranty_policy"]["exclusions"], list)
    now = "2025-09-15T18:00:00Z"  # the default world clock in UTC
    expected = [r["id"] for r in world_rows(
        "SELECT id FROM promotions WHERE starts_at <= ? AND ends_at > ? AND (category IS NULL OR category = 'gpu') ORDER BY id", (now, now)
    )]
    assert [p["id"] for p in details["active_promotions"]] == expected and expected


async def test_get_product_promotions_follow_the_world_clock() -> None:
    earliest = to_utc_text(EARLIEST_CLOCK)  # the world clock accepts no earlier moment
    promo = world_row(
        "SELECT category, starts_at, ends_at FROM promotions WHERE category IS NOT NULL AND starts_at >= ? ORDER BY id", (earliest,)
    )
    product = world_row("SELECT id FROM products WHERE category = ? ORDER BY id", (promo["category"],))
    inside = await call("getProduct", {"product_id": product["id"]}, clock=promo["starts_at"])
    after = await call("getProduct", {"product_id": product["id"]}, clock=promo["ends_at"])
    assert promo["category"] in {p["category"] for p in inside["active_promotions"]}
    assert promo["category"] not in {p["category"] for p in after["active_promotions"]}


async def test_get_product_finds_a_product_by_sku_in_any_letter_case() -> None:
    product = world_row("SELECT id, sku FROM products ORDER BY id DESC")
    details = await call("getProduct", {"sku": product["sku"].lower()})
    assert details["product"]["id"] == product["id"]


async def test_get_product_falls_back_to_the_default_warranty_policy() -> None:
    rows = [("INSERT INTO products VALUES ('prd-9001', 'TST-9001', 'Test gadget', 'Testco', 'accessory', 9.5, 12, '{}', NULL, NULL, 0)", ()),
            ("DELETE FROM warranty_policies WHERE category = 'accessory'", ())]
    details = await call_with_rows(rows, "getProduct", {"product_id": "prd-9001"})
    assert details["warranty_policy"]["category"] == "default"
    assert details["inventory"] == [] and details["product"]["available_stock"] == 0


async def test_get_product_needs_exactly_one_of_id_and_sku() -> None:
    assert "exactly one" in await call_error("getProduct", {})
    assert "exactly one" in await call_error("getProduct", {"product_id": "prd-0001", "sku": "X"})


async def test_get_product_with_an_unknown_id_says_how_to_find_one() -> None:
    text = await call_error("getProduct", {"product_id": "prd-9999"})
    assert "prd-9999" in text and "searchProducts" in text
