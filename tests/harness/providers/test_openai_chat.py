from __future__ import annotations

import json

import pytest
from provider_stubs import (
    OPENAI_TEST_KEY,
    TASK,
    TOOLS,
    SleepRecorder,
    StubServer,
    chat_completion,
    tool_call,
)

from harness.errors import ConfigurationError
from harness.providers.base import ToolCall, ToolResult
from harness.providers.registry import create_provider
from harness.transcript import Usage

GLM = "openai-compatible/zai-org/GLM-4.6"
GLM_URL = "http://127.0.0.1:8000/v1"


def provider_for(stub: StubServer, sleeps: SleepRecorder, model: str = "openai/gpt-5.2", settings: dict | None = None):
    base_url = GLM_URL if model.startswith("openai-compatible/") else "http://stub/v1"
    return create_provider(model, settings or {}, base_url=base_url, http_client=stub.client(), sleep=sleeps)


async def test_chat_tool_round_trip_sends_tool_messages_and_ends_with_the_reply(sleeps):
    usage = {
        "prompt_tokens": 5000,
        "completion_tokens": 300,
        "total_tokens": 5300,
        "prompt_tokens_details": {"cached_tokens": 4096},
        "completion_tokens_details": {"reasoning_tokens": 256},
    }
    calls = [tool_call("call_1", "get_customer", '{"customer_id": "cus-1"}'), tool_call("call_2", "list_orders", "")]
    stub = StubServer(
        chat_completion({"content": None, "tool_calls": calls}, "tool_calls", usage),
        chat_completion({"content": "Customer cus-1 is on the gold tier."}, "stop"),
    )
    settings = {"max_tokens": 4096, "temperature": 0.0, "top_p": 0.5, "reasoning_effort": "low", "seed": 11}
    async with provider_for(stub, sleeps, settings=settings) as provider:
        conversation = provider.open(system="You are a support agent.", tools=TOOLS, prompt="Tier of cus-1?", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results(
            [
                ToolResult(call_id="call_1", name="get_customer", text='{"tier": "gold"}', is_error=False),
                ToolResult(call_id="call_2", name="list_orders", text="customer_id is required", is_error=True),
            ]
        )
        final = await conversation.next_turn()

    assert first.tool_calls == [
        ToolCall(id="call_1", name="get_customer", arguments={"customer_id": "cus-1"}),
        ToolCall(id="call_2", name="list_orders", arguments={}),
    ]
    assert (first.text, first.stop_reason) == ("", "tool_calls")
    assert first.usage == Usage(input_tokens=5000, output_tokens=300, cache_read_tokens=4096, reasoning_tokens=256)
    assert (final.text, final.tool_calls, final.stop_reason) == ("Customer cus-1 is on the gold tier.", [], "stop")

    opening = stub.body(0)
    sampling = ("model", "max_completion_tokens", "temperature", "top_p", "reasoning_effort", "seed")
    assert {k: opening[k] for k in sampling} == {
        "model": "gpt-5.2",
        "max_completion_tokens": 4096,
        "temperature": 0.0,
        "top_p": 0.5,
        "reasoning_effort": "low",
        "seed": 11,
    }
    assert opening["tools"][0] == {
        "type": "function",
        "function": {
            "name": "get_customer",
            "description": "Look up one customer by id.",
            "parameters": TOOLS[0].input_schema,
            "strict": False,
        },
    }
    assert opening["messages"] == [
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": "Tier of cus-1?"},
    ]
    assert stub.body(1)["messages"][2:] == [
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"tier": "gold"}'},
        {"role": "tool", "tool_call_id": "call_2", "content": "customer_id is required"},
    ]
    assert first.exchange["request"] == opening
    assert OPENAI_TEST_KEY not in json.dumps(first.exchange)


