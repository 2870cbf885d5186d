"""Content: promotions, SLAs, company policy rows and knowledge-base articles (some superseded)."""

from __future__ import annotations

from mcp_server.world.generator.catalog import products_in
from mcp_server.world.generator.common import Row, World, eastern, utc_text
from mcp_server.world.generator.kb_text import GUIDES, PAIRS, product_articles
from mcp_server.world.generator.policies import COMPANY_POLICIES

# code, name, type, value, category, min_subtotal, stackable, starts (y, m, d), ends (y, m, d)
PromotionTerms = tuple[str, str, str, float, str | None, float, int, tuple[int, int, int], tuple[int, int, int]]
PROMOTIONS: list[PromotionTerms] = [
    ("FALLBUILD10", "Fall Build Season", "percent", 10, None, 500, 0, (2024, 9, 1), (2024, 10, 1)),
    ("GPUFEST50", "GPU Fest", "fixed", 50, "gpu", 400, 1, (2024, 10, 15), (2024, 11, 15)),
    ("BLACKFRIDAY15", "Black Friday Week", "percent", 15, None, 250, 0, (2024, 11, 25), (2024, 12, 3)),
    ("HOLIDAYRAM20", "Holiday Memory Sale", "percent", 20, "memory", 0, 1, (2024, 12, 5), (2025, 1, 6)),
    ("NEWYEARSSD", "New Year Storage Sale", "percent", 12, "storage", 0, 1, (2025, 1, 1), (2025, 2, 1)),
    ("COOLDOWN25", "Cool Down Event", "fixed", 25, "cooling", 100, 1, (2025, 2, 10), (2025, 3, 10)),
    ("SPRINGPSU", "Spring Power Supply Sale", "percent", 10, "psu", 0, 0, (2025, 3, 15), (2025, 4, 15)),
    ("CASEMOD30", "Case Mod Month", "fixed", 30, "case", 120, 1, (2025, 4, 20), (2025, 5, 20)),
    ("GRADUATE8", "Graduation Build Offer", "percent", 8, None, 300, 0, (2025, 5, 15), (2025, 7, 1)),
    ("SUMMER25", "Summer Savings", "fixed", 25, None, 200, 1, (2025, 6, 1), (2025, 9, 1)),
    ("MONITORMANIA", "Monitor Mania", "percent", 10, "monitor", 0, 1, (2025, 7, 1), (2025, 8, 1)),
    ("BACKTOSCHOOL", "Back to School", "percent", 7, None, 150, 0, (2025, 8, 1), (2025, 9, 8)),
    ("FALLGPU10", "Fall GPU Upgrade", "percent", 10, "gpu", 300, 1, (2025, 9, 1), (2025, 10, 1)),
    ("PERIPHERAL15", "Desk Setup Days", "percent", 15, "keyboard", 0, 1, (2025, 9, 10), (2025, 10, 1)),
    ("PLATINUMPREVIEW", "Platinum Preview Week", "percent", 5, None, 0, 1, (2025, 10, 1), (2025, 11, 1)),
]


def build_promotions(world: World) -> None:
    for spec in PROMOTIONS:
        add_promotion(world, spec)


def add_promotion(world: World, spec: PromotionTerms) -> None:
    """One promotion from its terms (as in PROMOTIONS), numbered after those already written, its
    description spelling out the terms."""
    code, name, kind, value, category, minimum, stackable, start, end = spec
    scope = f"{category} products" if category else "the whole order"
    amount = f"{value}% off" if kind == "percent" else f"${value:.2f} off"
    stack = "Stacks with loyalty discounts." if stackable else "Does not stack with loyalty discounts: the larger of the two applies."
    world.add("promotions", {
        "id": f"promo-{len(world.rows('promotions')) + 1:03d}", "code": code, "name": name,
        "description": f"{amount} {scope}{f' on orders of ${minimum:.2f} or more' if minimum else ''}. {stack}",
        "discount_type": kind, "discount_value": value, "category": category, "min_subtotal": minimum,
        "stackable_with_loyalty": stackable, "starts_at": utc_text(eastern(*start)), "ends_at": utc_text(eastern(*end)),
    })


SLA_HOURS = {
    "none": {"high": (8, 48), "normal": (24, 96), "low": (48, 168)},
    "silver": {"high": (6, 36), "normal": (18, 72), "low": (36, 120)},
    "gold": {"high": (4, 24), "normal": (12, 48), "low": (24, 96)},
    "platinum": {"high": (2, 12), "normal": (8, 36), "low": (16, 72)},
}


def build_slas(world: World) -> None:
    for tier, by_priority in SLA_HOURS.items():
        for priority, (first, resolve) in by_priority.items():
            world.add("slas", {"id": f"sla-{tier}-{priority}", "loyalty_tier": tier, "priority": priority,
                               "first_response_hours": first, "resolution_hours": resolve})


def build_company_policies(world: World) -> None:
    for topic, title, body, version, effective in COMPANY_POLICIES:
        world.add("company_policies", {"id": f"pol-{topic}", "topic": topic, "title": title, "body": body,
                                       "version": version, "effective_from": utc_text(eastern(*effective))})


def _article(world: World, title: str, body: str, tags: list[str], products: list[Row], version: int = 1,
             updated: tuple[int, int, int] = (2025, 3, 1)) -> Row:
    named = [p["name"] for p in products]
    if named:
        body += "\n\n## Products covered\n" + "\n".join(f"- {name} ({p['id']})" for name, p in zip(named, products))
    return world.add("kb_articles", {
        "id": world.next_id("kb", 4), "title": title, "body": body, "tags": tags, "product_ids": [p["id"] for p in products],
        "version": version, "deprecated": 0, "superseded_by": None, "updated_at": utc_text(eastern(*updated, 10)),
    })


def _supersede(old: Row, new: Row) -> None:
    old["deprecated"], old["superseded_by"] = 1, new["id"]


def build_kb(world: World) -> None:
    """Policy and troubleshooting guides, product notes, and older versions that newer ones supersede."""
    olds = [_article(world, title, body, tags, [], 1, old_date) for title, body, _, _, tags, old_date, _ in PAIRS]
    for title, body, tags, categories in GUIDES:
        products = [products_in(world, c)[k] for k, c in enumerate(categories)]
        _article(world, title, body.format(*[p["name"] for p in products]), tags, products, 1, (2025, world.rng.randint(1, 8), world.rng.randint(1, 28)))
    by_title: dict[str, Row] = {}
    for title, body, tags, product, version, supersedes in product_articles(world):
        article = _article(world, title, body, tags, [product], version, (2025, 1 + version * 3, world.rng.randint(1, 28)))
        by_title[title] = article
        if supersedes:
            _supersede(by_title[supersedes], article)
            world.mark("deprecated_kb", f"{by_title[supersedes]['id']}->{article['id']}")
    for old, (_, _, title, body, tags, _, new_date) in zip(olds, PAIRS):
        new = _article(world, title, body, tags, [], 2, new_date)
        _supersede(old, new)
        world.mark("deprecated_kb", f"{old['id']}->{new['id']}")
    for article in world.rows("kb_articles"):  # text and product_ids must agree
        for pid in article["product_ids"]:
            if world.get(pid)["name"] not in article["body"]:
                raise ValueError(f"{article['id']} lists {pid} but does not name it")
