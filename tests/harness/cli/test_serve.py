"""`corecraft serve --transport http` as a user runs it: a subprocess with a token, stopped by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from harness.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, headers: dict[str, str], process: subprocess.Popen[bytes]) -> httpx2.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a subprocess gives no readiness event: poll, bounded
        assert process.poll() is None, process.stderr.read() if process.stderr else b""
        try:
            return httpx2.get(url, headers=headers, timeout=2)
        except httpx2.TransportError:
            time.sleep(0.05)
    raise AssertionError("the server did not come up within 30 s")


def test_serve_http_requires_the_token_from_the_environment_and_exports_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CORECRAFT_TOKEN": "cli-token-81"}
    args = [sys.executable, "-m", "harness.cli.main", "serve", "--transport", "http", "--port", str(port),
            "--audit-dir", str(tmp_path)]
    process = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        good = {"Authorization": "Bearer cli-token-81"}
        assert wait_until_up(f"{base}/healthz", good, process).status_code == 200
        assert httpx2.get(f"{base}/healthz", timeout=5).status_code == 401
        envelope = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "searchCustomers", "arguments": {"limit": 1}, "_meta": envelope}}
        opened = httpx2.post(f"{base}/episodes", json={"label": "cli-ep"}, headers=good, timeout=10).json()
        headers = {**good, "X-CoreCraft-Episode-Key": opened["key"], "Accept": "application/json, text/event-stream",
                   "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "searchCustomers"}
        answer = httpx2.post(f"{base}/mcp", json=call, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"]["isError"] is False
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err  # the conventional exit status after Ctrl-C
    assert out == b""
    export = json.loads((tmp_path / f"{opened['episode_id']}.json").read_text(encoding="utf-8"))
    assert export["end_reason"] == "shutdown" and export["label"] == "cli-ep"
    assert export["audit"][0]["tool"] == "searchCustomers"


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--max-episodes", "0"], "--max-episodes"), (["--port", "0"], "--port")],  # --idle-timeout: test_main.py
)
def test_serve_refuses_bad_settings_before_starting(flags: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--transport", "http", *flags]) == 2
    assert message in capsys.readouterr().err
