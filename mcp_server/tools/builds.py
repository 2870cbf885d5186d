"""searchBuilds: customers' saved PC configurations with their parts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from mcp_server.tools.filters import placeholders
from mcp_server.tools.records import Build, BuildItem
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field


class BuildPage(BaseModel):
    builds: list[Build]
    count: int = Field(description="Number of builds returned")


@world_tool(name="searchBuilds", title="Search saved builds")
async def searchBuilds(
    build_id: Annotated[str | None, Field(description="Exact build id, e.g. bld-0000")] = None,
    customer_id: Annotated[str | None, Field(description="Exact customer id, e.g. cus-00000")] = None,
    name: Annotated[str | None, Field(description="Part of the build's name; case-insensitive", min_length=1)] = None,
    product_id: Annotated[str | None, Field(description="Only builds that contain this product id, e.g. prd-0000")] = None,
    limit: limit_field() = 50,
) -> BuildPage:
    """Search saved PC builds. All filters are optional and combine with AND; results are ordered
    by id. Each build lists its parts (product id, name, category, quantity)."""
    where = Where()
    where.equals("id", build_id)
    where.equals("customer_id", customer_id)
    where.like("name", name)
    if product_id is not None:
        where.add("id IN (SELECT build_id FROM build_items WHERE product_id = ?)", product_id)
    builds = await fetch_all(f"SELECT * FROM builds {where.sql} ORDER BY id LIMIT ?", [*where.params, limit])
    if not builds:
        return BuildPage(builds=[], count=0)
    ids = [b["id"] for b in builds]
    items = await fetch_all(
        "SELECT bi.build_id, bi.product_id, p.name AS product_name, p.category, bi.quantity FROM build_items bi "
        f"LEFT JOIN products p ON p.id = bi.product_id WHERE bi.build_id IN ({placeholders(ids)}) ORDER BY bi.id",
        ids,
    )
    by_build: dict[str, list[BuildItem]] = {bid: [] for bid in ids}
    for item in items:
        by_build[item.pop("build_id")].append(BuildItem(**item))
    result = [Build(**b, items=by_build[b["id"]]) for b in builds]
    return BuildPage(builds=result, count=len(result))
