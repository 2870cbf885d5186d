"""``python -m mcp_server.world.generator [--out DIR] [--traps]``: regenerate the committed world data."""

from __future__ import annotations

import argparse
import sys

from mcp_server.world.generator import build_world
from mcp_server.world.generator.common import write_tables
from mcp_server.world.store import DATA_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mcp_server.world.generator", description=__doc__)
    parser.add_argument("--out", default=str(DATA_DIR), help="output directory (default: the committed data directory)")
    parser.add_argument("--traps", action="store_true", help="also print the ids of every designed trap")
    args = parser.parse_args(argv)
    world = build_world()
    counts = write_tables(world, __import__("pathlib").Path(args.out))
    for table, count in sorted(counts.items()):
        print(f"{table:22s} {count:6d}")
    print(f"{'total':22s} {sum(counts.values()):6d}")
    if args.traps:
        for trap, ids in sorted(world.notes.items()):
            shown = ", ".join(sorted(set(ids))[:20])
            print(f"\n{trap} ({len(set(ids))}): {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
