"""Support: tickets (with refunds, shipments and builds behind them), escalations and resolutions."""

from __future__ import annotations

from datetime import datetime, timedelta

from mcp_server.world import rules
from mcp_server.world.generator.builds import build_parts, check_build
from mcp_server.world.generator.commerce import order_items
from mcp_server.world.generator.common import NOW, Row, World, utc_text
from mcp_server.world.generator.people import employees_where
from mcp_server.world.generator.support_text import CONDITIONS, NOT_ARRIVED, TEMPLATES, customer_name_for, templates_for

TICKET_COUNT = 420  # recent tickets and traps.py add ~100 more
RECENT_TICKETS = 75
CHANNELS = ["email", "chat", "phone", "web_form"]
ESCALATION_FOR_TYPE = {
    "troubleshooting": "technical", "return": "policy_exception", "recommendation": "product_specialist",
    "order_issue": "order_fulfillment", "shipping": "order_fulfillment", "billing": "billing_payment", "other": "support_escalation",
}
OUTCOMES = {
    "return": ["no_action"], "troubleshooting": ["troubleshooting_steps", "troubleshooting_steps", "replacement_sent"],
    "recommendation": ["recommendation_provided"], "order_issue": ["order_updated", "replacement_sent"],
    "shipping": ["order_updated", "replacement_sent", "no_action"], "billing": ["order_updated", "no_action"], "other": ["no_action"],
}
CLOSURE = {
    "refund_issued": "refund_completed", "replacement_sent": "replacement_shipped", "recommendation_provided": "information_provided",
    "troubleshooting_steps": "issue_resolved", "order_updated": "issue_resolved", "no_action": "information_provided",
}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _status_for(world: World, created: datetime) -> str:
    age = (NOW - created).total_seconds() / 86400
    if age > 14:
        weights = [0, 2, 3, 55, 40]
    elif age > 3:
        weights = [5, 20, 15, 40, 20]
    else:
        weights = [40, 35, 15, 10, 0]
    return world.rng.choices(["new", "open", "pending_customer", "resolved", "closed"], weights=weights)[0]


def delivered_at(world: World, order: Row) -> datetime | None:
    """When the order's goods were delivered (its delivered tracking event), or None."""
    for shipment in world.rows("shipments"):
        if shipment["order_id"] == order["id"]:
            scans = [parse(e["at"]) for e in shipment["events"] if e["status"] == "delivered"]
            return min(scans) if scans else None
    return None


def tracking_at(world: World, order: Row, moment: datetime) -> str:
    """What tracking showed at a moment: delivered, stuck (lost or exception) or in_transit (or not shipped)."""
    for shipment in world.rows("shipments"):
        if shipment["order_id"] == order["id"]:
            seen = {e["status"] for e in shipment["events"] if parse(e["at"]) <= moment}
            return "delivered" if "delivered" in seen else ("stuck" if seen & {"lost", "exception"} else "in_transit")
    return "in_transit"


def _after_delivery(delivered: datetime, drawn: datetime, latest: datetime) -> datetime:
    """A ticket about goods drawn before they arrived is written as long after the delivery as it was
    drawn before it (an hour to two days), and never after ``latest``."""
    written = delivered + min(max(delivered - drawn, timedelta(hours=1)), timedelta(days=2))
    if written > latest:
        written = delivered + (latest - delivered) / 2
    return written.replace(microsecond=0)


# A working field on tickets moved after their goods' delivery: the time they were drawn at. Escalations
# and Slack ids follow the drawn times, so that no other record changes; traps.timestamp_noise (the last
# step) removes the field before the tables are written.
DRAWN_AT = "_drawn_at"


def forget_drawn_times(world: World) -> None:
    for ticket in world.rows("support_tickets"):
        ticket.pop(DRAWN_AT, None)


