"""Admission control past capacity: bounded work in flight, a bounded queue, 503 with Retry-After, and
the byte budget for world copies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from starlette.types import Message, Receive, Scope, Send

from harness.cli import serve
from mcp_server.episodes import EpisodeRegistry, ServerFullError
from mcp_server.transports import http as http_transport
from mcp_server.transports.http import Admission, HttpSettings, LoopLag, build_http_app
from mcp_server.world.store import load_template

TEMPLATE = load_template()
Sent = list[Message]


class HeldApp:
    """An inner app that answers 200 once ``release`` is set; counts the requests it started."""

    def __init__(self) -> None:
        self.started = 0
        self.entered = anyio.Event()
        self.release = anyio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.entered.set()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def request(method: str = "POST", chunks: tuple[bytes, ...] = (b"{}",), gate: anyio.Event | None = None) -> tuple[Scope, Receive]:
    """A scope and a receive that yields ``chunks`` (the last one only once ``gate`` is set, if given)."""
    pending = list(chunks)

    async def receive() -> Message:
        if not pending:
            await anyio.sleep_forever()
        if len(pending) == 1 and gate is not None:
            await gate.wait()
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return {"type": "http", "method": method, "path": "/mcp", "headers": []}, receive


def sink() -> tuple[Sent, Send]:
    sent: Sent = []

    async def send(message: Message) -> None:
        sent.append(message)

    return sent, send


def status_and_headers(sent: Sent) -> tuple[int, dict[bytes, bytes]]:
    start = sent[0]
    return int(start["status"]), dict(start["headers"])


async def test_a_request_that_waits_too_long_for_its_turn_gets_503_with_retry_after() -> None:
    inner = HeldApp()
    admission = Admission(inner, max_in_flight=1, max_queued=10, max_wait_s=0.05, max_body_bytes=1024)
    first_sent, first_send = sink()
    second_sent, second_send = sink()
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(admission, *request(), first_send)
            await inner.entered.wait()
            await admission(*request(), second_send)  # the only place is taken for longer than it may wait
            assert admission.in_flight == 1
            inner.release.set()
    status, headers = status_and_headers(second_sent)
    assert status == 503 and headers[b"retry-after"] == b"1"
    assert b"at capacity" in second_sent[1]["body"] and b"waited 0.05 s" in second_sent[1]["body"]
    assert status_and_headers(first_sent)[0] == 200
    assert inner.started == 1 and admission.refused == 1 and admission.in_flight == 0


class OrderedApp(HeldApp):
    """A HeldApp that records the order in which requests (told apart by their bodies) entered."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.order.append(message.get("body", b""))
        self.entered.set()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_requests_that_queued_are_admitted_in_arrival_order_and_a_newcomer_waits_behind_them() -> None:
    inner = OrderedApp()
    admission = Admission(inner, max_in_flight=1, max_queued=10, max_wait_s=30, max_body_bytes=1024)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(admission, *request(chunks=(b"first",)), sink()[1])
            await inner.entered.wait()
            for queued, body in enumerate((b"second", b"third"), start=1):
                tasks.start_soon(admission, *request(chunks=(body,)), sink()[1])
                while admission.queued < queued:
                    await anyio.sleep(0.001)
            inner.release.set()  # every request now finishes as soon as it enters
            tasks.start_soon(admission, *request(chunks=(b"newcomer",)), sink()[1])
    assert inner.order == [b"first", b"second", b"third", b"newcomer"]
    assert admission.in_flight == 0 and admission.refused == 0


async def test_a_full_queue_refuses_at_once_and_reads_and_closes_are_never_held_back() -> None:
    inner = HeldApp()
    admission = Admission(inner, max_in_flight=1, max_queued=0, max_wait_s=30, max_body_bytes=1024)
    refused, refused_send = sink()
    with anyio.fail_after(10):  # a 30 s wait would time out here: the refusal must not wait
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(admission, *request(), sink()[1])
            await inner.entered.wait()
            await admission(*request(), refused_send)
            assert status_and_headers(refused)[0] == 503 and b"already waiting" in refused[1]["body"]
            for method in ("GET", "DELETE"):  # these reach the app while the place is taken
                tasks.start_soon(admission, *request(method), sink()[1])
            while inner.started < 3:
                await anyio.sleep(0.01)
            inner.release.set()
    assert inner.started == 3


async def test_a_slow_sender_holds_no_place_while_its_body_arrives() -> None:
    inner = HeldApp()
    inner.release.set()
    admission = Admission(inner, max_in_flight=1, max_queued=0, max_wait_s=30, max_body_bytes=1024)
    gate = anyio.Event()
    slow_sent, slow_send = sink()
    quick_sent, quick_send = sink()
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(admission, *request(chunks=(b'{"a":', b"1}"), gate=gate), slow_send)
            await anyio.sleep(0.01)
            await admission(*request(), quick_send)  # served while the slow body is still on its way
            assert status_and_headers(quick_sent)[0] == 200 and not slow_sent
            gate.set()
    assert status_and_headers(slow_sent)[0] == 200 and slow_sent[1]["body"] == b'{"a":1}'


