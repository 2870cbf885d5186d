"""OpenAI Chat Completions adapters, through the openai 3.x SDK.

``openai/<model>`` talks to OpenAI; ``openai-compatible/<model>`` talks to any server speaking the
same wire format at ``--base-url`` (vLLM or SGLang serving GLM, for instance).

- Tools go out as functions with ``strict: False`` (MCP schemas do not meet strict mode's rules).
- Tool-call arguments arrive as JSON strings; ones that do not parse (or are not an object) become
  a ToolCall with ``argument_error`` set, which the loop returns to the model as a tool error.
  An empty string counts as no arguments.
- Reasoning text from vLLM/SGLang arrives in an untyped ``reasoning_content`` or ``reasoning`` field
  of the message. It is sent back on the assistant message under the same key(s), unchanged:
  GLM's chat template needs it to render earlier turns. ``content`` may be null and stays null.
- On ``openai-compatible`` only, arguments that were not a JSON object are sent back wrapped as
  ``{"invalid_json": "<the raw text>"}``: vLLM and SGLang ``json.loads`` the arguments of earlier
  assistant turns while rendering the chat template and answer 500 when that fails, which would
  end the episode. OpenAI gets the raw text back unchanged.
- Settings: max_tokens -> ``max_completion_tokens`` (OpenAI) or ``max_tokens`` (compatible servers,
  which all take it); temperature, top_p, reasoning_effort, seed and extra_body pass through
  (extra_body keys land at the top level of the request, e.g. ``chat_template_kwargs``).
- Tool calls written as text (servers started without a tool parser, small models): on
  ``openai-compatible`` the ``tool_call_parser`` setting (``auto`` by default, ``none`` to turn it
  off, or one format of ``text_tool_calls.FORMATS``) reads them from a reply that has no structured
  ``tool_calls``; structured calls always win. A parsed call is a normal ToolCall marked with its
  format and raw text; the history gets the reply back as a structured assistant message (the
  prose left as content, the calls as ``tool_calls``), so the server's chat template renders the
  calls in the model's own format next turn and the tool results can answer them by id.
- Usage: prompt_tokens (includes cached), completion_tokens (includes reasoning),
  prompt_tokens_details.cached_tokens / cache_write_tokens, completion_tokens_details.reasoning_tokens;
  servers that omit the details count 0.
"""

from __future__ import annotations

import json
from typing import Any

import openai
from openai._constants import RAW_RESPONSE_HEADER

from harness.errors import MalformedReplyError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.providers.common import (
    HttpConversation,
    HttpProvider,
    Sdk,
    SdkErrors,
    count,
    need,
    parse_arguments,
)
from harness.providers.request_body import RequestBody
from harness.providers.settings import ModelSettings
from harness.providers.text_tool_calls import parse_text_tool_calls
from harness.tasks.models import Task
from harness.transcript import Usage

OPENAI_ERRORS = SdkErrors(
    status=openai.APIStatusError, connection=openai.APIConnectionError, timeout=openai.APITimeoutError
)
REASONING_KEYS = ("reasoning_content", "reasoning")  # GLM via SGLang / older vLLM, then current vLLM
# The keys of openai's chat.completions.create() body, in its order.
CHAT_WIRE_ORDER = tuple(
    "model stream service_tier messages audio frequency_penalty function_call functions logit_bias logprobs "
    "max_completion_tokens max_tokens metadata modalities moderation n parallel_tool_calls prediction "
    "presence_penalty prompt_cache_key prompt_cache_options prompt_cache_retention reasoning_effort "
    "response_format safety_identifier seed stop store stream_options temperature tool_choice tools "
    "top_logprobs top_p user verbosity web_search_options".split()
)
_THINKING_HINT = (
    "thinking_budget is Anthropic's; use reasoning_effort, or for vLLM/SGLang "
    "extra_body={'chat_template_kwargs': {...}}"
)


# What create() adds to the POST besides the body: the raw-response marker (it asks for the
# unparsed reply, as with_raw_response does) and bearer-token authentication.
def post_options() -> Any:
    """A fresh dict per call: the SDK keeps a reference to it in its request options."""
    return {"headers": {RAW_RESPONSE_HEADER: "true"}, "security": {"bearer_auth": True}}


OPENAI_SDK = Sdk(client=openai.AsyncOpenAI, errors=OPENAI_ERRORS, post_options=post_options,
                 http_client=openai.DefaultAsyncHttpxClient)


class OpenAIChatProvider(HttpProvider):
    prefix = "openai"
    sdk = OPENAI_SDK
    path = "/chat/completions"
    supported_settings = ("temperature", "top_p", "reasoning_effort", "seed", "extra_body")
    setting_hints = {"thinking_budget": _THINKING_HINT}
    compatible_server = False

    @property
    def text_tool_call_parser(self) -> str:
        """How this provider reads tool calls written as text ('none': it does not)."""
        return "none"

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> ChatConversation:
        return ChatConversation(self, system=system, tools=tools, prompt=prompt)

    def fixed_request_fields(self) -> dict[str, Any]:
        settings = self.model_settings
        token_cap = "max_tokens" if self.compatible_server else "max_completion_tokens"
        fields: dict[str, Any] = {"model": self.name, token_cap: settings.max_tokens}
        for name in ("temperature", "top_p", "reasoning_effort", "seed"):
            if getattr(settings, name) is not None:
                fields[name] = getattr(settings, name)
        if settings.extra_body:
            fields["extra_body"] = dict(settings.extra_body)
        return fields


