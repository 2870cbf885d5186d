"""The 23 CoreCraft tools. Each module declares its tools with ``@world_tool``."""

from __future__ import annotations

import importlib

from mcp_server.tools.runtime import TOOLS, ToolSpec

TOOL_MODULES = (
    "customers",
    "employees",
    "products",
    "orders",
    "payments",
    "shipments",
    "tickets",
    "knowledge",
    "builds",
    "compatibility",
    "pricing",
    "warranty",
    "slack",
    "refunds",
    "escalations",
    "resolutions",
    "statuses",
    "returns",
)


def load_all_tools() -> dict[str, ToolSpec]:
    """Import every tool module (which registers its tools) and return the registry by name."""
    for module in TOOL_MODULES:
        importlib.import_module(f"mcp_server.tools.{module}")
    return TOOLS
