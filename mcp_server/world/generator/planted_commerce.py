"""World v2: commerce trap instances planted for the training split (see trap_types.py).

Every record here is new (new customers and what they own), appended after the original world, so no
id a held-out task cites changes. Each instance is recorded with ``world.plant``.
"""

from __future__ import annotations

from mcp_server.world.generator.common import World


def plant(world: World) -> None:
    """Plant the commerce traps (filled in by world v2)."""
