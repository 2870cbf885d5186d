"""searchEmployees: find colleagues by id, name, department, support role or permission."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_server.tools.filters import json_list_has
from mcp_server.tools.records import Employee
from mcp_server.tools.runtime import fetch_all, world_tool
from mcp_server.tools.sql import Where, limit_field

Department = Literal["support", "engineering", "operations", "product_management", "order_processing", "finance", "marketing"]
SupportRole = Literal["frontline", "specialist", "tech_lead", "admin"]
Permission = Literal["issue_refund", "edit_order", "cancel_order", "escalate", "kb_edit", "policy_override"]


class EmployeePage(BaseModel):
    employees: list[Employee]
    count: int = Field(description="Number of employees returned")


@world_tool(name="searchEmployees", title="Search employees")
async def searchEmployees(
    employee_id: Annotated[str | None, Field(description="Exact employee id, e.g. emp-000")] = None,
    name: Annotated[str | None, Field(description="Part of the employee's name; case-insensitive", min_length=1)] = None,
    department: Annotated[Department | None, Field(description="Only employees of this department")] = None,
    support_role: Annotated[SupportRole | None, Field(description="Only support staff with this role")] = None,
    permission: Annotated[Permission | None, Field(description="Only employees who hold this permission")] = None,
    limit: limit_field() = 50,
) -> EmployeePage:
    """Search employees (colleagues, managers, approvers). All filters are optional and combine with
    AND; results are ordered by id. Each employee lists department, title, manager_id, support_role
    and permissions (issue_refund, edit_order, cancel_order, escalate, kb_edit, policy_override): the
    permission filter finds everyone who holds one."""
    where = Where()
    where.equals("id", employee_id)
    where.like("name", name)
    where.equals("department", department)
    where.equals("support_role", support_role)
    json_list_has(where, "permissions", permission)
    rows = await fetch_all(f"SELECT * FROM employees {where.sql} ORDER BY id LIMIT ?", [*where.params, limit])
    return EmployeePage(employees=[Employee.from_row(r) for r in rows], count=len(rows))
