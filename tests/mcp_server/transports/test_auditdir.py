"""The audit directory: one file per ended episode, never two episodes under one name."""

from __future__ import annotations

import json
from pathlib import Path

from mcp_server.episodes import EPISODE_ID_PATTERN, EpisodeExport
from mcp_server.transports.auditdir import REPEAT_MARK, AuditDirectory


def export(episode_id: str, clock: str) -> EpisodeExport:
    return EpisodeExport(episode_id=episode_id, content_hash="h", clock=clock, audit=[], changes=[])


def test_an_id_reused_after_its_episode_ended_never_takes_the_name_of_another_episode(tmp_path: Path) -> None:
    audit = AuditDirectory(tmp_path)
    first, dotted, again, third = (audit.write(export(i, c)) for i, c in
                                   (("dup", "first"), ("dup.2", "dotted"), ("dup", "again"), ("dup", "third")))
    assert [p.name for p in (first, dotted, again, third)] == ["dup.json", "dup.2.json", "dup~2.json", "dup~3.json"]
    clocks = {p.name: json.loads(p.read_text(encoding="utf-8"))["clock"] for p in tmp_path.iterdir()}
    assert clocks == {"dup.json": "first", "dup.2.json": "dotted", "dup~2.json": "again", "dup~3.json": "third"}


def test_the_repeat_mark_cannot_appear_in_an_episode_id() -> None:
    assert not EPISODE_ID_PATTERN.fullmatch(f"dup{REPEAT_MARK}2")
    assert EPISODE_ID_PATTERN.fullmatch("dup.2")


def test_a_repeat_of_a_dotted_id_gets_its_own_numbered_name(tmp_path: Path) -> None:
    audit = AuditDirectory(tmp_path)
    names = [audit.write(export(i, "c")).name for i in ("dup.2", "dup", "dup.2", "dup")]
    assert names == ["dup.2.json", "dup.json", "dup.2~2.json", "dup~2.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temporary file is left behind


def test_an_episode_named_like_a_repeat_keeps_its_own_name(tmp_path: Path) -> None:
    audit = AuditDirectory(tmp_path)
    assert [audit.write(export(i, "c")).name for i in ("dup", "dup", "dup.2")] == ["dup.json", "dup~2.json", "dup.2.json"]
