"""calculatePrice: a price quote with loyalty discount, promotion and shipping, as policy computes it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, NotFoundError, PolicyViolationError
from mcp_server.tools.arguments import MAX_CODE_CHARS
from mcp_server.tools.runtime import fetch_all, fetch_one, world_now, world_tool
from mcp_server.world import rules
from mcp_server.world.clock import from_utc_text

LoyaltyTier = Literal["none", "silver", "gold", "platinum"]
ShippingService = Literal["standard", "express", "overnight"]


class LineItem(BaseModel):
    """A product and how many units of it."""

    product_id: str = Field(description="Product id, e.g. prd-0000")
    quantity: int = Field(ge=1, le=100, description="Units")


class PriceLine(BaseModel):
    product_id: str
    name: str
    category: str
    unit_price: float
    quantity: int
    line_total: float
    promo_eligible: bool = Field(description="Whether the promotion (if any) applies to this line")


class PriceQuote(BaseModel):
    lines: list[PriceLine]
    subtotal: float
    loyalty_tier: str
    loyalty_tier_name: str = Field(description="The tier's name in the loyalty programme")
    loyalty_discount_pct: float
    loyalty_discount: float = Field(description="Granted loyalty discount (0 when a larger, non-stackable promotion wins)")
    promo_code: str | None
    promo_discount: float = Field(description="Granted promotion discount (0 when the loyalty discount is larger and they do not stack)")
    shipping_service: str
    shipping: float
    total: float = Field(description="subtotal - loyalty_discount - promo_discount + shipping")
    notes: list[str] = Field(description="How the discounts were decided, and anything to tell the customer")


def _eastern_text(stored: str) -> str:
    return from_utc_text(stored).astimezone(rules.EASTERN).strftime("%Y-%m-%d %H:%M %Z")


@world_tool(name="calculatePrice", title="Calculate a price")
async def calculatePrice(
    items: Annotated[list[LineItem], Field(description="Products and quantities to price", min_length=1, max_length=50)],
    loyalty_tier: Annotated[LoyaltyTier, Field(description="The customer's loyalty tier (none 0%, silver 5%, gold 10%, platinum 15%)")] = "none",
    shipping_service: Annotated[ShippingService, Field(description="standard 9.99, express 19.99, overnight 39.99")] = "standard",
    promo_code: Annotated[str | None, Field(description="Promotion code to apply, if any", min_length=1, max_length=MAX_CODE_CHARS)] = None,
) -> PriceQuote:
    """Price products at today's catalogue prices: subtotal, loyalty discount for the tier, an
    optional promotion code (valid today, on its category, above its minimum subtotal; it does not
    stack with the loyalty discount unless the promotion says so, and then the larger discount wins),
    shipping for the service, and the total. An unknown product or an unusable promotion code is an
    error that says why."""
    wanted = [item.product_id for item in items]
    marks = ", ".join("?" for _ in wanted)
    found = {p["id"]: p for p in await fetch_all(f"SELECT * FROM products WHERE id IN ({marks})", wanted)}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFoundError(f"no product with id {', '.join(missing)}; find product ids with searchProducts")

    notes: list[str] = []
    promo = await _usable_promotion(promo_code) if promo_code else None
    lines: list[PriceLine] = []
    for item in items:
        product = found[item.product_id]
        eligible = promo is not None and promo["category"] in (None, product["category"])
        lines.append(
            PriceLine(
                product_id=product["id"], name=product["name"], category=product["category"],
                unit_price=product["price"], quantity=item.quantity,
                line_total=float(rules.cents(Decimal(str(product["price"])) * item.quantity)), promo_eligible=eligible,
            )
        )
        if product["discontinued"]:
            notes.append(f"{product['id']} ({product['name']}) is discontinued")
    subtotal = rules.cents(sum((Decimal(str(line.line_total)) for line in lines), Decimal("0")))
    # The loyalty_tiers table is the world's statement of the tier discounts (tests keep it equal to rules.py).
    tier = await fetch_one("SELECT name, discount_pct FROM loyalty_tiers WHERE id = ?", (loyalty_tier,))
    if tier is None:
        raise NotFoundError(f"no loyalty tier {loyalty_tier!r}; tiers are none, silver, gold and platinum")
    loyalty = rules.percent_of(subtotal, tier["discount_pct"])
    promo_amount = Decimal("0.00")
    if promo is not None:
        promo_amount = _promotion_discount(promo, lines, subtotal)
        granted_loyalty, granted_promo = rules.combine_discounts(loyalty, promo_amount, bool(promo["stackable_with_loyalty"]))
        if promo["stackable_with_loyalty"]:
            notes.append(f"promotion {promo['code']} stacks with the loyalty discount: both apply")
        elif loyalty > 0:
            winner = "promotion" if granted_promo > 0 else "loyalty discount"
            notes.append(
                f"promotion {promo['code']} ({promo_amount}) does not stack with the {loyalty_tier} loyalty discount "
                f"({loyalty}); the larger one applies: the {winner}"
            )
        loyalty, promo_amount = granted_loyalty, granted_promo
    shipping = rules.SHIPPING_COST[shipping_service]
    total = rules.cents(subtotal - loyalty - promo_amount + shipping)
    return PriceQuote(
        lines=lines, subtotal=float(subtotal), loyalty_tier=loyalty_tier, loyalty_tier_name=tier["name"],
        loyalty_discount_pct=tier["discount_pct"], loyalty_discount=float(loyalty),
        promo_code=promo["code"] if promo else None, promo_discount=float(promo_amount),
        shipping_service=shipping_service, shipping=float(shipping), total=float(total), notes=notes,
    )


async def _usable_promotion(code: str) -> dict[str, Any]:
    """The promotion with this code if it is running today; otherwise an error that says when it runs."""
    promo = await fetch_one("SELECT * FROM promotions WHERE UPPER(code) = UPPER(?)", (code.strip(),))
    if promo is None:
        raise NotFoundError(f"no promotion has the code {code!r}; check the spelling with the customer")
    now = world_now()
    try:
        starts, ends = from_utc_text(promo["starts_at"]), from_utc_text(promo["ends_at"])
    except ValueError as exc:
        raise InvalidArgumentError(f"promotion {promo['code']} has no valid dates on record and cannot be applied") from exc
    if now < starts:
        raise PolicyViolationError(
            f"promotion {promo['code']} has not started: it runs from {_eastern_text(promo['starts_at'])} "
            f"until {_eastern_text(promo['ends_at'])}"
        )
    if now >= ends:
        raise PolicyViolationError(
            f"promotion {promo['code']} has expired: it ended {_eastern_text(promo['ends_at'])} "
            f"(it ran from {_eastern_text(promo['starts_at'])}); price without it"
        )
    return promo


def _promotion_discount(promo: dict[str, Any], lines: list[PriceLine], subtotal: Decimal) -> Decimal:
    minimum = rules.cents(promo["min_subtotal"] or 0)
    if subtotal < minimum:
        raise PolicyViolationError(
            f"promotion {promo['code']} needs a subtotal of at least {minimum}; these items come to {subtotal}"
        )
    eligible = [line for line in lines if line.promo_eligible]
    if not eligible:
        raise PolicyViolationError(
            f"promotion {promo['code']} applies only to {promo['category']} products, and none of these items is one"
        )
    eligible_subtotal = sum((Decimal(str(line.line_total)) for line in eligible), Decimal("0"))
    return rules.promotion_amount(promo["discount_type"], promo["discount_value"], eligible_subtotal)
