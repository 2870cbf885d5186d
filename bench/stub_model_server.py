"""A stand-in OpenAI Chat Completions server for the harness bench: answers every chat completion
after a fixed delay, with as little CPU of its own as an HTTP server can spend.

    .venv/bin/python bench/stub_model_server.py PORT [--latency S] [--tool-turns N] [--model NAME]

In real use the model server runs on another machine; here it shares the harness's cores, so
whatever CPU it burns shows up as harness overhead. So it is plain asyncio over HTTP/1.1 with no
framework: each conversation's answers are built (headers included) once at start-up, and a request
is answered by a timer that writes those bytes. The wire format is what the OpenAI SDK expects:
``POST /v1/chat/completions`` answers a ``chat.completion`` object (``tool_turns`` tool calls, one
per turn, then a final text reply), ``GET /v1/models`` lists the model (the harness's pre-flight
check), anything else is 404; bodies carry content-length, connections stay open (HTTP/1.1
keep-alive) unless the client asks to close them.

Which turn a request is comes from counting the tool results it carries: ``"role":"tool"`` in the
compact JSON the SDK sends (RequestBody in harness/providers/common.py), or with a space after the
colon as Python's default json.dumps writes it. The body is not otherwise parsed: a server that
reads the JSON spends that CPU on its own machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import deque
from typing import Any

# Steps through the conversation; see the module docstring.
READ_CALLS = [
    {"tool": "searchCustomers", "arguments": {"customer_id": "cus-00001"}},
    {"tool": "searchOrders", "arguments": {"customer_id": "cus-00001"}},
    {"tool": "searchTickets", "arguments": {"customer_id": "cus-00001"}},
]
FINAL_REPLY = "Summary: all good."
TOOL_RESULT_MARKERS = (b'"role":"tool"', b'"role": "tool"')
MAX_HEAD_BYTES = 64 * 1024


def completion(model: str, turn: int, tool_turns: int) -> dict[str, Any]:
    """The ``chat.completion`` for a request that carries ``turn`` tool results."""
    message: dict[str, Any]
    if turn < tool_turns:
        call = READ_CALLS[turn % len(READ_CALLS)]
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{turn}", "type": "function",
             "function": {"name": call["tool"], "arguments": json.dumps(call["arguments"])}}]}
        finish = "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": FINAL_REPLY}, "stop"
    return {
        "id": "cmpl-bench", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050},
    }


def http_response(status: str, body: dict[str, Any] | str, *, close: bool = False) -> bytes:
    """A complete HTTP/1.1 response: status line, headers and a JSON (or plain text) body."""
    if isinstance(body, str):
        payload, kind = body.encode(), "text/plain; charset=utf-8"
    else:
        payload, kind = json.dumps(body, separators=(",", ":")).encode(), "application/json"
    head = (f"HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {len(payload)}\r\n"
            f"connection: {'close' if close else 'keep-alive'}\r\n\r\n")
    return head.encode("ascii") + payload


class Answers:
    """Every response the stub can give, as bytes, built once."""

    def __init__(self, model: str, tool_turns: int) -> None:
        self.tool_turns = tool_turns
        self.turns = [http_response("200 OK", completion(model, turn, tool_turns)) for turn in range(tool_turns + 1)]
        self.models = http_response("200 OK", {"object": "list", "data": [{"id": model, "object": "model", "owned_by": "bench"}]})
        self.not_found = http_response("404 Not Found", {"error": {"message": "no such endpoint", "type": "not_found"}})

    def for_chat(self, body: bytes) -> bytes:
        done = sum(body.count(marker) for marker in TOOL_RESULT_MARKERS)
        return self.turns[min(done, self.tool_turns)]


class StubConnection(asyncio.Protocol):
    """One client connection: reads requests, answers each chat completion ``latency_s`` after it
    was read (anything else at once).

    HTTP/1.1 answers in request order; a client that pipelines gets its answers queued behind the
    one in flight (httpx sends one request at a time per connection, so normally none wait)."""

    def __init__(self, answers: Answers, latency_s: float) -> None:
        self.answers, self.latency_s = answers, latency_s
        self.buffer = bytearray()
        self.waiting: deque[tuple[bytes, bool, float]] = deque()  # (response, close after it, delay)
        self.in_flight: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.refused = False  # a request it cannot read: answer it, then read nothing more

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.in_flight is not None:
            self.in_flight.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        self.buffer += data
        while not self.refused and (request := self._take_request()) is not None:
            self.waiting.append(request)
            self._answer_next()

    def _take_request(self) -> tuple[bytes, bool, float] | None:
        """The response to the first complete request in the buffer (removed from it), whether to
        close after it, and how long to wait before sending it; None until a request is complete.
        Only chat completions wait: the model list is the pre-flight check, not a model turn."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                return self._refuse("431 Request Header Fields Too Large", "request head too large")
            return None
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        method, _, rest = lines[0].partition(b" ")
        target = rest.partition(b" ")[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"transfer-encoding" in headers:
            return self._refuse("411 Length Required", "send the body with content-length")
        length_text = headers.get(b"content-length", b"0")
        if not length_text.isdigit():
            return self._refuse("400 Bad Request", "content-length is not a number")
        length = int(length_text)
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4:end + 4 + length])
        del self.buffer[:end + 4 + length]
        close = headers.get(b"connection") == b"close"
        if method == b"POST" and target == b"/v1/chat/completions":
            return self.answers.for_chat(body), close, self.latency_s
        if method == b"GET" and target == b"/v1/models":
            return self.answers.models, close, 0.0
        return self.answers.not_found, close, 0.0

    def _refuse(self, status: str, why: str) -> tuple[bytes, bool, float]:
        self.refused = True
        self.buffer.clear()
        return http_response(status, why, close=True), True, 0.0

    def _answer_next(self) -> None:
        if self.in_flight is None and self.waiting:
            self.in_flight = asyncio.get_running_loop().call_later(self.waiting[0][2], self._send)

    def _send(self) -> None:
        self.in_flight = None
        response, close, _ = self.waiting.popleft()
        if self.transport is None:
            return
        self.transport.write(response)
        if close:
            self.transport.close()
            return
        self._answer_next()


async def start(port: int, latency_s: float, tool_turns: int, model: str) -> asyncio.Server:
    """The stub listening on 127.0.0.1:``port`` (0: any free port) in the running event loop."""
    answers = Answers(model, tool_turns)
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: StubConnection(answers, latency_s), "127.0.0.1", port, backlog=4096)


async def serve(port: int, latency_s: float, tool_turns: int, model: str) -> None:
    async with await start(port, latency_s, tool_turns, model) as server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds before each answer")
    parser.add_argument("--tool-turns", type=int, default=2, help="turns that call a tool before the final reply")
    parser.add_argument("--model", default="stub-model", help="the model id it answers as and lists")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.port, args.latency, args.tool_turns, args.model))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
