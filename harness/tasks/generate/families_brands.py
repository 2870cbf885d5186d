"""Brand-spelling family: a customer (or a colleague for one) names a catalogue product with the brand
spelled the way customers write it ("Vortex Labs" for VortexLabs) and asks its price, stock or warranty
length. A search on the misspelled name finds nothing, so the agent has to find the product by its
model and fetch it; every fact the rubric checks is read from the product's record and its inventory."""

from __future__ import annotations

import random
from typing import Any

from harness.tasks.generate.core import (
    Exclusions, Instance, World, allowed_customers, allowed_staff, called, full_name, money, no_writes, num, says,
)
from harness.tasks.generate.families_trapkit import asker, customer_prompt, planted_first, trap_tags
from harness.tasks.generate.phrasing import Variety, variants
from harness.tasks.generate.voices import one_of
from harness.tasks.generate.vocab import unstated
from mcp_server.world.generator.support_text import BRAND_SPELLINGS
from mcp_server.world.trap_types import load_manifest

ASKS = ("price", "stock", "warranty")
CORES: dict[str, tuple[str, ...]] = {
    "price": (
        "How much is the {product} right now?",
        "What does the {product} cost?",
        "Can you tell me the current price of the {product}?",
        "I'm looking at the {product}. What's the price on it at the moment?",
        "Quick price check: {product}?",
        "What would I pay for a {product} before any discounts?",
    ),
    "stock": (
        "Do you have the {product} in stock? How many can I get?",
        "Is the {product} available to buy now, and how many units do you have?",
        "How many {product} units do you have available?",
        "Can I order the {product} today or is it out of stock?",
        "I need a {product} soon. Is it in stock?",
    ),
    "warranty": (
        "How long is the warranty on the {product}?",
        "What warranty comes with the {product}?",
        "If I buy the {product}, how many months of warranty do I get?",
        "Before I buy the {product}: how long is it covered for?",
        "What's the warranty length for a {product}?",
    ),
}
COLLEAGUE = (
    "A customer ({name}, {email}) is asking about the \"{product}\": {question}",
    "Customer {email} wrote in about the {product}. {question} I couldn't find it under that name.",
    "{name} is on the phone asking about a {product}. {question}",
    "Someone asked about the {product} and I can't find it in the catalogue search. {question}",
)
TICKET = (
    "The customer on {ticket} mentions the {product}. {question}",
    "Re {ticket}: they also want to know about the {product}. {question}",
)
# the same asks, as a colleague relays them
RELAYED: dict[str, tuple[str, ...]] = {
    "price": ("What's it priced at?", "How much is it?", "They want the current price."),
    "stock": ("Is it in stock, and how many units?", "They want to know if we have any available.", "How many can they get right now?"),
    "warranty": ("How long is its warranty?", "They're asking how long the warranty runs.", "What warranty length do I quote?"),
}
# the trap: a search on the customer's spelling finds nothing, and the agent says the product does not exist
CARRIED = ["we carry", "we do carry", "we sell", "we stock", "in our catalogue", "in our catalog", "in the catalogue", "in the catalog",
           "listed under", "is listed", "we have it"]
NOT_CARRIED = ["not carry", "not sell", "not stock", "not in our catalogue", "not in our catalog", "not in the catalogue", "not in the catalog",
               "no such product", "does not exist", "not exist", "not find", "no product", "not listed", "no record", "not a product"]
IN_STOCK = ["in stock", "available now", "have units", "units available", "available to order", "can order it now", "ships now"]
OUT_OF_STOCK = ["out of stock", "not in stock", "none available", "no units", "not available", "sold out", "zero units", "0 units"]


