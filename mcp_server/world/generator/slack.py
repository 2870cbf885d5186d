"""Slack: ten channels and ~400 messages that refer to real tickets, orders and products, with some
useful hints and some misleading ones (the misleading ones are fixed text in traps.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mcp_server.world.generator.catalog import products_in
from mcp_server.world.generator.common import NOW, World, random_moment, utc_text
from mcp_server.world.generator.people import employees_where
from mcp_server.world.generator.support import DRAWN_AT, parse

CHANNELS = {
    "support-general": "Day-to-day questions, shift hand-offs and heads-ups for the support team.",
    "escalations": "Tickets escalated to other departments and their status.",
    "engineering-support": "Support and engineering working through technical tickets.",
    "product-team": "Product management: catalogue changes, restocks, known issues.",
    "fulfillment-updates": "Warehouse and carrier updates that affect orders.",
    "returns-updates": "Returns and refunds in progress.",
    "promotions-planning": "Marketing's plans for promotions and codes.",
    "policy-discussion": "Questions and answers about company policy.",
    "customer-feedback": "Praise and complaints worth sharing.",
    "kb-updates": "New and retired knowledge-base articles.",
}
MESSAGE_TARGET = 400


@dataclass
class Draft:
    channel: str
    author: str | None
    at: datetime
    text: str
    tickets: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    parent: int | None = None  # index of the draft this one replies to
    shift: timedelta = timedelta(0)  # ranked for its id as if posted this much earlier (see SlackDrafts.post)


class SlackDrafts:
    """Messages collected in any order; ids are given in time order at the end."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.drafts: list[Draft] = []

    def post(self, channel: str, author: str | None, at: datetime, text: str, *, tickets: list[str] | None = None,
             products: list[str] | None = None, parent: int | None = None, shift: timedelta = timedelta(0)) -> int:
        """``shift``: the message is about a ticket that was moved later (after its goods' delivery); its
        id keeps the rank it had before the move, so that no other message is renumbered."""
        at = min(at, NOW - timedelta(minutes=3))
        if parent is not None:
            at = max(at, self.drafts[parent].at + timedelta(minutes=1))
        self.drafts.append(Draft(channel, author, at, text, list(tickets or []), list(products or []), parent, shift))
        return len(self.drafts) - 1

    def write(self) -> None:
        order = sorted(range(len(self.drafts)), key=lambda i: (self.drafts[i].at - self.drafts[i].shift, i))
        ids = {index: f"msg-{n:05d}" for n, index in enumerate(order, start=1)}
        for index in order:
            d = self.drafts[index]
            self.world.add("slack_messages", {
                "id": ids[index], "channel_id": f"ch-{d.channel}", "author_id": d.author, "posted_at": utc_text(d.at), "text": d.text,
                "thread_of": ids[d.parent] if d.parent is not None else None, "ticket_ids": d.tickets, "product_ids": d.products,
            })


def build_channels(world: World) -> None:
    for name, purpose in CHANNELS.items():
        world.add("slack_channels", {"id": f"ch-{name}", "name": name, "purpose": purpose})


def _pick_author(world: World, department: str | None = None) -> str:
    return str(world.rng.choice(employees_where(world, department=department) if department else world.rows("employees"))["id"])


