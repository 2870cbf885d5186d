"""Builds the CoreCraft MCP server: 23 tools, the policy prompt, episode routing and audit."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool

from mcp_server.audit import EpisodeAuditMiddleware
from mcp_server.episodes import EpisodeRegistry
from mcp_server.tools import load_all_tools
from mcp_server.tools.runtime import ToolSpec
from mcp_server.world.policy import policy_prompt_text
from mcp_server.world.store import Template, load_template

SERVER_NAME = "corecraft"
SERVER_VERSION = "0.1.0"
INSTRUCTIONS = (
    "CoreCraft Computers customer-support tools. Read the 'company_policy' prompt before acting: "
    "it is the policy every action must follow."
)

# Set to 1 to keep the MCP SDK's OpenTelemetry span around every request (off by default: see
# ``build_server``).
TRACING_ENV = "CORECRAFT_OTEL_SPANS"
# The SDK's own span middleware, as its class is named in mcp.server (a private module).
_SDK_SPAN_MIDDLEWARE = "OpenTelemetryMiddleware"

# Building a tool's argument and output models costs milliseconds; servers share the results.
_BUILT_TOOLS: dict[str, tuple[ToolSpec, Tool]] = {}


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The same JSON Schema with every local ``$ref`` inlined (no ``$defs``): portable and faster to check.

    MCP clients check every structured result against the tool's output schema, and with
    jsonschema reference lookups are a large part of that cost; some clients (Gemini's) reject
    ``$defs`` outright. Nullable fields stay as pydantic writes them, ``anyOf`` of simple types
    each with its own ``type``: a type list (``["string", "null"]``) checks a little faster, but
    some clients reject it, and the MCP Inspector flags it. A schema with recursive references is
    returned unchanged.
    """
    definitions = schema.get("$defs", {})

    def rewrite(node: Any, expanding: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [rewrite(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            name = reference.removeprefix("#/$defs/")
            if name in expanding or name not in definitions:
                raise _Unfoldable(name)
            target = rewrite(definitions[name], (*expanding, name))
            return {**target, **{k: rewrite(v, expanding) for k, v in node.items() if k != "$ref"}}
        return {key: rewrite(value, expanding) for key, value in node.items() if key != "$defs"}

    try:
        return rewrite(schema, ())
    except _Unfoldable:
        return schema


class _Unfoldable(Exception):
    """A reference that cannot be inlined (recursive or dangling)."""



def mcp_tools() -> list[Tool]:
    """The 23 tools as MCP tool objects, in registration order (tools/list is deterministic)."""
    tools = []
    for spec in load_all_tools().values():
        cached = _BUILT_TOOLS.get(spec.name)
        if cached is None or cached[0] is not spec:
            tool = Tool.from_function(spec.function, name=spec.name, title=spec.title, annotations=spec.annotations)
            if tool.fn_metadata.output_schema is not None:  # published only; results are built by the models
                tool.fn_metadata.output_schema = compact_schema(tool.fn_metadata.output_schema)
            cached = _BUILT_TOOLS[spec.name] = (spec, tool)
        tools.append(cached[1])
    return tools


def build_server(
    template: Template | None = None,
    *,
    registry: EpisodeRegistry | None = None,
    clock: str | None = None,
    tracing: bool | None = None,
) -> MCPServer[EpisodeRegistry]:
    """A server over the committed world. Pass a registry to share or inspect its episodes;
    otherwise each connection lifespan gets a fresh registry (and so a fresh world).

    ``tracing`` keeps the SDK's OpenTelemetry span per request (default: the ``CORECRAFT_OTEL_SPANS``
    environment variable, else off). Without an exporter the spans record nothing, yet cost about
    a tenth of an in-process tool call; every call is in the episode's audit log either way. The
    SDK documents dropping its span middleware from ``server.middleware`` as the way to opt out."""
    world = template or (registry.template if registry else load_template())
    default_clock = clock or (registry.default_clock if registry else None)

    @asynccontextmanager
    async def lifespan(_server: MCPServer[EpisodeRegistry]) -> AsyncIterator[EpisodeRegistry]:
        if registry is not None:
            yield registry  # owned by the caller, who closes it
            return
        own = EpisodeRegistry(world, clock=clock)
        try:
            yield own
        finally:
            await own.close_all()

    tools = mcp_tools()
    server: MCPServer[EpisodeRegistry] = MCPServer(
        SERVER_NAME,
        version=SERVER_VERSION,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level="WARNING",
        tools=tools,
        middleware=[EpisodeAuditMiddleware({tool.name: tool for tool in tools})],
    )
    if not (tracing if tracing is not None else os.environ.get(TRACING_ENV) == "1"):
        server.middleware[:] = [m for m in server.middleware if type(m).__name__ != _SDK_SPAN_MIDDLEWARE]

    @server.prompt(name="company_policy", title="CoreCraft company policy")
    def company_policy() -> str:
        """The support policy of CoreCraft Computers, to be used as the agent's system prompt."""
        return policy_prompt_text(default_clock)

    return server
