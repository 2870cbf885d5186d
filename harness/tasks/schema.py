"""Writes the JSON schemas of the task and rubric formats from the pydantic models.

``python -m harness.tasks.schema [--root .] [--check]`` writes tasks/task.schema.json and
rubrics/rubric.schema.json; with ``--check`` it only reports whether they are up to date
(exit 1 if not), which keeps the committed schemas honest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.tasks.models import Rubric, Task

SCHEMA_FILES: dict[str, tuple[type[Task] | type[Rubric], str]] = {
    "tasks/task.schema.json": (Task, "CoreCraft task"),
    "rubrics/rubric.schema.json": (Rubric, "CoreCraft rubric"),
}


def schema_text(model: type[Task] | type[Rubric], title: str) -> str:
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema()}
    schema["title"] = title
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def stale_schemas(root: Path) -> list[str]:
    """Relative paths of schema files that are missing or differ from the models."""
    stale = []
    for relative, (model, title) in SCHEMA_FILES.items():
        path = root / relative
        if not path.exists() or path.read_text(encoding="utf-8") != schema_text(model, title):
            stale.append(relative)
    return stale


def write_schemas(root: Path) -> list[Path]:
    written = []
    for relative, (model, title) in SCHEMA_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(schema_text(model, title), encoding="utf-8")
        written.append(path)
    return written


def run(root: Path, check: bool) -> int:
    if check:
        stale = stale_schemas(root)
        for relative in stale:
            print(f"{relative} is out of date; run `corecraft tasks schema`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_schemas(root):
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.tasks.schema", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", type=Path, help="repository root holding tasks/ and rubrics/")
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    return run(args.root, args.check)


if __name__ == "__main__":
    sys.exit(main())
