"""Which episodes a run holds open on a shared server, kept on disk so a killed run can close them.

An HTTP run appends a line when the server issues it an episode and another when that episode is
closed. A run killed with kill -9 leaves lines without their close; the next run in the same
directory closes those episodes first (they would otherwise hold server memory until they idle
out). The file holds episode keys, so it is created readable by its owner only.

Each line is one small ``os.write`` to a file opened with ``O_APPEND``, so concurrent episodes
never interleave and a kill leaves at most one torn last line, which the reader skips.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

JOURNAL_FILE = "open-episodes.jsonl"


@dataclass(frozen=True)
class OpenEpisode:
    server: str
    episode_id: str
    key: str


class EpisodeJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def opened(self, server: str, episode_id: str, key: str) -> None:
        self._append({"open": episode_id, "server": server, "key": key})

    def closed(self, episode_id: str) -> None:
        self._append({"closed": episode_id})

    def leftovers(self) -> list[OpenEpisode]:
        """Episodes opened and never closed, in the order they were opened."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        still_open: dict[str, OpenEpisode] = {}
        for raw in lines:
            try:
                entry = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                continue  # a torn line from a kill mid-write
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("open"), str) and isinstance(entry.get("key"), str):
                still_open[entry["open"]] = OpenEpisode(str(entry.get("server", "")), entry["open"], entry["key"])
            elif isinstance(entry.get("closed"), str):
                still_open.pop(entry["closed"], None)
        return list(still_open.values())

    def rewrite(self, still_open: list[OpenEpisode]) -> None:
        """Replace the journal with just these episodes (after closing the others)."""
        with self._lock:
            if not still_open:
                self.path.unlink(missing_ok=True)
                return
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for entry in still_open:
                    handle.write(json.dumps({"open": entry.episode_id, "server": entry.server, "key": entry.key}) + "\n")
            os.replace(tmp, self.path)

    def _append(self, entry: dict[str, str]) -> None:
        line = (json.dumps(entry) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
