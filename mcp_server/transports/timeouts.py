"""Slow-client protection for the HTTP transport: deadlines uvicorn does not have, and a connection cap.

uvicorn (h11) closes a connection left idle after a response (``timeout_keep_alive``), but has no
deadline for receiving a request: a client that opens a socket and sends nothing, or sends its
headers or body a byte at a time, holds the connection (and its buffers) for as long as it likes.
:class:`DeadlineH11Protocol` adds the missing rules:

- idle (a new connection, or one between requests): closed after ``keep_alive_s`` without a byte;
- receiving: once a request's first byte is in (or, for a pipelined request already buffered, once
  the previous response has ended), the whole request, headers and body, must be in within
  ``request_timeout_s``; otherwise the server answers ``408 Request Timeout`` if it has not begun a
  response (and just closes if it has) and closes the connection. A request fully received is on
  the app's time, not the client's: no deadline while the app works.

:func:`uvicorn_config` builds the ``uvicorn.Config`` with these and a cap on concurrent connections
(uvicorn's ``limit_concurrency``: requests beyond it get 503). The subclass relies on uvicorn
internals; they are checked at import (by what the classes have, not by version number, so a
uvicorn release that keeps them still serves), and a uvicorn without them fails here with a clear
message rather than serving without protection. The tests pin the version series they were run on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

DEFAULT_REQUEST_TIMEOUT_S = 10.0
DEFAULT_KEEP_ALIVE_S = 5.0
DEFAULT_MAX_CONNECTIONS = 1000
TESTED_UVICORN = "0.55"  # the minor series this subclass was written against and tested with

_logger = logging.getLogger("mcp_server.transports.timeouts")
_TIMEOUT_BODY = b"Request Timeout: the request was not received in time\n"
# Written raw, not through h11: h11 refuses a response while the request line is still incomplete.
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TIMEOUT_BODY
)
# What the subclass touches: methods it overrides or calls, and attributes set in __init__.
_PROTOCOL_METHODS = ("connection_made", "connection_lost", "data_received", "on_response_complete",
                     "handle_websocket_upgrade", "timeout_keep_alive_handler", "_unset_keepalive_if_required")
_PROTOCOL_ATTRIBUTES = ("conn", "transport", "loop", "cycle", "timeout_keep_alive", "timeout_keep_alive_task")
_CYCLE_ATTRIBUTES = ("disconnected", "message_event", "response_complete")
_CONFIG_PARAMETERS = ("http", "ws", "timeout_keep_alive", "limit_concurrency")


def missing_internals(protocol: type = H11Protocol, cycle: type = RequestResponseCycle, config: type = uvicorn.Config) -> list[str]:
    """The uvicorn internals :class:`DeadlineH11Protocol` needs that these classes lack (none: usable)."""

    def set_in_init(cls: type) -> set[str]:
        init = getattr(cls, "__init__", None)
        return set(getattr(getattr(init, "__code__", None), "co_names", ()))

    missing = [f"{protocol.__name__}.{name}()" for name in _PROTOCOL_METHODS if not callable(getattr(protocol, name, None))]
    missing += [f"{protocol.__name__}.{name}" for name in _PROTOCOL_ATTRIBUTES if name not in set_in_init(protocol)]
    missing += [f"{cycle.__name__}.{name}" for name in _CYCLE_ATTRIBUTES if name not in set_in_init(cycle)]
    parameters = inspect.signature(config).parameters
    missing += [f"{config.__name__}({name}=...)" for name in _CONFIG_PARAMETERS if name not in parameters]
    return missing


def check_uvicorn(version: str = uvicorn.__version__, missing: list[str] | None = None) -> None:
    """Raise ImportError, naming the installed version and what is gone, if the internals are missing."""
    missing = missing_internals() if missing is None else missing
    if missing:
        raise ImportError(
            f"mcp_server.transports.timeouts was written for uvicorn {TESTED_UVICORN}.x, but uvicorn {version} "
            f"lacks {', '.join(missing)}. Install uvicorn {TESTED_UVICORN}.x, or update DeadlineH11Protocol "
            f"to the new uvicorn and rerun tests/mcp_server/transports/test_timeouts.py."
        )


check_uvicorn()


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with an idle deadline on fresh connections and a request deadline.

    Reads ``request_timeout_s`` from its config (default ``DEFAULT_REQUEST_TIMEOUT_S``); the idle
    deadline is uvicorn's own ``timeout_keep_alive``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout_s = float(getattr(self.config, "request_timeout_s", DEFAULT_REQUEST_TIMEOUT_S))
        self.request_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()  # a connection that never sends a byte is idle from the start

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()  # a pipelined request already (partly) buffered starts its deadline now

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._cancel_deadline()
        self._unset_keepalive_if_required()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._cancel_deadline()  # the connection leaves this protocol; its timers must not follow
        super().handle_websocket_upgrade(event)

    def _watch(self) -> None:
        """Put the connection on the timer its state calls for: receiving, idle, or neither."""
        if self.transport.is_closing():
            self._cancel_deadline()
            self._unset_keepalive_if_required()
            return
        theirs = self.conn.their_state
        if theirs is h11.SEND_BODY or (theirs is h11.IDLE and self.conn.trailing_data[0]):
            self._unset_keepalive_if_required()  # a request under way is on the request deadline only
            if self.request_deadline is None:
                self.request_deadline = self.loop.call_later(self.request_timeout_s, self._request_timed_out)
            return
        self._cancel_deadline()
        if theirs is h11.IDLE and self.timeout_keep_alive_task is None:
            # Idle with nothing buffered: uvicorn arms this only after a response, not on a new connection
            # (nor after the rest of a body it answered early), so arm it here.
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def _cancel_deadline(self) -> None:
        if self.request_deadline is not None:
            self.request_deadline.cancel()
            self.request_deadline = None

    def _request_timed_out(self) -> None:
        self.request_deadline = None
        if self.transport.is_closing():
            return
        _logger.debug("closing %s: request not received within %.3g s", self.client, self.request_timeout_s)
        if self.cycle is not None and not self.cycle.response_complete:
            # The app may be waiting for the rest of the body: it now reads a disconnect, and anything it
            # sends is dropped (as when a client goes away).
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # no response begun: say why we close
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


class DeadlineConfig(uvicorn.Config):
    """``uvicorn.Config`` that also carries the request deadline to :class:`DeadlineH11Protocol`."""

    def __init__(self, app: Any, *, request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.request_timeout_s = request_timeout_s


def uvicorn_config(
    app: Any,
    *,
    host: str,
    port: int,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    keep_alive_s: float = DEFAULT_KEEP_ALIVE_S,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    log_level: str = "warning",
    lifespan: str = "on",
) -> uvicorn.Config:
    """The uvicorn config for serving ``app`` with slow-client protection (see the module docstring)."""
    if not request_timeout_s > 0:
        raise ValueError(f"request_timeout_s must be positive (got {request_timeout_s})")
    if not keep_alive_s > 0:
        raise ValueError(f"keep_alive_s must be positive (got {keep_alive_s})")
    if max_connections < 1:
        raise ValueError(f"max_connections must be at least 1 (got {max_connections})")
    return DeadlineConfig(
        app,
        request_timeout_s=request_timeout_s,
        host=host,
        port=port,
        http=DeadlineH11Protocol,
        ws="none",  # no WebSocket routes; an upgrade would take the connection off these deadlines
        timeout_keep_alive=keep_alive_s,  # type: ignore[arg-type]  # uvicorn types it int; call_later takes float
        # uvicorn counts the connection asking too, and answers 503 once the count reaches the limit.
        limit_concurrency=max_connections + 1,
        log_level=log_level,
        lifespan=lifespan,  # type: ignore[arg-type]
    )
