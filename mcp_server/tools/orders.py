"""searchOrders and getOrderDetails: orders with their lines, payment, shipments, customer,
tickets and refunds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import NotFoundError
from mcp_server.tools.filters import placeholders, time_window
from mcp_server.tools.records import (
    CustomerBrief,
    Order,
    OrderLine,
    OrderSummary,
    Payment,
    Refund,
    Shipment,
    TicketBrief,
    json_list,
)
from mcp_server.tools.runtime import fetch_all, fetch_one, world_tool
from mcp_server.tools.sql import Where, limit_field

OrderStatus = Literal[
    "pending", "paid", "fulfilled", "cancelled", "backorder", "refund_requested", "refunded", "partially_refunded"
]

# By design (as in the original CoreCraft) a search returns at most this many orders and does not
# say when it stopped early: agents have to narrow the date window to see everything.
SEARCH_ORDERS_CAP = 10

# getOrderDetails reads the order and its customer in one statement (one query fewer per call); the
# customer's columns come back under a prefix no orders column has.
_CUSTOMER_PREFIX = "customer__"
_CUSTOMER_FIELDS = ("id", "name", "email", "loyalty_tier")
_ORDER_WITH_CUSTOMER = (
    "SELECT o.*, c.id AS customer__id, c.first_name || ' ' || c.last_name AS customer__name, "
    "c.email AS customer__email, c.loyalty_tier AS customer__loyalty_tier "
    "FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id = ?"
)


class OrderPage(BaseModel):
    orders: list[OrderSummary]
    count: int = Field(description="Number of orders returned")


class OrderDetails(BaseModel):
    order: Order
    lines: list[OrderLine]
    payment: Payment | None = Field(description="The order's most recent payment (all payments: searchPayments)")
    shipments: list[Shipment]
    customer: CustomerBrief | None
    tickets: list[TicketBrief] = Field(description="Support tickets about this order")
    refunds: list[Refund] = Field(description="Refunds on this order, each with its itemised lines")


@world_tool(name="searchOrders", title="Search orders")
async def searchOrders(
    order_id: Annotated[str | None, Field(description="Exact order id, e.g. ord-250101-000")] = None,
    customer_id: Annotated[str | None, Field(description="Exact customer id, e.g. cus-00000")] = None,
    status: Annotated[OrderStatus | None, Field(description="Only orders in this status")] = None,
    product_id: Annotated[str | None, Field(description="Only orders with a line for this product id, e.g. prd-0000")] = None,
    created_after: Annotated[str | None, Field(description="Placed at or after this ISO-8601 time with time zone")] = None,
    created_before: Annotated[str | None, Field(description="Placed before this ISO-8601 time with time zone")] = None,
    limit: limit_field() = 50,
) -> OrderPage:
    """Search orders. All filters are optional and combine with AND; results are ordered by
    creation time, oldest first. Each order is a summary (id, customer_id, status, created_at,
    total, item_count, shipping_service); use getOrderDetails for lines, payment, shipments,
    tickets and refunds."""
    where = Where()
    where.equals("o.id", order_id)
    where.equals("o.customer_id", customer_id)
    where.equals("o.status", status)
    if product_id is not None:
        where.add("o.id IN (SELECT order_id FROM order_items WHERE product_id = ?)", product_id)
    time_window(where, "o.created_at", created_after, created_before)
    rows = await fetch_all(
        "SELECT o.id, o.customer_id, o.status, o.created_at, o.total, o.shipping_service, "
        "(SELECT COALESCE(SUM(quantity), 0) FROM order_items oi WHERE oi.order_id = o.id) AS item_count "
        f"FROM orders o {where.sql} ORDER BY o.created_at, o.id LIMIT ?",
        [*where.params, min(limit, SEARCH_ORDERS_CAP)],
    )
    return OrderPage(orders=[OrderSummary(**r) for r in rows], count=len(rows))


@world_tool(name="getOrderDetails", title="Get order details")
async def getOrderDetails(
    order_id: Annotated[str, Field(description="Order id, e.g. ord-250101-000", min_length=1)],
) -> OrderDetails:
    """Everything about one order: the order record (amounts, loyalty tier at purchase, promotion,
    shipping address, carrier, ETA), its lines with product name, SKU and category, the latest
    payment, shipments with tracking events, the customer (id, name, email, tier), support tickets
    on the order, and refunds with their itemised lines."""
    order_id = order_id.strip()
    order = await fetch_one(_ORDER_WITH_CUSTOMER, (order_id,))
    if order is None:
        raise NotFoundError(
            f"no order with id {order_id!r}; order ids look like ord-YYMMDD-NNN (e.g. ord-250101-000). "
            "Use searchOrders with customer_id or a date window to find it"
        )
    customer = {field: order.pop(_CUSTOMER_PREFIX + field) for field in _CUSTOMER_FIELDS}
    lines = await fetch_all(
        "SELECT oi.id, oi.product_id, p.name AS product_name, p.sku, p.category, oi.quantity, oi.unit_price, oi.line_total "
        "FROM order_items oi LEFT JOIN products p ON p.id = oi.product_id WHERE oi.order_id = ? ORDER BY oi.id",
        (order_id,),
    )
    payment = await fetch_one(
        "SELECT * FROM payments WHERE order_id = ? ORDER BY created_at IS NULL, created_at DESC, id DESC LIMIT 1",
        (order_id,),
    )
    shipments = await fetch_all("SELECT * FROM shipments WHERE order_id = ? ORDER BY id", (order_id,))
    for shipment in shipments:  # what Shipment.from_row does, left to the one validation below
        shipment["events"] = [event for event in json_list(shipment["events"]) if isinstance(event, dict)]
    tickets = await fetch_all(
        "SELECT id, status, subject FROM support_tickets WHERE order_id = ? ORDER BY created_at, id", (order_id,)
    )
    # One validation of the whole answer from plain rows: the same models and values as building
    # each record on its own, for a fraction of the per-model overhead.
    return OrderDetails.model_validate({
        "order": order,
        "lines": lines,
        "payment": payment,
        "shipments": shipments,
        "customer": customer if customer["id"] is not None else None,
        "tickets": tickets,
        "refunds": await _refund_rows_with_lines(order_id),
    })


async def _refund_rows_with_lines(order_id: str) -> list[dict[str, Any]]:
    refunds = await fetch_all("SELECT * FROM refunds WHERE order_id = ? ORDER BY created_at, id", (order_id,))
    if not refunds:
        return []
    ids = [r["id"] for r in refunds]
    lines = await fetch_all(
        f"SELECT id, refund_id, order_item_id, quantity, amount FROM refund_lines WHERE refund_id IN ({placeholders(ids)}) ORDER BY id",
        ids,
    )
    by_refund: dict[str, list[dict[str, Any]]] = {rid: [] for rid in ids}
    for line in lines:
        by_refund[line.pop("refund_id")].append(line)
    return [{**r, "lines": by_refund[r["id"]]} for r in refunds]
