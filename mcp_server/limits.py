"""What one episode may cost the server, and how the audit log records what it cut.

Every limit here is deterministic (it depends only on the calls, never on time or load), so a
replay of an episode's calls meets exactly the refusals the episode met: verified grading can
reproduce them.

- A call whose arguments serialize to more than ``MAX_ARGUMENT_CHARS`` is refused before the
  tool runs. Its audit entry keeps a digest of the arguments, not the arguments.
- A result longer than ``MAX_AUDIT_RESULT_CHARS`` is kept in the audit as a digest.
- An episode may make ``MAX_EPISODE_CALLS`` calls and keep ``MAX_EPISODE_AUDIT_CHARS`` characters
  of audit; calls beyond either are refused without running, so its memory stays bounded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

MAX_ARGUMENT_CHARS = 64 * 1024
MAX_AUDIT_RESULT_CHARS = 256 * 1024
MAX_EPISODE_CALLS = 2_000
MAX_EPISODE_AUDIT_CHARS = 16 * 1024 * 1024
OMITTED_KEY = "_omitted"  # {"_omitted": {"chars": n, "sha256": hex, "head": first 200 characters}}
HEAD_CHARS = 200


def canonical_text(value: Any) -> str:
    """The one serialization used for sizes and digests: strings as they are, anything else as
    compact JSON with sorted keys."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# The same encoder as canonical_text's, less the key sorting: the order of keys never changes the
# length, and sorting every object's keys is about a quarter of the cost of measuring a result.
_SIZE_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_size(value: Any) -> int:
    """``len(canonical_text(value))``, measured without sorting keys. Equal for every JSON value
    (string keys), which is all the audit measures: arguments and results as they crossed the wire."""
    if isinstance(value, str):
        return len(value)
    return len(_SIZE_ENCODER.encode(value))


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_text(value).encode("utf-8", "surrogatepass")).hexdigest()


def omitted(value: Any) -> dict[str, Any]:
    """What the audit keeps instead of a value too large to keep."""
    text = canonical_text(value)
    return {OMITTED_KEY: {"chars": len(text), "sha256": digest(text), "head": text[:HEAD_CHARS]}}


def is_omitted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {OMITTED_KEY} and isinstance(value[OMITTED_KEY], dict)


def oversized_arguments_message(tool: str, chars: int) -> str:
    return (
        f"Error executing tool {tool}: the arguments are {chars:,} characters long; the limit is "
        f"{MAX_ARGUMENT_CHARS:,}. Send shorter arguments."
    )


def call_budget_message(calls: int) -> str:
    return (
        f"This episode has made {calls:,} tool calls, the most one episode may make; no further call runs. "
        "Give your final reply."
    )


def audit_budget_message(chars: int) -> str:
    return (
        f"This episode's audit log holds {chars:,} characters, the most one episode may keep; no further call "
        "runs. Give your final reply."
    )