def make_ticket(world: World, customer_id: str, ticket_type: str, created: datetime, *, order: Row | None = None,
                build_id: str | None = None, product: Row | None = None, subject: str | None = None, body: str | None = None,
                status: str | None = None, priority: str | None = None, extra: dict[str, str] | None = None,
                latest: datetime | None = None) -> Row:
    """A ticket with text from the templates (unless given) and a plausible assignee and status.

    The text fits the product's category and what tracking showed when the customer wrote; a return or
    troubleshooting ticket is written after the goods arrived (``latest`` bounds how late). None of
    this draws from the RNG beyond the template draw, so later records keep their values."""
    rng = world.rng
    customer = world.get(customer_id)
    delivered = delivered_at(world, order) if order and ticket_type in ("return", "troubleshooting") else None
    designed_trap = False
    if subject is None or body is None:
        tracking = tracking_at(world, order, created) if order else None
        slots = templates_for(ticket_type, product["category"] if product else None, tracking)
        index = rng.randrange(len(slots))  # as many draws as rng.choice(slots)
        drawn = slots[index]
        fields = {
            "order": order["id"] if order else "(no order number)", "first": customer["first_name"],
            "product": customer_name_for(world, product) if product else "my parts", "condition": rng.choice(CONDITIONS[:3]),
            "carrier": order["carrier"] if order else "", "tracking": "(see tracking page)", **(extra or {}),
        }
        if order and ticket_type in NOT_ARRIVED and delivered is None:
            drawn = NOT_ARRIVED[ticket_type]
        status = status or _status_for(world, created)
        if tracking == "stuck" and ticket_type == "shipping" and index == 1 and status in ("new", "open"):
            # a designed lost_parcel trap: a live ticket insists tracking says delivered; it is lost or held
            drawn, designed_trap = TEMPLATES["shipping"][1], True
        subject = subject or drawn[0].format(**fields)
        body = body or drawn[1].format(**fields)
    status = status or _status_for(world, created)
    drawn_at = created
    if delivered is not None and created < delivered:
        created = _after_delivery(delivered, created, latest or NOW - timedelta(minutes=30))
    support = employees_where(world, department="support")
    assignee = None if status == "new" else rng.choice(support)["id"]
    updated = min(created + timedelta(hours=rng.randint(1, 24 * 6)), NOW - timedelta(minutes=10))
    ticket = world.add("support_tickets", {
        "id": world.next_id("tkt", 5), "customer_id": customer_id, "order_id": order["id"] if order else None,
        "build_id": build_id, "type": ticket_type, "channel": rng.choices(CHANNELS, weights=[40, 25, 15, 20])[0],
        "priority": priority or rng.choices(["low", "normal", "high"], weights=[25, 55, 20])[0], "status": status,
        "subject": subject, "body": body, "assignee_id": assignee, "closure_reason": None,
        "created_at": utc_text(created), "updated_at": utc_text(max(updated, created)),
    })
    if created != drawn_at:
        ticket[DRAWN_AT] = utc_text(drawn_at)  # escalations are drawn in the order of these times
    if designed_trap and order:  # only the original tickets draw their text here (planted ones bring theirs)
        shipment = next(s for s in world.rows("shipments") if s["order_id"] == order["id"])
        world.plant("lost_parcel", f"original: customer says marked delivered; tracking shows {shipment['status']}", ticket["id"], order["id"], shipment["id"])
    return ticket


def resolve(world: World, ticket: Row, outcome: str, *, refund_id: str | None = None, summary: str | None = None) -> Row:
    """A resolution record for a resolved or closed ticket, with the matching closure reason."""
    rng = world.rng
    created = parse(ticket["created_at"])
    when = min(created + timedelta(hours=rng.randint(2, 96)), NOW - timedelta(minutes=5))
    resolver = ticket["assignee_id"] or rng.choice(employees_where(world, department="support"))["id"]
    ticket["assignee_id"] = resolver
    ticket["closure_reason"] = CLOSURE[outcome]
    ticket["updated_at"] = utc_text(max(when, created))
    summaries = {
        "refund_issued": f"Return accepted; refund {refund_id} issued for the returned items (shipping not refunded).",
        "replacement_sent": "Replacement shipped after confirming the fault.",
        "recommendation_provided": "Recommended compatible options after checking the customer's current parts.",
        "troubleshooting_steps": "Walked the customer through reseating, cable checks and a driver update; issue fixed.",
        "order_updated": "Order details corrected and the customer informed.",
        "no_action": "Explained the policy; no change needed.",
    }
    return world.add("resolutions", {
        "id": world.next_id("res", 5), "ticket_id": ticket["id"], "outcome": outcome,
        "summary": summary or summaries[outcome], "resolved_by": resolver, "refund_id": refund_id, "created_at": utc_text(max(when, created)),
    })


