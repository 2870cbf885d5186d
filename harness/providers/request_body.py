"""Request bodies built the way the SDKs build them, serialized once instead of every turn."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

# The SDKs' create() walks the whole request every call (openai transforms every nested dict of
# the tool schemas against its TypedDicts) and serializes it all again, which costs milliseconds
# of CPU per turn for ~50 KB of tools. RequestBody produces the same bytes as create() -- the
# SDK's key order, extra_body merged on top, the SDKs' compact UTF-8 JSON -- but serializes the
# fixed fields once per conversation and each history item once, and hands back the dict it
# sent for the transcript. tests/harness/providers pin the bytes against create()'s.


def wire_json(value: Any) -> bytes:
    """``value`` as the SDKs serialize request bodies (openapi_dumps in both)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class RequestBody:
    """One conversation's request body: fixed fields plus a growing history list.

    ``order`` is the SDK's key order (every key of create()'s body literal). ``extra`` (extra_body)
    is merged on top as that SDK does: a key already present is replaced in place, a new key goes
    last -- except with ``extra_in_place`` (the anthropic SDK, which merges before dropping unset
    parameters), where a key that is one of create()'s parameters takes that parameter's place.
    History items must not change after they have been sent (they are appended, never edited);
    an item replaced by another object is serialized again."""

    def __init__(
        self,
        fields: Mapping[str, Any],
        *,
        order: Sequence[str],
        history_key: str,
        extra: Mapping[str, Any] | None,
        extra_in_place: bool = False,
    ) -> None:
        unknown = set(fields) - set(order)
        if unknown:
            raise ValueError(f"request fields {sorted(unknown)} are missing from the wire order")
        slots = order if extra_in_place else [k for k in order if k in fields or k == history_key]
        merged: dict[str, Any] = {k: fields.get(k, _HISTORY if k == history_key else _UNSET) for k in slots}
        merged.update(extra or {})
        merged = {k: v for k, v in merged.items() if v is not _UNSET}
        self._history_key = history_key if merged.get(history_key) is _HISTORY else None
        keys = list(merged)
        split = keys.index(history_key) if self._history_key else len(keys)
        pieces = [wire_json(k) + b":" + wire_json(merged[k]) for k in keys if k != self._history_key]
        # Record the fixed fields as the server reads them (tuples become lists, and so on).
        fixed = _parse_fixed(b"{" + b",".join(pieces) + b"}") if pieces else {}
        self._head = {k: fixed[k] for k in keys[:split]}
        self._tail = {k: fixed[k] for k in keys[split + 1:]} if self._history_key else {}
        head, tail = pieces[:split], pieces[split:]
        if self._history_key:
            self._open = b"{" + b"".join(p + b"," for p in head) + wire_json(history_key) + b":["
            self._close = b"]" + b"".join(b"," + p for p in tail) + b"}"
        else:
            self._open, self._close = b"{" + b",".join(pieces) + b"}", b""
        self._sent: list[tuple[Any, bytes]] = []  # (history item, its JSON), in history order

    def fresh(self) -> RequestBody:
        """The same body with nothing sent yet, for another conversation: it shares the serialized
        fixed fields, which never change after construction."""
        body = copy.copy(self)
        body._sent = []
        return body

    def render(self, history: Sequence[Any]) -> tuple[bytes, dict[str, Any]]:
        """The bytes to send, and the request to record (equal to those bytes parsed)."""
        if self._history_key is None:
            return self._open, dict(self._head)
        sent = self._sent
        same = 0
        while same < len(sent) and same < len(history) and sent[same][0] is history[same]:
            same += 1
        del sent[same:]
        sent.extend((item, wire_json(item)) for item in history[same:])
        body = self._open + b",".join([piece for _, piece in sent]) + self._close
        return body, {**self._head, self._history_key: list(history), **self._tail}


@functools.lru_cache(maxsize=8)
def _parse_fixed(body: bytes) -> dict[str, Any]:
    """The fixed fields as the server reads them. Every conversation of a run sends the same ~50 KB
    of tools, so it is parsed once, not once per episode; the result is shared and never mutated
    (requests are recorded as new dicts around it)."""
    parsed: dict[str, Any] = json.loads(body)
    return parsed


_HISTORY = object()  # where the history goes among the fields
_UNSET = object()  # a parameter slot nothing fills
