"""`corecraft world`: facts about the committed world (`stats`) and its health (`check`)."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "world",
        help="inspect the committed world data",
        description="Inspect the committed world: row counts per entity type, and invariant checks.",
    )
    actions = parser.add_subparsers(dest="world_command", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="row counts per entity type", description="Row counts per entity type of the committed world.")
    stats.add_argument("--json", action="store_true", help='print {"counts": {"<entity type>": n, ...}}')
    stats.set_defaults(handler=run_stats)
    check = actions.add_parser(
        "check", help="check the world's invariants",
        description="Run the invariant, status-coherence and coherence-rule checks (mcp_server/world/coherence.py) on the "
                    "committed world; exit 1 listing violations under each rule's name.",
    )
    check.add_argument("--data-dir", default=None, help="check the world in this data directory instead of the committed one")
    check.set_defaults(handler=run_check)


def run_stats(args: argparse.Namespace) -> int:
    from mcp_server.world.store import ENTITY_TYPES, load_template, world_counts

    conn = load_template().connect_sync()
    try:
        counts = world_counts(conn)
    finally:
        conn.close()
    if args.json:
        _emit(json.dumps({"counts": counts}, indent=2))
        return 0
    width = max(len(name) for name in counts) + 2
    core = {name: n for name, n in counts.items() if name in ENTITY_TYPES}
    supporting = {name: n for name, n in counts.items() if name not in ENTITY_TYPES}
    lines = [f"{'entity type':<{width}}{'rows':>7}"]
    lines += [f"{name:<{width}}{n:>7}" for name, n in core.items()]
    lines += [f"{'= the 14 entity types':<{width}}{sum(core.values()):>7}", ""]
    lines += [f"{name:<{width}}{n:>7}" for name, n in supporting.items()]
    lines += [f"{'= all rows':<{width}}{sum(counts.values()):>7}"]
    _emit("\n".join(lines))
    return 0


def _emit(text: str) -> None:
    print(text)  # a closed pipe (`| head`) is handled once, in harness.cli.main


def run_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mcp_server.world.coherence import check_rules
    from mcp_server.world.invariants import check_coherence, check_invariants
    from mcp_server.world.store import DATA_DIR, load_template

    conn = load_template(Path(args.data_dir) if args.data_dir else DATA_DIR).connect_sync()
    try:
        results = {"invariants": check_invariants(conn), "status_coherence": check_coherence(conn), **check_rules(conn)}
    finally:
        conn.close()
    failing = {name: found for name, found in results.items() if found}
    if failing:
        print(f"{sum(len(v) for v in failing.values())} violation(s):", file=sys.stderr)
        for name, found in failing.items():
            print(f"{name} ({len(found)}):", file=sys.stderr)
            for message in found:
                print(f"  {message}", file=sys.stderr)
        return 1
    print(f"world ok: no violations of {', '.join(results)}")
    return 0
