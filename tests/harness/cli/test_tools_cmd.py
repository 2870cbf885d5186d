"""`corecraft tools`: the tool catalogue as MCP clients see it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import tools_cache
from harness.cli.main import main
from mcp_server.tools import load_all_tools


@pytest.fixture(autouse=True)
def private_tools_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test builds the list itself and leaves the user's cache alone."""
    monkeypatch.setattr(tools_cache, "default_cache_file", lambda: tmp_path / "tools.json")


def test_tools_json_prints_the_23_wire_definitions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--json"]) == 0
    tools = json.loads(capsys.readouterr().out)["tools"]
    assert [t["name"] for t in tools] == list(load_all_tools())
    for tool in tools:
        assert {"name", "title", "description", "inputSchema", "outputSchema", "annotations"} <= set(tool)
        assert "readOnlyHint" in tool["annotations"] and "input_schema" not in tool


def test_tools_without_json_prints_a_readable_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("23 tools\n")
    assert "searchOrders  [read]" in out and "createRefund  [write]" in out
    assert "   * order_id: string" in out  # required parameters are starred
