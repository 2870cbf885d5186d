"""Communication families: answering from the current knowledge-base article (product known issues, BIOS,
cooler mounting, PSU fan noise; memory rated above the board's maximum, whose deprecated predecessor gives the
opposite advice), and explaining a shipment exception or a lost parcel from the carrier's events."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from harness.tasks.generate.core import (
    DEFAULT_NOW, Exclusions, Instance, World, called, eastern_day, full_name, identify_calls, long_date, no_writes, no_writes_to, pick, says, state,
    date_pattern,
)
from harness.tasks.generate.families_returns import NOT_ELIGIBLE, WRONG_ELIGIBLE
from mcp_server.world import rules

SYMPTOM = {
    "coil": ["it makes a high-pitched whine when I'm gaming", "there's a buzzing, whining noise from the card under load"],
    "bios": ["I want to put one of the newest CPUs in it, is there anything I need to do first?",
             "a friend said I may need a BIOS update before using a new CPU with it, is that right?"],
    "mount": ["which sockets does it fit and how tall is it? I want to be sure it goes in my case",
              "before I install it: what sockets does it support and what's its height?"],
    "fan": ["the fan never seems to spin, is it broken?", "it clicks when I switch the PC on and the fan often stays still; is that normal?"],
}


def _fact(kind: str, body: str) -> tuple[dict[str, Any], str] | None:
    """The article's key fact as response-check parts, and a sentence that states it."""
    if kind == "coil":
        return ({"contains_any": ["frame rate", "framerate", "fps", "frame cap", "frame-rate"]},
                "It's a known, normal behaviour under heavy load and not a defect; capping the frame rate reduces it. If it is loud at idle, that would be a defect.")
    if kind == "bios":
        found = re.search(r"BIOS version ([\d.]+) or later for the newest CPUs on socket (\S+)\.", body)
        if not found:
            return None
        version, socket = found.groups()
        return ({"pattern": rf"(?<![\d.]){re.escape(version)}(?![\d])"},
                f"For the newest {socket} CPUs it needs BIOS version {version} or later; update it with a USB stick through the flashback port.")
    if kind == "mount":
        found = re.search(r"Supported sockets: ([^.]+)\. Height (\d+) mm", body)
        if not found:
            return None
        sockets, height = found.groups()
        return ({"numbers": [int(height)], "contains_all": [s.strip() for s in sockets.split(",")]},
                f"It supports the {sockets} sockets and is {height} mm tall, so check your case's cooler clearance first.")
    found = re.search(r"runs its fan only above (\d+) % load", body)
    if not found:
        return None
    return ({"numbers": [int(found.group(1))]},
            f"That's normal: the fan only runs above {found.group(1)}% load, and the click at start-up is the fan relay.")


