"""What the viewer shows, read from run directories: runs, their episodes (a transcript joined
with its grade) and every warning met on the way.

Record files are read only through harness.grading.records, so that the viewer skips and reports
damaged lines exactly as `grade` and `report` do; each damage warning is kept for the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.grading.records import GRADES_FILE, TRANSCRIPTS_FILE, grades_file, records_file
from harness.grading.results import EpisodeGrade
from harness.runner.manifest import MANIFEST_FILE
from harness.transcript import EpisodeRecord

# What an episode came to. "not graded" means grades.jsonl has no line for it (yet).
OUTCOMES = ("passed", "failed", "ungraded", "unverified", "error", "not graded")


class ViewError(HarnessError):
    """A run directory the viewer cannot show at all."""


@dataclass
class Episode:
    run: int  # the index of its run
    anchor: str  # the HTML id of its page: "r<run>e<index>"
    key: str
    task_id: str
    trial: int
    record: EpisodeRecord | None
    grade: EpisodeGrade | None

    @property
    def outcome(self) -> str:
        if self.grade is None:
            return "error" if self.record is not None and self.record.status == "error" else "not graded"
        if self.grade.status == "graded":
            return "passed" if self.grade.passed else "failed"
        return self.grade.status

    @property
    def category(self) -> str:
        return (self.grade.category if self.grade else None) or "unknown"

    @property
    def difficulty(self) -> str:
        return (self.grade.difficulty if self.grade else None) or "unknown"

    @property
    def tools(self) -> list[str]:
        return sorted({call.name for call in self.record.tool_calls}) if self.record else []

    @property
    def tool_calls(self) -> int:
        return len(self.record.tool_calls) if self.record else 0

    @property
    def turns(self) -> int:
        return self.record.turns if self.record else 0

    @property
    def cost(self) -> float:
        return self.record.cost_usd if self.record else 0.0


@dataclass
class Run:
    index: int
    path: Path
    label: str  # unique among the runs shown together
    manifest: dict[str, Any] | None
    episodes: list[Episode]
    warnings: list[str] = field(default_factory=list)

    @property
    def grades(self) -> list[EpisodeGrade]:
        return [e.grade for e in self.episodes if e.grade is not None]

    @property
    def records(self) -> list[EpisodeRecord]:
        return [e.record for e in self.episodes if e.record is not None]

    @property
    def models(self) -> list[str]:
        return sorted({e.record.model for e in self.episodes if e.record} | {g.model for g in self.grades})


def _manifest(path: Path, warnings: list[str]) -> dict[str, Any] | None:
    file = path / MANIFEST_FILE
    if not file.exists():
        warnings.append(f"{file} is missing: the run's configuration is unknown")
        return None
    try:
        loaded = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        warnings.append(f"{file} cannot be read ({exc}): the run's configuration is unknown")
        return None
    if not isinstance(loaded, dict):
        warnings.append(f"{file} is not a JSON object: the run's configuration is unknown")
        return None
    return loaded


def load_run(path: Path, index: int = 0, label: str | None = None) -> Run:
    """Everything the viewer shows of the run in ``path``; raises ViewError when there is nothing."""
    if not path.is_dir():
        raise ViewError(f"{path} is not a directory: give a run directory (the --out of `corecraft run`)")
    transcripts, grades = path / TRANSCRIPTS_FILE, path / GRADES_FILE
    if not transcripts.exists() and not grades.exists():
        raise ViewError(f"{path} holds neither {TRANSCRIPTS_FILE} nor {GRADES_FILE}: is it a run directory?")
    warnings: list[str] = []
    manifest = _manifest(path, warnings)
    records: dict[str, EpisodeRecord] = {}
    graded: dict[str, EpisodeGrade] = {}
    if transcripts.exists():
        loaded = records_file(transcripts)
        records = {r.key: r for r in loaded.records}
        warnings += [w for w in [loaded.report.warning()] if w]
    else:
        warnings.append(f"{transcripts} is missing: episodes show their grades only")
    if grades.exists():
        loaded_grades = grades_file(grades)
        graded = {g.key: g for g in loaded_grades.records}
        warnings += [w for w in [loaded_grades.report.warning()] if w]
    else:
        warnings.append(f"{grades} is missing: nothing is graded yet (run `corecraft grade {path} --judge MODEL|none`)")
    ungraded_records = sum(1 for key in records if key not in graded)
    if graded and ungraded_records:
        warnings.append(f"{ungraded_records} transcript(s) have no grade: grade the run again to include them")
    keys = sorted(records.keys() | graded.keys(), key=lambda k: _order(records.get(k), graded.get(k), k))
    episodes = []
    for number, key in enumerate(keys):
        record, grade = records.get(key), graded.get(key)
        source = record or grade
        assert source is not None
        episodes.append(Episode(index, f"r{index}e{number}", key, source.task_id, source.trial, record, grade))
    return Run(index, path, label or path.resolve().name, manifest, episodes, warnings)


def _order(record: EpisodeRecord | None, grade: EpisodeGrade | None, key: str) -> tuple[str, int, str]:
    source = record or grade
    return (source.task_id, source.trial, key) if source else ("", 0, key)


def load_runs(paths: list[Path]) -> list[Run]:
    """The runs in ``paths``, labelled by directory name (numbered where two names are the same)."""
    names = [path.resolve().name for path in paths]
    labels = [name if names.count(name) == 1 else f"{name} ({names[:i + 1].count(name)})" for i, name in enumerate(names)]
    try:
        return [load_run(path, i, labels[i]) for i, path in enumerate(paths)]
    except HarnessError as exc:
        if isinstance(exc, ViewError):
            raise
        raise ViewError(str(exc)) from exc
