"""stdio end to end: `corecraft serve` as a subprocess driven by the MCP SDK's stdio client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from mcp_server.audit import META_EPISODE_KEY

REPO = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "harness.cli.main", "serve"]


async def test_a_stdio_client_lists_the_tools_calls_one_and_the_episode_is_exported_on_exit(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=SERVE[0], args=[*SERVE[1:], "--audit-dir", str(tmp_path), "--clock", "2025-10-02T08:00:00-04:00"],
        cwd=str(REPO),
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("searchCustomers", {"limit": 1})
            other = await client.call_tool("searchCustomers", {"limit": 0}, meta={META_EPISODE_KEY: "second"})  # type: ignore[arg-type]
    assert len(tools) == 23
    assert not result.is_error and result.structured_content["count"] == 1  # type: ignore[index]
    assert other.is_error
    default = json.loads((tmp_path / "default.json").read_text(encoding="utf-8"))
    assert default["clock"] == "2025-10-02T08:00:00-04:00"
    assert default["end_reason"] == "shutdown"
    assert [(e["tool"], e["arguments"]) for e in default["audit"]] == [("searchCustomers", {"limit": 1})]
    second = json.loads((tmp_path / "second.json").read_text(encoding="utf-8"))
    assert [e["is_error"] for e in second["audit"]] == [True]


def test_the_stdio_server_writes_nothing_to_stdout_but_the_protocol() -> None:
    finished = subprocess.run(SERVE, cwd=REPO, input=b"", capture_output=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == b""


def test_a_bad_clock_is_refused_on_stderr_with_exit_code_2() -> None:
    finished = subprocess.run([*SERVE, "--clock", "tomorrow"], cwd=REPO, input=b"", capture_output=True, timeout=60)
    assert finished.returncode == 2
    assert finished.stdout == b""
    assert b"corecraft serve:" in finished.stderr and b"ISO-8601" in finished.stderr
