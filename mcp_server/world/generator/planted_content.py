"""World v2: support and content trap instances planted for the training split (see trap_types.py).

Every record here is new, appended after the original world, so no id a held-out task cites changes.
Each instance is recorded with ``world.plant``.
"""

from __future__ import annotations

from mcp_server.world.generator.common import World
from mcp_server.world.generator.slack import SlackDrafts


def plant(world: World) -> None:
    """Plant tickets and KB articles (filled in by world v2)."""


def plant_slack(world: World, drafts: SlackDrafts) -> None:
    """Plant Slack messages, before the drafts are written (filled in by world v2)."""
