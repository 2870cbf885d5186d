"""A cache of the tool list (tools/list as wire JSON), so that `corecraft tools` need not import the
MCP SDK and every tool module (most of a second) when nothing they are made of has changed.

The cache file keeps, beside the list, what the list was built from: the SHA-256 of every module of
this repository loaded at the time (the tool modules, the server, the records...), the size and
modification time of every library module loaded (pydantic, the MCP SDK...: a reinstall rewrites
them), and the Python version. A hit needs every one of them unchanged; anything else (an edited
tool, an upgraded library, a damaged or missing file) rebuilds the list and rewrites the file.
Building the list reads no file but modules, so modules are all it depends on. The file lives
beside the world template cache (``CORECRAFT_CACHE_DIR``, else ``~/.cache/corecraft``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_NAME = "tools-list.json"
FORMAT = 1  # bump when the file's layout changes
REPO_ROOT = Path(__file__).resolve().parents[2]
_LIBRARY_DIRS = ("site-packages", "dist-packages")

Tools = list[dict[str, Any]]


def cached_tools(build: Callable[[], Tools], cache_file: Path | None = None) -> Tools:
    """The tool list from the cache when it is still what ``build`` would return, else ``build()``
    (which is then cached for next time)."""
    path = cache_file or default_cache_file()
    entry = _read(path)
    if entry is not None and is_current(entry["built_from"]):
        return list(entry["tools"])
    tools = build()
    _write(path, {"format": FORMAT, "built_from": fingerprint(), "tools": tools})
    return tools


def default_cache_file() -> Path:
    from mcp_server.world.store import cache_dir

    return cache_dir() / CACHE_NAME


def fingerprint() -> dict[str, Any]:
    """What the modules loaded now are made of: repository modules by content, libraries by size
    and modification time; the standard library goes with the Python version."""
    ours: dict[str, str] = {}
    libraries: dict[str, list[int]] = {}
    for path in _module_files():
        if any(part in _LIBRARY_DIRS for part in path.parts):
            stat = path.stat()
            libraries[str(path)] = [stat.st_size, stat.st_mtime_ns]
        elif path.is_relative_to(REPO_ROOT):
            ours[str(path)] = _sha256(path)
    return {"python": sys.version, "ours": ours, "libraries": libraries}


def is_current(built_from: dict[str, Any]) -> bool:
    """Whether every file the list was built from is still as it was."""
    try:
        if built_from["python"] != sys.version:
            return False
        for name, digest in built_from["ours"].items():
            if _sha256(Path(name)) != digest:
                return False
        for name, (size, mtime_ns) in built_from["libraries"].items():
            stat = os.stat(name)
            if stat.st_size != size or stat.st_mtime_ns != mtime_ns:
                return False
    except (OSError, KeyError, TypeError, ValueError):  # a file gone, or a record not as written
        return False
    return True


def _module_files() -> list[Path]:
    files = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str) and os.path.isfile(name):
            files.add(Path(name).resolve())
    return sorted(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path) -> dict[str, Any] | None:
    """The cache entry, or None when it is missing, unreadable or not in this format."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    valid = (
        isinstance(entry, dict) and entry.get("format") == FORMAT and isinstance(entry.get("built_from"), dict)
        and isinstance(entry.get("tools"), list) and all(isinstance(tool, dict) for tool in entry["tools"])
    )
    return entry if valid else None


def _write(path: Path, entry: dict[str, Any]) -> None:
    """Write atomically (a reader sees the old file or the new one); an unwritable cache only costs
    a rebuild next time."""
    try:
        text = json.dumps(entry, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON (a future SDK field?): leave it uncached
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        pass