async def test_a_body_past_the_size_limit_goes_to_the_app_without_taking_a_place() -> None:
    inner = HeldApp()
    inner.release.set()
    admission = Admission(inner, max_in_flight=1, max_queued=0, max_wait_s=30, max_body_bytes=4)
    sent, send = sink()
    with anyio.fail_after(10):
        await admission(*request(chunks=(b"0123456", b"789")), send)
    assert status_and_headers(sent)[0] == 200 and sent[1]["body"] == b"0123456789"  # the app saw it whole
    assert admission.in_flight == 0


async def test_episodes_that_only_read_cost_no_budget_and_writers_past_it_make_the_server_full() -> None:
    copy = len(TEMPLATE.image)
    registry = EpisodeRegistry(TEMPLATE, max_world_bytes=2 * copy)
    try:
        readers = [await registry.get(f"reader-{n}") for n in range(4)]
        for episode in readers:
            await episode.db.execute_fetchall("SELECT COUNT(*) FROM orders")
        assert registry.world_bytes() == 0
        for episode in readers[:2]:
            await episode.db.execute("UPDATE customers SET notes = 'x' WHERE id = (SELECT MIN(id) FROM customers)")
        assert registry.world_bytes() == 2 * copy
        with pytest.raises(ServerFullError, match="MB of world copies"):
            await registry.get("one-too-many")
        await registry.close("reader-0")
        assert (await registry.get("room-again")).has_private_copy is False
    finally:
        await registry.close_all()


async def test_post_episodes_answers_503_with_retry_after_when_the_world_budget_is_spent() -> None:
    app = build_http_app(HttpSettings(max_world_mb=len(TEMPLATE.image) / 2**20), TEMPLATE)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{HttpSettings().port}") as client:
            first = await client.post("/episodes", json={})
            assert first.status_code == 201
            episode = app.state.registry.find(first.json()["episode_id"])
            await episode.db.execute("UPDATE customers SET notes = 'x' WHERE id = (SELECT MIN(id) FROM customers)")
            refused = await client.post("/episodes", json={})
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert "world copies" in refused.json()["error"]


async def test_while_the_loop_runs_late_new_episodes_are_turned_away_and_running_ones_keep_working() -> None:
    inner = HeldApp()
    inner.release.set()
    lag = LoopLag()
    admission = Admission(inner, max_in_flight=4, max_queued=4, max_wait_s=30, max_body_bytes=1024, lag=lag, max_open_lag_s=0.1)
    lag.lag_s = 0.4
    opening, opening_send = sink()
    scope, receive = request()
    with anyio.fail_after(10):
        await admission({**scope, "path": "/episodes"}, receive, opening_send)
        calling, calling_send = sink()
        await admission(*request(), calling_send)
        lag.lag_s = 0.05
        reopened, reopened_send = sink()
        scope, receive = request()
        await admission({**scope, "path": "/episodes"}, receive, reopened_send)
    assert status_and_headers(opening)[0] == 503 and b"0.40 s behind" in opening[1]["body"]
    assert status_and_headers(calling)[0] == 200 and status_and_headers(reopened)[0] == 200


async def test_the_loop_lag_is_how_late_a_short_sleep_wakes_and_a_spike_fades() -> None:
    def clock() -> Iterator[float]:
        yield from (0.0, 0.35)  # the first beat wakes 0.30 s late; every later one on time
        now = 0.35
        while True:
            yield now
            now += 0.05
            yield now

    readings = clock()
    lag = LoopLag(every_s=0.05, clock=lambda: next(readings))
    seen: list[float] = []
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(lag.watch)
            while len(seen) < 2:
                await anyio.sleep(0.01)
                if lag.lag_s and (not seen or lag.lag_s != seen[-1]):
                    seen.append(round(lag.lag_s, 3))
            tasks.cancel_scope.cancel()
    assert seen == [0.3, 0.15]


def test_serve_documents_the_http_transports_own_default_host_and_port() -> None:
    assert (serve.DEFAULT_HOST, serve.DEFAULT_PORT) == (http_transport.DEFAULT_HOST, http_transport.DEFAULT_PORT)


@pytest.mark.parametrize("bad", [{"max_in_flight": 0}, {"max_queued": -1}, {"max_wait_s": 0}])
def test_admission_refuses_settings_that_would_admit_nothing(bad: dict[str, Any]) -> None:
    settings: dict[str, Any] = {"max_in_flight": 1, "max_queued": 0, "max_wait_s": 1.0, "max_body_bytes": 10, **bad}
    with pytest.raises(ValueError, match="admission needs"):
        Admission(HeldApp(), **settings)
