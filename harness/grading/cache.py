"""On-disk cache of judge replies, keyed by a sha256 of everything the judge saw.

An entry is written only for a reply that parsed into a complete set of verdicts, so a re-grade
reproduces exactly the verdicts it had (and makes no provider call), while a transcript left
ungraded by a malformed reply is tried again. Entries keep the raw reply; the verdicts are parsed
from it again on every read, so a damaged entry can never pass a criterion.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mcp_server.world.store import cache_dir

CACHE_VERSION = 1
log = logging.getLogger("corecraft.grading")


def default_cache_dir() -> Path:
    return cache_dir() / "judge"


def endpoint_id(base_url: str | None) -> str:
    """The judge's endpoint as it goes into the cache key: the same model name served elsewhere
    (another vLLM host, a proxy) may answer differently, so its verdicts must not be shared.
    Spellings of one URL agree (case of scheme and host, default port, trailing slashes); user
    info is dropped, so a credential in the URL never decides the key."""
    if base_url is None or not base_url.strip():
        return "default"  # the provider's own API
    raw = base_url.strip()
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:  # not a URL we can take apart: use it as written
        return raw
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    path = re.sub("/{2,}", "/", parts.path).rstrip("/")
    return urlunsplit((scheme, host, path, parts.query, ""))


def judge_key(payload: dict[str, Any]) -> str:
    """sha256 of a canonical JSON form (sorted keys, no spacing) of what the judge sees."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class JudgeCache:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("version") != CACHE_VERSION or entry.get("key") != key:
            return None
        if not isinstance(entry.get("reply"), str):
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        data = json.dumps({"version": CACHE_VERSION, "key": key, **entry}, indent=2, sort_keys=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=key[:8], suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as exc:  # an unwritable cache only costs a judge call next time
            log.warning("cannot write judge cache entry %s: %s", path, exc)
