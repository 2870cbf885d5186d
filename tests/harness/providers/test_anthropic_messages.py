from __future__ import annotations

import json

import pytest
from provider_stubs import (
    ANTHROPIC_TEST_KEY,
    FINAL_TURN,
    TASK,
    TOOLS,
    SleepRecorder,
    StubServer,
    anthropic_message,
)

from harness.errors import ConfigurationError
from harness.providers.base import ToolCall, ToolResult
from harness.providers.registry import create_provider
from harness.transcript import Usage

MODEL = "anthropic/claude-opus-4-6"
BREAKPOINT = {"type": "ephemeral"}

LOOKUP_TURN = [
    {"type": "text", "text": "Let me look that up."},
    {"type": "tool_use", "id": "toolu_1", "name": "get_customer", "input": {"customer_id": "cus-1"}},
    {"type": "tool_use", "id": "toolu_2", "name": "list_orders", "input": {}},
]


def provider_for(stub: StubServer, sleeps: SleepRecorder, settings: dict | None = None, model: str = MODEL):
    return create_provider(model, settings or {}, base_url="http://stub", http_client=stub.client(), sleep=sleeps)


async def test_anthropic_tool_round_trip_sends_results_back_and_ends_with_the_reply(sleeps):
    usage = {
        "input_tokens": 12,
        "output_tokens": 40,
        "cache_creation_input_tokens": 900,
        "cache_read_input_tokens": 3000,
        "output_tokens_details": {"thinking_tokens": 7},
    }
    stub = StubServer(anthropic_message(LOOKUP_TURN, "tool_use", usage), anthropic_message(FINAL_TURN, "end_turn"))
    async with provider_for(stub, sleeps, {"max_tokens": 2048}) as provider:
        conversation = provider.open(system="You are a support agent.", tools=TOOLS, prompt="Tier of cus-1?", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results(
            [
                ToolResult(call_id="toolu_1", name="get_customer", text='{"tier": "gold"}', is_error=False),
                ToolResult(call_id="toolu_2", name="list_orders", text="customer_id is required", is_error=True),
            ]
        )
        final = await conversation.next_turn()

    assert first.text == "Let me look that up."
    assert first.tool_calls == [
        ToolCall(id="toolu_1", name="get_customer", arguments={"customer_id": "cus-1"}),
        ToolCall(id="toolu_2", name="list_orders", arguments={}),
    ]
    assert first.stop_reason == "tool_use"
    assert first.usage == Usage(
        input_tokens=3912, output_tokens=40, cache_read_tokens=3000, cache_write_tokens=900, reasoning_tokens=7
    )
    assert (final.text, final.tool_calls, final.stop_reason) == ("Customer cus-1 is on the gold tier.", [], "end_turn")

    opening = stub.body(0)
    assert opening["model"] == "claude-opus-4-6"
    assert opening["max_tokens"] == 2048
    assert opening["system"] == [{"type": "text", "text": "You are a support agent.", "cache_control": BREAKPOINT}]
    assert opening["tools"][0] == {
        "name": "get_customer",
        "description": "Look up one customer by id.",
        "input_schema": TOOLS[0].input_schema,
    }
    assert opening["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Tier of cus-1?", "cache_control": BREAKPOINT}]}
    ]
    follow_up = stub.body(1)["messages"]
    assert follow_up[0] == {"role": "user", "content": [{"type": "text", "text": "Tier of cus-1?"}]}
    assert follow_up[1] == {"role": "assistant", "content": LOOKUP_TURN}
    assert follow_up[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": False, "content": '{"tier": "gold"}'},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "is_error": True,
                "content": "customer_id is required",
                "cache_control": BREAKPOINT,
            },
        ],
    }


async def test_anthropic_exchange_records_the_request_and_reply_without_the_api_key(sleeps):
    stub = StubServer(anthropic_message(FINAL_TURN, "end_turn"))
    async with provider_for(stub, sleeps) as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    assert stub.requests[0]["headers"]["authorization"] == f"Bearer {ANTHROPIC_TEST_KEY}"
    assert turn.exchange["request"] == stub.body(0)
    assert turn.exchange["response"] == anthropic_message(FINAL_TURN, "end_turn")
    assert turn.exchange["endpoint"] == "http://stub/v1/messages"
    assert turn.exchange["attempts"] == 1
    assert ANTHROPIC_TEST_KEY not in json.dumps(turn.exchange)


async def test_anthropic_thinking_blocks_are_sent_back_exactly_as_received(sleeps):
    thinking_turn = [
        {"type": "thinking", "thinking": "The tier lives on the customer record.", "signature": "sig-abc=="},
        {"type": "redacted_thinking", "data": "opaque-encrypted-bytes"},
        {"type": "tool_use", "id": "toolu_9", "name": "get_customer", "input": {"customer_id": "cus-1"}},
    ]
    stub = StubServer(anthropic_message(thinking_turn, "tool_use"), anthropic_message(FINAL_TURN, "end_turn"))
    # Budgeted thinking on Sonnet: for claude-opus-4-6 the SDK deprecates it in favour of adaptive.
    settings = {"max_tokens": 8000, "thinking_budget": 2048}
    async with provider_for(stub, sleeps, settings, model="anthropic/claude-sonnet-4-6") as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results([ToolResult("toolu_9", "get_customer", "gold", False)])
        await conversation.next_turn()

    assert stub.body(0)["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert first.reasoning == "The tier lives on the customer record.\n\n[redacted thinking]"
    assert stub.body(1)["messages"][1] == {"role": "assistant", "content": thinking_turn}


async def test_anthropic_adaptive_thinking_and_effort_reach_the_wire(sleeps):
    stub = StubServer(anthropic_message(FINAL_TURN, "end_turn"))
    settings = {"thinking_budget": "adaptive", "reasoning_effort": "high", "extra_body": {"metadata": {"user_id": "u"}}}
    async with provider_for(stub, sleeps, settings) as provider:
        await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    sent = stub.body(0)
    assert sent["thinking"] == {"type": "adaptive"}
    assert sent["output_config"] == {"effort": "high"}
    assert sent["metadata"] == {"user_id": "u"}


@pytest.mark.parametrize("setting", [{"temperature": 0.0}, {"top_p": 0.9}, {"seed": 7}])
def test_anthropic_refuses_sampling_settings_the_sdk_lacks_and_names_them(setting):
    name = next(iter(setting))
    with pytest.raises(ConfigurationError, match=name):
        create_provider(MODEL, setting)


def test_anthropic_refuses_a_thinking_budget_at_or_above_max_tokens():
    with pytest.raises(ConfigurationError, match="below max_tokens"):
        create_provider(MODEL, {"max_tokens": 2048, "thinking_budget": 2048})


def test_anthropic_refuses_openai_only_effort_levels():
    with pytest.raises(ConfigurationError, match="minimal"):
        create_provider(MODEL, {"reasoning_effort": "minimal"})


async def test_anthropic_results_must_answer_the_last_turns_calls(sleeps):
    stub = StubServer(anthropic_message(LOOKUP_TURN, "tool_use"))
    async with provider_for(stub, sleeps) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        await conversation.next_turn()
        with pytest.raises(RuntimeError, match="before add_tool_results"):
            await conversation.next_turn()
        with pytest.raises(ValueError, match="do not match"):
            conversation.add_tool_results([ToolResult("toolu_1", "get_customer", "x", False)])