def brand_product_question(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    products = world.all(
        "SELECT p.*, (SELECT COALESCE(SUM(MAX(on_hand - reserved, 0)), 0) FROM inventory i WHERE i.product_id = p.id) AS available, "
        "(SELECT COALESCE(SUM(on_hand), 0) FROM inventory i WHERE i.product_id = p.id) AS on_hand, "
        "(SELECT COALESCE(MAX(backorderable), 0) FROM inventory i WHERE i.product_id = p.id) AS backorderable "
        f"FROM products p WHERE p.discontinued = 0 AND p.brand IN ({', '.join('?' * len(BRAND_SPELLINGS))}) ORDER BY p.id",
        list(BRAND_SPELLINGS))
    products = [p for p in products if exclusions.allows(p["id"]) and p["name"].startswith(p["brand"] + " ")]
    rng.shuffle(products)
    products = planted_first(products, "brand_spelling", lambda p: [p["id"]])
    tickets = _planted_tickets(world, exclusions)
    people = allowed_customers(world, exclusions)
    colleagues = allowed_staff(world, exclusions)
    out: list[Instance] = []
    for product in products:
        for ask in rng.sample(ASKS, 2):
            customer = people[rng.randrange(len(people))]
            out.append(_instance(world, rng, product, ask, customer, colleagues, tickets.pop(product["id"], None)))
    return out


def _planted_tickets(world: World, exclusions: Exclusions) -> dict[str, dict[str, Any]]:
    """Product id -> an allowed planted ticket (trap manifest, brand_spelling) that names it with a customer spelling."""
    found: dict[str, dict[str, Any]] = {}
    for instance in load_manifest():
        if instance.type != "brand_spelling":
            continue
        ticket_id = next((i for i in instance.ids if i.startswith("tkt-")), None)
        product_id = next((i for i in instance.ids if i.startswith("prd-")), None)
        ticket = world.one("SELECT * FROM support_tickets WHERE id = ?", (ticket_id,)) if ticket_id else None
        if ticket and product_id and exclusions.allows(ticket["id"], ticket["customer_id"], ticket["order_id"]):
            found.setdefault(product_id, ticket)
    return found


def _siblings(world: World, product: dict[str, Any]) -> list[dict[str, Any]]:
    """Other products of the same category: what an agent lands on when it takes the first search hit."""
    return world.all(
        "SELECT p.*, (SELECT COALESCE(SUM(MAX(on_hand - reserved, 0)), 0) FROM inventory i WHERE i.product_id = p.id) AS available "
        "FROM products p WHERE p.category = ? AND p.id != ? ORDER BY p.id", (product["category"], product["id"]))


def _instance(world: World, rng: random.Random, product: dict[str, Any], ask: str, customer: dict[str, Any],
              colleagues: list[dict[str, Any]], ticket: dict[str, Any] | None) -> Instance:
    model = product["name"][len(product["brand"]) + 1:]
    spelled = f"{rng.choice(BRAND_SPELLINGS[product['brand']])} {model}"
    question = one_of(rng, CORES[ask]).format(product=spelled)
    requester, requester_id, voice = asker(rng, customer, colleagues, 0.35 if ticket is None else 0.6)
    relayed = one_of(rng, RELAYED[ask])
    entities = [product["id"]]
    if requester == "customer":
        prompt = customer_prompt(rng, voice, question, customer) if rng.random() < 0.6 else voice.frame(rng, question)
        entities.insert(0, customer["id"])
    elif ticket is not None:
        prompt = voice.frame(rng, one_of(rng, TICKET).format(ticket=ticket["id"], product=spelled, question=relayed))
        entities += [ticket["id"], ticket["customer_id"]]
    else:
        prompt = voice.frame(rng, one_of(rng, COLLEAGUE).format(name=full_name(customer), email=customer["email"], product=spelled,
                                                                  question=relayed if rng.random() < 0.5 else question))
    calls = [{"tool": "searchProducts", "arguments": {"query": model}}, {"tool": "getProduct", "arguments": {"product_id": product["id"]}}]
    named = f"We do carry it: that's the {product['name']} ({product['id']})"
    spelling = f"It is listed under the brand {product['brand']} in our catalogue."
    siblings = _siblings(world, product)
    if ask == "price":
        reply = f"{named}. {spelling} It costs {money(product['price'])} before any loyalty discount or promotion."
        fact = says("price", f"The reply gives the catalogue price, {money(product['price'])}",
                    numbers=[num(product["price"], unstated([s["price"] for s in siblings], reply))])
        alt = lambda v: f"{v.money(product['price'])}"  # noqa: E731
    elif ask == "stock":
        reply, fact = _stock(world, product, named, spelling, siblings)
        alt = lambda v: (f"{v.count(product['available'])} units available" if product["available"] else "currently out of stock")  # noqa: E731
    else:
        months = int(product["warranty_months"])
        reply = f"{named}. {spelling} It comes with a {months}-month warranty, counted from the delivery date."
        others = sorted({int(r["months"]) for r in world.all("SELECT months FROM warranty_policies")} - {months})
        fact = says("warranty", f"The reply gives the warranty length, {months} months", says_any=_term(months),
                    never_says=[t for o in others for t in _term(o)])
        alt = lambda v: f"{months} months of warranty"  # noqa: E731
    criteria = [
        fact,
        says("product", "The reply names the catalogue product", kind="completeness",
             mentions_any=[product["name"], model, model.split(" (")[0].split(".")[0], product["id"]]),
        says("carried", "The reply says the product is in the catalogue (the customer's spelling aside)", says_any=CARRIED, never_says=NOT_CARRIED),
        called("fetched", "The agent fetched the catalogue product", "getProduct", {"product_id": product["id"]}, succeeded=True),
        no_writes("no-writes", "Nothing was changed (a product question)"),
    ]

    def build(v: Variety, index: int) -> str:
        fact_text = alt(v)
        if index == 0:
            return (f"You mean the {product['name']}, I think: we carry it, with the brand spelled {product['brand']}. "
                    f"{fact_text[0].upper()}{fact_text[1:]}.")
        return f"{fact_text[0].upper()}{fact_text[1:]}: that's for the {model} by {product['brand']} (product {product['id']}), which we sell."
    tags = ["products", "brand-spelling", f"product-{ask}", *trap_tags("brand_spelling", product["id"], *(entities[1:]))]
    return Instance("information_retrieval", "medium", requester, requester_id, prompt, calls, reply, criteria,
                    entities=entities, tags=tags, alternatives=variants(reply, build))


def _stock(world: World, product: dict[str, Any], named: str, spelling: str, siblings: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    available = int(product["available"])
    if available:
        reply = f"{named}. {spelling} It is in stock: {available} units available over all warehouses right now."
        # units on hand ignoring reservations, or another product's stock; never a warehouse's own count
        levels = {r["a"] for r in world.all("SELECT MAX(on_hand - reserved, 0) AS a FROM inventory WHERE product_id = ?", (product["id"],))}
        wrong = [w for w in unstated([product["on_hand"], *(s["available"] for s in siblings)], reply) if w not in levels]
        return reply, says("stock", f"The reply says it is in stock with {available} units available", says_any=IN_STOCK,
                           never_says=OUT_OF_STOCK, numbers=[num(available, [w for w in wrong if w])])
    later = " It can be backordered." if product["backorderable"] else ""
    reply = f"{named}. {spelling} It is out of stock right now: no units available in any warehouse.{later}"
    return reply, says("stock", "The reply says it is out of stock", says_any=OUT_OF_STOCK, never_says=IN_STOCK + ["is available", "have it"])


def _term(months: int) -> list[str]:
    """Ways of stating a warranty of ``months`` months (whole years too)."""
    words = [f"{months} months", f"{months}-month", f"{months} month"]
    if months % 12 == 0:
        years = months // 12
        word = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"][years] if years <= 10 else str(years)
        plural = "year" if years == 1 else "years"
        words += [f"{years} {plural}", f"{years}-year", f"{word} {plural}", f"{word}-year"]
    return words


FAMILIES = {
    "brand-product-question": (brand_product_question, 60),
}
