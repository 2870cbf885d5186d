"""Reading a reply as claims, not characters.

A grader that looks for substrings is fooled both ways: "prd-0014" supplies a 14, "incompatible"
contains "compatible", and a reply that states both answers meets both. This module reads a reply
the way a careful human grader would:

- The text is cut into **clauses** (at sentence ends, commas, semicolons, colons, slashes,
  brackets and contrastive words such as "but" or "however"). A clause that is a question, or that
  is hedged ("if", "unless", "whether", "maybe", "perhaps", "possibly", "might", "either"), makes no
  claim.
- A **phrase** is stated when its words occur as whole words ("hold" is not in "holder") in a
  claiming clause and no negator ("not", "no", "never", "without", contractions such as "isn't",
  which are expanded first) stands in the few words before it within the clause.
- **Numbers** are whole tokens: number words become digits (``text2num``), and digits inside ids
  and codes ("prd-0014", "SAVE10", "DDR5-8000"), dates and clock times are not numbers.
  "$1,234.50", "1234.5", "15%" and "fourteen" are read; a sign is ignored (amounts are magnitudes).
- **Dates** in the usual US, ISO and long forms ("10/15/2025", "12/27/27", "2025-10-15",
  "October 15th, 2025", "15 Oct", "Sept. 14") are found by shape and parsed by ``dateutil``; a date
  written without a year means the occurrence nearest the task's clock.

Numbers and dates count as stated under the same clause rules as phrases, so "14 orders, not 10"
states 14 and not 10.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from dateutil import parser as date_parser
from text_to_num import alpha2digit

from harness.grading.text import normalize

NEGATORS = frozenset({"not", "no", "never", "without", "nor", "neither", "none", "nothing", "cannot", "unable"})
HEDGES = frozenset({"if", "unless", "whether", "maybe", "perhaps", "possibly", "might", "seems", "seemed"})
# Reported speech: "you mentioned platinum gets 45 days" is the requester's claim, not the reply's.
REPORTING = frozenset({
    "said", "says", "saying", "mentioned", "mentions", "claims", "claimed", "claiming", "thinks", "thought",
    "believes", "believed", "according", "told", "suggests", "suggested", "wrote", "writes", "asserts", "insists",
})
# Word pairs that hedge a clause as a whole ("shipping is refunded only when ...", "it looks like ...").
HEDGE_PAIRS = frozenset({("only", "when"), ("only", "if"), ("looks", "like"), ("look", "like"), ("in", "case")})
# A negator before one of these governs the verb, not the date or number after it:
# "is not active until October 1" states October 1; "no later than $50" states 50.
_PREPOSITIONS = frozenset({"until", "till", "before", "after", "by", "on", "from", "since", "than", "through"})
# Quoted text ("SYSTEM: refund 100%", 'full refund including shipping') is mentioned, not claimed.
_QUOTED = re.compile(r'"[^"\n]*"|(?<![\w])\'[^\'\n]+?\'(?![\w])')
# Hedges that open a condition: the clause after their comma is its consequence, not a claim either.
CONDITIONS = frozenset({"if", "unless"})
# Words that start a new proposition: a negator before one of them does not reach past it.
_PROPOSITION_BREAKS = frozenset({"so", "then", "which", "that", "because", "since", "once", "when", "while"})
# "and" starts a new proposition only before a subject ("not broken and it works"); before a noun
# the negation carries on ("rules out a return and a warranty claim").
_ARTICLES = frozenset({"a", "an", "the"})  # not counted in the negation's reach
# A phrase that ends in one of these and is followed by "not" is denied ("Idris can" in "Idris cannot").
_AUXILIARIES = frozenset({
    "can", "could", "will", "would", "shall", "should", "may", "must", "is", "are", "was", "were", "do", "does",
    "did", "has", "have", "had",
})
_SUBJECTS = frozenset({"i", "we", "you", "it", "they", "he", "she", "this", "that", "there", "your", "our"})
NEGATION_REACH = 4  # words before a phrase that a negator may stand in

_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"), (re.compile(r"\bcannot\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"), (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bain't\b"), "is not"), (re.compile(r"n't\b"), " not"),
    (re.compile(r"\b(it|that|there|here|what|he|she|who|this)'s\b"), r"\1 is"),
    (re.compile(r"'ll\b"), " will"), (re.compile(r"'re\b"), " are"), (re.compile(r"'ve\b"), " have"),
    (re.compile(r"\bi'm\b"), "i am"), (re.compile(r"'d\b"), " would"),
    # Verbs that deny what follows.
    (re.compile(r"\b(?:rules?|ruled|ruling) out\b"), "not"), (re.compile(r"\brather than\b"), "not"),
    # "three-year" reads like "three year", so number words joined by a hyphen become digits too.
    (re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                r"forty|fifty|sixty|hundred)-(?=[a-z])"), r"\1 "),
)
_CLAUSE_BREAK = re.compile(
    # A comma inside "1,234" or "June 2, 2028" does not end a clause, nor does a colon before a
    # figure ("Orders: 14", "Total: $561.99"): the label and its value are one claim.
    r"(?<!\d)[.!?](?!\d)|[.!?](?=\s|$)|[;\n()\[\]]|:(?!\s?\$?\d)|(?<!\d)/|/(?!\d)|,(?!\d{3})(?<!\d,(?=\s\d{4}\b))|\s-\s"
    r"|\b(?:but|however|although|though|whereas|except|otherwise|instead)\b"
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# For negation, a hyphenated compound is one token: the "none" in "sla-none-high" negates nothing.
_NEGATION_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s*(?:\d{4}|'\d{2}))"
_TIME = r"(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:z|utc|[+-]\d{2}:?\d{2})?)?"
_DATE = re.compile(
    rf"\b\d{{4}}-\d{{1,2}}-\d{{1,2}}{_TIME}(?!\d)"          # 2025-10-15, 2025-10-15T02:30:00Z
    rf"|\b\d{{4}}/\d{{1,2}}/\d{{1,2}}\b"                    # 2025/10/15
    rf"|\b\d{{1,2}}/\d{{1,2}}(?:/(?:\d{{4}}|\d{{2}}))?\b"   # 10/15/2025, 12/27/27, 10/15
    rf"|\b{_MONTH}\s+{_DAY}\b(?:{_YEAR}\b)?"               # October 15th, 2025
    rf"|\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:{_YEAR}\b)?",      # 15 October 2025
    re.IGNORECASE,
)
_OPERATOR_NEXT = re.compile(r"\s*(?:[-+*x=]\s*\$?\d|minus\b|less\b|plus\b|times\b)")
_PRONOUN_ONE = re.compile(r"\b(?:ones|(?:no|any|every|some) one|one another)\b")
_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?", re.IGNORECASE)
# Ids, codes and model names: a token that starts with a letter and holds a digit ("prd-0014",
# "SAVE10", "DDR5-8000", "B650"). Its digits are part of a name, not a quantity.
_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)|(?<![\w\d.])\.\d+")
_FIRST_YEAR, _SECOND_YEAR = datetime(2001, 1, 1), datetime(2002, 1, 1)  # defaults that reveal a missing year


@dataclass(frozen=True)
class Clause:
    words: tuple[str, ...]
    start: int  # character offsets in the prepared text
    end: int
    claims: bool  # False for questions and hedged clauses


@dataclass(frozen=True)
class DateMention:
    month: int
    day: int
    year: int | None  # None: written without a year
    stated: bool

    def means(self, day: date, clock: date) -> bool:
        if (self.month, self.day) != (day.month, day.day):
            return False
        if self.year is not None:
            return self.year == day.year
        return _nearest_year(self.month, self.day, clock) == day.year


@dataclass(frozen=True)
class NumberMention:
    value: float
    stated: bool


def _nearest_year(month: int, day: int, clock: date) -> int | None:
    best: tuple[int, int] | None = None
    for year in (clock.year - 1, clock.year, clock.year + 1):
        try:
            distance = abs((date(year, month, day) - clock).days)
        except ValueError:  # 29 February
            continue
        if best is None or distance < best[0]:
            best = (distance, year)
    return best[1] if best else None


def prepare(text: str) -> str:
    """Normalised, case-folded, contractions expanded, number words written as digits."""
    plain = normalize(text).casefold()
    for pattern, replacement in _CONTRACTIONS:
        plain = pattern.sub(replacement, plain)
    # Every number word becomes digits (threshold 0: "two hours" too), except where "one" is a pronoun.
    kept = _PRONOUN_ONE.findall(plain)
    parts = [alpha2digit(part, "en", threshold=0) for part in _PRONOUN_ONE.split(plain)]
    return "".join(part + (kept[i] if i < len(kept) else "") for i, part in enumerate(parts))


class Reading:
    """One reply, read once: its clauses, numbers and dates, and phrase look-ups."""

    def __init__(self, text: str) -> None:
        self.text = prepare(text)
        self.quotes = [m.span() for m in _QUOTED.finditer(self.text)]
        self.clauses = _clauses(self.text)
        self._starts = [clause.start for clause in self.clauses]
        self.dates, date_spans = _dates(self.text, self)
        self.numbers = _numbers(self.text, date_spans, self)

    def clause_at(self, offset: int) -> Clause | None:
        index = bisect_right(self._starts, offset) - 1  # clauses are in text order
        if index >= 0 and offset < self.clauses[index].end:
            return self.clauses[index]
        return None

    def claims_at(self, offset: int, end: int) -> bool:
        """Whether a mention at [offset, end) is asserted: in a claiming clause, not negated."""
        clause = self.clause_at(offset)
        if clause is None or not clause.claims or self.quoted(offset):
            return False
        before = _NEGATION_TOKEN.findall(self.text[clause.start:offset])
        if any(word in _PREPOSITIONS for word in before[-2:]):
            return True
        return not _negated(before, self.text[offset:end])

    def quoted(self, offset: int) -> bool:
        return any(start <= offset < end for start, end in self.quotes)

    def states(self, phrase: str) -> bool:
        """The phrase occurs as whole words in a claiming clause, not negated."""
        target = tuple(_WORD.findall(prepare(phrase)))
        if not target:
            return False
        for clause in self.clauses:
            if not clause.claims:
                continue
            for start, end in _occurrences(self.text, clause, target):
                if self.quoted(start):
                    continue
                before = _NEGATION_TOKEN.findall(self.text[clause.start:start])
                after = _NEGATION_TOKEN.findall(self.text[end:clause.end])[:1]
                denied_after = target[-1] in _AUXILIARIES and after == ["not"]  # "X cannot" denies "X can"
                # "Refund: $110.99 - $11.10 = $99.89" claims the result, not the first operand.
                operand = target[-1][-1].isdigit() and _OPERATOR_NEXT.match(self.text, end) is not None
                if not _negated(before, target[0]) and not denied_after and not operand:
                    return True
        return False

    def mentions(self, phrase: str) -> bool:
        """The phrase occurs as whole words in any clause (questions, conditionals and negations too)."""
        target = tuple(_WORD.findall(prepare(phrase)))
        size = len(target)
        return bool(target) and any(
            c.words[i:i + size] == target for c in self.clauses for i in range(len(c.words) - size + 1)
        )

    def states_number(self, value: float, tolerance: float) -> bool:
        return any(m.stated and abs(m.value - abs(value)) <= tolerance + 1e-9 for m in self.numbers)

    def states_date(self, day: date, clock: date) -> bool:
        return any(m.stated and m.means(day, clock) for m in self.dates)


@lru_cache(maxsize=4096)
def read(text: str) -> Reading:
    """The reading of a reply; cached because every criterion of a rubric reads the same reply."""
    return Reading(text)


def _occurrences(text: str, clause: Clause, target: tuple[str, ...]) -> list[tuple[int, int]]:
    """Character spans of the whole-word occurrences of ``target`` inside the clause."""
    words = list(_WORD.finditer(text, clause.start, clause.end))
    size = len(target)
    return [
        (words[i].start(), words[i + size - 1].end())
        for i in range(len(words) - size + 1)
        if tuple(w.group(0) for w in words[i:i + size]) == target
    ]


def _negated(words_before: list[str], following: str = "") -> bool:
    window = [w for w in words_before if w not in _ARTICLES][-NEGATION_REACH:]
    for i in range(len(window) - 1, -1, -1):
        word = window[i]
        after = window[i + 1] if i + 1 < len(window) else following
        if word in _PROPOSITION_BREAKS or (word == "and" and after in _SUBJECTS):
            return False
        if word in NEGATORS:
            return True
    return False


def _clauses(text: str) -> list[Clause]:
    found: list[Clause] = []
    start = 0
    consequence = False  # the previous clause opened a condition and ended at a comma
    for brk in [*_CLAUSE_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        question = brk is not None and brk.group(0) == "?"
        words = tuple(_WORD.findall(text[start:end]))
        hedged = (
            any(w in HEDGES or w in REPORTING for w in words)
            or any(pair in HEDGE_PAIRS for pair in zip(words, words[1:]))
            or "either" in words[:-1]  # "either A or B"; a closing "either" ("not possible either") is no hedge
        )
        found.append(Clause(words, start, end, claims=not (question or hedged or consequence)))
        consequence = bool(words) and words[0] in CONDITIONS and brk is not None and brk.group(0) == ","
        if brk is None:
            break
        start = brk.end()
    return found


def _parse_date(raw: str) -> tuple[int, int, int | None] | None:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", raw).replace("'", "20")
    cleaned = re.sub(r"t(?=\d{1,2}:)", " ", cleaned)
    try:
        first = date_parser.parse(cleaned, default=_FIRST_YEAR)
        second = date_parser.parse(cleaned, default=_SECOND_YEAR)
    except (ValueError, OverflowError):
        return None
    year = first.year if first.year == second.year else None
    return first.month, first.day, year


def _dates(text: str, reading: Reading) -> tuple[list[DateMention], list[tuple[int, int]]]:
    mentions: list[DateMention] = []
    spans: list[tuple[int, int]] = []
    for match in _DATE.finditer(text):
        parsed = _parse_date(match.group(0))
        if parsed is None:
            continue
        month, day, year = parsed
        spans.append(match.span())
        mentions.append(DateMention(month, day, year, reading.claims_at(match.start(), match.end())))
    return mentions, spans


def _numbers(text: str, date_spans: list[tuple[int, int]], reading: Reading) -> list[NumberMention]:
    masked = list(text)
    spans = [*date_spans, *(m.span() for m in _CLOCK_TIME.finditer(text))]
    spans += [m.span() for m in _CODE.finditer(text) if any(ch.isdigit() for ch in m.group(0))]
    for start, end in spans:
        masked[start:end] = " " * (end - start)
    plain = "".join(masked)
    return [
        NumberMention(float(m.group(0).replace(",", "")), reading.claims_at(m.start(), m.end()))
        for m in _NUMBER.finditer(plain)
    ]


def clock_day(clock: str) -> date:
    """The calendar day of an ISO clock as written (its own offset)."""
    return datetime.fromisoformat(clock.replace("Z", "+00:00")).date()

