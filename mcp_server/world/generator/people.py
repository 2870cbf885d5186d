"""People: loyalty tiers, customers (with tier histories and look-alike names) and employees."""

from __future__ import annotations

from datetime import datetime

from mcp_server.world.generator.common import Row, World, eastern, random_moment, utc_text

FIRST = ["Ada", "Ben", "Cleo", "Dev", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonah", "Kara", "Liam", "Maya", "Noah",
         "Olive", "Priya", "Quinn", "Rafael", "Sana", "Theo", "Uma", "Victor", "Wren", "Xavier", "Yara", "Zane", "Amara",
         "Bodhi", "Camila", "Dmitri", "Esme", "Farah", "Gideon", "Hana", "Ivan", "Jules", "Kenji", "Leah", "Mateo", "Nadia",
         "Omar", "Paloma", "Rhys", "Sofia", "Tobias", "Valentina", "Wesley", "Ximena", "Yusuf", "Zoe", "Aiden", "Beatriz",
         "Callum", "Dara", "Emeka", "Freya", "Gus", "Hollis", "Imani", "Jasper"]
LAST = ["Quill", "Abernathy", "Blackwood", "Castellanos", "Delacroix", "Ekwueme", "Fairbanks", "Galloway", "Haddad",
        "Ishikawa", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakagawa", "Okonkwo", "Pemberton", "Quintero",
        "Rasmussen", "Sorensen", "Thibodeaux", "Underhill", "Vasquez", "Whitlock", "Yamamoto", "Zielinski", "Ashdown",
        "Brightwater", "Crowley", "Dunmore", "Ellery", "Fenwick", "Greaves", "Holloway", "Ingram", "Jessup", "Kettering",
        "Larkin", "Mayhew", "Northcott", "Oduya", "Prescott", "Redfern", "Stroud", "Tremaine", "Vance", "Winslow"]
STREETS = ["Maple St", "Cedar Ave", "Harbor Rd", "Juniper Ln", "Quarry Way", "Lakeview Dr", "Orchard Ct", "Summit Blvd",
           "Willow Bend", "Foundry St", "Kestrel Pl", "Granite Row"]
CITIES = [("Portland", "OR", "97"), ("Austin", "TX", "78"), ("Columbus", "OH", "43"), ("Raleigh", "NC", "27"),
          ("Denver", "CO", "80"), ("Madison", "WI", "53"), ("Tucson", "AZ", "85"), ("Albany", "NY", "12"),
          ("Savannah", "GA", "31"), ("Boise", "ID", "83"), ("Spokane", "WA", "99"), ("Burlington", "VT", "05"),
          ("Omaha", "NE", "68"), ("Richmond", "VA", "23"), ("Sacramento", "CA", "95")]
TIERS = ["none", "silver", "gold", "platinum"]
CUSTOMER_COUNT = 600


def build_loyalty_tiers(world: World) -> None:
    rows = [
        ("none", "Standard", 0, 0, ["order tracking", "standard support queue"]),
        ("silver", "Silver", 5, 1000, ["5% off every order", "faster support response targets"]),
        ("gold", "Gold", 10, 2500, ["10% off every order", "priority support queue", "early access to promotions"]),
        ("platinum", "Platinum", 15, 6000, ["15% off every order", "fastest support response targets", "dedicated build advice"]),
    ]
    for tier, name, pct, spend, perks in rows:
        world.add("loyalty_tiers", {"id": tier, "name": name, "discount_pct": pct, "min_annual_spend": spend, "perks": perks})


def _customer(world: World, first: str, last: str, tier: str, email: str | None = None, created: datetime | None = None) -> Row:
    rng = world.rng
    cid = world.next_id("cus", 5)
    city, region, zip_prefix = rng.choice(CITIES)
    number = int(cid[-5:])
    domain = "example.com" if number % 3 else "example.net"
    return world.add("customers", {
        "id": cid, "first_name": first, "last_name": last,
        "email": email or f"{first.lower()}.{last.lower()}{number}@{domain}",
        "phone": f"+1 (555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
        "date_of_birth": f"{rng.randint(1958, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "loyalty_tier": tier,
        "address_line1": f"{rng.randint(10, 9899)} {rng.choice(STREETS)}",
        "city": city, "region": region, "postal_code": f"{zip_prefix}{rng.randint(100, 999)}", "country": "US",
        "created_at": utc_text(created or random_moment(rng, eastern(2019, 3, 1), eastern(2024, 8, 25))),
        "notes": None,
    })