@pytest.mark.parametrize("reasoning_key", ["reasoning_content", "reasoning"])
async def test_glm_reasoning_is_sent_back_under_the_key_it_came_in(sleeps, reasoning_key):
    thought = "The user wants the tier.\nI should call get_customer first."
    stub = StubServer(
        chat_completion(
            {
                "content": None,
                reasoning_key: thought,
                "tool_calls": [tool_call("call_a", "get_customer", '{"customer_id": "cus-1"}')],
            },
            "tool_calls",
        ),
        chat_completion({"content": "Gold.", reasoning_key: "Done."}, "stop"),
    )
    async with provider_for(stub, sleeps, model=GLM) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        first = await conversation.next_turn()
        conversation.add_tool_results([ToolResult("call_a", "get_customer", "gold", False)])
        final = await conversation.next_turn()

    assert first.reasoning == thought
    assert final.reasoning == "Done."
    assistant = stub.body(1)["messages"][2]
    assert assistant["role"] == "assistant"
    assert assistant[reasoning_key] == thought
    assert assistant["content"] is None
    other_key = {"reasoning_content": "reasoning", "reasoning": "reasoning_content"}[reasoning_key]
    assert other_key not in assistant
    assert stub.body(0)["model"] == "zai-org/GLM-4.6"


async def test_compatible_server_gets_max_tokens_and_extra_body_at_the_top_level(sleeps):
    stub = StubServer(chat_completion({"content": "hi"}, "stop"))
    settings = {"max_tokens": 1000, "extra_body": {"chat_template_kwargs": {"enable_thinking": True}, "top_k": 20}}
    async with provider_for(stub, sleeps, model=GLM, settings=settings) as provider:
        await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    sent = stub.body(0)
    assert sent["max_tokens"] == 1000
    assert "max_completion_tokens" not in sent
    assert sent["chat_template_kwargs"] == {"enable_thinking": True}
    assert sent["top_k"] == 20
    assert stub.requests[0]["path"] == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("raw_arguments", "problem"),
    [('{"customer_id": "cus-1"', "not valid JSON"), ('["cus-1"]', "must be a JSON object")],
)
async def test_invalid_tool_arguments_surface_as_argument_error(sleeps, raw_arguments, problem):
    stub = StubServer(
        chat_completion(
            {"content": None, "tool_calls": [tool_call("call_x", "get_customer", raw_arguments)]}, "tool_calls"
        ),
        chat_completion({"content": "Sorry."}, "stop"),
    )
    async with provider_for(stub, sleeps) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        turn = await conversation.next_turn()
        conversation.add_tool_results([ToolResult("call_x", "get_customer", turn.tool_calls[0].argument_error, True)])
        await conversation.next_turn()

    call = turn.tool_calls[0]
    assert (call.name, call.arguments) == ("get_customer", {})
    assert problem in call.argument_error
    # OpenAI itself gets its own text back unchanged.
    assert stub.body(1)["messages"][2]["tool_calls"][0]["function"]["arguments"] == raw_arguments


async def test_compatible_server_gets_invalid_arguments_back_wrapped_in_valid_json(sleeps):
    broken = '{"customer_id": cus-1}'
    stub = StubServer(
        chat_completion({"content": None, "tool_calls": [tool_call("call_x", "get_customer", broken)]}, "tool_calls"),
        chat_completion({"content": "Sorry."}, "stop"),
    )
    async with provider_for(stub, sleeps, model=GLM) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        turn = await conversation.next_turn()
        conversation.add_tool_results([ToolResult("call_x", "get_customer", "bad arguments", True)])
        await conversation.next_turn()

    assert turn.tool_calls[0].argument_error is not None
    echoed = stub.body(1)["messages"][2]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(echoed) == {"invalid_json": broken}


def test_chat_refuses_the_anthropic_thinking_budget_and_says_what_to_use():
    with pytest.raises(ConfigurationError, match="thinking_budget.*reasoning_effort"):
        create_provider("openai/gpt-5.2", {"thinking_budget": 2048})
