"""What every HTTP adapter does the same way through HttpConversation: retries with the server's
hinted wait, a fatal error once the retry budget is spent or on a bad request, retried
connection failures, and MalformedReplyError for a reply that does not parse. Each row keeps
the wire format's own reply and error details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from provider_stubs import (
    ANSWER_ITEM,
    FINAL_TURN,
    TASK,
    TOOLS,
    SleepRecorder,
    StubServer,
    anthropic_message,
    chat_completion,
    error_reply,
    responses_reply,
)

from harness.errors import FatalProviderError, MalformedReplyError
from harness.providers.registry import create_provider


@dataclass(frozen=True)
class Adapter:
    model: str
    base_url: str
    final: dict[str, Any]  # a reply with text and no tool calls
    text: str  # its text and stop reason as the turn reports them
    stop_reason: str


ANTHROPIC = Adapter(
    "anthropic/claude-opus-4-6", "http://stub", anthropic_message(FINAL_TURN, "end_turn"),
    "Customer cus-1 is on the gold tier.", "end_turn",
)
CHAT = Adapter("openai/gpt-5.2", "http://stub/v1", chat_completion({"content": "ok"}, "stop"), "ok", "stop")
GLM = Adapter(
    "openai-compatible/zai-org/GLM-4.6", "http://127.0.0.1:8000/v1", chat_completion({"content": "ok"}, "stop"),
    "ok", "stop",
)
RESPONSES = Adapter(
    "openai-responses/gpt-5.2", "http://stub/v1", responses_reply([ANSWER_ITEM]),
    "Customer cus-1 is on the gold tier.", "completed",
)


def provider_for(adapter: Adapter, stub: StubServer, sleeps: SleepRecorder, settings: dict | None = None):
    return create_provider(adapter.model, settings or {}, base_url=adapter.base_url, http_client=stub.client(),
                           sleep=sleeps)


@pytest.mark.parametrize(
    ("adapter", "status", "message", "headers", "waits"),
    [
        (ANTHROPIC, 429, "rate limited", {"retry-after": "7"}, [7.0]),
        (ANTHROPIC, 529, "Overloaded", {"retry-after-ms": "1500"}, [1.5]),
        (CHAT, 429, "Rate limit reached", {"retry-after": "2"}, [2.0]),
        (RESPONSES, 429, "slow down", {"retry-after-ms": "250"}, [0.25]),
    ],
    ids=["anthropic-429-retry-after", "anthropic-529-overloaded-retry-after-ms", "chat-429-retry-after",
         "responses-429-retry-after-ms"],
)
async def test_retryable_status_waits_the_hinted_time_then_succeeds(sleeps, adapter, status, message, headers, waits):
    stub = StubServer(error_reply(status, message, headers), adapter.final)
    async with provider_for(adapter, stub, sleeps) as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    assert sleeps.waits == waits
    assert (turn.text, turn.stop_reason) == (adapter.text, adapter.stop_reason)
    assert turn.exchange["attempts"] == 2
    assert turn.exchange["failures"][0]["status"] == status


@pytest.mark.parametrize(
    ("adapter", "status", "message", "max_retries"),
    [
        (ANTHROPIC, 500, "internal error", 2),
        (CHAT, 500, "The server had an error", 1),
        (RESPONSES, 503, "unavailable", 3),
    ],
    ids=["anthropic-500", "chat-500", "responses-503"],
)
async def test_server_error_beyond_the_retry_budget_is_fatal(sleeps, adapter, status, message, max_retries):
    attempts = max_retries + 1
    stub = StubServer(*[error_reply(status, message) for _ in range(attempts)])
    async with provider_for(adapter, stub, sleeps, {"max_retries": max_retries}) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        with pytest.raises(FatalProviderError, match=f"after {attempts} attempts") as raised:
            await conversation.next_turn()

    assert message in str(raised.value)
    assert len(stub.requests) == attempts
    assert len(sleeps.waits) == max_retries


@pytest.mark.parametrize(
    ("adapter", "message", "match"),
    [
        (ANTHROPIC, "max_tokens: 999999 > 128000, the maximum for this model", "HTTP 400: max_tokens: 999999 > 128000"),
        (CHAT, "Unsupported parameter: 'temperature'", "Unsupported parameter"),
    ],
    ids=["anthropic", "chat"],
)
async def test_bad_request_fails_at_once_with_the_providers_message(sleeps, adapter, message, match):
    stub = StubServer(error_reply(400, message))
    async with provider_for(adapter, stub, sleeps) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        with pytest.raises(FatalProviderError, match=match):
            await conversation.next_turn()

    assert sleeps.waits == []
    assert len(stub.requests) == 1


@pytest.mark.parametrize(
    ("adapter", "failure"),
    [
        (ANTHROPIC, httpx2.RemoteProtocolError("peer closed connection")),
        (GLM, httpx2.ConnectTimeout("connect timed out")),
        (GLM, httpx2.ConnectError("connection refused")),
    ],
    ids=["anthropic-dropped-connection", "compatible-connect-timeout", "compatible-connect-error"],
)
async def test_connect_timeouts_and_connection_failures_are_retried(sleeps, adapter, failure):
    stub = StubServer(failure, adapter.final)
    async with provider_for(adapter, stub, sleeps) as provider:
        turn = await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()

    assert (turn.text, turn.stop_reason) == (adapter.text, adapter.stop_reason)
    assert len(sleeps.waits) == 1
    assert turn.exchange["attempts"] == 2
    assert "connection" in turn.exchange["failures"][0]["error"]


@pytest.mark.parametrize("adapter", [ANTHROPIC, GLM], ids=["anthropic", "compatible"])
async def test_a_request_that_timed_out_waiting_for_the_answer_is_not_sent_again(sleeps, adapter):
    stub = StubServer(httpx2.ReadTimeout("read timed out"), adapter.final)
    async with provider_for(adapter, stub, sleeps) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        with pytest.raises(FatalProviderError, match=r"timed out after 600 s .*not retried.*--request-timeout"):
            await conversation.next_turn()

    assert sleeps.waits == []
    assert len(stub.requests) == 1


MALFORMED = {
    "anthropic-not-json": (ANTHROPIC, httpx2.Response(200, text="<html>gateway</html>")),
    "anthropic-no-content": (
        ANTHROPIC,
        {"id": "msg_1", "type": "message", "role": "assistant", "usage": {"input_tokens": 1, "output_tokens": 1}},
    ),
    "anthropic-tool-use-without-id": (
        ANTHROPIC, anthropic_message([{"type": "tool_use", "name": "get_customer", "input": {}}], "tool_use"),
    ),
    "chat-no-choices": (CHAT, {"id": "c", "object": "chat.completion", "choices": []}),
    "chat-content-not-text": (CHAT, chat_completion({"content": ["not", "text"]}, "stop")),
    "chat-call-without-function": (
        CHAT, chat_completion({"content": None, "tool_calls": [{"id": "c1", "type": "function"}]}, "tool_calls"),
    ),
    "chat-usage-not-a-number": (CHAT, chat_completion({"content": "x"}, "stop", usage={"prompt_tokens": "lots"})),
    "responses-no-output": (RESPONSES, {"id": "resp_1", "object": "response", "status": "completed"}),
    "responses-item-not-an-object": (RESPONSES, responses_reply(["not-an-item"])),
    "responses-call-without-call-id": (
        RESPONSES,
        responses_reply([{"type": "function_call", "id": "fc_1", "call_id": None, "name": "get_customer",
                          "arguments": '{"customer_id": "cus-1"}', "status": "completed"}]),
    ),
}


@pytest.mark.parametrize(("adapter", "reply"), list(MALFORMED.values()), ids=list(MALFORMED))
async def test_reply_that_does_not_parse_is_malformed(sleeps, adapter, reply):
    stub = StubServer(reply)
    async with provider_for(adapter, stub, sleeps) as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt="p", task=TASK)
        with pytest.raises(MalformedReplyError):
            await conversation.next_turn()