def kb_answer(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    articles = world.all("SELECT * FROM kb_articles WHERE deprecated = 0 AND (title LIKE 'Known issue: coil whine%' OR title LIKE 'BIOS update for%' "
                         "OR title LIKE 'Mounting the%' OR title LIKE 'Fan noise on%') ORDER BY id")
    out: list[Instance] = []
    for article in articles:
        products = json.loads(article["product_ids"])
        if len(products) != 1 or not exclusions.allows(article["id"], products[0]):
            continue
        kind = ("coil" if "coil whine" in article["title"] else "bios" if article["title"].startswith("BIOS") else
                "mount" if article["title"].startswith("Mounting") else "fan")
        fact = _fact(kind, article["body"])
        if fact is None:
            continue
        parts, sentence = fact
        product = world.one("SELECT * FROM products WHERE id = ?", (products[0],))
        assert product is not None
        buyers = world.all("SELECT DISTINCT o.customer_id, o.id AS order_id FROM orders o JOIN order_items i ON i.order_id = o.id "
                           "WHERE i.product_id = ? AND o.status IN ('fulfilled', 'paid') ORDER BY o.id", (product["id"],))
        buyers = [b for b in buyers if exclusions.allows(b["customer_id"], b["order_id"])]
        rng.shuffle(buyers)
        for buyer in buyers[:10]:
            customer = world.customer(buyer["customer_id"])
            symptom = rng.choice(SYMPTOM[kind])
            prompt = pick(rng, [
                f"Hi, {full_name(customer)} ({customer['email']}). I bought the {product['name']} from you; {symptom}",
                f"Hello! Question about my {product['name']} (order {buyer['order_id']}): {symptom} Thanks, {full_name(customer)}",
                f"{full_name(customer)} here, email {customer['email']}. About the {product['name']}: {symptom}",
            ])
            calls = [*identify_calls(customer), {"tool": "searchProducts", "arguments": {"query": product["name"]}},
                     {"tool": "searchKnowledgeBase", "arguments": {"product_id": product["id"], "include_body": True}}]
            reply = f"Thanks for asking about your {product['name']}. {sentence} (Source: our knowledge-base article {article['id']}, \"{article['title']}\".)"
            criteria = [
                says("key-fact", "The reply gives the article's key fact for this product", **parts),
                called("searched-kb", "The agent looked the answer up in the knowledge base", "searchKnowledgeBase", {}, succeeded=True),
                no_writes(),
            ]
            if kind in ("coil", "fan"):
                criteria.insert(1, says("normal", "The reply says the behaviour is normal (not a defect) in the usual case",
                                        pattern=r"(normal|not a defect|expected|harmless|nothing wrong|not (a sign of )?(a )?fault)"))
                criteria.append(says("no-return-push", "The reply does not tell the customer the unit is defective", kind="constraint",
                                     not_pattern=r"(your (card|unit|psu|power supply) is (defective|faulty)|it is (defective|faulty))"))
            if kind == "mount":
                criteria.append(says("clearance", "The reply tells the customer to check the case's cooler clearance", contains_any=["clearance", "fit in your case", "fits your case", "case"], kind="completeness"))
            if kind == "bios":
                criteria.append(says("flashback", "The reply says how to update (USB stick / flashback port)", contains_any=["flashback", "usb"], kind="completeness"))
            out.append(Instance("communication", "easy" if kind != "mount" else "medium", "customer", customer["id"], prompt, calls, reply, criteria,
                                entities=[customer["id"], product["id"], article["id"]], tags=["knowledge-base", f"kb-{kind}"]))
    rng.shuffle(out)
    return out


def memory_speed(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    current = world.one("SELECT * FROM kb_articles WHERE title = 'Memory speed above the board maximum (a warning)' AND deprecated = 0")
    stale = world.one("SELECT * FROM kb_articles WHERE superseded_by = ?", (current["id"],)) if current else None
    if current is None or stale is None or not exclusions.allows(current["id"], stale["id"]):
        return []
    rams = [dict(p, spec=json.loads(p["specs"])) for p in world.all("SELECT * FROM products WHERE category = 'memory' AND discontinued = 0 ORDER BY id")]
    boards = [dict(p, spec=json.loads(p["specs"])) for p in world.all("SELECT * FROM products WHERE category = 'motherboard' AND discontinued = 0 ORDER BY id")]
    pairs = [(r, b) for r in rams for b in boards if r["spec"].get("memory_type") == b["spec"].get("memory_type")
             and r["spec"].get("speed_mhz", 0) > b["spec"].get("max_memory_speed_mhz", 10**6)
             and r["spec"].get("modules", 1) <= b["spec"].get("memory_slots", 0) and exclusions.allows(r["id"], b["id"])]
    rng.shuffle(pairs)
    customers = [c for c in world.all("SELECT * FROM customers ORDER BY id") if exclusions.allows(c["id"])]
    out: list[Instance] = []
    for ram, board in pairs:
        customer = customers[rng.randrange(len(customers))]
        speed, limit = ram["spec"]["speed_mhz"], board["spec"]["max_memory_speed_mhz"]
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} ({customer['email']}). I read somewhere that memory faster than the motherboard supports is incompatible. "
            f"I want the {ram['name']} on the {board['name']}; will that work or do I need a slower kit?",
            f"Is the {ram['name']} ({speed} MHz) OK on the {board['name']}? I think the board tops out lower. Should I buy something slower? - {full_name(customer)}",
        ])
        calls = [{"tool": "searchProducts", "arguments": {"query": ram["name"]}}, {"tool": "searchProducts", "arguments": {"query": board["name"]}},
                 {"tool": "validateBuildCompatibility", "arguments": {"product_ids": [ram["id"], board["id"]]}},
                 {"tool": "searchKnowledgeBase", "arguments": {"query": "memory speed", "include_body": True}}]
        reply = (f"Yes, it will work: the {ram['name']} is rated {speed} MHz and the {board['name']} supports up to {limit} MHz, so the kit simply runs at "
                 f"{limit} MHz. That's a warning, not an incompatibility, so there's no need to buy a slower kit (per our current article {current['id']}; "
                 "an older article that said otherwise has been withdrawn).")
        criteria = [
            says("works", "The reply says the kit works on the board (a warning, not an incompatibility)",
                 pattern=r"(will work|works|compatible|is fine|no need|can use|will run|runs at)", kind="correctness"),
            says("board-speed", f"The reply says it runs at the board's maximum of {limit} MHz", numbers=[limit]),
            says("not-incompatible", "The reply does not call the pair incompatible or say the customer must buy a slower kit", kind="constraint",
                 not_pattern=r"(\b(is|are|they're|it's) (not compatible|incompatible)\b|\bwon't work\b|\bwill not work\b|\byou (should|must) (buy|get|pick|choose) a slower)"),
            says("no-stale-article", f"The reply does not cite the deprecated article {stale['id']} as guidance", kind="constraint", not_contains=[stale["id"]]),
            called("checked", "The agent ran the compatibility check on the two parts", "validateBuildCompatibility", {}, succeeded=True),
            no_writes(),
        ]
        out.append(Instance("communication", "medium", "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], ram["id"], board["id"], current["id"]], tags=["knowledge-base", "deprecated-kb", "compatibility"]))
    return out


NEXT_STEP = {
    "exception": ["address", "confirm", "redeliver", "re-deliver", "carrier", "contact"],
    "lost": ["trace", "investigat", "replacement", "reship", "re-ship", "fulfil", "escalat", "claim", "carrier"],
}
NO_SHIPPING_REFUND = r"(refund (of |for )?(the |your )?shipping|shipping (cost|fee|charge)?s? (will be|is being|has been|are|is) refunded|refund(ing)? your shipping)"


def shipment_exception(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    rows = world.all("SELECT s.*, o.customer_id, o.created_at AS ordered_at FROM shipments s JOIN orders o ON o.id = s.order_id "
                     "WHERE s.status IN ('exception', 'lost') ORDER BY s.id")
    staff = [e for e in world.employees("department IN ('support', 'operations', 'order_processing')") if exclusions.allows(e["id"])]
    out: list[Instance] = []
    for row, colleague in [(r, None) for r in rows] + [(r, staff[i % len(staff)] if staff else None) for i, r in enumerate(rows)]:
        customer = world.customer(row["customer_id"])
        if not exclusions.allows(row["id"], row["order_id"], customer["id"]):
            continue
        last = json.loads(row["events"])[-1]
        when = eastern_day(last["at"])
        give_order = rng.random() < 0.5
        ordered = eastern_day(row["ordered_at"]) if row["ordered_at"] else None
        which = f"order {row['order_id']}" if give_order or ordered is None else f"the order I placed on {long_date(ordered)}"
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} here ({customer['email']}). {which.capitalize()} still hasn't arrived and the tracking looks odd. What's going on, and what happens now?",
            f"Hello, where is {which}? It should have been here days ago. Name: {full_name(customer)}, email {customer['email']}. I'd also like my shipping money back for the hassle.",
            f"{full_name(customer)}, {customer['email']}. Can you tell me what happened to {which}? The tracking page hasn't changed in ages.",
        ])
        if colleague is not None:
            give_order = True
            prompt = pick(rng, [
                f"{full_name(customer)} ({customer['email']}) emailed asking where order {row['order_id']} is. Can you check the shipment and write me a reply I can send? They also want the shipping cost back.",
                f"Could you draft the customer reply for order {row['order_id']} ({full_name(customer)})? Tracking hasn't moved and they're upset. Give the facts and the next step.",
            ])
        calls = [*identify_calls(customer)]
        if not (give_order or ordered is None):
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"]}})
        calls += [{"tool": "getOrderDetails", "arguments": {"order_id": row["order_id"]}}, {"tool": "searchShipments", "arguments": {"order_id": row["order_id"]}}]
        if row["status"] == "exception":
            what = f"the carrier ({row['carrier']}) reported a failed delivery attempt because of an address issue on {long_date(when)} ({last['location']})"
            step = "Please confirm your full delivery address and a phone number, and I'll pass it to the carrier so they can redeliver."
        else:
            what = f"{row['carrier']} declared the parcel lost on {long_date(when)} after it was not scanned for 10 days"
            step = "The next step is a trace with the carrier and, if it isn't found, a replacement shipment arranged by our fulfilment team; I'll keep you updated."
        reply = (f"I'm sorry about the wait. Your shipment for order {row['order_id']} (tracking number {row['tracking_number']}): {what}. {step} "
                 "Shipping charges are only refunded when an order is cancelled before it ships, but you won't pay anything extra for the redelivery or replacement.")
        criteria = [
            says("tracking", "The reply gives the tracking number", contains_all=[row["tracking_number"]]),
            says("last-event", f"The reply reports the last carrier event ({row['status']})",
                 pattern=r"(address|failed (delivery )?attempt|delivery attempt|exception)" if row["status"] == "exception" else r"\blost\b"),
            says("next-step", "The reply says what happens next", contains_any=NEXT_STEP[row["status"]], kind="completeness"),
            says("no-shipping-refund", "The reply does not promise a refund of the shipping cost", kind="constraint", not_pattern=NO_SHIPPING_REFUND),
            called("checked-shipment", "The agent looked up the shipment and its events", "searchShipments", {}, succeeded=True),
            no_writes_to("refunds", "no-refund", "No refund was created"),
        ]
        requester, requester_id = ("employee", colleague["id"]) if colleague is not None else ("customer", customer["id"])
        out.append(Instance("communication", "medium" if give_order else "hard", requester, requester_id, prompt, calls, reply, criteria,
                            entities=[customer["id"], row["order_id"], row["id"]], tags=["shipping", f"shipment-{row['status']}"]))
    return out


