"""Response checks: deterministic tests of the agent's final reply (see ResponseCheck)."""

from __future__ import annotations

import re
import unicodedata

from harness.grading.results import CheckResult
from harness.tasks.models import ResponseCheck

# Characters that change nothing a reader sees but break substring matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TYPOGRAPHIC = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
_SPACES = re.compile(r"\s+")
# A number: optional minus (not a hyphen joined to a word or digit, as in "ord-250830-110" or a date),
# digits with comma thousands groups ("1,234,567") or plain digits, and an optional decimal part.
_NUMBER = re.compile(r"(?<![\w.])(-)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])|(?<![\w\d])\.\d+")
_HYPHEN_IS_JOINER = re.compile(r"[\w]$")


def normalize(text: str) -> str:
    """NFKC, invisible characters removed, typographic quotes and dashes made plain, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_TYPOGRAPHIC)
    return _SPACES.sub(" ", text).strip()


def _folded(text: str) -> str:
    return normalize(text).casefold()


def numbers_in(text: str) -> list[float]:
    """Every number written in the text: "$1,234.50" -> 1234.5, "1234.5", "1,234" -> 1234, "-3" -> -3,
    "15%" -> 15. A hyphen after a letter or digit ("ord-250830-110", "2025-09-15") is not a sign."""
    plain = normalize(text)
    found: list[float] = []
    for match in _NUMBER.finditer(plain):
        token = match.group(0)
        negative = token.startswith("-")
        if negative and _HYPHEN_IS_JOINER.search(plain[: match.start()]):
            token, negative = token[1:], False
        value = float(token.lstrip("-").replace(",", ""))
        found.append(-value if negative else value)
    return found


def run_response_check(check: ResponseCheck, reply: str | None) -> CheckResult:
    if reply is None or not reply.strip():
        return CheckResult(False, "there is no final reply")
    folded = _folded(reply)
    failures: list[str] = []
    passes: list[str] = []
    missing = [s for s in check.contains_all if _folded(s) not in folded]
    if missing:
        failures.append(f"missing {missing}")
    elif check.contains_all:
        passes.append(f"contains all of {check.contains_all}")
    if check.contains_any:
        hits = [s for s in check.contains_any if _folded(s) in folded]
        if hits:
            passes.append(f"contains {hits[0]!r}")
        else:
            failures.append(f"contains none of {check.contains_any}")
    forbidden = [s for s in check.not_contains if _folded(s) in folded]
    if forbidden:
        failures.append(f"contains forbidden {forbidden}")
    elif check.not_contains:
        passes.append(f"contains none of {check.not_contains}")
    if check.numbers:
        present = numbers_in(reply)
        absent = [
            n.value for n in check.numbers if not any(abs(p - n.value) <= n.tolerance + 1e-9 for p in present)
        ]
        if absent:
            failures.append(f"does not state the number(s) {absent}")
        else:
            passes.append(f"states {[n.value for n in check.numbers]}")
    plain = normalize(reply)
    if check.pattern is not None:
        if re.search(check.pattern, plain, re.IGNORECASE):
            passes.append(f"matches /{check.pattern}/")
        else:
            failures.append(f"does not match /{check.pattern}/")
    if check.not_pattern is not None:
        if re.search(check.not_pattern, plain, re.IGNORECASE):
            failures.append(f"matches forbidden /{check.not_pattern}/")
        else:
            passes.append(f"does not match /{check.not_pattern}/")
    if failures:
        return CheckResult(False, "the reply " + "; ".join(failures))
    return CheckResult(True, "the reply " + "; ".join(passes))
