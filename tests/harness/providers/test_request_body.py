"""The adapters build request bodies themselves (RequestBody) instead of letting the SDKs' create()
walk the whole request every turn. These tests pin that the bytes on the wire and the headers are
exactly what create() sends for the same request, and that the recorded request is those bytes."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest
from provider_stubs import (
    TASK,
    TOOLS,
    SleepRecorder,
    StubServer,
    anthropic_message,
    chat_completion,
    responses_reply,
    tool_call,
)

from harness.providers.base import ToolResult, ToolSchema
from harness.providers.common import RequestBody
from harness.providers.registry import create_provider

UNICODE_TOOLS = [*TOOLS, ToolSchema(name="note", description="Écrit une note — “quoted” 中文", input_schema={"type": "object"})]
# Headers that differ between any two requests whatever builds them.
VOLATILE_HEADERS = {"x-stainless-retry-count", "x-stainless-read-timeout", "content-length"}

CHAT_SETTINGS = {"max_tokens": 512, "temperature": 0.25, "top_p": 0.5, "reasoning_effort": "low", "seed": 7,
                 "extra_body": {"chat_template_kwargs": {"enable_thinking": False}, "top_p": 0.75}}
RESPONSES_SETTINGS = {"max_tokens": 512, "temperature": 0.25, "top_p": 0.5, "reasoning_effort": "low",
                      "extra_body": {"truncation": "auto"}}
ANTHROPIC_SETTINGS = {"max_tokens": 2048, "thinking_budget": "adaptive", "reasoning_effort": "high",
                      "extra_body": {"metadata": {"user_id": "bench"}}}


def _chat_replies() -> list[Any]:
    call = tool_call("call_1", "get_customer", '{"customer_id": "cus-1"}')
    return [chat_completion({"content": None, "tool_calls": [call], "reasoning_content": "Look it up."}, "tool_calls"),
            chat_completion({"content": "Gold."}, "stop")]


def _responses_replies() -> list[Any]:
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_customer",
            "arguments": '{"customer_id": "cus-1"}', "status": "completed"}
    return [responses_reply([call]), responses_reply([{"type": "message", "id": "m1", "role": "assistant",
                                                        "content": [{"type": "output_text", "text": "Gold."}]}])]


def _anthropic_replies() -> list[Any]:
    use = {"type": "tool_use", "id": "call_1", "name": "get_customer", "input": {"customer_id": "cus-1"}}
    return [anthropic_message([{"type": "text", "text": "Checking."}, use], "tool_use"),
            anthropic_message([{"type": "text", "text": "Gold."}], "end_turn")]


CASES = {
    "openai-compatible": ("openai-compatible/glm-4.6", CHAT_SETTINGS, _chat_replies),
    "openai": ("openai/gpt-5.2", CHAT_SETTINGS, _chat_replies),
    "openai-responses": ("openai-responses/gpt-5.2", RESPONSES_SETTINGS, _responses_replies),
    "anthropic": ("anthropic/claude-opus-4-6", ANTHROPIC_SETTINGS, _anthropic_replies),
}


async def _run_two_turns(model: str, settings: dict[str, Any], stub: StubServer, sleeps: SleepRecorder) -> list[Any]:
    base_url = "http://stub" if model.startswith("anthropic/") else "http://stub/v1"
    turns = []
    async with create_provider(model, settings, base_url=base_url, http_client=stub.client(), sleep=sleeps) as provider:
        conversation = provider.open(system="You are a support agent.", tools=UNICODE_TOOLS, prompt="Tier of cus-1?",
                                     task=TASK)
        turns.append(await conversation.next_turn())
        conversation.add_tool_results([ToolResult(call_id="call_1", name="get_customer", text='{"tier": "gold"}',
                                                  is_error=False)])
        turns.append(await conversation.next_turn())
    return turns


async def _sdk_create(model: str, body: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """What the SDK's own with_raw_response.create() sends for ``body`` (as the adapters did before):
    the keyword arguments, and extra_body on top (a setting it overrides is still a keyword)."""
    stub = StubServer(_anthropic_replies()[1] if model.startswith("anthropic/") else {})
    extra = settings["extra_body"]
    kwargs = {k: v for k, v in body.items() if k not in extra or k in settings}
    if model.startswith("anthropic/"):
        client: Any = anthropic.AsyncAnthropic(api_key="sk-ant-test-secret-key", base_url="http://stub",
                                               http_client=stub.client(), max_retries=0, timeout=600.0)
        await client.messages.with_raw_response.create(**kwargs, extra_body=extra)
    else:
        client = openai.AsyncOpenAI(api_key="sk-openai-test-secret-key", base_url="http://stub/v1",
                                    http_client=stub.client(), max_retries=0, timeout=600.0)
        create = client.responses if model.startswith("openai-responses/") else client.chat.completions
        await create.with_raw_response.create(**kwargs, extra_body=extra)
    await client.close()
    return stub.requests[0]


@pytest.mark.parametrize("case", list(CASES))
async def test_request_bytes_and_headers_are_exactly_what_the_sdk_create_sends(case, sleeps):
    model, settings, replies = CASES[case]
    stub = StubServer(*replies())
    await _run_two_turns(model, settings, stub, sleeps)
    for sent in stub.requests:
        expected = await _sdk_create(model, sent["body"], settings)
        assert sent["raw"] == expected["raw"]
        assert sent["path"] == expected["path"]
        kept = {k: v for k, v in sent["headers"].items() if k not in VOLATILE_HEADERS}
        assert kept == {k: v for k, v in expected["headers"].items() if k not in VOLATILE_HEADERS}


@pytest.mark.parametrize("case", list(CASES))
async def test_recorded_request_equals_the_bytes_that_were_sent(case, sleeps):
    model, settings, replies = CASES[case]
    stub = StubServer(*replies())
    turns = await _run_two_turns(model, settings, stub, sleeps)
    for turn, sent in zip(turns, stub.requests, strict=True):
        assert turn.exchange["request"] == json.loads(sent["raw"])
        assert list(turn.exchange["request"]) == list(json.loads(sent["raw"]))  # same key order too


async def test_anthropic_still_warns_about_enabled_thinking_on_models_the_sdk_warns_for(sleeps):
    stub = StubServer(*_anthropic_replies())
    with pytest.warns(UserWarning, match="thinking.type=enabled"):
        await _run_two_turns("anthropic/claude-opus-4-6", {"thinking_budget": 1024, "max_tokens": 4096}, stub, sleeps)


def test_request_body_matches_a_plain_serialization_and_re_serializes_replaced_items():
    history: list[Any] = [{"role": "user", "content": "hi"}]
    body = RequestBody({"model": "m", "tools": [{"name": "t", "schema": ("a", 1.5)}]}, order=("model", "messages", "tools"),
                       history_key="messages", extra={"model": "override", "extra": None})
    sent, record = body.render(history)
    expected = {"model": "override", "messages": history, "tools": [{"name": "t", "schema": ["a", 1.5]}], "extra": None}
    assert sent == json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode()
    assert record == expected and list(record) == list(expected)

    history.append({"role": "assistant", "content": "hello"})
    history[0] = {"role": "user", "content": "changed"}  # a new object: serialized again
    sent, record = body.render(history)
    assert json.loads(sent)["messages"] == history == record["messages"]


def test_request_body_refuses_a_field_missing_from_the_wire_order():
    with pytest.raises(ValueError, match="wire order"):
        RequestBody({"model": "m", "stream": True}, order=("model", "messages"), history_key="messages", extra=None)


def test_request_body_lets_extra_body_replace_the_history_itself():
    body = RequestBody({"model": "m"}, order=("model", "messages"), history_key="messages", extra={"messages": []})
    sent, record = body.render([{"role": "user", "content": "ignored"}])
    assert json.loads(sent) == record == {"model": "m", "messages": []}


async def _two_turns_on(provider: Any, system: str, tools: list[ToolSchema]) -> None:
    conversation = provider.open(system=system, tools=tools, prompt="Tier of cus-1?", task=TASK)
    await conversation.next_turn()
    conversation.add_tool_results([ToolResult(call_id="call_1", name="get_customer", text='{"tier": "gold"}', is_error=False)])
    await conversation.next_turn()


@pytest.mark.parametrize("case", list(CASES))
async def test_conversations_of_one_provider_send_their_own_history_system_prompt_and_tools(case, sleeps):
    """The provider lays out a tool list's request once and reuses it: every conversation must
    still send exactly its own history, system prompt and tools."""
    model, settings, replies = CASES[case]
    stub = StubServer(*replies(), *replies(), *replies(), *replies())
    other_tools = [ToolSchema(name="get_order", description="One order.", input_schema={"type": "object"})]
    base_url = "http://stub" if model.startswith("anthropic/") else "http://stub/v1"
    async with create_provider(model, settings, base_url=base_url, http_client=stub.client(), sleep=sleeps) as provider:
        for system, tools in (("You are a support agent.", UNICODE_TOOLS), ("You are a support agent.", UNICODE_TOOLS),
                              ("Another policy.", UNICODE_TOOLS), ("You are a support agent.", other_tools)):
            await _two_turns_on(provider, system, tools)
    first, again, other_system, other_list = (stub.requests[i:i + 2] for i in range(0, 8, 2))
    assert [r["raw"] for r in again] == [r["raw"] for r in first]
    assert all("Another policy." in r["raw"].decode() for r in other_system)
    assert not any("Another policy." in r["raw"].decode() for r in [*first, *other_list])
    for pair, tools in ((first, UNICODE_TOOLS), (other_system, UNICODE_TOOLS), (other_list, other_tools)):
        assert all(_tool_names(r["body"]) == [t.name for t in tools] for r in pair)
    history = "input" if model.startswith("openai-responses/") else "messages"
    assert len({len(pair[0]["body"][history]) for pair in (first, again, other_system, other_list)}) == 1  # no history leaks


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] if "function" in tool else tool["name"] for tool in body["tools"]]


def test_a_fresh_request_body_shares_the_fixed_fields_but_not_what_was_sent():
    template = RequestBody({"model": "m", "tools": [{"name": "t"}]}, order=("model", "messages", "tools"),
                           history_key="messages", extra=None)
    first, second = template.fresh(), template.fresh()
    first.render([{"role": "user", "content": "one"}])
    sent, record = second.render([{"role": "user", "content": "two"}])
    assert json.loads(sent) == record == {"model": "m", "messages": [{"role": "user", "content": "two"}], "tools": [{"name": "t"}]}
