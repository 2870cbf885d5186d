"""searchPayments: find payments by id, order, customer, status, method or date."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.tools.filters import time_window
from mcp_server.tools.records import Payment
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field

PaymentStatus = Literal["pending", "authorized", "captured", "failed", "refunded", "partially_refunded", "voided"]
PaymentMethod = Literal["card", "paypal", "apple_pay", "google_pay", "bank_transfer"]


class PaymentPage(BaseModel):
    payments: list[Payment]
    count: int = Field(description="Number of payments returned")


@world_tool(name="searchPayments", title="Search payments")
async def searchPayments(
    payment_id: Annotated[str | None, Field(description="Exact payment id, e.g. pay-000000")] = None,
    order_id: Annotated[str | None, Field(description="Exact order id, e.g. ord-250101-000")] = None,
    customer_id: Annotated[str | None, Field(description="Exact customer id: payments on that customer's orders")] = None,
    status: Annotated[PaymentStatus | None, Field(description="Only payments in this status")] = None,
    method: Annotated[PaymentMethod | None, Field(description="Only payments made with this method")] = None,
    created_after: Annotated[str | None, Field(description="Created at or after this ISO-8601 time with time zone")] = None,
    created_before: Annotated[str | None, Field(description="Created before this ISO-8601 time with time zone")] = None,
    limit: limit_field() = 50,
) -> PaymentPage:
    """Search payments. All filters are optional and combine with AND; results are ordered by
    creation time, oldest first. Each payment has its order, method, status, amount, card_last4,
    processor reference and capture time. Refunds are listed by getOrderDetails."""
    where = Where()
    where.equals("id", payment_id)
    where.equals("order_id", order_id)
    if customer_id is not None:
        where.add("order_id IN (SELECT id FROM orders WHERE customer_id = ?)", customer_id)
    where.equals("status", status)
    where.equals("method", method)
    time_window(where, "created_at", created_after, created_before)
    rows = await fetch_all(f"SELECT * FROM payments {where.sql} ORDER BY created_at, id LIMIT ?", [*where.params, limit])
    return PaymentPage(payments=[Payment(**r) for r in rows], count=len(rows))