def _ticket_messages(world: World, slack: SlackDrafts) -> None:
    rng = world.rng
    escalated = {e["ticket_id"]: e for e in world.rows("escalations")}
    for ticket in rng.sample(world.rows("support_tickets"), 170):
        at = parse(ticket["created_at"]) + timedelta(hours=rng.randint(1, 20))
        shift = parse(ticket["created_at"]) - parse(ticket.get(DRAWN_AT, ticket["created_at"]))
        author = ticket["assignee_id"] or _pick_author(world, "support")
        products: list[str] = []
        product_note = ""
        if ticket["order_id"]:
            item = next(i for i in world.rows("order_items") if i["order_id"] == ticket["order_id"])
            product = world.get(item["product_id"])
            products, product_note = [product["id"]], f" ({product['name']})"
        if ticket["id"] in escalated:
            esc = escalated[ticket["id"]]
            slack.post("escalations", esc["created_by"], parse(esc["created_at"]) + timedelta(minutes=5),
                       f"Escalated {ticket['id']} to {esc['department']} as {esc['type']}{product_note}. {ticket['subject']}",
                       tickets=[ticket["id"]], products=products, shift=shift)
            continue
        channel = {"troubleshooting": "engineering-support", "return": "returns-updates", "shipping": "fulfillment-updates",
                   "order_issue": "fulfillment-updates", "recommendation": "support-general", "billing": "support-general",
                   "other": "customer-feedback"}[ticket["type"]]
        lines = {
            "engineering-support": f"Can someone from engineering look at {ticket['id']}? Customer reports: \"{ticket['subject']}\"{product_note}.",
            "returns-updates": f"Return request in {ticket['id']} for order {ticket['order_id']}{product_note}. Checking the window and condition.",
            "fulfillment-updates": f"{ticket['id']}: {ticket['subject']}{product_note}. Checking with the carrier.",
            "support-general": f"Anyone handled something like {ticket['id']} before? \"{ticket['subject']}\"{product_note}",
            "customer-feedback": f"From {ticket['id']}: \"{ticket['subject']}\"{product_note}. Sharing in case it helps.",
        }
        parent = slack.post(channel, author, at, lines[channel], tickets=[ticket["id"]], products=products, shift=shift)
        if rng.random() < 0.35:
            reply = rng.choice([
                f"Taking a look at {ticket['id']} now.", f"Replied to the customer on {ticket['id']}; waiting on them.",
                f"Checked the order history for {ticket['id']}; details are in the ticket.",
                f"{ticket['id']} looks like a duplicate of an older ticket from the same customer.",
            ])
            slack.post(channel, _pick_author(world, "support"), at + timedelta(minutes=rng.randint(5, 240)), reply,
                       tickets=[ticket["id"]], parent=parent, shift=shift)


def _product_messages(world: World, slack: SlackDrafts) -> None:
    rng = world.rng
    inventory = {}
    for level in world.rows("inventory"):
        inventory.setdefault(level["product_id"], []).append(level)
    for product in rng.sample(world.rows("products"), 60):
        at = random_moment(rng, NOW - timedelta(days=60), NOW - timedelta(hours=2))
        levels = inventory[product["id"]]
        empty = [lv["warehouse"] for lv in levels if lv["on_hand"] == 0]
        if empty:
            eta = next((lv["restock_eta"] for lv in levels if lv["restock_eta"]), None)
            text = (f"{product['name']} ({product['id']}) is out of stock in {', '.join(empty)}."
                    + (f" Restock expected {eta[:10]}." if eta else " No restock date yet."))
        else:
            text = rng.choice([
                f"Reminder: {product['name']} ({product['id']}) is {product['price']:.2f} in the catalogue; quote that price.",
                f"Spec check: {product['name']} ({product['id']}) lists {', '.join(f'{k}={v}' for k, v in list(product['specs'].items())[:3])}.",
                f"Seeing more questions about the {product['name']} ({product['id']}) this week.",
            ])
        slack.post("product-team", _pick_author(world, "product_management"), at, text, products=[product["id"]])


def _refund_messages(world: World, slack: SlackDrafts) -> None:
    rng = world.rng
    for refund in rng.sample(world.rows("refunds"), min(45, len(world.rows("refunds")))):
        tickets = [refund["ticket_id"]] if refund["ticket_id"] else []
        ref = f" (ticket {refund['ticket_id']})" if refund["ticket_id"] else ""
        text = f"Refund {refund['id']} on order {refund['order_id']}{ref}: ${refund['amount']:.2f}, status {refund['status']}."
        slack.post("returns-updates", refund["approved_by"] or _pick_author(world, "support"),
                   parse(refund["created_at"]) + timedelta(minutes=rng.randint(5, 120)), text, tickets=tickets)


