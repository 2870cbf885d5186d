from __future__ import annotations

import pytest
from provider_stubs import ANSWER_ITEM, TASK, TOOLS, SleepRecorder, StubServer, responses_reply

from harness.errors import ConfigurationError
from harness.providers.base import ToolCall, ToolResult
from harness.providers.registry import create_provider
from harness.transcript import Usage

MODEL = "openai-responses/gpt-5.2"

REASONING_ITEM = {
    "id": "rs_1",
    "type": "reasoning",
    "summary": [{"type": "summary_text", "text": "Look the customer up first."}],
    "encrypted_content": "gAAAA-encrypted-reasoning",
}
CALL_ITEM = {
    "id": "fc_1",
    "type": "function_call",
    "call_id": "call_1",
    "name": "get_customer",
    "arguments": '{"customer_id": "cus-1"}',
    "status": "completed",
}


def provider_for(stub: StubServer, sleeps: SleepRecorder, settings: dict | None = None):
    return create_provider(MODEL, settings or {}, base_url="http://stub/v1", http_client=stub.client(), sleep=sleeps)


async def test_responses_tool_round_trip_carries_reasoning_items_forward(sleeps):
    usage = {
        "input_tokens": 2000,
        "output_tokens": 120,
        "total_tokens": 2120,
        "input_tokens_details": {"cached_tokens": 1024, "cache_write_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 64},
    }
    stub = StubServer(
        responses_reply([{**REASONING_ITEM, "content": None}, CALL_ITEM], usage), responses_reply([ANSWER_ITEM])
    )
    settings = {"max_tokens": 3000, "reasoning_effort": "medium"}
    async with provider_for(stub, sleeps, settings) as provider:
        conversation = provider.open(system="You are a support agent.", tools=TOOLS, prompt="Tier of cus-1?", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results([ToolResult("call_1", "get_customer", '{"tier": "gold"}', False)])
        final = await conversation.next_turn()

    assert first.tool_calls == [ToolCall(id="call_1", name="get_customer", arguments={"customer_id": "cus-1"})]
    assert first.reasoning == "Look the customer up first."
    assert first.stop_reason == "tool_calls"
    assert first.usage == Usage(input_tokens=2000, output_tokens=120, cache_read_tokens=1024, reasoning_tokens=64)
    assert (final.text, final.tool_calls, final.stop_reason) == ("Customer cus-1 is on the gold tier.", [], "completed")

    opening = stub.body(0)
    assert opening["instructions"] == "You are a support agent."
    assert opening["input"] == [{"role": "user", "content": "Tier of cus-1?"}]
    assert opening["store"] is False
    assert opening["include"] == ["reasoning.encrypted_content"]
    assert opening["reasoning"] == {"effort": "medium"}
    assert opening["max_output_tokens"] == 3000
    assert opening["tools"][0] == {
        "type": "function",
        "name": "get_customer",
        "description": "Look up one customer by id.",
        "parameters": TOOLS[0].input_schema,
        "strict": False,
    }
    assert stub.body(1)["input"] == [
        {"role": "user", "content": "Tier of cus-1?"},
        REASONING_ITEM,
        CALL_ITEM,
        {"type": "function_call_output", "call_id": "call_1", "output": '{"tier": "gold"}'},
    ]


async def test_responses_invalid_arguments_surface_as_argument_error(sleeps):
    stub = StubServer(responses_reply([{**CALL_ITEM, "arguments": "{customer_id: cus-1"}]))
    async with provider_for(stub, sleeps) as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    assert turn.tool_calls[0].arguments == {}
    assert "not valid JSON" in turn.tool_calls[0].argument_error


async def test_responses_incomplete_reply_reports_why_it_stopped(sleeps):
    stub = StubServer(
        responses_reply([REASONING_ITEM], status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    )
    async with provider_for(stub, sleeps) as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    assert (turn.text, turn.tool_calls, turn.stop_reason) == ("", [], "max_output_tokens")


def test_responses_refuses_a_seed_and_names_it():
    with pytest.raises(ConfigurationError, match="seed"):
        create_provider(MODEL, {"seed": 1})