def build_customers(world: World) -> None:
    rng = world.rng
    while world.counters["cus"] < CUSTOMER_COUNT:
        n = world.counters["cus"] + 1
        tier = rng.choices(TIERS, weights=[45, 30, 17, 8])[0]
        if n in (118, 342):  # two customers with the same name: identity must be confirmed by email or id
            _customer(world, "Jordan", "Lee", "gold" if n == 118 else "none", email="jordan.lee@example.com" if n == 118 else "jlee.builds@example.net")
            continue
        if n in (205, 467):
            _customer(world, "Chris", "Morgan", "silver" if n == 205 else "platinum")
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        # a few customers signed up during the order history
        created = random_moment(rng, eastern(2024, 9, 1), eastern(2025, 8, 1)) if rng.random() < 0.1 else None
        _customer(world, first, last, tier, created=created)
    world.mark("same_name_customers", "cus-00118", "cus-00342", "cus-00205", "cus-00467")
    _incomplete_records(world)
    _tier_changes(world)


def _incomplete_records(world: World) -> None:
    rng = world.rng
    for customer in world.rows("customers"):
        if rng.random() < 0.04:
            customer["phone"] = None
            world.mark("customer_missing_phone", customer["id"])
        if rng.random() < 0.015:
            customer["address_line1"] = None
            world.mark("customer_missing_address", customer["id"])


def _tier_changes(world: World) -> None:
    """About 20 customers changed tier during the history: their older orders carry the old tier."""
    rng = world.rng
    candidates = [c for c in world.rows("customers") if c["id"] not in ("cus-00118", "cus-00342")]
    for customer in rng.sample(candidates, 20):
        current = customer["loyalty_tier"]
        index = TIERS.index(current)
        previous = TIERS[index - 1] if index > 0 and rng.random() < 0.8 else TIERS[min(index + 1, 3)]
        if previous == current:
            previous = "silver" if current != "silver" else "none"
        change = random_moment(rng, eastern(2025, 1, 15), eastern(2025, 8, 1))
        world.tier_history[customer["id"]] = [(eastern(2000, 1, 1), previous), (change, current)]
        direction = "upgraded" if TIERS.index(current) > TIERS.index(previous) else "downgraded"
        if rng.random() < 0.6:
            customer["notes"] = f"Loyalty tier {direction} from {previous} to {current} on {change.strftime('%Y-%m-%d')} after the annual spend review."
        world.mark("loyalty_tier_changed", customer["id"])


