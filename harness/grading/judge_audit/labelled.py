"""The labelled set a judge is audited against: replies whose verdict on one judge criterion is known.

Positives (``met=True``) are read from the task files each time, so a paraphrase added to a task's
``reference.alternatives`` joins the audit without touching this module: the reference reply and
every alternative, for every judge criterion of the task. Negatives (``met=False``) are the
hand-written replies in ``rubrics/judge-audit/negatives.jsonl``, one JSON object per line
(``task_id``, ``criterion_id``, ``reply``, ``why``), plus whatever the caller passes as
``extra_negatives`` (adversary replies, say). Every item is checked against the rubrics: a line
that names an unknown task, an unknown criterion or one the judge does not grade is an error
naming the file and line, because a typo there would silently shrink the audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import TaskFormatError
from harness.tasks.loader import TaskWithRubric, load_suite
from harness.tasks.models import JudgeCheck

AUDIT_SPLIT = "heldout"
NEGATIVES_FILE = Path("rubrics") / "judge-audit" / "negatives.jsonl"


class LabelledSetError(TaskFormatError):
    """The labelled set is malformed; ``problems`` lists every one (``where: what``)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in the judge-audit labelled set:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class LabelledReply:
    """A final reply and the verdict the judge should give on one criterion of one task.

    ``source`` says where the item comes from (``reference``, ``alternative 2``,
    ``rubrics/judge-audit/negatives.jsonl:14``, or a caller's own label) so that a wrong verdict
    can be traced back to the line to fix; ``why`` says what makes a negative fail."""

    task_id: str
    criterion_id: str
    reply: str
    met: bool
    source: str
    why: str = ""


class _NegativeLine(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    task_id: str = Field(min_length=1)
    criterion_id: str = Field(min_length=1)
    reply: str = Field(min_length=1)
    why: str = Field(min_length=1)


def judge_criterion_ids(pair: TaskWithRubric) -> list[str]:
    return [c.id for c in pair.rubric.criteria if isinstance(c.check, JudgeCheck)]


def positives(suite: Iterable[TaskWithRubric]) -> list[LabelledReply]:
    """The reference reply and each alternative, as met, for every judge criterion of every task."""
    items = []
    for pair in suite:
        reference = pair.task.reference
        replies = [("reference", reference.reply)]
        replies += [(f"alternative {n}", text) for n, text in enumerate(reference.alternatives, start=1)]
        for criterion_id in judge_criterion_ids(pair):
            items += [LabelledReply(pair.task.id, criterion_id, text, True, source) for source, text in replies]
    return items


def _problem(item: LabelledReply, by_id: dict[str, TaskWithRubric], positive_texts: dict[str, set[str]]) -> str | None:
    pair = by_id.get(item.task_id)
    if pair is None:
        return f"unknown task {item.task_id!r} (no held-out task with a rubric has that id)"
    judged = judge_criterion_ids(pair)
    if item.criterion_id not in judged:
        known = [c.id for c in pair.rubric.criteria]
        if item.criterion_id in known:
            return f"criterion {item.criterion_id!r} of {item.task_id} is not graded by the judge (judge criteria: {judged})"
        return f"unknown criterion {item.criterion_id!r} for task {item.task_id} (judge criteria: {judged})"
    if not item.met and item.reply.strip() in positive_texts.get(item.task_id, set()):
        return f"this negative is also a correct reply of {item.task_id} (its reference or an alternative)"
    return None


def check_items(items: Iterable[LabelledReply], suite: Sequence[TaskWithRubric]) -> list[str]:
    """Problems with items that do not fit the rubrics, each prefixed with the item's source."""
    by_id = {pair.task.id: pair for pair in suite}
    positive_texts = {
        pair.task.id: {t.strip() for t in (pair.task.reference.reply, *pair.task.reference.alternatives)} for pair in suite
    }
    found = []
    for item in items:
        problem = _problem(item, by_id, positive_texts)
        if problem is not None:
            found.append(f"{item.source}: {problem}")
    return found


def read_negatives(path: Path, suite: Sequence[TaskWithRubric], *, shown_as: str | None = None) -> list[LabelledReply]:
    """Every line of a negatives file, checked against ``suite``; LabelledSetError lists each bad
    line as ``file:line: what is wrong``."""
    shown = shown_as or str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LabelledSetError([f"{shown}: cannot read: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise LabelledSetError([f"{shown}: not UTF-8 text: {exc.reason}"]) from exc
    items: list[LabelledReply] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{shown}:{number}"
        try:
            parsed = _NegativeLine.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not a JSON object: {exc.msg} at column {exc.colno}")
            continue
        except ValidationError as exc:
            problems += [
                f"{where}: {'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors(include_url=False)
            ]
            continue
        key = (parsed.task_id, parsed.criterion_id, parsed.reply.strip())
        if key in seen:
            problems.append(f"{where}: the same reply for {parsed.task_id}/{parsed.criterion_id} as line {seen[key]}")
            continue
        seen[key] = number
        items.append(LabelledReply(parsed.task_id, parsed.criterion_id, parsed.reply, False, where, parsed.why))
    problems += check_items(items, suite)
    if problems:
        raise LabelledSetError(problems)
    return items


def build_labelled_set(
    suite: Sequence[TaskWithRubric], negatives_path: Path, extra_negatives: Iterable[LabelledReply] = (), *,
    shown_as: str | None = None,
) -> list[LabelledReply]:
    """Positives of ``suite``, then the file's negatives, then ``extra_negatives``, each checked."""
    extra = list(extra_negatives)
    problems = check_items(extra, suite)
    if problems:
        raise LabelledSetError(problems)
    return positives(suite) + read_negatives(negatives_path, suite, shown_as=shown_as) + extra


def labelled_set(
    root: Path,
    extra_negatives: Iterable[LabelledReply] = (),
    *,
    task_ids: Iterable[str] | None = None,
    negatives_path: Path | None = None,
) -> list[LabelledReply]:
    """The labelled set of the held-out tasks under ``root``.

    The whole negatives file is checked against every held-out task even when ``task_ids``
    narrows the set, so a bad line is found by any audit. ``extra_negatives`` are checked the same
    way (their ``source`` names them in errors) and keep their own labels."""
    suite = load_suite(root, AUDIT_SPLIT)
    path = negatives_path or root / NEGATIVES_FILE
    shown = str(NEGATIVES_FILE) if negatives_path is None else None
    items = build_labelled_set(suite, path, extra_negatives, shown_as=shown)
    if task_ids is None:
        return items
    wanted = set(task_ids)
    unknown = sorted(wanted - {pair.task.id for pair in suite})
    if unknown:
        raise LabelledSetError([f"{root / 'tasks' / AUDIT_SPLIT}: no held-out task with id {i!r}" for i in unknown])
    return [item for item in items if item.task_id in wanted]
