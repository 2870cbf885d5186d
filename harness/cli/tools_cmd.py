"""`corecraft tools`: the tool definitions exactly as MCP clients see them."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

import anyio


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "tools",
        help="list the server's tools",
        description="List the CoreCraft tools as an MCP client sees them (tools/list).",
    )
    parser.add_argument(
        "--json", action="store_true",
        help='print {"tools": [...]} with the wire (camelCase) definitions: name, title, description, '
        "inputSchema, outputSchema, annotations",
    )
    parser.set_defaults(handler=run)


async def listed_tools() -> list[dict[str, Any]]:
    """tools/list from an in-process client, as wire JSON."""
    from mcp import Client

    from mcp_server.server import build_server

    async with Client(build_server()) as client:
        result = await client.list_tools()
    return [tool.model_dump(by_alias=True, exclude_none=True) for tool in result.tools]


def run(args: argparse.Namespace) -> int:
    from harness.cli.tools_cache import cached_tools

    tools = cached_tools(lambda: anyio.run(listed_tools))
    if args.json:
        text = json.dumps({"tools": tools}, indent=2, ensure_ascii=False)
    else:
        text = "\n".join([f"{len(tools)} tools\n", *(render(tool) for tool in tools)])
    print(text)  # a closed pipe (`| head`) is handled once, in harness.cli.main
    return 0


def render(tool: dict[str, Any]) -> str:
    """A few readable lines: name, kind, title, summary and parameters."""
    writes = not tool.get("annotations", {}).get("readOnlyHint", False)
    lines = [f"{tool['name']}  [{'write' if writes else 'read'}]  {tool.get('title', '')}".rstrip()]
    summary = (tool.get("description") or "").strip().split("\n\n")[0]
    lines += textwrap.wrap(" ".join(summary.split()), width=96, initial_indent="    ", subsequent_indent="    ")
    schema = tool.get("inputSchema", {})
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        mark = "*" if name in required else " "
        lines.append(f"   {mark} {name}: {_type_of(prop)}")
    return "\n".join(lines) + "\n"


def _type_of(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " | ".join(_type_of(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list[{_type_of(prop.get('items', {}))}]"
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "const" in prop:
        return json.dumps(prop["const"])
    return str(prop.get("type", "any"))
