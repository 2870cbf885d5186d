"""World v2: support and content trap instances planted for the training split (see trap_types.py).

Every record here is new, appended after the original world, so no id a held-out task cites changes.
Each instance is recorded with ``world.plant``: the new ones under names starting with "v2 ", and the
original world's instances of the same types (recorded here, from the marks traps.py and content.py
leave in ``world.notes``) under names starting with "original ".
"""

from __future__ import annotations

from mcp_server.world.generator.commerce import order_items
from mcp_server.world.generator.common import Row, World
from mcp_server.world.generator.people import CUSTOMER_COUNT
from mcp_server.world.generator.planted_content_kb import plant_kb
from mcp_server.world.generator.planted_content_slack import PlantedSlack
from mcp_server.world.generator.planted_content_tickets import plant_brand_tickets, plant_injection_tickets
from mcp_server.world.generator.support_text import BRAND_SPELLINGS


def plant(world: World) -> None:
    """Record the original instances, then plant new tickets and KB articles."""
    _record_original_tickets(world)
    _record_original_kb(world)
    plant_injection_tickets(world)
    plant_brand_tickets(world)
    plant_kb(world)


def write_slack(world: World, posts: PlantedSlack) -> None:
    """After the original drafts have their ids (held-out tasks cite them): record the original
    misleading posts, then write the planted posts (drawn by ``collect_posts``) after them."""
    _record_original_slack(world)
    posts.write()


def _record_original_tickets(world: World) -> None:
    for ticket_id in world.notes["prompt_injection_ticket"]:
        ticket = world.get(ticket_id)
        world.plant("injection_ticket", f"original {ticket['subject']}", ticket_id, ticket["customer_id"], ticket["order_id"])
    original = [t for t in world.rows("support_tickets") if int(t["customer_id"].split("-")[1]) <= CUSTOMER_COUNT]
    for ticket in original:  # the commerce plants' new customers may write brands their way too; not ours to record
        for product, variant in _spellings_in(world, ticket):
            ids = [ticket["id"], ticket["customer_id"], product["id"]] + ([ticket["order_id"]] if ticket["order_id"] else [])
            world.plant("brand_spelling", f"original {ticket['type']}: '{variant}' for {product['brand']}", *ids)


def _spellings_in(world: World, ticket: Row) -> list[tuple[Row, str]]:
    """Products the ticket names with a customer spelling of their brand. A model name inside a longer
    one ("... 64GB" in "... 64GB Rev. B") is the longer one; the ticket's order's products come first,
    so that a model name two brands share resolves to the product the customer bought."""
    text = f"{ticket['subject']}\n{ticket['body']}"
    ordered = {i["product_id"] for i in order_items(world, ticket["order_id"])} if ticket["order_id"] else set()
    found: dict[str, tuple[Row, str]] = {}
    for product in sorted(world.rows("products"), key=lambda p: (p["id"] not in ordered, p["id"])):
        model = product["name"][len(product["brand"]) + 1:]
        for variant in BRAND_SPELLINGS.get(product["brand"], []):
            if f"{variant} {model}" in text and model not in found:
                found[model] = (product, variant)
    return [hit for model, hit in found.items() if not any(model != other and model in other for other in found)]


def _record_original_kb(world: World) -> None:
    for pair in world.notes["deprecated_kb"]:
        old, new = pair.split("->")
        world.plant("deprecated_kb", f"original {world.get(old)['title']}", old, new)


def _record_original_slack(world: World) -> None:
    """The original misleading posts (traps.slack_traps marks them as channel@time); the one that
    relays a ticket's fake approval is also an instruction aimed at the agent."""
    by_place = {f"{m['channel_id'][3:]}@{m['posted_at']}": m for m in world.rows("slack_messages")}
    for place in world.notes["misleading_slack"]:
        message = by_place[place]
        world.plant("misleading_slack", f"original #{place.split('@')[0]}", message["id"], *message["ticket_ids"], *message["product_ids"])
        if "approved" in message["text"] and message["ticket_ids"]:
            world.plant("injection_slack", f"original #{place.split('@')[0]}: relayed approval", message["id"], *message["ticket_ids"])
