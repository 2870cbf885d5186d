"""Tool calls written as text, read by the Chat Completions adapter through the real openai SDK:
every format, structured calls first, the history the server gets back, and the parser's switch."""

from __future__ import annotations

import json

import pytest
from provider_stubs import TASK, TOOLS, SleepRecorder, StubServer, chat_completion, tool_call

from harness.providers.base import ToolResult
from harness.providers.registry import create_provider

COMPATIBLE = "openai-compatible/Qwen/Qwen2.5-Coder-0.5B-Instruct"
CALL = {"customer_id": "cus-1"}

# A call to get_customer(customer_id=cus-1), as each format writes it in message.content.
IN_CONTENT = {
    "hermes": '<tool_call>\n{"name": "get_customer", "arguments": {"customer_id": "cus-1"}}\n</tool_call>',
    "glm45": "<tool_call>get_customer\n<arg_key>customer_id</arg_key>\n<arg_value>cus-1</arg_value>\n</tool_call>",
    "qwen3_coder": "<tool_call>\n<function=get_customer>\n<parameter=customer_id>\ncus-1\n</parameter>\n</function>\n</tool_call>",
    "mistral": '[TOOL_CALLS][{"name": "get_customer", "arguments": {"customer_id": "cus-1"}}]',
    "deepseek": ("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_customer<｜tool▁sep｜>"
                 '{"customer_id": "cus-1"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>'),
    "json": '```json\n{"name": "get_customer", "arguments": {"customer_id": "cus-1"}}\n```',
    "pythonic": '[get_customer(customer_id="cus-1")]',
}


def provider_for(stub: StubServer, sleeps: SleepRecorder, model: str = COMPATIBLE, settings: dict | None = None):
    base_url = "http://127.0.0.1:8080/v1" if model.startswith("openai-compatible/") else "http://stub/v1"
    return create_provider(model, settings or {}, base_url=base_url, http_client=stub.client(), sleep=sleeps)


async def two_turns(stub: StubServer, sleeps: SleepRecorder, **kw):
    """The first turn, then (after answering its calls) the second; returns the first."""
    async with provider_for(stub, sleeps, **kw) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="Tier of cus-1?", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results([ToolResult(c.id, c.name, '{"tier": "gold"}', False) for c in first.tool_calls])
        await conversation.next_turn()
    return first


@pytest.mark.parametrize("fmt", list(IN_CONTENT))
async def test_a_call_written_in_the_content_becomes_a_tool_call_marked_with_its_format(sleeps, fmt):
    content = f"Let me look.\n{IN_CONTENT[fmt]}"
    stub = StubServer(chat_completion({"content": content}, "stop"), chat_completion({"content": "Gold."}, "stop"))
    first = await two_turns(stub, sleeps)

    [call] = first.tool_calls
    assert (call.name, call.arguments, call.argument_error, call.parsed_from) == ("get_customer", CALL, None, fmt)
    assert call.raw_text is not None and call.raw_text in content
    assert first.text == content  # the transcript keeps what the model wrote
    assert first.as_message().tool_calls == [{"id": call.id, "name": "get_customer", "arguments": CALL, "parsed_from": fmt}]
    # The server gets the prose back as content and the call as a structured call it can render.
    assert stub.body(1)["messages"][2:] == [
        {"role": "assistant", "content": "Let me look.", "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": "get_customer", "arguments": json.dumps(CALL)}}]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"tier": "gold"}'},
    ]


async def test_structured_tool_calls_win_over_anything_in_the_content(sleeps):
    reply = {"content": IN_CONTENT["hermes"].replace("cus-1", "cus-2"),
             "tool_calls": [tool_call("call_1", "get_customer", '{"customer_id": "cus-1"}')]}
    stub = StubServer(chat_completion(reply, "tool_calls"), chat_completion({"content": "Gold."}, "stop"))
    first = await two_turns(stub, sleeps)
    assert [(c.id, c.arguments, c.parsed_from) for c in first.tool_calls] == [("call_1", CALL, None)]
    assert stub.body(1)["messages"][2]["content"] == reply["content"]  # sent back exactly as received


async def test_ids_of_calls_read_from_text_are_unique_across_the_conversation(sleeps):
    two = IN_CONTENT["hermes"] + IN_CONTENT["hermes"].replace("get_customer", "list_orders")
    stub = StubServer(chat_completion({"content": two}, "stop"), chat_completion({"content": IN_CONTENT["json"]}, "stop"))
    async with provider_for(stub, sleeps) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results([ToolResult(c.id, c.name, "ok", False) for c in first.tool_calls])
        second = await conversation.next_turn()
    ids = [c.id for c in first.tool_calls + second.tool_calls]
    assert [c.name for c in first.tool_calls] == ["get_customer", "list_orders"] and len(set(ids)) == 3


async def test_a_call_that_does_not_parse_comes_back_as_a_refused_call_and_valid_json_for_the_server(sleeps):
    broken = '<tool_call>{"name": "get_customer", "arguments": {"customer_id": cus-1}}</tool_call>'
    stub = StubServer(chat_completion({"content": broken}, "stop"), chat_completion({"content": "Sorry."}, "stop"))
    first = await two_turns(stub, sleeps)
    [call] = first.tool_calls
    assert (call.name, call.arguments, call.parsed_from) == ("get_customer", {}, "hermes")
    assert call.argument_error is not None and call.argument_error.startswith("tool arguments are not valid JSON (")
    echoed = stub.body(1)["messages"][2]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(echoed) == {"invalid_json": broken}


async def test_a_call_to_a_tool_nobody_offered_is_still_a_call_for_the_loop_to_refuse(sleeps):
    stub = StubServer(chat_completion({"content": IN_CONTENT["json"].replace("get_customer", "getCustomerById")}, "stop"),
                      chat_completion({"content": "Gold."}, "stop"))
    first = await two_turns(stub, sleeps)
    assert [(c.name, c.argument_error) for c in first.tool_calls] == [("getCustomerById", None)]


async def test_a_named_format_reads_only_that_format_and_none_reads_nothing(sleeps):
    stub = StubServer(chat_completion({"content": IN_CONTENT["hermes"]}, "stop"))
    async with provider_for(stub, sleeps, settings={"tool_call_parser": "glm45"}) as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()
    assert turn.tool_calls == [] and turn.text == IN_CONTENT["hermes"]

    stub = StubServer(chat_completion({"content": IN_CONTENT["json"]}, "stop"))
    async with provider_for(stub, sleeps, settings={"tool_call_parser": "none"}) as provider:
        assert provider.settings["tool_call_parser"] == "none"
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()
    assert turn.tool_calls == []


async def test_openai_itself_is_never_read_for_text_calls(sleeps):
    stub = StubServer(chat_completion({"content": IN_CONTENT["json"]}, "stop"))
    async with provider_for(stub, sleeps, model="openai/gpt-5.2") as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()
    assert turn.tool_calls == [] and turn.text == IN_CONTENT["json"]