def escalate(world: World, ticket: Row, escalation_type: str, notes: str, *, status: str | None = None) -> Row:
    rng = world.rng
    created = parse(ticket["created_at"]) + timedelta(hours=rng.randint(1, 30))
    if status is None:
        status = "closed" if ticket["status"] in ("resolved", "closed") else rng.choice(["open", "acknowledged"])
    return world.add("escalations", {
        "id": world.next_id("esc", 5), "ticket_id": ticket["id"], "type": escalation_type,
        "department": rules.ESCALATION_DEPARTMENT[escalation_type], "priority": ticket["priority"], "notes": notes,
        "created_by": ticket["assignee_id"] or rng.choice(employees_where(world, department="support"))["id"],
        "status": status, "created_at": utc_text(min(created, NOW - timedelta(minutes=30))),
    })


def _finish(world: World, ticket: Row, outcome: str, refund_id: str | None = None) -> None:
    if ticket["status"] == "resolved" or (ticket["status"] == "closed" and world.rng.random() < 0.7):
        resolve(world, ticket, outcome, refund_id=refund_id)
    elif ticket["status"] == "closed":
        ticket["closure_reason"] = world.rng.choice(["customer_no_response", "duplicate"])


def _return_tickets(world: World) -> None:
    """Every itemised refund came from a return ticket."""
    rng = world.rng
    for refund in list(world.rows("refunds")):
        order = world.get(refund["order_id"])
        if order["status"] == "cancelled" or refund["ticket_id"]:
            continue
        lines = [rl for rl in world.rows("refund_lines") if rl["refund_id"] == refund["id"]]
        product = world.get(world.get(lines[0]["order_item_id"])["product_id"])
        created = parse(refund["created_at"]) - timedelta(hours=rng.randint(1, 40))
        status = {"pending": rng.choice(["open", "pending_customer"]), "rejected": "resolved"}.get(refund["status"], rng.choice(["resolved", "closed"]))
        ticket = make_ticket(world, order["customer_id"], "return", max(created, parse(order["created_at"]) + timedelta(days=1)),
                             order=order, product=product, status=status, latest=parse(refund["created_at"]) - timedelta(minutes=30))
        refund["ticket_id"] = ticket["id"]
        if status in ("resolved", "closed"):
            outcome = "refund_issued" if refund["status"] in ("approved", "processed") else "no_action"
            resolve(world, ticket, outcome, refund_id=refund["id"] if outcome == "refund_issued" else None,
                    summary=None if outcome == "refund_issued" else f"Return refused after inspection: {refund['notes']}")


def _shipment_tickets(world: World) -> None:
    for shipment in world.rows("shipments"):
        if shipment["status"] in ("exception", "lost"):
            order = world.get(shipment["order_id"])
            created = parse(shipment["events"][-1]["at"]) + timedelta(hours=world.rng.randint(2, 48))
            if created >= NOW:
                continue
            ticket = make_ticket(world, order["customer_id"], "shipping", created, order=order, priority="high",
                                 extra={"tracking": shipment["tracking_number"], "carrier": shipment["carrier"]})
            _finish(world, ticket, "replacement_sent" if shipment["status"] == "lost" else "order_updated")


def _build_tickets(world: World) -> None:
    rng = world.rng
    for build in world.rows("builds"):
        errors, warnings = check_build(build_parts(world, build["id"]))
        if not (errors or warnings) and rng.random() > 0.15:
            continue
        product = rng.choice([p for p, _ in build_parts(world, build["id"]) if p["category"] in ("gpu", "cpu", "psu", "memory", "case")])
        created = max(parse(build["created_at"]) + timedelta(hours=rng.randint(1, 72)), parse(build["updated_at"]))
        if created >= NOW:
            continue
        kind = "troubleshooting" if errors and rng.random() < 0.4 else "recommendation"
        body = (f"I saved a build called \"{build['name']}\" ({build['id']}). Before I order: will everything work together? "
                f"Especially the {customer_name_for(world, product)}.\n{world.get(build['customer_id'])['first_name']}")
        ticket = make_ticket(world, build["customer_id"], kind, created, build_id=build["id"], product=product,
                             subject=f"Compatibility check for build {build['id']}", body=body)
        _finish(world, ticket, "recommendation_provided")