# (name, department, title, support_role, permissions, manager index or None)
EMPLOYEES: list[tuple[str, str, str, str | None, list[str], int | None]] = [
    ("Marguerite Okafor", "support", "Director of Customer Support", "admin", ["issue_refund", "edit_order", "cancel_order", "escalate", "kb_edit", "policy_override"], None),
    ("Desmond Achterberg", "support", "Support Operations Admin", "admin", ["issue_refund", "edit_order", "cancel_order", "escalate", "kb_edit", "policy_override"], 1),
    ("Priya Raghunathan", "support", "Support Tech Lead", "tech_lead", ["issue_refund", "edit_order", "cancel_order", "escalate", "kb_edit"], 1),
    ("Tomasz Wierzbicki", "support", "Support Tech Lead", "tech_lead", ["issue_refund", "edit_order", "cancel_order", "escalate", "kb_edit"], 1),
    ("Alana Kealoha", "support", "Support Tech Lead", "tech_lead", ["issue_refund", "edit_order", "cancel_order", "escalate", "kb_edit"], 1),
    ("Bastian Frey", "support", "Support Specialist, Builds", "specialist", ["edit_order", "cancel_order", "escalate"], 3),
    ("Chiamaka Eze", "support", "Support Specialist, Returns", "specialist", ["edit_order", "cancel_order", "escalate", "issue_refund"], 3),
    ("Dorian Vasquez", "support", "Support Specialist, Billing", "specialist", ["edit_order", "cancel_order", "escalate"], 4),
    ("Evangeline Moss", "support", "Support Specialist, Warranty", "specialist", ["edit_order", "cancel_order", "escalate"], 4),
    ("Farid Nazari", "support", "Support Specialist, Shipping", "specialist", ["edit_order", "cancel_order", "escalate"], 5),
    ("Greta Lindholm", "support", "Support Agent", "frontline", ["escalate"], 3),
    ("Hamza Qureshi", "support", "Support Agent", "frontline", ["escalate"], 3),
    ("Ines Carvalho", "support", "Support Agent", "frontline", ["escalate"], 3),
    ("Jonas Brekke", "support", "Support Agent", "frontline", ["escalate"], 4),
    ("Keiko Arakawa", "support", "Support Agent", "frontline", ["escalate"], 4),
    ("Lorenzo Bellini", "support", "Support Agent", "frontline", ["escalate"], 4),
    ("Mireille Dufresne", "support", "Support Agent", "frontline", ["escalate"], 5),
    ("Nikolai Petrov", "support", "Support Agent", "frontline", ["escalate"], 5),
    ("Oluwaseun Adeyemi", "support", "Support Agent", "frontline", ["escalate"], 5),
    ("Pilar Echeverria", "support", "Support Agent (part-time)", "frontline", ["escalate"], 5),
    ("Quentin Marsh", "engineering", "Engineering Manager, Platform", None, ["kb_edit", "escalate"], None),
    ("Rosalind Achebe", "engineering", "Hardware Test Engineer", None, ["kb_edit"], 21),
    ("Stellan Bergqvist", "engineering", "Hardware Test Engineer", None, ["kb_edit"], 21),
    ("Tamsin Oyelaran", "engineering", "Firmware Engineer", None, ["kb_edit"], 21),
    ("Ulrich Hoffmann", "engineering", "Build Validation Engineer", None, ["kb_edit"], 21),
    ("Valeria Montoya", "operations", "Head of Operations", None, ["policy_override", "escalate", "edit_order", "cancel_order", "issue_refund"], None),
    ("Wendell Park", "operations", "Operations Manager", None, ["policy_override", "escalate", "edit_order", "cancel_order"], 26),
    ("Xiomara Reyes", "operations", "Returns Operations Lead", None, ["escalate", "edit_order", "issue_refund"], 26),
    ("Yannick Duval", "operations", "Warehouse Coordinator, East", None, ["edit_order"], 26),
    ("Zofia Nowak", "product_management", "Product Manager, Components", None, ["kb_edit", "escalate"], None),
    ("Anselm Grieve", "product_management", "Product Manager, Systems", None, ["kb_edit", "escalate"], 30),
    ("Beatrix Lowell", "product_management", "Warranty Program Manager", None, ["kb_edit", "escalate", "policy_override"], 30),
    ("Cassius Mbeki", "product_management", "Product Specialist, Graphics", None, ["kb_edit"], 30),
    ("Delphine Aubert", "order_processing", "Order Processing Lead", None, ["edit_order", "cancel_order", "escalate"], None),
    ("Emrys Vaughan", "order_processing", "Order Processing Associate", None, ["edit_order", "cancel_order"], 34),
    ("Fenella Harrow", "order_processing", "Order Processing Associate", None, ["edit_order"], 34),
    ("Gareth Oyelowo", "finance", "Finance Manager", None, ["issue_refund", "escalate"], None),
    ("Honoria Blake", "finance", "Payments Analyst", None, ["issue_refund"], 37),
    ("Idris Kamara", "finance", "Billing Analyst", None, [], 37),
    ("Juniper Sato", "marketing", "Promotions Manager", None, [], None),
    ("Kasimir Lund", "marketing", "Community Manager", None, [], 40),
]


def build_employees(world: World) -> None:
    rng = world.rng
    for index, (name, department, title, role, permissions, manager) in enumerate(EMPLOYEES, start=1):
        first, last = name.split(" ", 1)
        world.add("employees", {
            "id": f"emp-{index:03d}", "name": name,
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}@corecraft.example.com",
            "department": department, "title": title,
            "manager_id": f"emp-{manager:03d}" if manager else None,
            "support_role": role, "permissions": permissions,
            "hired_at": utc_text(random_moment(rng, eastern(2016, 1, 4), eastern(2025, 3, 1))),
        })


def employees_where(world: World, *, department: str | None = None, permission: str | None = None, role: str | None = None) -> list[Row]:
    return [
        e for e in world.rows("employees")
        if (department is None or e["department"] == department)
        and (permission is None or permission in e["permissions"])
        and (role is None or e["support_role"] == role)
    ]
