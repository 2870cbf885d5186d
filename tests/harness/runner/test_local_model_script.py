"""bench/local_model.sh with a real open model: Qwen2.5-Coder-0.5B under llama.cpp's llama-server,
on one held-out task (com-010, which this model answers with tool calls), graded. Slow (minutes on
2 cores) and needs the server built once beforehand (`bench/local_model.sh --prepare-only`, 8-18
minutes): skipped, saying so, where it is not."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "bench" / "local_model.sh"


def built_server() -> Path:
    version = re.search(r'^LLAMA_VERSION="([^"]+)"', SCRIPT.read_text(), re.MULTILINE)
    assert version is not None, "bench/local_model.sh names no LLAMA_VERSION"
    cache = Path(os.environ.get("CORECRAFT_CACHE", Path.home() / ".cache" / "corecraft"))
    return cache / f"llama-server-{version.group(1)}" / "llama-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_the_local_model_script_runs_a_real_open_model_that_reaches_the_world(tmp_path: Path) -> None:
    if not built_server().is_file():
        pytest.skip(f"no llama-server at {built_server()}: build it once with `bench/local_model.sh --prepare-only` "
                    "(8-18 minutes on 2 cores), then run this test again")
    out = tmp_path / "run"
    done = subprocess.run(
        ["bash", str(SCRIPT), "--task", "com-010", "--max-turns", "2", "--out", str(out), "--port", str(free_port())],
        capture_output=True, text=True, timeout=3600, cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    calls = re.search(r"^tool calls made:\s+(\d+)", done.stdout, re.MULTILINE)
    assert calls is not None and int(calls.group(1)) > 0, done.stdout
    assert re.search(r"^pass rate:\s+\S+", done.stdout, re.MULTILINE)
    assert re.search(r"^seconds per turn:\s+\d", done.stdout, re.MULTILINE)
    assert (out / "grades.jsonl").is_file() and (out / "report.json").is_file()
    assert "llama-server stopped" in done.stderr
