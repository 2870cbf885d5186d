"""Anthropic Messages API adapter (``anthropic/<model>``), through the anthropic 2.x SDK.

- Tools go out as ``{name, description, input_schema}``; ``tool_use`` blocks come back as ToolCalls
  and results return as ``tool_result`` blocks with ``is_error``.
- The assistant's content blocks are sent back as received (nulls dropped), so ``thinking`` blocks
  keep their ``signature`` and ``redacted_thinking`` blocks their ``data``: the API requires both
  back unchanged when tools and thinking are combined.
- Prompt caching: one breakpoint on the system prompt (tools + system, shared by every episode of a
  run) and one moving breakpoint on the newest message (the episode so far). Two of the four allowed.
- Settings: ``thinking_budget`` -> ``thinking`` (an int is ``{"type": "enabled", "budget_tokens": N}``,
  ``"adaptive"`` is ``{"type": "adaptive"}``; the SDK deprecates budgets for claude-opus-4-6 and
  warns, so use ``"adaptive"`` there); ``reasoning_effort`` -> ``output_config.effort``
  (low|medium|high|xhigh|max). The anthropic 2.x SDK has no ``temperature``, ``top_p`` or ``seed``
  keyword, so those are refused; an endpoint that still takes temperature can get it via
  ``extra_body``.
- Usage: ``input_tokens`` here counts ALL input, i.e. the API's input_tokens plus
  cache_creation_input_tokens plus cache_read_input_tokens (the harness-wide convention, see
  harness/pricing.py); ``reasoning_tokens`` is output_tokens_details.thinking_tokens when reported.
"""

from __future__ import annotations

import warnings
from typing import Any

import anthropic
from anthropic._constants import RAW_RESPONSE_HEADER
from anthropic._data import DEPRECATED_MODELS, MODELS_TO_WARN_WITH_THINKING_ENABLED

from harness.errors import ConfigurationError, MalformedReplyError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.providers.common import (
    INPUT_NOT_AN_OBJECT_PREFIX,
    HttpConversation,
    HttpProvider,
    Sdk,
    SdkErrors,
    count,
    need,
    without_nulls,
)
from harness.providers.request_body import RequestBody
from harness.providers.settings import ModelSettings
from harness.tasks.models import Task
from harness.transcript import Usage

ANTHROPIC_ERRORS = SdkErrors(
    status=anthropic.APIStatusError, connection=anthropic.APIConnectionError, timeout=anthropic.APITimeoutError
)
CACHE_BREAKPOINT = {"type": "ephemeral"}
EFFORTS = ("low", "medium", "high", "xhigh", "max")
# The keys of anthropic's messages.create() body, in its order.
MESSAGES_WIRE_ORDER = tuple(
    "max_tokens messages model cache_control container diagnostics inference_geo metadata output_config "
    "service_tier speed stop_sequences stream system thinking tool_choice tools".split()
)
_NO_SAMPLING = (
    "the anthropic 2.x SDK (API version 2026-10-21) has no such parameter; if your endpoint still "
    "accepts it, pass it through extra_body"
)


# What with_raw_response.create() adds to the POST besides the body: its raw-response marker
# (with cast_to=httpx2.Response the SDK then returns the httpx2 response itself).
def post_options() -> Any:
    """A fresh dict per call: the SDK keeps a reference to it in its request options."""
    return {"headers": {RAW_RESPONSE_HEADER: "raw"}}


ANTHROPIC_SDK = Sdk(client=anthropic.AsyncAnthropic, errors=ANTHROPIC_ERRORS, post_options=post_options,
                    http_client=anthropic.DefaultAsyncHttpxClient)


class AnthropicProvider(HttpProvider):
    prefix = "anthropic"
    sdk = ANTHROPIC_SDK
    path = "/v1/messages"
    supported_settings = ("reasoning_effort", "thinking_budget", "extra_body")
    setting_hints = {"temperature": _NO_SAMPLING, "top_p": _NO_SAMPLING, "seed": "the Messages API has no seed"}

    def check_settings(self, settings: ModelSettings) -> None:
        if settings.reasoning_effort is not None and settings.reasoning_effort not in EFFORTS:
            raise ConfigurationError(
                f"anthropic reasoning_effort must be one of {', '.join(EFFORTS)}, not {settings.reasoning_effort!r}"
            )
        budget = settings.thinking_budget
        if isinstance(budget, int) and budget >= settings.max_tokens:
            raise ConfigurationError(
                f"thinking_budget ({budget}) must be below max_tokens ({settings.max_tokens}): "
                "thinking tokens count toward max_tokens"
            )

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> AnthropicConversation:
        return AnthropicConversation(self, system=system, tools=tools, prompt=prompt)

    def fixed_request_fields(self) -> dict[str, Any]:
        settings = self.model_settings
        fields: dict[str, Any] = {"model": self.name, "max_tokens": settings.max_tokens}
        if isinstance(settings.thinking_budget, int):
            fields["thinking"] = {"type": "enabled", "budget_tokens": settings.thinking_budget}
        elif settings.thinking_budget == "adaptive":
            fields["thinking"] = {"type": "adaptive"}
        if settings.reasoning_effort is not None:
            fields["output_config"] = {"effort": settings.reasoning_effort}
        if settings.extra_body:
            fields["extra_body"] = dict(settings.extra_body)
        return fields

    def warn_like_the_sdk(self) -> None:
        """The warnings messages.create() gives for this model and settings, which send() bypasses."""
        if self.name in DEPRECATED_MODELS:
            warnings.warn(
                f"The model '{self.name}' is deprecated and will reach end-of-life on {DEPRECATED_MODELS[self.name]}.",
                DeprecationWarning,
                stacklevel=4,
            )
        if self.name in MODELS_TO_WARN_WITH_THINKING_ENABLED and isinstance(self.model_settings.thinking_budget, int):
            warnings.warn(
                f"Using Claude with {self.name} and 'thinking.type=enabled' is deprecated; use thinking_budget='adaptive'",
                UserWarning,
                stacklevel=4,
            )


