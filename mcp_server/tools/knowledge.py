"""searchKnowledgeBase: knowledge-base articles and company policies in one search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mcp_server.tools.filters import json_list_has
from mcp_server.tools.records import KnowledgeEntry, json_list
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field

EXCERPT_CHARS = 300

# Both sources projected onto the same columns so one UNION ALL query serves source="all".
_KB_SELECT = (
    "SELECT 'kb' AS source, id, title, tags, product_ids, version, deprecated, superseded_by, updated_at, body "
    "FROM kb_articles"
)
_POLICY_SELECT = (
    "SELECT 'policy' AS source, id, title, json_array(topic) AS tags, '[]' AS product_ids, version, "
    "0 AS deprecated, NULL AS superseded_by, effective_from AS updated_at, body FROM company_policies"
)


class KnowledgePage(BaseModel):
    results: list[KnowledgeEntry]
    count: int = Field(description="Number of entries returned")


def _matching(select: str, text_columns: tuple[str, ...], words: list[str], tag_column: str,
              tag: str | None, product_id: str | None) -> tuple[str, list[Any]]:
    where = Where()
    for word in words:
        pattern = Where.contains(word)
        where.add("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in text_columns) + ")", *[pattern] * len(text_columns))
    if tag is not None:
        if tag_column == "tags":
            json_list_has(where, "tags", tag, nocase=True)
        else:
            where.add(f"{tag_column} = ? COLLATE NOCASE", tag.strip())
    json_list_has(where, "product_ids", product_id)
    return f"{select} {where.sql}", where.params


def _excerpt(body: str) -> str:
    if len(body) <= EXCERPT_CHARS:
        return body
    cut = body[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


@world_tool(name="searchKnowledgeBase", title="Search the knowledge base and policies")
async def searchKnowledgeBase(
    query: Annotated[str | None, Field(description="Words to look for in the title, text or tags; every word must appear (case-insensitive)", min_length=1)] = None,
    tag: Annotated[str | None, Field(description="Only entries with this exact tag (a policy's tag is its topic, e.g. returns)", min_length=1)] = None,
    product_id: Annotated[str | None, Field(description="Only articles that mention this product id, e.g. prd-0000")] = None,
    source: Annotated[Literal["all", "kb", "policy"], Field(description="'kb' for knowledge-base articles, 'policy' for company policies, 'all' for both")] = "all",
    include_body: Annotated[bool, Field(description="Return the full text; false returns only a short excerpt")] = True,
    limit: limit_field() = 50,
) -> KnowledgePage:
    """Search knowledge-base articles (how-tos, troubleshooting, product notes) and company policies
    (returns, refunds, shipping, warranty, ...). All filters are optional and combine with AND;
    company policies come first, then articles, each ordered by id. Each entry has its source, id,
    title, tags, product_ids, version, deprecated flag, superseded_by, updated_at and its text."""
    words = query.split() if query else []
    parts: list[str] = []
    params: list[Any] = []
    if source in ("all", "policy") and product_id is None:  # policies name no products
        sql, p = _matching(_POLICY_SELECT, ("title", "body", "topic"), words, "topic", tag, None)
        parts.append(sql)
        params.extend(p)
    if source in ("all", "kb"):
        sql, p = _matching(_KB_SELECT, ("title", "body", "tags"), words, "tags", tag, product_id)
        parts.append(sql)
        params.extend(p)
    if not parts:
        return KnowledgePage(results=[], count=0)
    union = " UNION ALL ".join(parts)
    rows = await fetch_all(f"SELECT * FROM ({union}) ORDER BY source DESC, id LIMIT ?", [*params, limit])
    results = [
        KnowledgeEntry(
            **{
                **row,
                "tags": json_list(row["tags"]),
                "product_ids": json_list(row["product_ids"]),
                "deprecated": bool(row["deprecated"]),
                "body": row["body"] if include_body else None,
                "excerpt": None if include_body else _excerpt(row["body"]),
            }
        )
        for row in rows
    ]
    return KnowledgePage(results=results, count=len(results))
