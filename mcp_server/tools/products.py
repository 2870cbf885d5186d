"""searchProducts and getProduct: the catalogue, with stock, warranty terms and live promotions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, NotFoundError
from mcp_server.tools.records import InventoryLevel, Product, Promotion, WarrantyPolicy
from mcp_server.tools.runtime import fetch_all, fetch_one, world_now, world_tool
from mcp_server.tools.sql import Where, limit_field
from mcp_server.world.clock import to_utc_text

Category = Literal[
    "cpu", "motherboard", "gpu", "memory", "storage", "psu", "case", "cooling", "prebuilt", "workstation",
    "monitor", "keyboard", "mouse", "headset", "networking", "cable", "accessory", "bundle",
]

# Stock columns computed per product through the inventory index (no table-wide aggregation).
_STOCK_COLUMNS = (
    "(SELECT COALESCE(SUM(MAX(on_hand - reserved, 0)), 0) FROM inventory i WHERE i.product_id = p.id) AS available_stock, "
    "(SELECT COALESCE(MAX(backorderable), 0) FROM inventory i WHERE i.product_id = p.id) AS backorderable"
)


class ProductPage(BaseModel):
    products: list[Product]
    count: int = Field(description="Number of products returned")


class ProductDetails(BaseModel):
    product: Product
    inventory: list[InventoryLevel] = Field(description="Stock per warehouse")
    warranty_policy: WarrantyPolicy | None = Field(description="The warranty policy for the product's category (or the default one)")
    active_promotions: list[Promotion] = Field(
        description="Promotions running now (world clock) that apply to this category or to every category"
    )


@world_tool(name="searchProducts", title="Search products")
async def searchProducts(
    query: Annotated[str | None, Field(description="Part of the name, SKU or description; case-insensitive", min_length=1)] = None,
    category: Annotated[Category | None, Field(description="Only products of this category")] = None,
    brand: Annotated[str | None, Field(description="Part of the brand name as the catalogue spells it; case-insensitive", min_length=1)] = None,
    min_price: Annotated[float | None, Field(description="Lowest unit price in dollars (inclusive)", ge=0)] = None,
    max_price: Annotated[float | None, Field(description="Highest unit price in dollars (inclusive)", ge=0)] = None,
    in_stock_only: Annotated[bool, Field(description="Only products with units available now in some warehouse")] = False,
    limit: limit_field() = 50,
) -> ProductPage:
    """Search the product catalogue. All filters are optional and combine with AND; results are
    ordered by id. Each product carries its specs (category-specific, e.g. socket, TDP, memory type,
    form factor, length, wattage), price, warranty_months, discontinued flag, the units available now
    over all warehouses and whether it can be backordered. Use getProduct for stock per warehouse,
    warranty terms and running promotions."""
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidArgumentError(f"min_price ({min_price}) is above max_price ({max_price}); swap them")
    where = Where()
    if query:
        pattern = Where.contains(query)
        where.add("(p.name LIKE ? ESCAPE '\\' OR p.sku LIKE ? ESCAPE '\\' OR p.description LIKE ? ESCAPE '\\')", pattern, pattern, pattern)
    where.equals("p.category", category)
    where.like("p.brand", brand)
    if min_price is not None:
        where.add("p.price >= ?", min_price)
    if max_price is not None:
        where.add("p.price <= ?", max_price)
    if in_stock_only:
        where.add("EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = p.id AND i.on_hand - i.reserved > 0)")
    rows = await fetch_all(
        f"SELECT p.*, {_STOCK_COLUMNS} FROM products p {where.sql} ORDER BY p.id LIMIT ?", [*where.params, limit]
    )
    return ProductPage(products=[Product.from_row(r) for r in rows], count=len(rows))


@world_tool(name="getProduct", title="Get product details")
async def getProduct(
    product_id: Annotated[str | None, Field(description="Product id, e.g. prd-0000 (give this or sku, not both)")] = None,
    sku: Annotated[str | None, Field(description="Exact SKU (give this or product_id, not both)")] = None,
) -> ProductDetails:
    """One product by id or SKU, with its specs, stock per warehouse (on_hand, reserved, available,
    backorderable, restock_eta), the warranty policy for its category, and the promotions active
    right now (world clock) for its category or for all categories."""
    product = await _find_product(product_id, sku)
    inventory = await fetch_all(
        "SELECT warehouse, on_hand, reserved, MAX(on_hand - reserved, 0) AS available, backorderable, restock_eta, updated_at "
        "FROM inventory WHERE product_id = ? ORDER BY warehouse",
        (product["id"],),
    )
    policy = await fetch_one(
        "SELECT * FROM warranty_policies WHERE category IN (?, 'default') ORDER BY category = 'default', id LIMIT 1",
        (product["category"],),
    )
    now = to_utc_text(world_now())
    promotions = await fetch_all(
        "SELECT * FROM promotions WHERE starts_at <= ? AND ends_at > ? AND (category IS NULL OR category = ?) ORDER BY id",
        (now, now, product["category"]),
    )
    return ProductDetails(
        product=Product.from_row(product),
        inventory=[InventoryLevel(**{**r, "backorderable": bool(r["backorderable"])}) for r in inventory],
        warranty_policy=WarrantyPolicy.from_row(policy) if policy else None,
        active_promotions=[Promotion.from_row(r) for r in promotions],
    )


async def _find_product(product_id: str | None, sku: str | None) -> dict[str, Any]:
    if (product_id is None) == (sku is None):
        raise InvalidArgumentError("give exactly one of product_id (e.g. prd-0000) or sku")
    select = f"SELECT p.*, {_STOCK_COLUMNS} FROM products p"
    if product_id is not None:
        row = await fetch_one(f"{select} WHERE p.id = ?", (product_id.strip(),))
        if row is None:
            raise NotFoundError(
                f"no product with id {product_id!r}; product ids look like prd-0000. "
                "Use searchProducts to find a product by name, SKU or brand"
            )
        return row
    assert sku is not None
    # Exact match first (indexed); fall back to a case-insensitive match for hand-typed SKUs.
    row = await fetch_one(f"{select} WHERE p.sku = ?", (sku.strip(),))
    if row is None:
        row = await fetch_one(f"{select} WHERE p.sku = ? COLLATE NOCASE", (sku.strip(),))
    if row is None:
        raise NotFoundError(f"no product with SKU {sku!r}. Use searchProducts with query={sku!r} to look for similar SKUs")
    return row
