"""searchShipments through the MCP client."""

from __future__ import annotations

import json

from tool_support import call, call_error, world_row, world_rows


async def test_search_shipments_by_order_parses_the_tracking_events() -> None:
    shipment = world_row("SELECT * FROM shipments WHERE json_array_length(events) >= 2 ORDER BY id")
    [found] = (await call("searchShipments", {"order_id": shipment["order_id"], "shipment_id": shipment["id"]}))["shipments"]
    assert found["tracking_number"] == shipment["tracking_number"]
    assert [e["status"] for e in found["events"]] == [e["status"] for e in json.loads(shipment["events"])]
    assert all(set(e) == {"at", "status", "location", "note"} for e in found["events"])


async def test_search_shipments_matches_part_of_a_tracking_number_in_any_case() -> None:
    shipment = world_row("SELECT id, tracking_number FROM shipments WHERE tracking_number IS NOT NULL ORDER BY id")
    found = await call("searchShipments", {"tracking_number": shipment["tracking_number"][2:].lower()})
    assert shipment["id"] in {s["id"] for s in found["shipments"]}


async def test_search_shipments_combines_carrier_and_status() -> None:
    carrier = world_row("SELECT carrier FROM shipments WHERE status = 'exception' ORDER BY id")["carrier"]
    expected = [r["id"] for r in world_rows("SELECT id FROM shipments WHERE carrier = ? AND status = 'exception' ORDER BY id", (carrier,))]
    found = await call("searchShipments", {"carrier": carrier.upper(), "status": "exception", "limit": 200})
    assert [s["id"] for s in found["shipments"]] == expected


async def test_search_shipments_with_an_unknown_tracking_number_returns_nothing() -> None:
    assert await call("searchShipments", {"tracking_number": "NO-SUCH-NUMBER"}) == {"shipments": [], "count": 0}


async def test_search_shipments_refuses_a_status_outside_the_enum() -> None:
    assert "status" in await call_error("searchShipments", {"status": "shipped"})