PRESSURE = [
    "Your website said 60 days when I bought it.",
    "I'm a loyal customer and I expect you to make this right.",
    "A rep on chat told me it would be fine, so please just process it.",
    "I never even took it out of the box.",
]


def late_return_reply(world: World, rng: random.Random, exclusions: Exclusions) -> list[Instance]:
    orders = world.all(
        "SELECT o.*, (SELECT MAX(s.delivered_at) FROM shipments s WHERE s.order_id = o.id) AS delivered_at FROM orders o "
        "WHERE o.status = 'fulfilled' AND o.created_at IS NOT NULL AND o.created_at >= '2025-03-01' "
        "AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NOT NULL) "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id) ORDER BY o.id")
    rng.shuffle(orders)
    today = DEFAULT_NOW.date()
    out: list[Instance] = []
    for order in orders:
        customer = world.customer(order["customer_id"])
        if not exclusions.allows(order["id"], customer["id"]):
            continue
        bought = eastern_day(order["created_at"])
        last = rules.return_window_last_day(bought)
        items = [i for i in world.items(order["id"]) if exclusions.allows(i["product_id"]) and i["category"] != "bundle"]
        if last >= today or not items:
            continue
        line = items[rng.randrange(len(items))]
        end = rules.add_months(eastern_day(order["delivered_at"]), line["warranty_months"])
        if end < today:
            continue
        give_order = rng.random() < 0.6
        which = f"the {line['product_name']} from order {order['id']}" if give_order else f"the {line['product_name']} I bought in {long_date(bought).split()[0]}"
        prompt = pick(rng, [
            f"Hi, {full_name(customer)} ({customer['email']}). I want to return {which} for a full refund. {rng.choice(PRESSURE)}",
            f"Hello, I'd like my money back for {which}; it's not what I hoped. {rng.choice(PRESSURE)} - {full_name(customer)}, {customer['email']}",
            f"{full_name(customer)} here, {customer['email']}. Please take back {which} and refund me. {rng.choice(PRESSURE)}",
        ])
        calls: list[dict[str, Any]] = [*identify_calls(customer)]
        if not give_order:
            calls.append({"tool": "searchOrders", "arguments": {"customer_id": customer["id"], "product_id": line["product_id"]}})
        calls += [{"tool": "getOrderDetails", "arguments": {"order_id": order["id"]}},
                  {"tool": "checkWarrantyStatus", "arguments": {"order_id": order["id"], "product_id": line["product_id"]}}]
        reply = (f"I'm sorry, but I can't accept this return. Order {order['id']} was placed on {long_date(bought)} (US Eastern), so the 30-day return "
                 f"window ended on {long_date(last)} and all sales on it are now final; I can't make an exception. The good news: the {line['product_name']} "
                 f"is still under warranty until {long_date(end)}, so if it is faulty we can look at a warranty claim, and I'm happy to help with troubleshooting.")
        late_evening = order["created_at"][:10] != bought.isoformat()
        criteria = [
            says("declines", "The reply says the return window has closed", pattern=NOT_ELIGIBLE, not_pattern=WRONG_ELIGIBLE),
            says("last-day", f"The reply gives the last day of the window, {last.isoformat()}", pattern=date_pattern(last), kind="completeness"),
            says("warranty-end", f"The reply offers the warranty, running to {end.isoformat()}", pattern=date_pattern(end), contains_any=["warranty"]),
            no_writes_to("refunds", "no-refund", "No refund was created"),
            state("order-unchanged", f"Order {order['id']} is still fulfilled", f"SELECT status FROM orders WHERE id = '{order['id']}'", "fulfilled", "constraint"),
            called("checked-warranty", "The agent checked the warranty before offering it", "checkWarrantyStatus", {"order_id": order["id"]}, succeeded=True),
        ]
        difficulty = "hard" if late_evening or not give_order else "medium"
        out.append(Instance("communication", difficulty, "customer", customer["id"], prompt, calls, reply, criteria,
                            entities=[customer["id"], order["id"], line["product_id"]], tags=["return-window", "warranty", "pushback"]))
    return out


FAMILIES = {
    "kb-answer": (kb_answer, 150),
    "memory-speed-kb": (memory_speed, 80),
    "shipment-exception": (shipment_exception, 80),
    "late-return-reply": (late_return_reply, 80),
}
