"""CoreCraft's world and its MCP server."""
