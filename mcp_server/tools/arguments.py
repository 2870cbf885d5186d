"""Limits on the text tools accept, in one place, and the check every tool call passes through.

Pydantic has checked types and declared lengths before a tool runs. This check adds what no schema
says, for every string in the arguments (nested ones included), so that no tool can forget it:

- at most ``MAX_TEXT_CHARS`` characters, unless the parameter declares its own ``max_length``
  (one of the prose limits below, which pydantic enforces and the schema publishes). Ids, search
  text, names, emails, phone numbers, SKUs and timestamps are all far shorter; a longer value is a
  mistake, and SQLite fails on LIKE patterns over 50,000 bytes.
- not blank: a value of only whitespace would silently act as "no filter" (or store an empty note).
- no NUL character: SQLite's LIKE stops reading its pattern at one, so ``"\\x00"`` matches everything.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from mcp_server.errors import InvalidArgumentError

MAX_TEXT_CHARS = 200  # ids, search text, names, emails, phone numbers, SKUs, timestamps
MAX_CODE_CHARS = 64  # a promotion code
MAX_REASON_CHARS = 1000  # why a status changes; a ticket's closure reason
MAX_NOTE_CHARS = 2000  # a note stored on a refund
MAX_REPORT_CHARS = 4000  # an escalation's notes; a resolution's summary


def declared_string_limits(function: Callable[..., Any]) -> dict[str, int]:
    """Parameters of type ``str`` (or ``str | None``) that declare a ``max_length``, and its value."""
    hints = typing.get_type_hints(function, include_extras=True)
    limits: dict[str, int] = {}
    for name in inspect.signature(function).parameters:
        hint = hints.get(name)
        if typing.get_origin(hint) is not Annotated:
            continue
        base, *extras = typing.get_args(hint)
        if str not in (base, *typing.get_args(base)):
            continue  # a list's max_length counts items, not characters
        for extra in extras:
            for constraint in extra.metadata if isinstance(extra, FieldInfo) else ():
                limit = getattr(constraint, "max_length", None)  # annotated_types.MaxLen
                if isinstance(limit, int):
                    limits[name] = limit
    return limits


def check_text_arguments(arguments: dict[str, Any], declared: dict[str, int]) -> None:
    """Refuse, with what to send instead, the first string argument that is too long, blank or holds NUL."""
    for name, value in arguments.items():
        for path, text in _strings(name, value):
            limit = declared.get(name, MAX_TEXT_CHARS) if path == name else MAX_TEXT_CHARS
            if len(text) > limit:
                raise InvalidArgumentError(
                    f"{path} is {len(text):,} characters long; the limit is {limit:,}. "
                    + ("Send a shorter value (search for a fragment)." if limit == MAX_TEXT_CHARS else "Shorten it.")
                )
            if "\x00" in text:
                raise InvalidArgumentError(f"{path} contains a NUL character (\\x00); send plain text without it")
            if not text.strip():
                raise InvalidArgumentError(
                    f"{path} is blank (empty or only whitespace); give a value, or leave {name} out if it is optional"
                )


def _strings(path: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for field, inner in value:
            yield from _strings(f"{path}.{field}", inner)
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(f"{path}.{key}", inner)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _strings(f"{path}[{index}]", inner)
