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
    exchanges: list[dict[str, Any]] = Field(default_factory=list, description="Raw provider requests and responses")
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    final_reply: str | None = None
    turns: int = 0
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    duration_s: float = 0.0
    started_at: str = ""
    world: WorldOutcome | None = None