class AnthropicConversation(HttpConversation):
    def __init__(self, provider: AnthropicProvider, *, system: str, tools: list[ToolSchema], prompt: str) -> None:
        # Block form from the start, so every request renders the cached prefix identically.
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
        body = provider.conversation_body(tools, system, lambda: _request_body(provider, system, tools))
        super().__init__(provider, body, messages)

    def _take_reply(self, response: dict[str, Any]) -> ModelTurn:
        turn, echo = read_reply(response)
        if echo:
            self._history.append({"role": "assistant", "content": echo})
        return turn

    def _result_items(self, results: list[ToolResult]) -> list[dict[str, Any]]:
        if not results:
            return []
        blocks: list[dict[str, Any]] = []
        for result in results:
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": result.call_id, "is_error": result.is_error}
            if result.text:  # empty content is optional on the wire; an empty string may be refused
                block["content"] = result.text
            blocks.append(block)
        return [{"role": "user", "content": blocks}]

    def _history_to_send(self) -> list[dict[str, Any]]:
        """The history, with a cache breakpoint on the last block of the newest message only
        (the stored history stays unmarked, so breakpoints never pile up past the limit of 4)."""
        messages = list(self._history)
        last = messages[-1]
        if last["content"]:  # copies of the message, its block list and its last block only
            *earlier, newest = last["content"]
            messages[-1] = {**last, "content": [*earlier, {**newest, "cache_control": CACHE_BREAKPOINT}]}
        return messages


def _request_body(provider: AnthropicProvider, system: str, tools: list[ToolSchema]) -> RequestBody:
    fixed = provider.fixed_request_fields()
    extra = fixed.pop("extra_body", None)
    tool_defs = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]
    if system:
        fixed["system"] = [{"type": "text", "text": system, "cache_control": CACHE_BREAKPOINT}]
    elif tool_defs:
        tool_defs[-1]["cache_control"] = CACHE_BREAKPOINT
    if tool_defs:
        fixed["tools"] = tool_defs
    return RequestBody(fixed, order=MESSAGES_WIRE_ORDER, history_key="messages", extra=extra, extra_in_place=True)


def read_reply(body: dict[str, Any]) -> tuple[ModelTurn, list[dict[str, Any]]]:
    """The provider-neutral turn, and the content blocks to send back in the assistant message."""
    where = "anthropic reply"
    content = need(body, "content", list, where=where)
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCall] = []
    echo: list[dict[str, Any]] = []
    for block in content:
        if not isinstance(block, dict):
            raise MalformedReplyError(f"{where}: content block is not an object: {block!r:.200}")
        kind = need(block, "type", str, where=f"{where} content block")
        if kind == "text":
            texts.append(need(block, "text", str, where=where))
        elif kind == "tool_use":
            arguments = block.get("input")
            calls.append(
                ToolCall(
                    id=need(block, "id", str, where=where),
                    name=need(block, "name", str, where=where),
                    arguments=arguments if isinstance(arguments, dict) else {},
                    argument_error=None if isinstance(arguments, dict) else
                    f"{INPUT_NOT_AN_OBJECT_PREFIX}{type(arguments).__name__}",
                )
            )
        elif kind == "thinking":
            thoughts.append(need(block, "thinking", str, where=where))
            need(block, "signature", str, where=where)
        elif kind == "redacted_thinking":
            need(block, "data", str, where=where)
            thoughts.append("[redacted thinking]")
        echo.append(without_nulls(block))
    usage = need(body, "usage", dict, where=where)
    turn = ModelTurn(
        text="\n\n".join(texts),
        tool_calls=calls,
        usage=Usage(
            input_tokens=count(usage, "input_tokens")
            + count(usage, "cache_creation_input_tokens")
            + count(usage, "cache_read_input_tokens"),
            output_tokens=count(usage, "output_tokens"),
            cache_read_tokens=count(usage, "cache_read_input_tokens"),
            cache_write_tokens=count(usage, "cache_creation_input_tokens"),
            reasoning_tokens=count(usage, "output_tokens_details", "thinking_tokens"),
        ),
        stop_reason=str(body.get("stop_reason") or "unknown"),
        reasoning="\n\n".join(thoughts) if thoughts else None,
    )
    return turn, echo
