"""searchBuilds through the MCP client."""

from __future__ import annotations

from tool_support import call, call_error, world_row, world_rows


async def test_search_builds_by_product_lists_each_build_with_its_parts() -> None:
    product = world_row("SELECT product_id FROM build_items GROUP BY product_id HAVING COUNT(DISTINCT build_id) >= 2 ORDER BY product_id")["product_id"]
    expected = [r["build_id"] for r in world_rows("SELECT DISTINCT build_id FROM build_items WHERE product_id = ? ORDER BY build_id", (product,))]
    found = await call("searchBuilds", {"product_id": product, "limit": 200})
    assert [b["id"] for b in found["builds"]] == expected
    for build in found["builds"]:
        parts = world_rows(
            "SELECT bi.product_id, p.name, p.category, bi.quantity FROM build_items bi JOIN products p ON p.id = bi.product_id "
            "WHERE bi.build_id = ? ORDER BY bi.id", (build["id"],)
        )
        assert [(i["product_id"], i["product_name"], i["category"], i["quantity"]) for i in build["items"]] == [tuple(p) for p in parts]


async def test_search_builds_by_customer_and_part_of_the_name() -> None:
    build = world_row("SELECT id, customer_id, name FROM builds ORDER BY id DESC")
    found = await call("searchBuilds", {"customer_id": build["customer_id"], "name": build["name"][1:-1].upper()})
    assert build["id"] in {b["id"] for b in found["builds"]}
    assert all(b["customer_id"] == build["customer_id"] for b in found["builds"])


async def test_search_builds_with_an_unknown_id_returns_nothing() -> None:
    assert await call("searchBuilds", {"build_id": "bld-9999"}) == {"builds": [], "count": 0}


async def test_search_builds_refuses_a_limit_above_the_maximum() -> None:
    assert "limit" in await call_error("searchBuilds", {"limit": 1000})
