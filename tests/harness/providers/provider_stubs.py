"""A scripted HTTP stub for the real SDKs (via httpx2.MockTransport), plus reply builders for
each wire format. Tests never touch the network."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2

from harness.providers.base import ToolSchema
from harness.tasks.models import ReferenceCall, ReferenceSolution, Task

ANTHROPIC_TEST_KEY = "sk-ant-test-secret-key"
OPENAI_TEST_KEY = "sk-openai-test-secret-key"

Reply = dict[str, Any] | httpx2.Response | Exception | Callable[[dict[str, Any]], Any]

TOOLS = [
    ToolSchema(
        name="get_customer",
        description="Look up one customer by id.",
        input_schema={"type": "object", "properties": {"customer_id": {"type": "string"}}, "required": ["customer_id"]},
    ),
    ToolSchema(name="list_orders", description="List a customer's orders.", input_schema={"type": "object"}),
]

TASK = Task(
    id="ir-customer-tier",
    split="train",
    category="information_retrieval",
    difficulty="easy",
    requester="employee",
    requester_id="emp-1",
    prompt="Which tier is customer cus-1 on?",
    reference=ReferenceSolution(
        calls=[
            ReferenceCall(tool="get_customer", arguments={"customer_id": "cus-1"}),
            ReferenceCall(tool="list_orders", arguments={"customer_id": "cus-1", "limit": 5}),
        ],
        reply="Customer cus-1 is on the gold tier.",
    ),
)


class StubServer:
    """Answers each request with the next scripted reply and records what the SDK sent."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append(
            {"path": request.url.path, "headers": dict(request.headers), "body": body, "raw": request.content}
        )
        if not self.replies:
            return httpx2.Response(418, json={"error": {"message": "the stub has no reply left"}})
        reply = self.replies.pop(0)
        if callable(reply) and not isinstance(reply, httpx2.Response):
            reply = reply(body)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx2.Response):
            return reply
        return httpx2.Response(200, json=reply)

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self))

    def body(self, index: int) -> dict[str, Any]:
        return self.requests[index]["body"]


class SleepRecorder:
    """Stands in for asyncio.sleep between retries: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


# A final assistant turn (text, no tool calls) in the anthropic and Responses formats.
FINAL_TURN = [{"type": "text", "text": "Customer cus-1 is on the gold tier."}]
ANSWER_ITEM = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Customer cus-1 is on the gold tier.", "annotations": []}],
}


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    body = {"type": "error", "error": {"type": "api_error", "message": message}}
    return httpx2.Response(status, headers=headers, json=body)


def anthropic_message(
    content: list[dict[str, Any]], stop_reason: str, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4-6",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage or {"input_tokens": 10, "output_tokens": 5},
    }


def chat_completion(message: dict[str, Any], finish_reason: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-5.2",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}],
        "usage": usage or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def responses_reply(output: list[dict[str, Any]], usage: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "model": "gpt-5.2",
        "status": "completed",
        "output": output,
        "usage": usage or {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
        **extra,
    }
