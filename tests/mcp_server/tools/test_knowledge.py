"""searchKnowledgeBase through the MCP client: articles and policies, deprecated articles flagged."""

from __future__ import annotations

import json

from tool_support import call, call_error, world_row, world_rows


async def test_deprecated_articles_are_returned_flagged_with_their_successor() -> None:
    old = world_row("SELECT id, title, superseded_by FROM kb_articles WHERE deprecated = 1 ORDER BY id")
    found = await call("searchKnowledgeBase", {"query": old["title"], "source": "kb"})
    [entry] = [e for e in found["results"] if e["id"] == old["id"]]
    assert entry["deprecated"] is True and entry["superseded_by"] == old["superseded_by"]
    successor = world_row("SELECT title FROM kb_articles WHERE id = ?", (old["superseded_by"],))
    current = await call("searchKnowledgeBase", {"query": successor["title"], "source": "kb"})
    [entry] = [e for e in current["results"] if e["id"] == old["superseded_by"]]
    assert entry["deprecated"] is False and entry["superseded_by"] is None


async def test_search_knowledge_requires_every_query_word_in_any_order() -> None:
    found = await call("searchKnowledgeBase", {"query": "window RETURN", "limit": 200})
    assert found["count"] > 0
    for entry in found["results"]:
        text = " ".join([entry["title"], entry["body"], *entry["tags"]]).lower()
        assert "window" in text and "return" in text
    assert {e["source"] for e in found["results"]} == {"kb", "policy"}


async def test_search_knowledge_lists_policies_first_then_articles() -> None:
    found = await call("searchKnowledgeBase", {"query": "refund", "limit": 200})
    sources = [e["source"] for e in found["results"]]
    assert sources == sorted(sources, key=lambda s: s != "policy") and "policy" in sources and "kb" in sources


async def test_search_knowledge_by_tag_reads_a_policy_topic_as_its_tag() -> None:
    found = await call("searchKnowledgeBase", {"tag": "Returns", "limit": 200})
    policies = [e for e in found["results"] if e["source"] == "policy"]
    assert [p["id"] for p in policies] == [r["id"] for r in world_rows("SELECT id FROM company_policies WHERE topic = 'returns'")]
    expected_kb = {r["id"] for r in world_rows("SELECT id, tags FROM kb_articles") if "returns" in json.loads(r["tags"])}
    assert {e["id"] for e in found["results"] if e["source"] == "kb"} == expected_kb


async def test_search_knowledge_by_product_returns_only_articles_naming_it() -> None:
    article = world_row("SELECT id, product_ids FROM kb_articles WHERE product_ids != '[]' ORDER BY id")
    product = json.loads(article["product_ids"])[0]
    found = await call("searchKnowledgeBase", {"product_id": product})
    assert article["id"] in {e["id"] for e in found["results"]}
    assert all(e["source"] == "kb" and product in e["product_ids"] for e in found["results"])


async def test_search_knowledge_policy_source_and_excerpts_instead_of_bodies() -> None:
    found = await call("searchKnowledgeBase", {"source": "policy", "include_body": False, "limit": 200})
    assert found["count"] == len(world_rows("SELECT id FROM company_policies"))
    assert all(e["body"] is None and e["excerpt"] and len(e["excerpt"]) <= 302 for e in found["results"])


async def test_search_knowledge_with_no_match_returns_nothing() -> None:
    assert await call("searchKnowledgeBase", {"query": "zyzzyva quux"}) == {"results": [], "count": 0}


async def test_search_knowledge_refuses_an_unknown_source() -> None:
    assert "source" in await call_error("searchKnowledgeBase", {"source": "wiki"})
