"""Prompt skeletons: a task's prompt with every particular (ids, names, numbers, dates) blanked out.

Two tasks share a skeleton when they ask the same thing in the same words about different records,
so the number of distinct skeletons measures how much phrasing a task set really has (issue #10:
the first training split had 1,255 tasks but only about 287 skeletons). The blanking is deliberately
generous: product, brand, customer and employee names, promotion codes, channel names, ids, emails,
amounts, counts and dates all become placeholders, and case, punctuation and spacing are ignored.
``core_skeleton`` is stricter still: it also drops the generator's stock greetings and sign-offs, so
it counts the distinct ways the ask itself is put.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from mcp_server.world.store import load_template

_ID = re.compile(r"\b(?:inv-prd|[a-z]{2,4})-[0-9][0-9a-z-]*\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}(?:[t ][\d:]+(?:z|[+-]\d\d:\d\d)?)?|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
    rf"|{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)? {_MONTH}(?:,? \d{{4}})?"
    rf"|{_MONTH} \d{{4}})\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?:\$|usd ?)?\d[\d,]*(?:\.\d+)?(?:%| ?(?:usd|dollars|gb|tb|w|mm|mhz|hz))?", re.IGNORECASE)
_WORD = re.compile(r"<[a-z]+>|[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Vocabulary:
    """The world's particular names: phrases (matched whole, longest first) and single name words."""

    phrases: re.Pattern[str]
    name_words: frozenset[str]


@cache
def world_vocabulary() -> Vocabulary:
    conn = load_template().connect_sync()
    try:
        return vocabulary_from(conn)
    finally:
        conn.close()


def vocabulary_from(conn: sqlite3.Connection) -> Vocabulary:
    phrases: set[str] = set()
    words: set[str] = set()
    for (name, brand) in conn.execute("SELECT name, brand FROM products"):
        phrases.update(p.lower() for p in (name, brand) if p)
        if name and brand and name.startswith(brand + " "):
            phrases.add(name[len(brand) + 1:].lower())  # the model, for names written with another brand spelling
    for (code,) in conn.execute("SELECT code FROM promotions"):
        phrases.add(code.lower())
    for (name,) in conn.execute("SELECT name FROM slack_channels"):
        phrases.add(name.lower())
    names = conn.execute("SELECT first_name || ' ' || last_name FROM customers UNION ALL SELECT name FROM employees")
    for (name,) in names:
        words.update(w.lower() for w in re.findall(r"[A-Za-z']+", name or ""))
    # brand spellings customers use ("Vortex Labs", "KyroTek") are names too
    from mcp_server.world.generator.support_text import BRAND_SPELLINGS

    for spellings in BRAND_SPELLINGS.values():
        phrases.update(s.lower() for s in spellings)
    ordered = sorted(phrases, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(p)}(?![\w-])" for p in ordered))
    return Vocabulary(phrases=pattern, name_words=frozenset(words))


def skeleton(prompt: str, vocabulary: Vocabulary | None = None) -> str:
    """The prompt's skeleton: lower case words, with particulars as <id>, <email>, <date>, <n>, <name>."""
    vocab = vocabulary or world_vocabulary()
    text = prompt.lower()
    text = _EMAIL.sub(" <email> ", text)
    text = _ID.sub(" <id> ", text)
    text = vocab.phrases.sub(" <name> ", text)
    text = _DATE.sub(" <date> ", text)
    text = _NUMBER.sub(" <n> ", text)
    words = ["<name>" if w in vocab.name_words else w for w in _WORD.findall(text)]
    collapsed: list[str] = []
    for word in words:  # "<name> <name>" (first and last name) is one name
        if not (collapsed and word.startswith("<") and collapsed[-1] == word):
            collapsed.append(word)
    return " ".join(collapsed)


@cache
def _frames() -> re.Pattern[str]:
    from harness.tasks.generate import voices

    phrases = {text for value in vars(voices).values() if isinstance(value, tuple)
               for text in value if isinstance(text, str) and text}
    return re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))


def core_skeleton(prompt: str, vocabulary: Vocabulary | None = None) -> str:
    """The skeleton of the ask itself: the generator's stock openers, asides and sign-offs
    (generate/voices.py) removed first, so that a greeting alone never makes a new shape."""
    return skeleton(_frames().sub(" ", prompt), vocabulary)


def distinct_skeletons(prompts: Iterable[str], vocabulary: Vocabulary | None = None, *, core: bool = False) -> int:
    shape = core_skeleton if core else skeleton
    return len({shape(p, vocabulary) for p in prompts})
