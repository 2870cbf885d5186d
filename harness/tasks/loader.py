"""Loading task and rubric files, reporting every problem at once.

Layout: ``<root>/tasks/<split>/<task id>.json`` (a Task) and ``<root>/rubrics/<split>/<task id>.json``
(its Rubric). A malformed file, a task without a rubric (or the reverse), a file whose name or
directory disagrees with its content, and a task id used twice are all errors; they are gathered
over every file and raised together as one ``TaskFilesError`` whose message names each path and
field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import TaskFormatError
from harness.tasks.models import Rubric, Task

SPLITS = ("train", "heldout")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class TaskFileProblem:
    path: str
    field: str  # pydantic location joined with '.', or '' for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}" if self.field else f"{self.path}: {self.message}"


class TaskFilesError(TaskFormatError):
    """One or more task or rubric files are malformed; ``problems`` lists every one."""

    def __init__(self, problems: list[TaskFileProblem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in task files:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class TaskWithRubric:
    task: Task
    rubric: Rubric


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def parse_file(path: Path, model: type[M], shown_as: str) -> tuple[M | None, list[TaskFileProblem]]:
    """Parse one JSON file into ``model``; every validation error becomes a problem."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [TaskFileProblem(shown_as, "", f"cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, [TaskFileProblem(shown_as, "", f"not UTF-8 text: {exc.reason}")]
    except json.JSONDecodeError as exc:
        return None, [TaskFileProblem(shown_as, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = [
            TaskFileProblem(shown_as, ".".join(str(part) for part in error["loc"]), _error_text(error))
            for error in exc.errors(include_url=False)
        ]
        return None, problems


def _error_text(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] in ("missing", "extra_forbidden"):
        return message
    value = error.get("input")
    shown = json.dumps(value, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{message} (got {shown})"


def _split_dirs(base: Path, split: str | None) -> list[Path]:
    if split is not None:
        return [base / split]
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir())


def _scan(
    root: Path, split: str | None
) -> tuple[dict[str, Task], dict[str, Rubric], list[TaskFileProblem]]:
    problems: list[TaskFileProblem] = []
    if split is not None and split not in SPLITS:
        problems.append(TaskFileProblem(str(root / "tasks" / split), "", f"unknown split; expected one of {', '.join(SPLITS)}"))
        return {}, {}, problems
    tasks: dict[str, Task] = {}
    task_paths: dict[str, str] = {}
    rubrics: dict[str, Rubric] = {}
    rubric_splits: dict[str, tuple[str, str]] = {}
    for directory in _split_dirs(root / "tasks", split):
        for path in sorted(directory.glob("*.json")):
            shown = _display(path, root)
            task, found = parse_file(path, Task, shown)
            problems.extend(found)
            if task is None:
                continue
            if task.id != path.stem:
                problems.append(TaskFileProblem(shown, "id", f"id {task.id!r} differs from the file name {path.stem!r}"))
            if task.split != directory.name:
                problems.append(TaskFileProblem(shown, "split", f"split {task.split!r} differs from the directory {directory.name!r}"))
            if task.id in tasks:
                problems.append(TaskFileProblem(shown, "id", f"duplicate task id {task.id!r} (also in {task_paths[task.id]})"))
                continue
            tasks[task.id], task_paths[task.id] = task, shown
    for directory in _split_dirs(root / "rubrics", split):
        for path in sorted(directory.glob("*.json")):
            shown = _display(path, root)
            rubric, found = parse_file(path, Rubric, shown)
            problems.extend(found)
            if rubric is None:
                continue
            if rubric.task_id != path.stem:
                problems.append(TaskFileProblem(shown, "task_id", f"task_id {rubric.task_id!r} differs from the file name {path.stem!r}"))
            if rubric.task_id in rubrics:
                problems.append(TaskFileProblem(shown, "task_id", f"duplicate rubric for task {rubric.task_id!r} (also in {rubric_splits[rubric.task_id][1]})"))
                continue
            rubrics[rubric.task_id] = rubric
            rubric_splits[rubric.task_id] = (directory.name, shown)
    problems.extend(_pairing_problems(tasks, task_paths, rubrics, rubric_splits, root))
    return tasks, rubrics, problems


def _pairing_problems(
    tasks: dict[str, Task],
    task_paths: dict[str, str],
    rubrics: dict[str, Rubric],
    rubric_splits: dict[str, tuple[str, str]],
    root: Path,
) -> Iterable[TaskFileProblem]:
    for task_id, task in tasks.items():
        if task_id not in rubrics:
            expected_path = root / "rubrics" / task.split / f"{task_id}.json"
            if expected_path.exists():
                continue  # it exists but did not parse: that problem is reported already
            expected = _display(expected_path, root)
            yield TaskFileProblem(task_paths[task_id], "", f"task has no rubric (expected {expected})")
        elif rubric_splits[task_id][0] != task.split:
            yield TaskFileProblem(rubric_splits[task_id][1], "", f"rubric is in split {rubric_splits[task_id][0]!r} but its task is in {task.split!r}")
    for task_id, (split_name, shown) in rubric_splits.items():
        if task_id not in tasks:
            # a task file that exists but did not parse is reported already
            if not (root / "tasks" / split_name / f"{task_id}.json").exists():
                yield TaskFileProblem(shown, "", f"rubric has no task (expected tasks/{split_name}/{task_id}.json)")


def load_suite(
    root: str | Path = ".", split: str | None = None, ids: Iterable[str] | None = None
) -> list[TaskWithRubric]:
    """Every task with its rubric, ordered by split then id. Raises TaskFilesError listing every
    problem in the split(s) read, and for ``ids`` that match no task."""
    base = Path(root)
    tasks, rubrics, problems = _scan(base, split)
    selected = sorted(tasks.values(), key=lambda t: (t.split, t.id))
    if ids is not None:
        wanted = list(dict.fromkeys(ids))
        unknown = [i for i in wanted if i not in tasks]
        problems.extend(TaskFileProblem(str(base / "tasks"), "", f"no task with id {i!r}") for i in unknown)
        chosen = set(wanted)
        selected = [t for t in selected if t.id in chosen]
    if problems:
        raise TaskFilesError(problems)
    return [TaskWithRubric(task=t, rubric=rubrics[t.id]) for t in selected]


def load_tasks(root: str | Path = ".", split: str | None = None, ids: Iterable[str] | None = None) -> list[Task]:
    """The tasks (checked together with their rubrics), ordered by split then id."""
    return [pair.task for pair in load_suite(root, split, ids)]


def load_rubric(root: str | Path, task: Task | str) -> Rubric:
    """The rubric of one task (by Task, whose split is used, or by id, searching every split)."""
    base = Path(root)
    task_id = task if isinstance(task, str) else task.id
    splits = [task.split] if isinstance(task, Task) else list(SPLITS)
    for split in splits:
        path = base / "rubrics" / split / f"{task_id}.json"
        if path.exists():
            rubric, problems = parse_file(path, Rubric, _display(path, base))
            if rubric is not None and rubric.task_id != task_id:
                problems.append(TaskFileProblem(_display(path, base), "task_id", f"task_id {rubric.task_id!r} differs from the file name"))
            if problems or rubric is None:
                raise TaskFilesError(problems)
            return rubric
    where = f"rubrics/{splits[0]}/" if len(splits) == 1 else "rubrics/<split>/"
    raise TaskFilesError([TaskFileProblem(str(base / where), "", f"no rubric for task {task_id!r} ({task_id}.json)")])
