"""Slow-client protection: a real uvicorn on a loopback port with short deadlines, raw client sockets
that stall or dribble, and a well-behaved client that must keep working."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mcp_server.transports.timeouts import (
    TESTED_UVICORN,
    DeadlineH11Protocol,
    check_uvicorn,
    missing_internals,
    uvicorn_config,
)

REQUEST_TIMEOUT_S = 0.5
KEEP_ALIVE_S = 0.3
DRIBBLE_EVERY_S = 0.2  # under the keep-alive: only the request deadline can stop a dribbler
BOUND_S = 5.0  # generous: "closed at all", never "closed fast"
GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


async def hello(_request: Request) -> Response:
    return PlainTextResponse("hello")


async def echo(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


async def slow(_request: Request) -> Response:
    await asyncio.sleep(REQUEST_TIMEOUT_S + 0.3)
    return PlainTextResponse("finally")


APP = Starlette(routes=[Route("/", hello), Route("/echo", echo, methods=["POST"]), Route("/slow", slow)])


@asynccontextmanager
async def serving(max_connections: int = 100) -> AsyncIterator[int]:
    """The app under uvicorn with the deadlines, on a free loopback port; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn_config(
        APP, host="127.0.0.1", port=sock.getsockname()[1], request_timeout_s=REQUEST_TIMEOUT_S,
        keep_alive_s=KEEP_ALIVE_S, max_connections=max_connections, lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, BOUND_S)
        sock.close()


@asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def dribble(writer: asyncio.StreamWriter, data: bytes) -> None:
    """One byte at a time, slowly, until the data runs out or the server hangs up."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(DRIBBLE_EVERY_S)


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (fails if it never does)."""
    try:
        return await asyncio.wait_for(reader.read(), BOUND_S)
    except ConnectionResetError:
        return b""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND_S)
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), BOUND_S)
    return int(lines[0].split()[1]), body


@pytest.fixture(scope="module")
async def port() -> AsyncIterator[int]:
    """One server for the tests that need no special limits (each leaves no connection behind)."""
    async with serving() as port:
        yield port


async def dribbled_until_closed(port: int, data: bytes) -> bytes:
    async with connection(port) as (reader, writer):
        sender = asyncio.ensure_future(dribble(writer, data))
        try:
            return await until_closed(reader)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender


async def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    async with connection(port) as (reader, _writer):
        assert await until_closed(reader) == b""


async def test_headers_sent_a_byte_at_a_time_are_cut_off_with_a_408(port: int) -> None:
    headers = b"GET / HTTP/1.1\r\nHost: test\r\nX-Padding: " + b"a" * 100 + b"\r\n\r\n"
    reply = await dribbled_until_closed(port, headers)
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in reply


async def test_a_body_sent_a_byte_at_a_time_is_cut_off_with_a_408(port: int) -> None:
    async with connection(port) as (reader, writer):
        writer.write(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n")
        sender = asyncio.ensure_future(dribble(writer, b"x" * 100))
        try:
            reply = await until_closed(reader)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    assert reply.startswith(b"HTTP/1.1 408 ")


async def test_a_keep_alive_client_is_served_twice_then_closed_when_idle(port: int) -> None:
    async with connection(port) as (reader, writer):
        writer.write(GET)
        assert await read_response(reader) == (200, b"hello")
        await asyncio.sleep(KEEP_ALIVE_S / 6)  # idle, but less than the keep-alive
        writer.write(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nab")  # in two parts,
        await asyncio.sleep(REQUEST_TIMEOUT_S / 5)  # well within the deadline
        writer.write(b"cde")
        assert await read_response(reader) == (200, b"5")
        assert await until_closed(reader) == b""


async def test_an_app_slower_than_the_deadline_still_answers_a_request_fully_received(port: int) -> None:
    async with connection(port) as (reader, writer):
        writer.write(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        assert await read_response(reader) == (200, b"finally")


async def test_requests_beyond_the_connection_cap_get_503() -> None:
    async with serving(max_connections=2) as port, connection(port) as (_idle_reader, _idle_writer):
        async with connection(port) as (reader, writer):  # the second of two: served
            writer.write(GET)
            assert (await read_response(reader))[0] == 200
            async with connection(port) as (third_reader, third_writer):
                third_writer.write(GET)
                assert (await read_response(third_reader))[0] == 503


def test_the_installed_uvicorn_is_the_tested_series_and_has_every_internal_the_protocol_needs() -> None:
    # A uvicorn upgrade fails here first: rerun this file and re-read h11_impl.py, then bump TESTED_UVICORN.
    assert uvicorn.__version__.startswith(TESTED_UVICORN + "."), uvicorn.__version__
    assert missing_internals() == []
    check_uvicorn()


def test_a_uvicorn_without_the_internals_fails_with_a_message_naming_them() -> None:
    class Stripped:
        def __init__(self, **_kwargs: Any) -> None:
            self.conn = None

    missing = missing_internals(protocol=Stripped, cycle=Stripped, config=Stripped)
    assert "Stripped.data_received()" in missing and "Stripped.transport" in missing and "Stripped(http=...)" in missing
    assert "Stripped.conn" not in missing
    with pytest.raises(ImportError, match=r"uvicorn 9\.9\.9 lacks .*Stripped\.data_received\(\)"):
        check_uvicorn("9.9.9", missing)


def test_the_config_uses_the_deadline_protocol_and_refuses_nonsense_limits() -> None:
    config = uvicorn_config(APP, host="127.0.0.1", port=1, request_timeout_s=2.0, keep_alive_s=1.0, max_connections=10)
    assert config.http is DeadlineH11Protocol
    assert config.request_timeout_s == 2.0  # type: ignore[attr-defined]
    assert config.timeout_keep_alive == 1.0
    for bad in ({"request_timeout_s": 0}, {"keep_alive_s": -1}, {"max_connections": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            uvicorn_config(APP, host="127.0.0.1", port=1, **bad)  # type: ignore[arg-type]