def _general_tickets(world: World) -> None:
    rng = world.rng
    orders = [o for o in world.rows("orders") if o["created_at"]]
    while len(world.rows("support_tickets")) < TICKET_COUNT:
        kind = rng.choices(list(TEMPLATES), weights=[5, 22, 10, 20, 14, 16, 13])[0]
        order = rng.choice(orders)
        if kind in ("return", "troubleshooting", "shipping") and order["status"] not in ("fulfilled", "partially_refunded", "refunded"):
            continue
        created = parse(order["created_at"]) + timedelta(hours=rng.randint(2, 24 * 20))
        if created >= NOW:
            continue
        items = order_items(world, order["id"])
        product = world.get(rng.choice(items)["product_id"])
        if kind == "return":
            # return enquiries that never became refunds: the customer asked, nothing was returned
            ticket = make_ticket(world, order["customer_id"], kind, created, order=order, product=product)
            _finish(world, ticket, "no_action")
            continue
        with_order = kind not in ("recommendation", "other") or rng.random() < 0.3
        ticket = make_ticket(world, order["customer_id"], kind, created, order=order if with_order else None, product=product)
        _finish(world, ticket, rng.choice(OUTCOMES[kind]))


def _recent_tickets(world: World) -> None:
    """The live queue: tickets from the last twelve days, many still open, about orders of any age."""
    rng = world.rng
    orders = [o for o in world.rows("orders") if o["created_at"] and o["status"] != "cancelled"]
    made = 0
    while made < RECENT_TICKETS:
        order = rng.choice(orders)
        created = NOW - timedelta(minutes=rng.randint(30, 12 * 24 * 60))
        if parse(order["created_at"]) + timedelta(hours=2) > created:
            continue
        shipped = order["status"] in ("fulfilled", "partially_refunded", "refunded")
        kinds = ["troubleshooting", "return", "shipping", "billing", "order_issue", "recommendation"] if shipped else ["order_issue", "billing", "shipping"]
        kind = rng.choice(kinds)
        product = world.get(rng.choice(order_items(world, order["id"]))["product_id"])
        ticket = make_ticket(world, order["customer_id"], kind, created, order=order if kind != "recommendation" else None, product=product)
        _finish(world, ticket, "no_action" if kind == "return" else rng.choice(OUTCOMES[kind]))
        made += 1


def _escalations(world: World) -> None:
    rng = world.rng
    done = [t for t in world.rows("support_tickets") if t["status"] in ("resolved", "closed")]
    live = [t for t in world.rows("support_tickets") if t["status"] in ("open", "pending_customer")]
    # in the order the tickets were drawn, before any was moved after its delivery: the same draws as ever
    for ticket in sorted(rng.sample(done, 38) + rng.sample(live, 20), key=lambda t: t.get(DRAWN_AT, t["created_at"])):
        kind = ESCALATION_FOR_TYPE[ticket["type"]]
        if ticket["type"] == "troubleshooting" and rng.random() < 0.3:
            kind = "warranty"
        notes = {
            "technical": "Customer's fault persists after basic troubleshooting; need engineering to review the symptoms.",
            "policy_exception": "Customer asks for an exception to the return policy; please advise.",
            "product_specialist": "Customer needs detailed advice on compatible upgrade options.",
            "warranty": "Possible warranty defect; customer confirms no physical or liquid damage and no overclocking.",
            "order_fulfillment": "Order needs action from fulfillment (address change / missing item / carrier issue).",
            "billing_payment": "Customer reports a billing discrepancy; please check the payment records.",
            "support_escalation": "Customer unhappy with the handling so far; requesting a lead to review.",
        }[kind]
        escalate(world, ticket, kind, f"{ticket['id']}: {notes}")


def build_support(world: World) -> None:
    _return_tickets(world)
    _shipment_tickets(world)
    _build_tickets(world)
    _general_tickets(world)
    _recent_tickets(world)
    _escalations(world)
