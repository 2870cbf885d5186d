"""What the model reads about the read tools: clean descriptions and wrapper outputs."""

from __future__ import annotations

from mcp import Client

from mcp_server.server import build_server

READ_TOOLS = {
    "searchCustomers", "searchEmployees", "searchProducts", "getProduct", "searchOrders", "getOrderDetails",
    "searchPayments", "searchShipments", "searchTickets", "getCustomerTicketHistory", "searchKnowledgeBase",
    "searchBuilds", "searchSlackMessages",
}


async def test_read_tool_descriptions_carry_no_source_indentation_and_outputs_are_objects() -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools if t.name in READ_TOOLS}
    assert set(tools) == READ_TOOLS
    for name, tool in tools.items():
        lines = (tool.description or "").splitlines()
        assert lines and not any(line.startswith(" ") for line in lines), name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", name
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, name
