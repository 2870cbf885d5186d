"""searchEmployees through the MCP client."""

from __future__ import annotations

import json

from tool_support import call, call_error, world_row, world_rows


async def test_search_employees_by_permission_returns_exactly_its_holders_with_parsed_permissions() -> None:
    holders = {r["id"] for r in world_rows("SELECT id, permissions FROM employees") if "issue_refund" in json.loads(r["permissions"])}
    found = await call("searchEmployees", {"permission": "issue_refund", "limit": 200})
    assert {e["id"] for e in found["employees"]} == holders
    assert all("issue_refund" in e["permissions"] for e in found["employees"])
    assert found["count"] == len(holders)


async def test_search_employees_matches_part_of_a_name_case_insensitively() -> None:
    someone = world_row("SELECT id, name FROM employees ORDER BY id")
    fragment = someone["name"].split()[-1][1:5].upper()
    found = await call("searchEmployees", {"name": fragment})
    assert someone["id"] in {e["id"] for e in found["employees"]}
    assert all(fragment.lower() in e["name"].lower() for e in found["employees"])


async def test_search_employees_combines_department_and_support_role() -> None:
    expected = [r["id"] for r in world_rows("SELECT id FROM employees WHERE department = 'support' AND support_role = 'tech_lead' ORDER BY id")]
    found = await call("searchEmployees", {"department": "support", "support_role": "tech_lead"})
    assert [e["id"] for e in found["employees"]] == expected and expected


async def test_search_employees_with_an_unknown_id_returns_nothing() -> None:
    assert await call("searchEmployees", {"employee_id": "emp-999"}) == {"employees": [], "count": 0}


async def test_search_employees_refuses_a_permission_outside_the_enum() -> None:
    text = await call_error("searchEmployees", {"permission": "approve_everything"})
    assert "permission" in text and "issue_refund" in text
