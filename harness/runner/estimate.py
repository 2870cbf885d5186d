"""`--dry-run`: what a run would cost, from the prompt and tool schema sizes, before spending anything.

The estimate is deliberately simple and states every assumption: the system prompt and the tool
schemas are counted by the model's tokenizer when the server offers one (see prompt_cost.py),
everything else is characters / 4; an episode takes 1.5x the reference solution's turns (models explore more than the expert); each
turn re-sends the whole conversation with no prompt caching, so the estimate leans high.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from mcp.types import Tool

from harness.agent import system_prompt
from harness.pricing import PriceTable
from harness.runner.prompt_cost import PromptCost
from harness.tasks.models import Task
from harness.transcript import Usage

CHARS_PER_TOKEN = 4
TURN_FACTOR = 1.5
MIN_TURNS = 2
OUTPUT_TOKENS_PER_TURN = 400
REASONING_OUTPUT_TOKENS_PER_TURN = 1500  # when reasoning effort or a thinking budget is set
TOOL_RESULT_TOKENS = 600


@dataclass
class CostEstimate:
    episodes: int
    turns: int
    input_tokens: int
    output_tokens: int
    usd: float
    priced: bool
    assumptions: list[str] = field(default_factory=list)
    prompt: PromptCost | None = None

    def render(self, model: str) -> str:
        cost = f"${self.usd:,.2f}" if self.priced else "unknown (no price for this model; add it with --price-table)"
        lines = [
            f"Dry run for {model}: {self.episodes} episodes, nothing was run and nothing was spent.",
            f"  estimated turns:         {self.turns:,} ({self.turns / max(self.episodes, 1):.1f} per episode)",
            f"  estimated input tokens:  {self.input_tokens:,}",
            f"  estimated output tokens: {self.output_tokens:,}",
            f"  estimated cost:          {cost}",
            *(self.prompt.render() if self.prompt is not None else []),
            "Assumptions:",
            *[f"  - {a}" for a in self.assumptions],
        ]
        return "\n".join(lines)


def _tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_cost(
    tasks: list[Task], trials: int, tools: list[Tool], model: str, prices: PriceTable, *, reasoning: bool = False,
    prompt: PromptCost | None = None,
) -> CostEstimate:
    """``prompt``: the measured cost of the system prompt and tools per turn, used instead of the
    character estimate of those two."""
    if prompt is None:
        schema_text = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])
        tool_tokens = _tokens(schema_text)
    else:
        tool_tokens = prompt.tool_tokens[prompt.tools_sent]
    output_per_turn = REASONING_OUTPUT_TOKENS_PER_TURN if reasoning else OUTPUT_TOKENS_PER_TURN
    growth = output_per_turn + TOOL_RESULT_TOKENS
    turns = input_tokens = output_tokens = 0
    usd = 0.0
    for task in tasks:
        system = prompt.system_tokens if prompt is not None else _tokens(system_prompt(task))
        base = system + tool_tokens + _tokens(task.prompt)
        task_turns = max(MIN_TURNS, math.ceil(TURN_FACTOR * (len(task.reference.calls) + 1)))
        # Turn t re-sends the base prompt plus t earlier (reply + tool result) pairs.
        task_input = task_turns * base + growth * task_turns * (task_turns - 1) // 2
        task_output = task_turns * output_per_turn
        usd += trials * prices.cost_of(model, Usage(input_tokens=task_input, output_tokens=task_output))
        turns += trials * task_turns
        input_tokens += trials * task_input
        output_tokens += trials * task_output
    counted = (f"system prompt and tool schemas: {prompt.method}; other text: characters / {CHARS_PER_TOKEN}"
               if prompt is not None else f"tokens = characters / {CHARS_PER_TOKEN}")
    assumptions = [
        f"{counted}; tool schemas: {len(tools)} tools, about {tool_tokens:,} tokens, sent every turn",
        f"turns per episode = {TURN_FACTOR}x (reference tool calls + 1), at least {MIN_TURNS}",
        f"{output_per_turn} output tokens per turn"
        + (" (reasoning is on)" if reasoning else f" ({REASONING_OUTPUT_TOKENS_PER_TURN} when reasoning is on)"),
        f"{TOOL_RESULT_TOKENS} tokens per tool result; one tool call per turn",
        "every turn re-sends the whole conversation and nothing is read from a prompt cache (an upper-leaning estimate)",
    ]
    return CostEstimate(
        episodes=len(tasks) * trials, turns=turns, input_tokens=input_tokens, output_tokens=output_tokens,
        usd=usd, priced=prices.price_of(model) is not None, assumptions=assumptions, prompt=prompt,
    )