def _kb_messages(world: World, slack: SlackDrafts) -> None:
    rng = world.rng
    for article in world.rows("kb_articles"):
        if rng.random() > 0.35 and not article["deprecated"]:
            continue
        at = datetime.fromisoformat(article["updated_at"].replace("Z", "+00:00")) + timedelta(hours=2)
        if article["deprecated"]:
            text = f"{article['id']} \"{article['title']}\" is retired; use {article['superseded_by']} instead."
            new = world.get(article["superseded_by"])
            at = datetime.fromisoformat(new["updated_at"].replace("Z", "+00:00")) + timedelta(hours=3)
        else:
            text = f"Published {article['id']}: \"{article['title']}\" (v{article['version']})."
        if article["product_ids"]:
            text += " Covers: " + "; ".join(world.get(pid)["name"] for pid in article["product_ids"]) + "."
        slack.post("kb-updates", _pick_author(world, rng.choice(["support", "product_management", "engineering"])), at, text,
                   products=list(article["product_ids"]))


def _promo_messages(world: World, slack: SlackDrafts) -> None:
    rng = world.rng
    for promo in world.rows("promotions"):
        start = datetime.fromisoformat(promo["starts_at"].replace("Z", "+00:00"))
        slack.post("promotions-planning", _pick_author(world, "marketing"), start - timedelta(days=rng.randint(3, 10)),
                   f"Planning {promo['code']} ({promo['name']}): {promo['description']} Runs {promo['starts_at'][:10]} to {promo['ends_at'][:10]} (UTC).")
    gpus = products_in(world, "gpu")
    for gpu in rng.sample(gpus, 4):
        slack.post("promotions-planning", _pick_author(world, "marketing"), random_moment(rng, NOW - timedelta(days=40), NOW - timedelta(days=1)),
                   f"Could we feature the {gpu['name']} ({gpu['id']}) in the next GPU promo?", products=[gpu["id"]])


def _chatter(world: World, slack: SlackDrafts) -> None:
    """Shift hand-offs and reminders to fill the channels up to the target size."""
    rng = world.rng
    lines = [
        ("support-general", "Morning all, queue is {n} tickets. Oldest first please."),
        ("support-general", "Reminder: confirm the customer's identity (email or customer id) before discussing an order."),
        ("support-general", "Handing off for the day; {n} tickets left in pending_customer."),
        ("fulfillment-updates", "East warehouse pick rate back to normal after the conveyor fix."),
        ("fulfillment-updates", "Carrier pickups delayed by about {n} hours today at the central warehouse."),
        ("customer-feedback", "Lovely note from a customer about fast delivery. Keep it up!"),
        ("policy-discussion", "Quick check: shipping is never refunded on returns, right? (Yes: policy, refunds section.)"),
        ("policy-discussion", "Return window counts 30 days from the purchase date in Eastern time, not from delivery."),
        ("engineering-support", "Firmware test bench is free this afternoon if anyone needs a card tested."),
    ]
    while len(slack.drafts) < MESSAGE_TARGET - 12:  # traps.py adds the rest
        channel, text = rng.choice(lines)
        author = _pick_author(world, "support" if channel != "engineering-support" else "engineering")
        slack.post(channel, author, random_moment(rng, NOW - timedelta(days=300), NOW - timedelta(hours=1)), text.format(n=rng.randint(3, 40)))


def build_slack(world: World) -> SlackDrafts:
    slack = SlackDrafts(world)
    _ticket_messages(world, slack)
    _product_messages(world, slack)
    _refund_messages(world, slack)
    _kb_messages(world, slack)
    _promo_messages(world, slack)
    _chatter(world, slack)
    return slack
