"""World v2: order-centric trap instances for the training split (search_cap, midnight_boundary,
return_window_edge, failed_then_captured, lost_parcel; see trap_types.py).

Every record here is new and belongs to a new customer (cus-00601 onwards), so nothing a held-out task
cites changes. New orders keep out of what held-out tasks count: the products they cite (so no
held-out product-month count moves), the Eastern business day 10 September 2025 (counted by one task,
and by UTC from 9 September 20:00 ET), and the ticket queues of the staff whose queues they read.
The original world's instances of these types are recorded too (planted_orders_original.py).
"""

from __future__ import annotations

from mcp_server.world.generator import planted_orders_cases, planted_orders_original
from mcp_server.world.generator.common import World
from mcp_server.world.generator.planted_orders_base import Planter


def plant(world: World) -> None:
    """Record the original world's instances, then plant the new ones."""
    planted_orders_original.plant_original(world)
    planter = Planter(world)
    planted_orders_cases.search_cap(planter)
    planted_orders_cases.midnight_boundary(planter)
    planted_orders_cases.return_window_edge(planter)
    planted_orders_cases.failed_then_captured(planter)
    planted_orders_cases.lost_parcel(planter)
