"""Text normalisation shared by every reply check: what a reader sees, not how it was typed."""

from __future__ import annotations

import re
import unicodedata

# Characters that change nothing a reader sees but break matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TYPOGRAPHIC = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def normalize(text: str) -> str:
    """NFKC, invisible characters removed, typographic quotes and dashes made plain, runs of spaces
    collapsed (line breaks kept as one newline: they end a clause)."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_TYPOGRAPHIC)
    return _BLANK_LINES.sub("\n", _SPACES.sub(" ", text)).strip()
