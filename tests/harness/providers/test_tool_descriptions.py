"""Compact tool descriptions: shorter text, the same rules for what a call may hold."""

from __future__ import annotations

import json

import pytest

from harness.providers.base import ToolSchema
from harness.providers.tool_descriptions import MAX_TOOL_DESCRIPTION, describe_tools, first_sentence

REFUND = ToolSchema(
    name="createRefund",
    description="Refund order lines to the order's captured payment. Each line refunds unit price x quantity\n"
    "less the loyalty discount. Shipping is never refunded.",
    input_schema={
        "type": "object",
        "title": "createRefundArguments",
        "$defs": {"Line": {"title": "Line", "type": "object", "required": ["id", "quantity"], "properties": {
            "id": {"title": "Id", "type": "string", "description": "The line id. As listed by getOrderDetails."},
            "quantity": {"title": "Quantity", "type": "integer", "minimum": 1, "maximum": 100}}}},
        "properties": {
            "lines": {"title": "Lines", "type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
            "reason": {"title": "Reason", "type": "string", "enum": ["defective", "other"]},
            "approved_by": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}], "default": None,
                            "title": "Approved By", "description": "Employee id of the approver. Leave empty for pending."},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 5, "title": "Limit"},
            "title": {"type": "string", "title": "Title", "default": "a title"},
        },
        "required": ["lines", "reason"],
    },
)


def without_descriptions(node):
    """A schema's rules: everything but titles and descriptions."""
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k not in ("title", "description")
                or not isinstance(v, str)}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def test_full_descriptions_are_the_tools_as_listed():
    assert describe_tools([REFUND], "full") == [REFUND]


def test_compact_keeps_the_first_sentence_of_each_description_and_drops_titles():
    [compact] = describe_tools([REFUND], "compact")
    assert compact.description == "Refund order lines to the order's captured payment."
    schema = compact.input_schema
    assert "title" not in schema and "title" not in schema["$defs"]["Line"]
    assert schema["$defs"]["Line"]["properties"]["id"]["description"] == "The line id."
    assert schema["properties"]["approved_by"]["description"] == "Employee id of the approver."
    assert "title" in schema["properties"]  # a property that happens to be called title stays


def test_compact_keeps_every_rule_of_what_a_call_may_hold():
    [compact] = describe_tools([REFUND], "compact")
    original, kept = REFUND.input_schema, compact.input_schema
    assert kept["required"] == original["required"]
    assert without_descriptions(kept["$defs"]) == without_descriptions(original["$defs"])
    assert kept["properties"]["reason"]["enum"] == ["defective", "other"]
    assert kept["properties"]["lines"] == {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1}
    # An optional property's null alternative goes (leaving it out means null); its own rules stay.
    assert kept["properties"]["approved_by"] == {"type": "string", "minLength": 1,
                                                 "description": "Employee id of the approver."}
    # A nullable property with a real default keeps its anyOf and default: null does not mean "left out".
    assert kept["properties"]["limit"] == {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 5}
    assert kept["properties"]["title"] == {"type": "string", "default": "a title"}
    assert len(json.dumps(kept)) < len(json.dumps(original))


def test_a_long_first_sentence_is_cut_at_a_word():
    text = "Everything about one order: " + ", ".join(f"field number {n}" for n in range(40)) + "."
    cut = first_sentence(text, MAX_TOOL_DESCRIPTION)
    assert len(cut) <= MAX_TOOL_DESCRIPTION and cut.endswith("…") and text.startswith(cut[:-1])


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="full, compact"):
        describe_tools([REFUND], "tiny")  # type: ignore[arg-type]
