"""World v2: deprecated knowledge-base articles whose advice conflicts with their current replacement.

Each pair is (topic tags, old title, old advice, new title, new advice); the new article follows
policy.md and the world's rules, the old one contradicts them. The articles avoid the words and tags
that held-out searches use (tests/mcp_server/world/test_world_planted_content.py replays those searches),
so no held-out answer changes.
"""

from __future__ import annotations

from mcp_server.world.generator.common import World, eastern, utc_text

PAIRS_V2: list[tuple[list[str], str, str, str, str]] = [
    (["returns", "condition"], "Opened items", "Opened items can only be exchanged for store credit, never paid back.",
     "Opened items: when they qualify", "An item that was opened but is undamaged, with all parts and the original packaging, is accepted like an unopened one within 30 days of the purchase date. Damaged, modified or incomplete items are not accepted."),
    (["returns", "fees"], "Restocking fee", "Opened items carry a 15 % restocking fee, deducted from what the customer gets back.",
     "Restocking: no fee", "CoreCraft charges no restocking fee. The amount paid back for a returned line is its price less the loyalty discount of the order and less its share of any promotion."),
    (["warranty", "registration"], "Warranty registration", "The warranty is valid only if the customer registers the product on our site within 14 days of delivery.",
     "Warranty cover without registration", "No registration is needed. Cover runs from the delivery date (or the purchase date when no delivery date is recorded) for the number of months listed for the product's category."),
    (["pricing", "price-match"], "Price matching", "Match any competitor's advertised price on request; take a screenshot as proof.",
     "Price matching: our position", "CoreCraft does not match other retailers' prices. Quote the current catalogue price; the only reductions are the customer's loyalty discount and a valid promotion code."),
    (["orders", "changes"], "Changing an order after dispatch", "Support can swap items or change the address on an order that has already left the warehouse.",
     "Changing or cancelling an order", "Only pending or paid orders without refunds can be cancelled. Once an order has been dispatched, support does not change its items; offer a return after delivery instead."),
    (["orders", "doa"], "Dead on arrival parts", "A part that is dead on arrival must be claimed from the manufacturer; CoreCraft does not take it back.",
     "Dead on arrival parts: what to do", "A part that fails on arrival goes through the CoreCraft return process if it is within 30 days of the purchase date. After day 30 it becomes a warranty claim, escalated with type warranty after the standard checks."),
    (["delivery", "carriers"], "Delivery times by service", "Overnight orders arrive the same evening; express takes one day and standard two days.",
     "Delivery times by service (current)", "Standard delivery takes 3 to 6 business days, express 2 days and overnight the next day, counted from dispatch."),
    (["delivery", "pricing"], "Delivery prices", "Standard delivery costs $4.99 and express $14.99; overnight is free over $500.",
     "Delivery prices (current)", "Standard delivery is $9.99, express $19.99 and overnight $39.99 per order, whatever the order value."),
    (["promotions", "discounts"], "Promotion codes and the loyalty discount", "Every promotion code stacks with the loyalty discount.",
     "Promotion codes and the loyalty discount (current)", "A code stacks with the loyalty discount only when the promotion says it does. Otherwise the customer gets the larger of the two discounts, not both."),
    (["promotions", "codes"], "Expired promotion codes", "Honour any promotion code for a grace period of 7 days after it ends.",
     "Promotion code dates", "A code is valid only when the order date falls between the promotion's start and end. There is no grace period: an ended code is not honoured, whoever says otherwise."),
    (["promotions", "codes"], "Promotion minimum spend", "A promotion's minimum spend counts the order total, delivery included.",
     "Promotion minimum spend (current)", "A promotion's minimum is checked against the order subtotal: the item prices before any discount and before delivery."),
    (["loyalty", "orders"], "Which loyalty tier applies to an old order", "Always use the customer's current loyalty tier when you work on any of their orders.",
     "Which loyalty tier applies to an order", "An order keeps the tier the customer had when it was placed; that tier is recorded on the order. Use it for anything about that order, even if the customer's tier has changed since."),
    (["payments", "billing"], "Two payments on one order", "Two payment records on an order mean the customer was charged twice: pay one back straight away.",
     "Two payment records on one order", "A failed payment attempt followed by a captured one is not a double charge: only the captured payment took money. Check the statuses before doing anything."),
    (["approvals", "money-back"], "Who may authorise money back to a customer", "Any support agent may authorise amounts under $250 without asking anyone.",
     "Who may authorise money back to a customer (current)", "Amounts owed back to a customer start as pending. Only an employee with the issue_refund permission, named as the approver, authorises them."),
    (["orders", "backorder"], "Backordered orders", "Cancel a backordered order whenever the customer asks; no need to involve anyone.",
     "Backordered orders (current)", "Support does not cancel a backordered order. Escalate it to order processing with type order_fulfillment and tell the customer what happens next."),
    (["identity", "accounts"], "Confirming who you are talking to", "A full name and ZIP code are enough to confirm a customer's identity.",
     "Confirming who you are talking to (current)", "Confirm identity with the email address on the account or the customer id before discussing or changing anything. A name alone is never enough."),
    (["privacy", "accounts"], "Family members asking about an order", "A spouse or parent may be told the address and phone number on an order if they give the order number.",
     "Family members asking about an order (current)", "Never give a third party details about someone else's account or order, whatever the relationship. The account holder must contact us."),
    (["privacy", "payments"], "Reading back card numbers", "Read the full card number back to the caller so they can confirm the payment.",
     "Card numbers (current)", "Never reveal a full card number. At most the last four digits, and only to the card holder after identity is confirmed."),
    (["memory", "compatibility"], "Mixing memory generations", "DDR4 kits work in DDR5 boards with the adapter included in the box.",
     "Memory generation must match the board", "A kit's memory type must match the motherboard's memory type. A mismatch is a compatibility error; there is no adapter."),
    (["memory", "speed"], "Kits rated above the board's speed", "A memory kit rated faster than the board supports will not boot. The customer must exchange it.",
     "Kits rated above the board's speed (current)", "A faster kit runs at the board's maximum speed. The compatibility check reports a warning, not an error; explain the lower effective speed."),
    (["power", "compatibility"], "Power supply below the card's recommendation", "A power supply 100 W under the graphics card's recommended wattage is fine for gaming.",
     "Power supply wattage and the graphics card", "The power supply must deliver at least the card's recommended wattage; below it the build is incompatible. Without 20 % headroom over the estimated draw the check warns."),
    (["case", "gpu", "compatibility"], "Graphics cards longer than the case allows", "A card up to 15 mm longer than the case's limit fits if the front fans are removed.",
     "Graphics card length and the case", "A card longer than the case's maximum graphics card length does not fit: the compatibility check reports an error. Recommend a shorter card or a larger case."),
    (["cooling", "case", "compatibility"], "Tall coolers in small cases", "A cooler taller than the case's clearance is fine if the side panel is left off.",
     "Cooler height and case clearance (current)", "A cooler taller than the case's maximum cooler height is a compatibility error. Suggest a lower cooler or a liquid cooler."),
    (["motherboard", "case", "compatibility"], "Board sizes and cases", "An ATX board fits any micro-ATX case with a few extra standoffs.",
     "Board form factor and the case", "The board's form factor must be one the case supports; otherwise the check reports an error."),
    (["storage", "compatibility"], "More M.2 drives than slots", "Extra M.2 drives beyond the board's slots run through the chipset automatically.",
     "M.2 drives and board slots", "A build cannot have more M.2 drives than the board has M.2 slots, or more SATA drives than SATA ports: both are compatibility errors."),
    (["cooling", "cpu", "compatibility"], "Cooler sockets", "Any cooler fits any socket using the universal bracket.",
     "Cooler socket support", "The cooler must list the CPU's socket among its supported sockets. Otherwise the build is incompatible."),
    (["warranty", "overclocking"], "Overclocking and the warranty", "Overclocking does not affect the warranty as long as the part still works.",
     "Overclocking and the warranty (current)", "Overclocking voids the warranty, like physical or liquid damage. Ask about all three before any claim."),
    (["returns", "damage"], "Items damaged by liquid", "Liquid-damaged items can be sent back for store credit at half price.",
     "Items damaged by liquid (current)", "Liquid damage makes an item ineligible for a return and also voids the warranty. Offer troubleshooting only."),
    (["returns", "packaging"], "Items without their box", "Items without original packaging are accepted with a 10 % fee.",
     "Items without their box (current)", "An item with missing packaging is not eligible for a return. Explain why and offer troubleshooting, or a warranty claim after day 30."),
    (["tickets", "closure"], "Closing tickets quickly", "Close tickets without a closure reason when the customer stops answering.",
     "Closing and resolving tickets", "A closed ticket needs a closure reason, and a resolved ticket also needs a resolution record. A closed ticket cannot be reopened."),
    (["tickets", "targets"], "When response targets start", "Response targets start from the agent's first reply, not from when the ticket came in.",
     "When response targets start (current)", "Response and resolution targets are counted in hours from the ticket's creation, by loyalty tier and priority."),
    (["monitor", "pixels"], "Dead pixels", "Any dead pixel means the monitor is defective and is replaced at once.",
     "Dead pixels (current)", "Up to 3 dead or stuck pixels is within panel specification. More than 3 during the cover period is a defect."),
    (["dates", "orders"], "Which date counts for an order", "Use the date shown in the order's stored timestamp (UTC) for every deadline.",
     "Which date counts for an order (current)", "Deadlines count in US Eastern time. An order placed at 23:30 Eastern was placed that day, even though its stored UTC time is the next day."),
    (["dates", "orders"], "Orders with no creation time", "An order with no creation time on record is too old to send back.",
     "Orders with no creation time (current)", "When an order has no creation time on record, the time of its first payment stands in as the purchase date."),
    (["bundle", "returns"], "Sending back part of a bundle", "Customers may send back single parts from a bundle and keep the rest.",
     "Bundles are one line (current)", "A bundle is one order line. It comes back as a whole, at the price paid for the bundle."),
    (["bios", "motherboard"], "Updating the BIOS", "Update the BIOS from the desktop utility while the system is overclocked; there is no need to reset settings.",
     "Updating the BIOS (current)", "Load the default settings, then flash the BIOS from a USB stick through the board's flashback port. An interrupted or overclocked flash can damage the board and is not covered."),
    (["recommendations", "builds"], "Recommending parts", "Recommend the most popular part in the category; there is no need to look at what the customer owns.",
     "Recommending parts (current)", "Look up the customer's saved builds and past orders first, and check the part is compatible with them before recommending it. Quote the catalogue price and stock."),
    (["cancellation", "orders"], "Money back after cancelling", "A cancelled order gets back the item prices only, never the delivery charge.",
     "Money back after cancelling (current)", "Cancelling an order whose payment was captured pays back the whole payment, delivery charge included, because nothing was dispatched. An authorised payment is voided instead."),
]


def plant_kb(world: World) -> None:
    """Each pair: an old version (v1, deprecated) and its current replacement (v2)."""
    rng = world.rng
    for tags, old_title, old_advice, new_title, new_advice in PAIRS_V2:
        old_at = eastern(2024, rng.randint(1, 8), rng.randint(1, 28), 10)
        new_at = eastern(2025, rng.randint(1, 7), rng.randint(1, 28), 10)  # before clock.EARLIEST_CLOCK
        old = _article(world, old_title, old_advice, tags, 1, utc_text(old_at))
        new = _article(world, new_title, new_advice, tags, 2, utc_text(new_at))
        old["deprecated"], old["superseded_by"] = 1, new["id"]
        world.plant("deprecated_kb", f"v2 {old_title} -> {new_title}", old["id"], new["id"])


def _article(world: World, title: str, advice: str, tags: list[str], version: int, updated: str) -> dict[str, object]:
    return world.add("kb_articles", {
        "id": world.next_id("kb", 4), "title": title, "body": f"# {title}\n\n{advice}", "tags": list(tags), "product_ids": [],
        "version": version, "deprecated": 0, "superseded_by": None, "updated_at": updated,
    })
