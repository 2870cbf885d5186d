"""The run manifest (DIR/manifest.json): what a run's results depend on, hashed.

Its identity (model and settings, episode limits, world data, tool schemas and whether their
descriptions were sent compact, system prompt, tasks and rubrics) decides whether a directory may
be resumed: any difference is refused, because mixing episodes from two configurations in one
transcript file would make the results meaningless. The run's shape (trials, concurrency, connection, budget) may change between resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mcp.types import Tool
from pydantic import BaseModel, Field

from harness.errors import ManifestMismatchError
from harness.runner.transcripts import TRANSCRIPTS_FILE
from harness.tasks.models import Rubric, Task

MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1
IDENTITY_FIELDS = (
    "model", "settings", "limits", "split", "world_hash", "tools_hash", "system_prompt_hash", "tasks", "rubrics",
    "tool_descriptions",
)
# Identity fields added later, left out of the identity hash at their default so that the runs
# recorded before them keep their hash (transcripts and grades carry it).
_LATER_DEFAULTS: dict[str, Any] = {"tool_descriptions": "full"}


def digest(value: Any) -> str:
    """A short, stable hash of any JSON-able value (canonical JSON: sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def tools_digest(tools: list[Tool]) -> str:
    schemas = sorted((t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools), key=lambda t: t["name"])
    return digest(schemas)


def task_digest(task: Task) -> str:
    return digest(task.model_dump(mode="json"))


def rubric_digests(rubrics_dir: Path, task_ids: set[str]) -> dict[str, str]:
    """Hash of each rubric file for the selected tasks, keyed by task id. A file that does not
    parse is hashed under its file name, so editing it still changes the manifest."""
    hashes: dict[str, str] = {}
    for path in sorted(rubrics_dir.glob("*.json")) if rubrics_dir.is_dir() else []:
        raw = path.read_bytes()
        try:
            task_id = Rubric.model_validate_json(raw).task_id
        except ValueError:
            task_id = path.name
        if task_id in task_ids or task_id == path.name:
            hashes[task_id] = hashlib.sha256(raw).hexdigest()[:16]
    return hashes


class Manifest(BaseModel):
    version: int = MANIFEST_VERSION
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    # identity: a resume must match all of these
    model: str
    settings: dict[str, Any]
    limits: dict[str, Any]
    split: str
    world_hash: str
    tools_hash: str
    system_prompt_hash: str
    tasks: dict[str, str] = Field(description="task id -> hash of the task")
    rubrics: dict[str, str] = Field(description="task id -> hash of its rubric file")
    tool_descriptions: str = Field(
        "full", description="'full' (as the server lists them) or 'compact' (--compact-tools) tool descriptions sent"
    )
    # shape: free to change between resumes
    trials: int
    concurrency: int
    connection: str
    base_url: str | None = None
    server_url: str | None = None
    max_cost_usd: float | None = None
    price_table: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in IDENTITY_FIELDS
                if not (name in _LATER_DEFAULTS and getattr(self, name) == _LATER_DEFAULTS[name])}

    def identity_hash(self) -> str:
        return digest(self.identity())


def environment_facts() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    facts = {"python": platform.python_version()}
    for package in ("corecraft", "mcp", "anthropic", "openai"):
        try:
            facts[package] = version(package)
        except PackageNotFoundError:
            continue
    return facts


def differences(old: Manifest, new: Manifest) -> list[str]:
    """Human-readable identity differences between two manifests (empty when they match)."""
    found: list[str] = []
    for name in IDENTITY_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            changed = [f"{k} ({before[k]!r} -> {after[k]!r})" for k in sorted(before.keys() & after.keys()) if before[k] != after[k]]
            gone, added = sorted(before.keys() - after.keys()), sorted(after.keys() - before.keys())
            parts = [f"changed {_few(changed)}" if changed else "", f"removed {_few(gone)}" if gone else "",
                     f"added {_few(added)}" if added else ""]
            found.append(f"{name}: " + "; ".join(p for p in parts if p))
        else:
            found.append(f"{name}: {before!r} -> {after!r}")
    return found


def _few(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


def load_manifest(out_dir: Path) -> Manifest | None:
    path = out_dir / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise ManifestMismatchError(f"{path} exists but is not a CoreCraft run manifest ({exc})") from exc


def write_manifest(out_dir: Path, manifest: Manifest) -> None:
    """Atomically (temp file + rename), so a crash never leaves half a manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".manifest.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp makes it private; a manifest is meant to be read by anyone
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(manifest.model_dump_json(indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, out_dir / MANIFEST_FILE)


def reconcile(out_dir: Path, manifest: Manifest) -> Manifest:
    """Check a resumed directory against the new manifest and save it. Raises
    ``ManifestMismatchError`` naming every difference."""
    existing = load_manifest(out_dir)
    transcripts = out_dir / TRANSCRIPTS_FILE
    if existing is None and transcripts.exists() and transcripts.stat().st_size:
        raise ManifestMismatchError(
            f"{out_dir} holds transcripts but no {MANIFEST_FILE}, so nothing says how they were made; "
            "use a new --out directory"
        )
    if existing is not None:
        found = differences(existing, manifest)
        if found:
            raise ManifestMismatchError(
                f"{out_dir} holds a run with a different configuration, so it cannot be resumed:\n  "
                + "\n  ".join(found)
                + "\nUse a new --out directory for this configuration (or restore the original one)."
            )
        manifest = manifest.model_copy(update={"created_at": existing.created_at})
    write_manifest(out_dir, manifest)
    return manifest
