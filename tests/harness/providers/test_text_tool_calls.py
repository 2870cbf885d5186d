"""Reading tool calls that models write as text: each format, auto detection, and broken calls."""

from __future__ import annotations

import pytest

from harness.providers.base import ToolSchema
from harness.providers.text_tool_calls import FORMATS, INVALID_PREFIX, UNREADABLE_NAME, parse_text_tool_calls

TOOLS = [
    ToolSchema(
        name="getOrderDetails",
        description="One order.",
        input_schema={"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    ),
    ToolSchema(
        name="searchOrders",
        description="Search orders.",
        input_schema={
            "type": "object",
            "properties": {
                "customer_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                "limit": {"type": "integer"},
                "statuses": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
]
ORDER = {"order_id": "ord-250830-110"}

# Every format, as the models that use it write a call to getOrderDetails(order_id=ord-250830-110).
WRITTEN = {
    "hermes": 'Let me check.\n<tool_call>\n{"name": "getOrderDetails", "arguments": {"order_id": "ord-250830-110"}}\n</tool_call>',
    "glm45": "<tool_call>getOrderDetails\n<arg_key>order_id</arg_key>\n<arg_value>ord-250830-110</arg_value>\n</tool_call>",
    "qwen3_coder": "<tool_call>\n<function=getOrderDetails>\n<parameter=order_id>\nord-250830-110\n</parameter>\n</function>\n</tool_call>",
    "mistral": '[TOOL_CALLS][{"name": "getOrderDetails", "arguments": {"order_id": "ord-250830-110"}}]',
    "deepseek": (
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>getOrderDetails\n```json\n"
        '{"order_id": "ord-250830-110"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>'
    ),
    "json": '```json\n{"name": "getOrderDetails", "arguments": {"order_id": "ord-250830-110"}}\n```',
    "pythonic": '[getOrderDetails(order_id="ord-250830-110")]',
}


def test_every_format_in_the_table_has_an_example_here():
    assert set(WRITTEN) == set(FORMATS)


@pytest.mark.parametrize("fmt", list(WRITTEN))
def test_each_format_reads_the_call_by_name_and_by_auto_detection(fmt):
    for parser in (fmt, "auto"):
        found = parse_text_tool_calls(WRITTEN[fmt], parser, TOOLS)
        assert found is not None and found.format == fmt
        [call] = found.calls
        assert (call.name, call.arguments, call.argument_error) == ("getOrderDetails", ORDER, None)
        assert call.raw in WRITTEN[fmt]


def test_the_prose_around_the_calls_is_kept_as_the_text_and_the_markup_is_not():
    found = parse_text_tool_calls(WRITTEN["hermes"], "auto", TOOLS)
    assert found is not None and found.text == "Let me check."
    found = parse_text_tool_calls(WRITTEN["deepseek"], "auto", TOOLS)
    assert found is not None and found.text == ""


def test_stray_brackets_left_around_a_call_are_not_kept_as_prose():
    found = parse_text_tool_calls('{"name": "getOrderDetails", "arguments": {"order_id": "ord-1"}}}\n```', "auto", TOOLS)
    assert found is not None and found.text == "" and found.calls[0].arguments == {"order_id": "ord-1"}


def test_a_bare_json_object_a_list_and_llama_parameters_are_calls():
    bare = parse_text_tool_calls('{"name": "getOrderDetails", "parameters": {"order_id": "ord-250830-110"}}', "json")
    assert bare is not None and bare.calls[0].arguments == ORDER
    listed = parse_text_tool_calls(
        '<|python_tag|>[{"name": "getOrderDetails", "arguments": {"order_id": "ord-1"}}, '
        '{"name": "searchOrders", "arguments": {"limit": 2}}]', "auto")
    assert listed is not None and [c.name for c in listed.calls] == ["getOrderDetails", "searchOrders"]


def test_calls_written_one_after_another_inside_prose_are_all_read():
    text = ('I will search first. {"name": "searchOrders", "arguments": {"limit": 1}}\n'
            '{"name": "getOrderDetails", "arguments": "{\\"order_id\\": \\"ord-1\\"}"}')
    found = parse_text_tool_calls(text, "auto", TOOLS)
    assert found is not None and found.format == "json"
    assert [(c.name, c.arguments) for c in found.calls] == [("searchOrders", {"limit": 1}), ("getOrderDetails", {"order_id": "ord-1"})]
    assert found.text == "I will search first."


def test_xml_values_are_typed_by_the_tool_schema():
    glm = ("<tool_call>searchOrders<arg_key>customer_id</arg_key><arg_value>123</arg_value>"
           "<arg_key>limit</arg_key><arg_value>5</arg_value>"
           '<arg_key>statuses</arg_key><arg_value>["paid", "pending"]</arg_value></tool_call>')
    found = parse_text_tool_calls(glm, "glm45", TOOLS)
    assert found is not None
    assert found.calls[0].arguments == {"customer_id": "123", "limit": 5, "statuses": ["paid", "pending"]}


def test_several_mistral_calls_in_the_named_form_are_read_in_order():
    text = '[TOOL_CALLS]searchOrders[ARGS]{"limit": 3}[TOOL_CALLS]getOrderDetails[ARGS]{"order_id": "ord-1"}'
    found = parse_text_tool_calls(text, "auto", TOOLS)
    assert found is not None and found.format == "mistral"
    assert [(c.name, c.arguments) for c in found.calls] == [("searchOrders", {"limit": 3}), ("getOrderDetails", {"order_id": "ord-1"})]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('<tool_call>{"name": "getOrderDetails", "arguments": {"order_id": "ord-1"</tool_call>', "getOrderDetails"),
        ('<tool_call>{"arguments": {"order_id": "ord-1"}}</tool_call>', UNREADABLE_NAME),
        ('```json\n{"name": "searchOrders", "arguments": {limit: 3}}\n```', "searchOrders"),
        ("<tool_call>getOrderDetails<arg_key>order_id</arg_key>ord-1</tool_call>", "getOrderDetails"),
        ('[TOOL_CALLS][{"name": "getOrderDetails", "arguments": ', "getOrderDetails"),
        ('{"name": "searchOrders", "arguments": {"customer_id": "cus-00001", "limit": 5, "sta', "searchOrders"),
        ('<tool_call>{"name": "getOrderDetails", "arguments": "order ord-1"}</tool_call>', "getOrderDetails"),
    ],
    ids=["hermes-truncated", "hermes-no-name", "json-fence-bad-json", "glm-value-without-tags", "mistral-truncated",
         "json-cut-at-the-output-cap", "arguments-not-an-object"],
)
def test_a_call_that_cannot_be_read_becomes_a_refused_call_not_a_final_reply(text, name):
    found = parse_text_tool_calls(text, "auto", TOOLS)
    assert found is not None
    [call] = found.calls
    assert call.name == name and call.arguments == {}
    assert call.argument_error is not None
    assert call.argument_error.startswith((INVALID_PREFIX, "tool arguments must be a JSON object, got "))


@pytest.mark.parametrize(
    "text",
    [
        "Your order ord-250830-110 shipped on 3 September; it should arrive by Friday.",
        'The order record says {"status": "paid", "total": 129.99}.',
        "[1, 2, 3] are the three lines you asked about.",
        "[Note(text='x')] is not a call list either",  # a positional argument, not keyword calls
        "<think>I could call <tool_call>{\"name\": \"getOrderDetails\", \"arguments\": {}}</tool_call></think>It shipped.",
    ],
    ids=["prose", "json-that-is-no-call", "a-list", "positional-call", "a-call-only-thought-about"],
)
def test_replies_without_a_call_are_left_alone(text):
    assert parse_text_tool_calls(text, "auto", TOOLS) is None


def test_none_turns_reading_off_and_a_named_format_reads_only_itself():
    assert parse_text_tool_calls(WRITTEN["hermes"], "none", TOOLS) is None
    assert parse_text_tool_calls(WRITTEN["hermes"], "glm45", TOOLS) is None
    with pytest.raises(ValueError, match="unknown tool_call_parser 'xml'"):
        parse_text_tool_calls(WRITTEN["hermes"], "xml", TOOLS)