class OpenAICompatibleProvider(OpenAIChatProvider):
    prefix = "openai-compatible"
    supported_settings = (*OpenAIChatProvider.supported_settings, "tool_call_parser")
    compatible_server = True

    def __init__(self, name: str, settings: ModelSettings, **kwargs: Any) -> None:
        super().__init__(name, settings, **kwargs)
        # The manifest records the parser in force, so runs before and after a default change differ.
        self.settings["tool_call_parser"] = self.text_tool_call_parser

    @property
    def text_tool_call_parser(self) -> str:
        return self.model_settings.tool_call_parser or "auto"


class ChatConversation(HttpConversation):
    _provider: OpenAIChatProvider

    def __init__(self, provider: OpenAIChatProvider, *, system: str, tools: list[ToolSchema], prompt: str) -> None:
        messages: list[dict[str, Any]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        body = provider.conversation_body(tools, None, lambda: _request_body(provider, tools))
        super().__init__(provider, body, messages)
        self._tools = tools
        self._text_calls = 0  # numbers the ids of calls parsed from text, unique in the conversation

    def _take_reply(self, response: dict[str, Any]) -> ModelTurn:
        turn, assistant = read_reply(response, sanitize_arguments=self._provider.compatible_server)
        parser = self._provider.text_tool_call_parser
        if not turn.tool_calls and parser != "none":
            assistant = self._read_text_calls(turn, assistant, parser)
        self._history.append(assistant)
        return turn

    def _read_text_calls(self, turn: ModelTurn, assistant: dict[str, Any], parser: str) -> dict[str, Any]:
        """Turn the calls written in the reply's text into tool calls (``turn`` keeps the raw text)."""
        found = parse_text_tool_calls(assistant.get("content") or "", parser, self._tools)
        if found is None:
            return assistant
        echoed = []
        for call in found.calls:
            self._text_calls += 1
            call_id = f"text_call_{self._text_calls}"
            turn.tool_calls.append(ToolCall(id=call_id, name=call.name, arguments=call.arguments,
                                            argument_error=call.argument_error, parsed_from=found.format,
                                            raw_text=call.raw))
            # Unreadable arguments go back as an object: servers json.loads earlier turns' arguments.
            sent = json.dumps({"invalid_json": call.raw} if call.argument_error else call.arguments, ensure_ascii=False)
            echoed.append({"id": call_id, "type": "function", "function": {"name": call.name, "arguments": sent}})
        return {**assistant, "content": found.text or None, "tool_calls": echoed}

    def _result_items(self, results: list[ToolResult]) -> list[dict[str, Any]]:
        return [{"role": "tool", "tool_call_id": r.call_id, "content": r.text} for r in results]


def _request_body(provider: OpenAIChatProvider, tools: list[ToolSchema]) -> RequestBody:
    fixed = provider.fixed_request_fields()
    extra = fixed.pop("extra_body", None)
    if tools:
        fixed["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.input_schema,
                    "strict": False,
                },
            }
            for t in tools
        ]
    return RequestBody(fixed, order=CHAT_WIRE_ORDER, history_key="messages", extra=extra)


def read_reply(body: dict[str, Any], *, sanitize_arguments: bool) -> tuple[ModelTurn, dict[str, Any]]:
    """The provider-neutral turn, and the assistant message to keep in the history."""
    where = "chat completion"
    choices = need(body, "choices", list, where=where)
    if not choices or not isinstance(choices[0], dict):
        raise MalformedReplyError(f"{where}: no choices in the reply")
    message = need(choices[0], "message", dict, where=where)
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise MalformedReplyError(f"{where}: message content is neither text nor null: {content!r:.200}")
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise MalformedReplyError(f"{where}: tool_calls is not a list")

    calls: list[ToolCall] = []
    echoed_calls: list[dict[str, Any]] = []
    for raw in raw_calls:
        if not isinstance(raw, dict):
            raise MalformedReplyError(f"{where}: tool call is not an object: {raw!r:.200}")
        function = need(raw, "function", dict, where=where)
        call_id = need(raw, "id", str, where=where)
        name = need(function, "name", str, where=where)
        raw_arguments = function.get("arguments")
        arguments, problem = parse_arguments(raw_arguments)
        calls.append(ToolCall(id=call_id, name=name, arguments=arguments, argument_error=problem))
        sent_back = raw_arguments if isinstance(raw_arguments, str) else json.dumps(raw_arguments or {})
        if problem and sanitize_arguments:
            sent_back = json.dumps({"invalid_json": sent_back})
        echoed_calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": sent_back}})

    assistant: dict[str, Any] = {"role": "assistant", "content": content}
    if echoed_calls:
        assistant["tool_calls"] = echoed_calls
    reasoning: str | None = None
    for key in REASONING_KEYS:
        value = message.get(key)
        if isinstance(value, str):
            assistant[key] = value  # exactly as received, under the key it came in
            reasoning = reasoning or value or None

    refusal = message.get("refusal")
    text = content if content is not None else (refusal if isinstance(refusal, str) else "")
    usage = body.get("usage") or {}
    turn = ModelTurn(
        text=text,
        tool_calls=calls,
        usage=Usage(
            input_tokens=count(usage, "prompt_tokens"),
            output_tokens=count(usage, "completion_tokens"),
            cache_read_tokens=count(usage, "prompt_tokens_details", "cached_tokens"),
            cache_write_tokens=count(usage, "prompt_tokens_details", "cache_write_tokens"),
            reasoning_tokens=count(usage, "completion_tokens_details", "reasoning_tokens"),
        ),
        stop_reason=str(choices[0].get("finish_reason") or "unknown"),
        reasoning=reasoning,
    )
    return turn, assistant
