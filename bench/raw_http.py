"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for load generation only.

The paced-load ladder runs its clients in the bench's own process, on the same cores as the server.
httpx2 costs around half a millisecond of CPU per request, so at 1,000 episodes the load generator,
not the server, was the ceiling. This client writes each request in one send and reads a response
framed by Content-Length (every route of `corecraft serve` answers so): a few tens of microseconds.
It is not a general HTTP client: no chunked bodies, no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One keep-alive connection to ``host:port``; requests are sent one at a time. It reconnects
    once if the server had closed the idle connection."""

    def __init__(self, host: str, port: int, timeout_s: float = 60.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> RawResponse:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(payload)}"]
        if body is not None:
            lines.append("content-type: application/json")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            fresh = self._writer is None
            if fresh:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            try:
                assert self._writer is not None and self._reader is not None
                self._writer.write(message)
                response = await asyncio.wait_for(self._read_response(self._reader), self.timeout_s)
                if response.headers.get("connection", "").lower() == "close":
                    await self.close()
                return response
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
                await self.close()
                if fresh or attempt == 2 or isinstance(exc, asyncio.TimeoutError):
                    raise  # a new connection that fails, or a late answer, is the server's answer
        raise AssertionError("unreachable")

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader) -> RawResponse:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return RawResponse(status, headers, body)

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
