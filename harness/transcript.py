"""The transcript record: one JSON line per finished episode, enough to grade it again later.

It holds the normalized conversation, each provider exchange as sent and received, the tool calls
with results and timings, usage and cost, why the episode stopped, and the episode's row-level
changes to the world (which rebuild its final state from the template).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_server.episodes import RowChange

TRANSCRIPT_VERSION = 1

# completed: the model replied without a tool call. max_turns / timeout: a cap was hit (graded as
# the model's result). error: an infrastructure failure (provider or connection), never graded.
EpisodeStatus = Literal["completed", "max_turns", "timeout", "error"]


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in Usage.model_fields})


class ToolCallRecord(BaseModel):
    call_id: str
    name: str
    arguments: dict[str, Any]
    result: str = Field(description="The text the model saw")
    is_error: bool
    duration_ms: float
    turn: int
    # Set when the model wrote the call as text and the harness read it (the format's name and the
    # text as written); None for calls the provider sent as structured tool calls.
    parsed_from: str | None = None
    raw_text: str | None = None


class Message(BaseModel):
    """A provider-neutral message. Assistant messages may carry tool calls and reasoning."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)  # {id, name, arguments}
    tool_call_id: str | None = None
    is_error: bool | None = None
    reasoning: str | None = None


class WorldOutcome(BaseModel):
    content_hash: str
    clock: str
    changes: list[RowChange]


class EpisodeRecord(BaseModel):
    version: int = TRANSCRIPT_VERSION
    key: str = Field(description="'<task id>#<trial>', unique within a run")
    episode_id: str = Field(default="", description="The server-side episode id of this attempt")
    task_id: str
    trial: int
    model: str
    settings: dict[str, Any] = Field(default_factory=dict)
    manifest_hash: str = ""
    status: EpisodeStatus
    stop_reason: str
    error: str | None = None
    messages: list[Message] = Field(default_factory=list)
    exchanges: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Raw provider requests and responses; requests after the first are stored as deltas (expand_requests)",
    )
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    final_reply: str | None = None
    turns: int = 0
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    duration_s: float = 0.0
    started_at: str = ""
    world: WorldOutcome | None = None


# --- exchanges: each request stored as a delta against the previous one ---------------------
# A provider request re-sends the tool schemas and the whole conversation every turn, so stored
# verbatim the exchanges of an episode grow with the square of its turns (tens of MB for a long
# one). The agent loop stores each request after the first as the keys that changed, plus
# ``request_delta``: the keys that are unchanged and the lists that only grew (their new tail).
# ``expand_requests`` rebuilds every request exactly as it was sent.

REQUEST_DELTA_KEY = "request_delta"


def compact_exchange(previous_request: Any, exchange: dict[str, Any]) -> dict[str, Any]:
    """``exchange`` with its request stored against ``previous_request`` (the full one)."""
    request = exchange.get("request")
    if not isinstance(previous_request, dict) or not isinstance(request, dict):
        return exchange
    kept: dict[str, Any] = {}
    unchanged: list[str] = []
    appended: dict[str, list[Any]] = {}
    for key, value in request.items():
        before = previous_request.get(key)
        if isinstance(value, (list, dict)) and value and value == before:
            unchanged.append(key)
        elif isinstance(value, list) and isinstance(before, list) and before and value[: len(before)] == before:
            appended[key] = value[len(before):]
        else:
            kept[key] = value
    if not unchanged and not appended:
        return exchange
    return {**exchange, "request": kept, REQUEST_DELTA_KEY: {"unchanged": unchanged, "appended": appended}}


def expand_requests(exchanges: list[dict[str, Any]]) -> list[Any]:
    """Every exchange's request as it was sent (the inverse of ``compact_exchange``)."""
    requests: list[Any] = []
    previous: Any = None
    for exchange in exchanges:
        request = exchange.get("request")
        delta = exchange.get(REQUEST_DELTA_KEY)
        if isinstance(delta, dict) and isinstance(previous, dict) and isinstance(request, dict):
            request = dict(request)
            for key in delta.get("unchanged", []):
                request[key] = previous[key]
            for key, tail in delta.get("appended", {}).items():
                request[key] = [*previous[key], *tail]
        requests.append(request)
        previous = request
    return requests
