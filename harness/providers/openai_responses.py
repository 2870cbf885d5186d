"""OpenAI Responses API adapter (``openai-responses/<model>``), through the openai 3.x SDK.

- The system prompt goes in ``instructions``; the conversation is a list of input items. Every
  output item (reasoning, message, function_call) is carried forward as received, nulls dropped.
- Nothing is stored server-side (``store=False``), so reasoning survives between turns only as
  ``encrypted_content``, requested with ``include=["reasoning.encrypted_content"]``.
- Tools go out as ``{"type": "function", name, description, parameters, "strict": False}``;
  results return as ``function_call_output`` items (the API has no error flag: the text says it).
- Settings: max_tokens -> ``max_output_tokens``; reasoning_effort -> ``reasoning.effort``;
  temperature, top_p and extra_body pass through. The Responses API has no seed.
- Usage: input_tokens (includes cached), output_tokens (includes reasoning),
  input_tokens_details.cached_tokens / cache_write_tokens, output_tokens_details.reasoning_tokens.
"""

from __future__ import annotations

from typing import Any

from harness.errors import FatalProviderError, MalformedReplyError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.providers.common import (
    HttpConversation,
    HttpProvider,
    count,
    need,
    parse_arguments,
    without_nulls,
)
from harness.providers.request_body import RequestBody
from harness.providers.openai_chat import OPENAI_SDK
from harness.tasks.models import Task
from harness.transcript import Usage

# The keys of openai's responses.create() body, in its order.
RESPONSES_WIRE_ORDER = tuple(
    "model stream service_tier access_programs background background_options context_management "
    "conversation image include input instructions max_output_tokens max_tool_calls metadata moderation "
    "parallel_tool_calls previous_response_id prompt prompt_cache_key prompt_cache_options "
    "prompt_cache_retention reasoning safety_identifier store stream_options temperature text tool_choice "
    "tools top_logprobs top_p truncation user".split()
)


class OpenAIResponsesProvider(HttpProvider):
    prefix = "openai-responses"
    sdk = OPENAI_SDK
    path = "/responses"
    supported_settings = ("temperature", "top_p", "reasoning_effort", "extra_body")
    setting_hints = {
        "seed": "the Responses API has no seed (openai/<model>, i.e. Chat Completions, has one)",
        "thinking_budget": "thinking_budget is Anthropic's; use reasoning_effort",
    }

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> ResponsesConversation:
        return ResponsesConversation(self, system=system, tools=tools, prompt=prompt)

    def fixed_request_fields(self) -> dict[str, Any]:
        settings = self.model_settings
        fields: dict[str, Any] = {
            "model": self.name,
            "max_output_tokens": settings.max_tokens,
            "store": False,
            "include": ["reasoning.encrypted_content"],
        }
        if settings.temperature is not None:
            fields["temperature"] = settings.temperature
        if settings.top_p is not None:
            fields["top_p"] = settings.top_p
        if settings.reasoning_effort is not None:
            fields["reasoning"] = {"effort": settings.reasoning_effort}
        if settings.extra_body:
            fields["extra_body"] = dict(settings.extra_body)
        return fields


class ResponsesConversation(HttpConversation):
    def __init__(self, provider: OpenAIResponsesProvider, *, system: str, tools: list[ToolSchema], prompt: str) -> None:
        items: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        body = provider.conversation_body(tools, system, lambda: _request_body(provider, system, tools))
        super().__init__(provider, body, items)

    def _take_reply(self, response: dict[str, Any]) -> ModelTurn:
        turn, carried = read_reply(response)
        self._history.extend(carried)
        return turn

    def _result_items(self, results: list[ToolResult]) -> list[dict[str, Any]]:
        return [{"type": "function_call_output", "call_id": r.call_id, "output": r.text} for r in results]


def _request_body(provider: OpenAIResponsesProvider, system: str, tools: list[ToolSchema]) -> RequestBody:
    fixed = provider.fixed_request_fields()
    extra = fixed.pop("extra_body", None)
    if system:
        fixed["instructions"] = system
    if tools:
        fixed["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
                "strict": False,
            }
            for t in tools
        ]
    return RequestBody(fixed, order=RESPONSES_WIRE_ORDER, history_key="input", extra=extra)


def read_reply(body: dict[str, Any]) -> tuple[ModelTurn, list[dict[str, Any]]]:
    """The provider-neutral turn, and the output items to carry into the next request."""
    where = "responses reply"
    status = body.get("status")
    if status == "failed":
        raise FatalProviderError(f"openai-responses: the response failed: {body.get('error')!r:.500}")
    output = need(body, "output", list, where=where)
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCall] = []
    carried: list[dict[str, Any]] = []
    refused = False
    for item in output:
        if not isinstance(item, dict):
            raise MalformedReplyError(f"{where}: output item is not an object: {item!r:.200}")
        kind = need(item, "type", str, where=f"{where} output item")
        if kind == "message":
            for part in need(item, "content", list, where=where):
                if isinstance(part, dict) and part.get("type") == "output_text":
                    texts.append(need(part, "text", str, where=where))
                elif isinstance(part, dict) and part.get("type") == "refusal":
                    texts.append(need(part, "refusal", str, where=where))
                    refused = True
        elif kind == "function_call":
            arguments, problem = parse_arguments(item.get("arguments"))
            calls.append(
                ToolCall(
                    id=need(item, "call_id", str, where=where),
                    name=need(item, "name", str, where=where),
                    arguments=arguments,
                    argument_error=problem,
                )
            )
        elif kind == "reasoning":
            for part in (item.get("summary") or []) + (item.get("content") or []):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    thoughts.append(part["text"])
        carried.append(without_nulls(item))

    usage = body.get("usage") or {}
    if status == "incomplete":
        details = body.get("incomplete_details") or {}
        stop_reason = str(details.get("reason") or "incomplete") if isinstance(details, dict) else "incomplete"
    elif refused:
        stop_reason = "refusal"
    else:
        stop_reason = "tool_calls" if calls else str(status or "completed")
    turn = ModelTurn(
        text="\n\n".join(texts),
        tool_calls=calls,
        usage=Usage(
            input_tokens=count(usage, "input_tokens"),
            output_tokens=count(usage, "output_tokens"),
            cache_read_tokens=count(usage, "input_tokens_details", "cached_tokens"),
            cache_write_tokens=count(usage, "input_tokens_details", "cache_write_tokens"),
            reasoning_tokens=count(usage, "output_tokens_details", "reasoning_tokens"),
        ),
        stop_reason=stop_reason,
        reasoning="\n\n".join(thoughts) if thoughts else None,
    )
    return turn, carried
