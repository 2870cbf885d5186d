"""searchCustomers: find customers by id, name, email, phone, tier or sign-up date."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError
from mcp_server.tools.filters import time_window
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field

LoyaltyTier = Literal["none", "silver", "gold", "platinum"]


class Customer(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    date_of_birth: str | None
    loyalty_tier: str
    address_line1: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    created_at: str | None
    notes: str | None


class CustomerPage(BaseModel):
    customers: list[Customer]
    count: int = Field(description="Number of customers returned")


@world_tool(name="searchCustomers", title="Search customers")
async def searchCustomers(
    customer_id: Annotated[str | None, Field(description="Exact customer id, e.g. cus-00000")] = None,
    name: Annotated[str | None, Field(description="Part of the first or last name, or 'First Last'; case-insensitive", min_length=1)] = None,
    email: Annotated[str | None, Field(description="Part of the email address; case-insensitive", min_length=1)] = None,
    phone: Annotated[str | None, Field(description="Part of the phone number (digits are compared, punctuation ignored)", min_length=1)] = None,
    loyalty_tier: Annotated[LoyaltyTier | None, Field(description="Only customers of this loyalty tier")] = None,
    created_after: Annotated[str | None, Field(description="Signed up at or after this ISO-8601 time with time zone")] = None,
    created_before: Annotated[str | None, Field(description="Signed up before this ISO-8601 time with time zone")] = None,
    limit: limit_field() = 50,
) -> CustomerPage:
    """Search customers. All filters are optional and combine with AND; results are ordered by id."""
    where = Where()
    where.equals("id", customer_id)
    if name:
        where.add("(first_name || ' ' || last_name) LIKE ? ESCAPE '\\'", Where.contains(name))
    where.like("email", email)
    if phone:
        digits = "".join(ch for ch in phone if ch in "0123456789")
        if not digits:
            raise InvalidArgumentError(
                f"phone={phone!r} has no digits (0-9); phone numbers are matched on their digits, e.g. 555-018-4706"
            )
        where.add(
            "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, '-', ''), ' ', ''), '(', ''), ')', ''), '+', '') LIKE ?",
            f"%{digits}%",
        )
    where.equals("loyalty_tier", loyalty_tier)
    time_window(where, "created_at", created_after, created_before)
    rows = await fetch_all(f"SELECT * FROM customers {where.sql} ORDER BY id LIMIT ?", [*where.params, limit])
    return CustomerPage(customers=[Customer(**r) for r in rows], count=len(rows))
