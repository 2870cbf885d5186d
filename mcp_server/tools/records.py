"""Output models shared by the tool modules: one pydantic model per kind of world record.

Tools return these inside page models (never bare lists). JSON text columns arrive here already
parsed, and SQLite's 0/1 flags as booleans. Field names follow schema.sql, so a record reads the
same in every tool that returns it. Write tools may import these; the names are stable.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def json_list(text: str | None) -> list[Any]:
    """A JSON list column as a list; an absent or malformed value reads as empty."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def json_object(text: str | None) -> dict[str, Any]:
    """A JSON object column as a dict; an absent or malformed value reads as empty."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- people -------------------------------------------------------------------------------------


class CustomerBrief(BaseModel):
    id: str
    name: str
    email: str
    loyalty_tier: str


class Employee(BaseModel):
    id: str
    name: str
    email: str
    department: str
    title: str
    manager_id: str | None
    support_role: str | None
    permissions: list[str]
    hired_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Employee:
        return cls(**{**row, "permissions": json_list(row["permissions"])})


# --- catalogue ----------------------------------------------------------------------------------


class Product(BaseModel):
    id: str
    sku: str
    name: str
    brand: str
    category: str
    price: float
    warranty_months: int
    specs: dict[str, Any]
    description: str | None
    released_at: str | None
    discontinued: bool
    available_stock: int = Field(description="Units available to sell now, over all warehouses (on hand less reserved)")
    backorderable: bool = Field(description="True when at least one warehouse accepts backorders")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Product:
        return cls(
            **{
                **row,
                "specs": json_object(row["specs"]),
                "discontinued": bool(row["discontinued"]),
                "available_stock": row.get("available_stock") or 0,
                "backorderable": bool(row.get("backorderable")),
            }
        )


class InventoryLevel(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand less reserved, never below zero")
    backorderable: bool
    restock_eta: str | None
    updated_at: str | None


class WarrantyPolicy(BaseModel):
    id: str
    category: str = Field(description="The product category it covers, or 'default' for categories without their own")
    months: int
    coverage: str
    exclusions: list[str]
    claim_process: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> WarrantyPolicy:
        return cls(**{**row, "exclusions": json_list(row["exclusions"])})


class Promotion(BaseModel):
    id: str
    code: str
    name: str
    description: str | None
    discount_type: str
    discount_value: float
    category: str | None = Field(description="Product category it applies to; null means every category")
    min_subtotal: float
    stackable_with_loyalty: bool
    starts_at: str
    ends_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Promotion:
        return cls(**{**row, "stackable_with_loyalty": bool(row["stackable_with_loyalty"])})


# --- orders, money, shipping --------------------------------------------------------------------


class OrderSummary(BaseModel):
    id: str
    customer_id: str
    status: str
    created_at: str | None
    total: float
    item_count: int = Field(description="Units ordered, summed over all lines")
    shipping_service: str


class Order(BaseModel):
    id: str
    customer_id: str
    status: str
    build_id: str | None
    subtotal: float
    loyalty_tier: str = Field(description="The customer's tier when the order was placed")
    loyalty_discount: float
    promotion_id: str | None
    promo_discount: float
    shipping_service: str
    shipping_cost: float
    total: float
    ship_name: str | None
    ship_address: str | None
    carrier: str | None
    eta: str | None
    created_at: str | None
    updated_at: str | None
    notes: str | None


class OrderLine(BaseModel):
    id: str
    product_id: str
    product_name: str | None
    sku: str | None
    category: str | None
    quantity: int
    unit_price: float
    line_total: float


class Payment(BaseModel):
    id: str
    order_id: str
    method: str
    status: str
    amount: float
    card_last4: str | None
    processor_ref: str | None
    created_at: str | None
    captured_at: str | None


class ShipmentEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    at: str | None = None
    status: str | None = None
    location: str | None = None
    note: str | None = None


class Shipment(BaseModel):
    id: str
    order_id: str
    carrier: str
    service: str
    tracking_number: str | None
    status: str
    shipped_at: str | None
    eta: str | None
    delivered_at: str | None
    events: list[ShipmentEvent]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Shipment:
        events = [ShipmentEvent.model_validate(e) for e in json_list(row["events"]) if isinstance(e, dict)]
        return cls(**{**row, "events": events})


class RefundLine(BaseModel):
    id: str
    order_item_id: str
    quantity: int
    amount: float


class Refund(BaseModel):
    id: str
    payment_id: str
    order_id: str
    ticket_id: str | None
    amount: float
    reason: str
    status: str
    approved_by: str | None
    notes: str | None
    created_at: str | None
    lines: list[RefundLine] = Field(default_factory=list)


# --- support ------------------------------------------------------------------------------------


class TicketBrief(BaseModel):
    id: str
    status: str
    subject: str


class Ticket(BaseModel):
    id: str
    customer_id: str
    order_id: str | None
    build_id: str | None
    type: str
    channel: str
    priority: str
    status: str
    subject: str
    body: str
    assignee_id: str | None
    closure_reason: str | None
    created_at: str | None
    updated_at: str | None
    first_response_due: str | None = Field(
        description="created_at plus the first-response hours of the SLA for the customer's tier and this priority (UTC)"
    )
    resolution_due: str | None = Field(
        description="created_at plus the resolution hours of the SLA for the customer's tier and this priority (UTC)"
    )
    sla_breached: bool | None = Field(
        description="True when the current world time is past resolution_due and the ticket is not resolved or "
        "closed; null when the ticket has no created_at"
    )


class Escalation(BaseModel):
    id: str
    ticket_id: str
    type: str
    department: str
    priority: str
    notes: str
    created_by: str | None
    status: str
    created_at: str | None


class Resolution(BaseModel):
    id: str
    ticket_id: str
    outcome: str
    summary: str
    resolved_by: str | None
    refund_id: str | None
    created_at: str | None


# --- builds, knowledge, Slack -------------------------------------------------------------------


class BuildItem(BaseModel):
    product_id: str
    product_name: str | None
    category: str | None
    quantity: int


class Build(BaseModel):
    id: str
    customer_id: str
    name: str
    purpose: str | None
    created_at: str | None
    updated_at: str | None
    items: list[BuildItem]


class KnowledgeEntry(BaseModel):
    source: str = Field(description="'kb' for a knowledge-base article, 'policy' for a company policy")
    id: str
    title: str
    tags: list[str] = Field(description="Article tags; for a policy, its topic")
    product_ids: list[str]
    version: int
    deprecated: bool
    superseded_by: str | None = Field(description="The article that replaces this one, when deprecated")
    updated_at: str | None = Field(description="Last update of an article; the effective date of a policy")
    body: str | None = Field(description="The full markdown text (when include_body is true)")
    excerpt: str | None = Field(description="The opening of the text (when include_body is false)")


class SlackMessage(BaseModel):
    id: str
    channel: str
    author_id: str | None
    author_name: str | None
    posted_at: str
    text: str
    thread_of: str | None = Field(description="The message this one replies to, if it is a thread reply")
    ticket_ids: list[str]
    product_ids: list[str]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SlackMessage:
        return cls(**{**row, "ticket_ids": json_list(row["ticket_ids"]), "product_ids": json_list(row["product_ids"])})
