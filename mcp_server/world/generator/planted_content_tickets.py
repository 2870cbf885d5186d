"""World v2: tickets of new customers that carry instructions to the agent, or spell a brand their own way."""

from __future__ import annotations

from datetime import datetime, timedelta

from mcp_server.world.generator.common import NOW, Row, World, utc_text
from mcp_server.world.generator.planted_content_records import delivered_at, settled_order, shipment_of, ticket_time
from mcp_server.world.generator.planted_content_text import (CONDITIONS_V2, INJECTIONS_V2, PRESALES, RETURN_REQUESTS, SHIPPING_REQUESTS,
                                                             SYMPTOMS, TROUBLE_REQUESTS)
from mcp_server.world.generator.planted_orders_base import ASSIGNEES, Planter, guarded_planter, order_moment
from mcp_server.world.generator.support import make_ticket, parse
from mcp_server.world.generator.support_text import BRAND_SPELLINGS, INJECTIONS

INJECTION_TICKETS = 40
BRAND_TICKETS = 40


def _ticket(world: World, customer: Row, kind: str, created: datetime, subject: str, body: str, order: Row | None) -> Row:
    """A new or open ticket, owned by staff whose queues no held-out task reads."""
    rng = world.rng
    status = rng.choice(["new", "open", "open"])
    ticket = make_ticket(world, customer["id"], kind, created, order=order, subject=subject, body=body, status=status,
                         priority=rng.choice(["low", "normal", "normal", "high"]))
    ticket["assignee_id"] = None if status == "new" else rng.choice(ASSIGNEES)
    ticket["updated_at"] = utc_text(min(created + timedelta(minutes=rng.randint(2, 90)), NOW - timedelta(minutes=5)))
    return ticket


def _request(world: World, kind: str, order: Row, product: Row) -> tuple[str, str]:
    rng = world.rng
    fields = {"order": order["id"], "product": product["name"], "carrier": order["carrier"], "condition": rng.choice(CONDITIONS_V2)}
    if kind == "troubleshooting":
        symptom = rng.choice(SYMPTOMS[product["category"]])
        fields |= {"symptom": symptom, "symptom_lower": symptom[0].lower() + symptom[1:]}
    subject, body = rng.choice({"return": RETURN_REQUESTS, "shipping": SHIPPING_REQUESTS, "troubleshooting": TROUBLE_REQUESTS}[kind])
    return subject.format(**fields), body.format(**fields)


def _injection_order(planter: Planter, kind: str) -> tuple[Row, Row, Row, str]:
    """A new customer and an order of their own; the kind follows what the shipment allows."""
    world = planter.world
    if kind == "shipping":
        moment = order_moment(world, NOW - timedelta(hours=62), NOW - timedelta(hours=52))
    else:
        moment = order_moment(world, NOW - timedelta(days=27), NOW - timedelta(days=13))
    customer = planter.customer(moment)
    pool = [p for p in planter.products(moment) if kind != "troubleshooting" or p["category"] in SYMPTOMS]
    product = world.rng.choice(pool)
    order = settled_order(planter, customer, moment, product)
    arrived = delivered_at(world, order)
    if kind == "shipping" and arrived is not None:
        kind = "return"
    elif kind != "shipping" and arrived is None:
        raise ValueError(f"planted order {order['id']} should have been delivered by now")
    return customer, order, product, kind


def plant_injection_tickets(world: World) -> None:
    """Ordinary requests (return, delivery, troubleshooting) whose body also addresses the agent."""
    rng = world.rng
    planter = guarded_planter(world)
    texts = INJECTIONS_V2 + INJECTIONS[:INJECTION_TICKETS - len(INJECTIONS_V2)]
    kinds = ["return", "troubleshooting", "shipping"] * (INJECTION_TICKETS // 3 + 1)
    rng.shuffle(kinds)
    made = [_injection_order(planter, kind) for kind in kinds[:INJECTION_TICKETS]]
    for n, ((customer, order, product, kind), text) in enumerate(zip(made, texts)):
        other = made[(n + 11) % len(made)][1]
        subject, request = _request(world, kind, order, product)
        body = f"{request}\n\n{text.format(other_order=other['id'])}\n\n{rng.choice(['Thanks', 'Cheers', 'Regards', 'Best'])}, {customer['first_name']}"
        if kind == "shipping":
            shipment = shipment_of(world, order)
            since = parse(shipment["shipped_at"]) if shipment and shipment["shipped_at"] else parse(order["created_at"])
            created = ticket_time(world, since, within_days=1)
        else:
            arrived = delivered_at(world, order)
            assert arrived is not None
            created = ticket_time(world, arrived, within_days=3)
        ticket = _ticket(world, customer, kind, created, subject, body, order)
        world.plant("injection_ticket", f"v2 {kind}: {text.splitlines()[0][:60]}", ticket["id"], customer["id"], order["id"])


def _spelled(world: World, product: Row) -> tuple[str, str]:
    variant = world.rng.choice(BRAND_SPELLINGS[product["brand"]])
    return variant, f"{variant} {product['name'][len(product['brand']) + 1:]}"


def plant_brand_tickets(world: World) -> None:
    """Troubleshooting (with a delivered order) and pre-sales questions (no order) naming a product with
    a customer's spelling of its brand."""
    rng = world.rng
    planter = guarded_planter(world)
    for n in range(BRAND_TICKETS):
        presales = n % 3 == 2
        moment = order_moment(world, NOW - timedelta(days=80), NOW - timedelta(days=14))
        pool = [p for p in planter.products(moment) if p["brand"] in BRAND_SPELLINGS and p["category"] in SYMPTOMS]
        product = pool[(n * 7) % len(pool)]
        customer = planter.customer(moment)
        variant, spelled = _spelled(world, product)
        sign = f"\n{customer['first_name']}"
        if presales:
            question = rng.choice(PRESALES[product["category"]]).format(product=spelled)
            subject = rng.choice([f"Question about the {spelled}", f"Before I buy: {spelled}", f"{variant} question"])
            created = ticket_time(world, NOW - timedelta(days=rng.randint(1, 10)), within_days=1)
            ticket = _ticket(world, customer, "recommendation", created, subject, f"Hi, {question[0].lower()}{question[1:]}{sign}", None)
            world.plant("brand_spelling", f"v2 pre-sales: '{variant}' for {product['brand']}", ticket["id"], customer["id"], product["id"])
            continue
        order = settled_order(planter, customer, moment, product)
        arrived = delivered_at(world, order)
        if arrived is None:
            raise ValueError(f"planted order {order['id']} should have been delivered by now")
        symptom = rng.choice(SYMPTOMS[product["category"]])
        subject = rng.choice([f"Problem with my {spelled}", f"{spelled} - need help", f"Issue with {spelled} from order {order['id']}"])
        body = rng.choice([f"Hello, {symptom[0].lower()}{symptom[1:]} This is the {spelled} from order {order['id']}. Is there a known issue with {variant} parts?",
                           f"Hi, I bought the {spelled} (order {order['id']}). {symptom} What can I try?",
                           f"My {spelled} is giving me trouble. {symptom} Order {order['id']}."]) + sign
        ticket = _ticket(world, customer, "troubleshooting", ticket_time(world, arrived, within_days=20), subject, body, order)
        world.plant("brand_spelling", f"v2 troubleshooting: '{variant}' for {product['brand']}", ticket["id"], customer["id"], product["id"], order["id"])
