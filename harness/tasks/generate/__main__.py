"""python -m harness.tasks.generate [--root DIR] [--seed N] [--family NAME ...]: regenerate tasks/train."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from harness.tasks.generate.build import DEFAULT_SEED, generate, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.tasks.generate", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root (default: current directory)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    files = generate(args.root, args.seed)
    written, removed = write(args.root, files)
    families = Counter(path.split("/")[-1].rsplit("-", 1)[0][3:] for path in files if path.startswith("tasks/"))
    for family, count in sorted(families.items()):
        print(f"{family:28} {count:5}")
    print(f"{written // 2} tasks written, {removed} stale files removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
