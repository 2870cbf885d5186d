"""What the customers of the order traps write: return, billing and shipping tickets whose words agree
with the records (the purchase date, the amounts, the tracking events)."""

from __future__ import annotations

from datetime import date

from mcp_server.world.generator.common import Row, World, eastern_date
from mcp_server.world.generator.support import parse
from mcp_server.world.generator.support_text import customer_name_for

# Conditions that keep an item returnable: only the date decides these returns.
RETURNABLE = ["It's still sealed in the box.", "I opened it but never installed it; everything is in the original packaging.",
              "Unopened, still in the shrink wrap.", "I opened the box to look, but it's undamaged and every part is there."]

RETURN_TEMPLATES = [
    ("Return request: order {order}", "Hello, I'd like to return the {product} from order {order}. {condition} "
                                      "Please refund it to my original payment method.\n\n{first} {last}"),
    ("Sending back the {product}", "Hi CoreCraft, I bought the {product} on {purchase} (order {order}) and no longer need it. "
                                   "{condition} How do I return it, and how much will I get back?\n{first}"),
    ("Return for order {order}", "I want to return the {product} I ordered on {purchase}. {condition} Order number {order}.\n"
                                 "Thanks, {first}"),
    ("Can I still return this?", "Hi, is it too late to send back the {product} from order {order}? {condition}\n{first} {last}"),
]
BILLING_TEMPLATES = [
    ("Charged twice for order {order}?", "My bank app shows two payments of {amount} for order {order}. Please refund the duplicate.\n{first}"),
    ("Double charge on my order", "Hi, I was billed twice for order {order}. The first payment said it failed so I tried again, "
                                  "and now I see two charges of {amount}. Please refund one of them.\n{first} {last}"),
    ("Two charges for one order", "Hello, I placed order {order} on {placed} and my statement lists two transactions for {amount}. "
                                  "Why was I charged twice?\n{first}"),
    ("Billing problem with {order}", "You took the money for order {order} twice ({amount} each). I only ordered once. "
                                     "Please fix this.\n{first}"),
]
LOST_TEMPLATES = [
    ("Where is my order {order}?", "Tracking for order {order} hasn't moved since {scanned}, when it was picked up in {hub}. "
                                   "Carrier is {carrier}, tracking {tracking}. Where is my parcel?\n{first}"),
    ("Parcel lost?", "The tracking page for order {order} ({carrier} {tracking}) now says the package was declared lost. "
                     "What happens now? Will you send another one?\n{first} {last}"),
    ("No update on {order}", "Hi, my order {order} shipped on {scanned} and I still don't have it. Tracking {tracking} has shown "
                             "nothing new for days. Can you check with {carrier}?\n{first}"),
]
EXCEPTION_TEMPLATES = [
    ("Delivery problem with {order}", "The carrier says there was an address issue and the delivery attempt failed for order "
                                      "{order} (tracking {tracking}). What happens now?\n{first}"),
    ("Where is my order {order}?", "My parcel for order {order} was due by {eta}, but tracking says the delivery attempt failed. "
                                   "Can you sort it out?\n{first} {last}"),
    ("{carrier} couldn't deliver {order}", "Hi, {carrier} tracking {tracking} says the delivery attempt failed on order {order}. "
                                           "My address is {address}. When will it come?\n{first}"),
]


def _day(day: date) -> str:
    return f"{day:%B} {day.day}"


def _fill(world: World, templates: list[tuple[str, str]], fields: dict[str, str]) -> tuple[str, str]:
    subject, body = world.rng.choice(templates)
    return subject.format(**fields), body.format(**fields)


def _who(customer: Row, order: Row) -> dict[str, str]:
    return {"first": customer["first_name"], "last": customer["last_name"], "order": order["id"]}


def return_text(world: World, customer: Row, order: Row, product: Row, purchase_day: date) -> tuple[str, str]:
    return _fill(world, RETURN_TEMPLATES, {**_who(customer, order), "product": customer_name_for(world, product),
                                           "condition": world.rng.choice(RETURNABLE), "purchase": _day(purchase_day)})


def billing_text(world: World, customer: Row, order: Row, placed: date) -> tuple[str, str]:
    return _fill(world, BILLING_TEMPLATES, {**_who(customer, order), "amount": f"${order['total']:,.2f}", "placed": _day(placed)})


def shipping_text(world: World, customer: Row, order: Row, shipment: Row) -> tuple[str, str]:
    """The customer's question about a lost or stuck parcel, in terms of what the tracking shows."""
    picked_up = next(e for e in shipment["events"] if e["status"] == "in_transit")
    fields = {
        **_who(customer, order), "carrier": shipment["carrier"], "tracking": shipment["tracking_number"], "hub": picked_up["location"],
        "scanned": _day(eastern_date(parse(picked_up["at"]))), "eta": _day(eastern_date(parse(shipment["eta"]))),
        "address": order["ship_address"] or "the one on my account",
    }
    return _fill(world, LOST_TEMPLATES if shipment["status"] == "lost" else EXCEPTION_TEMPLATES, fields)
