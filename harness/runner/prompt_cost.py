"""What the system prompt and the tool schemas cost in tokens, every turn, for `run --dry-run`.

Every turn re-sends the policy and all the tool schemas, so on small hardware they decide how long
a turn takes before the model writes a word. Counted with the tokenizer of the model in use when
the server offers one (``POST /tokenize``: llama.cpp's ``llama-server`` and vLLM both do), else
estimated at characters / 4. The schemas are counted as the request carries them (the ``tools``
JSON); a chat template lays them out a little differently, so a count is close, not exact.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx2

from harness.providers.base import ToolSchema
from harness.providers.tool_descriptions import TOOL_DESCRIPTION_CHOICES, ToolDescriptions, describe_tools

CHARS_PER_TOKEN = 4
TOKENIZE_TIMEOUT_S = 10.0
Counter = Callable[[str], Awaitable[int]]


@dataclass(frozen=True)
class PromptCost:
    method: str  # how the tokens were counted, in words
    system_tokens: int  # the system prompt (the policy at the task's date), largest over the tasks
    tool_tokens: dict[str, int]  # tool descriptions mode -> tokens of the tools as sent
    tools_sent: ToolDescriptions  # the mode this run would send
    tool_count: int

    @property
    def per_turn(self) -> int:
        return self.system_tokens + self.tool_tokens[self.tools_sent]

    def render(self) -> list[str]:
        full, compact = self.tool_tokens["full"], self.tool_tokens["compact"]
        saved = f", {100 * (full - compact) / full:.0f} % less" if full else ""
        return [
            f"Prompt cost per turn ({self.method}):",
            f"  system prompt (policy):  {self.system_tokens:,} tokens",
            f"  tool schemas ({self.tool_count} tools): {full:,} tokens with full descriptions, "
            f"{compact:,} with --compact-tools{saved}",
            f"  sent every turn:         {self.per_turn:,} tokens ({self.tools_sent} descriptions), "
            "before the task and the conversation so far",
        ]


def tools_json(tools: Sequence[ToolSchema]) -> str:
    """The tools as a Chat Completions request carries them."""
    return json.dumps([{"type": "function", "function": {"name": t.name, "description": t.description,
                                                         "parameters": t.input_schema}} for t in tools])


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def server_root(base_url: str) -> str:
    """``http://host:8080/v1`` -> ``http://host:8080``: /tokenize sits beside /v1, not under it."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def server_tokenizer(client: httpx2.AsyncClient, base_url: str, model: str) -> Counter:
    """A counter that asks the server's ``/tokenize`` (llama.cpp reads ``content``, vLLM ``prompt``)."""
    url = server_root(base_url) + "/tokenize"

    async def count(text: str) -> int:
        response = await client.post(url, json={"model": model, "prompt": text, "content": text,
                                                "add_special_tokens": False})
        response.raise_for_status()
        body = response.json()
        if isinstance(body.get("count"), int):
            return int(body["count"])
        tokens = body.get("tokens")
        if not isinstance(tokens, list):
            raise ValueError(f"/tokenize answered without tokens: {str(body)[:200]}")
        return len(tokens)

    return count


async def measure_prompt_cost(
    system_prompts: Sequence[str], tools: Sequence[ToolSchema], tools_sent: ToolDescriptions, *,
    model: str, base_url: str | None = None, transport: httpx2.AsyncBaseTransport | None = None,
) -> PromptCost:
    """Count with the server's tokenizer when ``base_url`` has one, else estimate."""
    texts = {"system": max(system_prompts, key=len) if system_prompts else ""}
    texts.update({mode: tools_json(describe_tools(list(tools), mode)) for mode in TOOL_DESCRIPTION_CHOICES})
    if base_url is not None:
        try:
            async with httpx2.AsyncClient(timeout=TOKENIZE_TIMEOUT_S, transport=transport) as client:
                count = server_tokenizer(client, base_url, model)
                counts = {key: await count(text) for key, text in texts.items()}
            return _cost(counts, f"tokenizer of {model} at {server_root(base_url)}/tokenize", tools_sent, len(tools))
        except (httpx2.HTTPError, ValueError, AttributeError) as exc:
            method = (f"estimated at characters / {CHARS_PER_TOKEN}: the server's /tokenize did not answer "
                      f"({type(exc).__name__})")
    else:
        method = f"estimated at characters / {CHARS_PER_TOKEN}: no tokenizer for this model here"
    counts = {key: estimate_tokens(text) for key, text in texts.items()}
    return _cost(counts, method, tools_sent, len(tools))


def _cost(counts: dict[str, int], method: str, tools_sent: ToolDescriptions, tool_count: int) -> PromptCost:
    return PromptCost(method=method, system_tokens=counts["system"],
                      tool_tokens={mode: counts[mode] for mode in TOOL_DESCRIPTION_CHOICES},
                      tools_sent=tools_sent, tool_count=tool_count)
