"""How much of the tools' descriptions a model is sent: ``full`` (what the server lists) or
``compact`` (for small hardware, where the prompt is re-read every turn).

Compact keeps everything that decides what a call may hold -- names, types, required fields,
enums, bounds, lengths, formats, nested items and ``$defs`` -- so the tools accept and do exactly
what they did. It drops only what describes:

- a tool's description shrinks to its first sentence (at most ``MAX_TOOL_DESCRIPTION`` characters);
- a property's description shrinks to its first sentence;
- JSON-schema ``title``s go (they repeat the property names);
- an optional property's ``anyOf [X, {"type": "null"}]`` with ``default: null`` becomes X alone:
  leaving the property out means the same as null, and the tool still takes null.

The run manifest records the choice (``tool_descriptions``), so runs stay comparable.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from harness.providers.base import ToolSchema

ToolDescriptions = Literal["full", "compact"]
TOOL_DESCRIPTION_CHOICES: tuple[ToolDescriptions, ...] = ("full", "compact")
MAX_TOOL_DESCRIPTION = 200
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(])|\n\s*\n")


def first_sentence(text: str, limit: int | None = None) -> str:
    """The first sentence of ``text`` on one line, cut at a word under ``limit`` characters."""
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    sentence = " ".join(sentence.split())
    if limit is not None and len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")  # name -> schema
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")  # schemas
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")  # one schema
# Everything else (enum, const, default, bounds, formats, required) is copied as it is.


def _compact_schema(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if (isinstance(options, list) and len(options) == 2 and {"type": "null"} in options
            and "default" in node and node["default"] is None):
        (kept,) = [option for option in options if option != {"type": "null"}]
        merged = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
        node = {**kept, **merged}  # the property's own keys (its description) over the option's
    compact: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "description" and isinstance(value, str):
            compact[key] = first_sentence(value)
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            compact[key] = {name: _compact_schema(schema) for name, schema in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            compact[key] = [_compact_schema(schema) for schema in value]
        elif key in _SCHEMA_VALUES:
            compact[key] = _compact_schema(value)
        else:
            compact[key] = value
    return compact


def compact_tool(tool: ToolSchema) -> ToolSchema:
    return ToolSchema(
        name=tool.name,
        description=first_sentence(tool.description, MAX_TOOL_DESCRIPTION),
        input_schema=_compact_schema(tool.input_schema),
    )


def describe_tools(tools: list[ToolSchema], mode: ToolDescriptions) -> list[ToolSchema]:
    """The tools as the model is sent them under ``mode``."""
    if mode == "full":
        return tools
    if mode == "compact":
        return [compact_tool(tool) for tool in tools]
    raise ValueError(f"tool descriptions must be one of {', '.join(TOOL_DESCRIPTION_CHOICES)}, got {mode!r}")
