"""bench/stub_model_server.py, the model the harness bench runs against: what it sends must be what
the OpenAI SDK and the harness take from a real server, or the bench would time something else."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
from runner_support import lookup_task, write_task_root

from harness.runner import RunConfig, execute_run
from harness.runner.transcripts import TRANSCRIPTS_FILE, read_transcripts

STUB_PATH = Path(__file__).resolve().parents[3] / "bench" / "stub_model_server.py"


def load_stub() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stub_model_server", STUB_PATH)
    assert spec is not None and spec.loader is not None, f"cannot load {STUB_PATH}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stub = load_stub()


@pytest.fixture
async def port() -> AsyncIterator[int]:
    server = await stub.start(0, 0.0, 2, "stub-model")
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CORECRAFT_COMPAT_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


async def test_episodes_through_the_openai_sdk_make_the_stubs_tool_calls_then_finish_with_its_reply(port, tmp_path):
    root = write_task_root(tmp_path / "suite", [lookup_task("stub-a"), lookup_task("stub-b", "cus-00002")])
    out = tmp_path / "run"
    config = RunConfig(model="openai-compatible/stub-model", split="heldout", out_dir=out, concurrency=2, tasks_root=root,
                       base_url=f"http://127.0.0.1:{port}/v1")
    summary = await execute_run(config, stream=io.StringIO())
    records = list(read_transcripts(out / TRANSCRIPTS_FILE).records.values())
    assert summary.exit_code == 0 and len(records) == 2
    for record in records:
        assert (record.status, record.turns, record.final_reply) == ("completed", 3, stub.FINAL_REPLY)
        assert [(c.name, c.arguments, c.is_error) for c in record.tool_calls] == [
            (call["tool"], call["arguments"], False) for call in stub.READ_CALLS[:2]]
        assert record.usage.input_tokens == 3000 and record.exchanges[-1]["response"]["model"] == "stub-model"


async def exchange(port: int, *requests: bytes) -> bytes:
    """Send ``requests`` one after another on one connection; everything it answers until it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for request in requests:
        writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(1 << 20), 5) + await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


def request(method: str, path: str, body: bytes = b"", *, close: bool = False) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nhost: stub\r\ncontent-length: {len(body)}\r\n"
    return (head + ("connection: close\r\n" if close else "") + "\r\n").encode() + body


async def test_one_connection_carries_several_requests_answered_in_order_with_their_lengths(port):
    chat = json.dumps({"model": "stub-model", "messages": [{"role": "user", "content": "hi"},
                                                           {"role": "tool", "tool_call_id": "call_0", "content": "[]"}]})
    answers = await exchange(port, request("GET", "/v1/models"), request("POST", "/v1/chat/completions", chat.encode()),
                             request("GET", "/elsewhere", close=True))
    bodies = []
    while answers:
        head, _, rest = answers.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        bodies.append((head.split(b"\r\n")[0], json.loads(rest[:length])))
        answers = rest[length:]
    (models_status, models), (chat_status, completion), (missing_status, _) = bodies
    assert (models_status, chat_status, missing_status) == (b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found")
    assert models["data"][0]["id"] == "stub-model"
    [call] = completion["choices"][0]["message"]["tool_calls"]  # one tool result so far: the second call
    assert call["function"]["name"] == stub.READ_CALLS[1]["tool"] and completion["choices"][0]["finish_reason"] == "tool_calls"
