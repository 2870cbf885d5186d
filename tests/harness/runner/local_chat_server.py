"""A stand-in OpenAI-compatible server on 127.0.0.1 for runner tests: real sockets, the real
openai SDK on the other end, scripted answers. It speaks the three endpoints the harness uses:
``GET /v1/models``, ``POST /v1/chat/completions`` and llama.cpp's ``POST /tokenize``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "stub-model"
# Given the request body, the assistant message to answer with (content and/or tool_calls).
Answer = Callable[[dict[str, Any]], dict[str, Any]]


def turn_of(body: dict[str, Any]) -> int:
    """1 for the first request of a conversation, 2 after one assistant turn, and so on."""
    return 1 + sum(1 for m in body["messages"] if m["role"] == "assistant")


class LocalChatServer:
    def __init__(self, answer: Answer, *, tokens_per_char: float = 0.25) -> None:
        self.answer = answer
        self.tokens_per_char = tokens_per_char
        self.chat_requests: list[dict[str, Any]] = []
        self.tokenized: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> LocalChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the tests read what matters
                return None

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - the http.server hook
                if self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/tokenize":
                    owner.tokenized.append(body["content"])
                    self._send(200, {"tokens": [0] * int(len(body["content"]) * owner.tokens_per_char)})
                elif self.path == "/v1/chat/completions":
                    owner.chat_requests.append(body)
                    message = {"role": "assistant", "content": None, **owner.answer(body)}
                    finish = "tool_calls" if message.get("tool_calls") else "stop"
                    self._send(200, {
                        "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": MODEL,
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                    })
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

        return Handler
