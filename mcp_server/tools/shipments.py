"""searchShipments: find shipments by id, order, tracking number, carrier or status."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.tools.records import Shipment
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field

ShipmentStatus = Literal["label_created", "in_transit", "out_for_delivery", "delivered", "exception", "lost"]


class ShipmentPage(BaseModel):
    shipments: list[Shipment]
    count: int = Field(description="Number of shipments returned")


@world_tool(name="searchShipments", title="Search shipments")
async def searchShipments(
    shipment_id: Annotated[str | None, Field(description="Exact shipment id, e.g. shp-000000")] = None,
    order_id: Annotated[str | None, Field(description="Exact order id, e.g. ord-250101-000")] = None,
    tracking_number: Annotated[str | None, Field(description="Tracking number, or part of it; case-insensitive", min_length=1)] = None,
    carrier: Annotated[str | None, Field(description="Part of the carrier name; case-insensitive", min_length=1)] = None,
    status: Annotated[ShipmentStatus | None, Field(description="Only shipments in this status")] = None,
    limit: limit_field() = 50,
) -> ShipmentPage:
    """Search shipments. All filters are optional and combine with AND; results are ordered by id.
    Each shipment has its order, carrier, service, tracking number, status, shipped/ETA/delivered
    times and its tracking events (time, status, location, note) in recorded order."""
    where = Where()
    where.equals("id", shipment_id)
    where.equals("order_id", order_id)
    where.like("tracking_number", tracking_number)
    where.like("carrier", carrier)
    where.equals("status", status)
    rows = await fetch_all(f"SELECT * FROM shipments {where.sql} ORDER BY id LIMIT ?", [*where.params, limit])
    return ShipmentPage(shipments=[Shipment.from_row(r) for r in rows], count=len(rows))
