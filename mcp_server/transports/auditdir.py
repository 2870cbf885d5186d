"""Writes each finished episode's export (audit log and row changes) as a JSON file, so that any
MCP client's session can be graded after the fact."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import anyio

from mcp_server.episodes import EpisodeExport

REPEAT_MARK = "~"  # between an id and the number of its repeat: outside the id alphabet


class AuditDirectory:
    """An ``on_close`` hook for the episode registry: one ``<episode id>.json`` per ended episode.

    Episode ids are validated by the registry (``[A-Za-z0-9][A-Za-z0-9._-]*``: no separators, no
    leading dot), so they are safe file names. An id used again after its episode ended gets
    ``<id>~2.json``, ``<id>~3.json``... rather than overwriting the earlier record. No id contains
    ``~``, so a numbered name can never be another episode's own name (``dup.2`` is an id too).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, export: EpisodeExport) -> Path:
        """Write the export under a name no earlier file holds; returns the path."""
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{export.episode_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(export.model_dump(mode="json"), handle, ensure_ascii=False, indent=1)
            number = 1
            while True:
                suffix = "" if number == 1 else f"{REPEAT_MARK}{number}"
                path = self.directory / f"{export.episode_id}{suffix}.json"
                try:
                    os.link(tmp, path)  # atomic and exclusive: never replaces an earlier record
                    return path
                except FileExistsError:
                    number += 1
        finally:
            Path(tmp).unlink(missing_ok=True)

    async def __call__(self, export: EpisodeExport) -> None:
        await anyio.to_thread.run_sync(self.write, export)
