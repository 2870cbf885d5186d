"""What the server bench's sections share: timing and percentiles, the lookups every section makes,
the server in its own process, and the HTTP episode calls (open, call with a key, close)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx2  # noqa: E402
from mcp.client.session import ClientSession  # noqa: E402

from mcp_server.episodes import KEY_HEADER  # noqa: E402
from mcp_server.transports.security import ADMIN_HEADER  # noqa: E402
from mcp_server.world.store import Template  # noqa: E402

Lookups = dict[str, tuple[str, dict[str, Any]]]

ADMIN_TOKEN_ENV = "CORECRAFT_ADMIN_TOKEN"
# A plain JSON-RPC client's tools/call on the stateless protocol: these headers plus STATELESS_META.
STATELESS_VERSION = "2026-07-28"
STATELESS_META = {
    "io.modelcontextprotocol/protocolVersion": STATELESS_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
}
_request_ids = itertools.count(1)


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50_ms": round(at(0.50), 3), "p99_ms": round(at(0.99), 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3), "n": len(ordered)}


async def timed(
    n: int, call: Callable[[], Awaitable[Any]], warmup: int = 20, between: Callable[[], Awaitable[Any]] | None = None
) -> list[float]:
    """Wall time of each of n calls after a warm-up; ``between`` runs untimed before each call."""
    samples = []
    for index in range(warmup + n):
        if between is not None:
            await between()
        start = time.perf_counter()
        await call()
        if index >= warmup:
            samples.append(time.perf_counter() - start)
    return samples


def must_succeed(result: Any) -> Any:
    """A tool error would time a refusal (e.g. the per-episode call cap), not the tool: stop instead."""
    if getattr(result, "is_error", False):
        raise RuntimeError(f"a timed call failed, so its timing would mislead: {str(result.content)[:300]}")
    return result


def summary(episodes: int, latencies: list[float], errors: list[str], wall: float) -> dict[str, Any]:
    return {
        "episodes": episodes,
        "calls": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "wall_s": round(wall, 3),
        "calls_per_s": round(len(latencies) / wall, 1) if wall else None,
        "call_latency": percentiles(latencies) if latencies else None,
    }


def lookups(template: Template) -> Lookups:
    """The same three lookups everywhere: one order with its joins, a name search, a customer's orders."""
    conn = template.connect_sync()
    try:
        order_id, customer_id = conn.execute("SELECT id, customer_id FROM orders ORDER BY id LIMIT 1 OFFSET 100").fetchone()
        last_name = conn.execute("SELECT last_name FROM customers WHERE id = ?", (customer_id,)).fetchone()[0]
    finally:
        conn.close()
    return {
        "getOrderDetails": ("getOrderDetails", {"order_id": order_id}),
        "searchCustomers": ("searchCustomers", {"name": last_name[:4], "limit": 10}),
        "searchOrders": ("searchOrders", {"customer_id": customer_id}),
    }


def open_ticket(template: Template) -> str:
    """A ticket that still accepts escalations (not closed), for a write every episode can make."""
    conn = template.connect_sync()
    try:
        row = conn.execute("SELECT id FROM support_tickets WHERE status != 'closed' ORDER BY id LIMIT 1").fetchone()
    finally:
        conn.close()
    if row is None:
        raise RuntimeError("the world has no open ticket to escalate; the ownership figure needs one")
    return str(row[0])


@contextmanager
def without_output_validation() -> Iterator[None]:
    """The SDK client re-validates every result against the tool's output schema with jsonschema
    (and compiles each schema once per client); timing without it separates client cost from ours."""
    original = ClientSession.validate_tool_result

    async def skip(_self: ClientSession, _name: str, _result: Any) -> None:
        return None

    ClientSession.validate_tool_result = skip  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        ClientSession.validate_tool_result = original  # type: ignore[method-assign]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, *flags: str) -> list[str]:
    """`corecraft serve --transport http` (the console script's own entry point, run by this Python)."""
    return [sys.executable, "-m", "harness.cli.main", "serve", "--transport", "http", "--port", str(port), *flags]


class ServerProcess:
    """A server in its own process on a loopback port, as deployed: `corecraft serve --transport http
    --port P *flags` unless ``command`` builds another command line for the port. Its stderr goes to a
    file, since a pipe nobody reads would block the server once full."""

    def __init__(
        self, *flags: str, env: Mapping[str, str] | None = None, command: Callable[[int], list[str]] | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        self.args = command(self.port) if command is not None else serve_command(self.port, *flags)
        self.env = {**os.environ, **(env or {})}
        self.log = Path(tempfile.gettempdir()) / f"corecraft-bench-server-{os.getpid()}-{self.port}.log"

    async def __aenter__(self) -> ServerProcess:
        with self.log.open("wb") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(self.args, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        async with httpx2.AsyncClient(timeout=2) as http:
            while True:  # no readiness event from another process: poll, bounded
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with status {self.process.returncode}: {self.log_text()[-2000:]}")
                try:
                    if (await http.get(f"{self.base}/healthz")).status_code == 200:
                        return self
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline:
                    await self.__aexit__()
                    raise RuntimeError(f"the server did not come up within 60 s: {self.log_text()[-2000:]}")
                await asyncio.sleep(0.05)

    async def __aexit__(self, *_exc: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C: the server closes its episodes and exits
            try:
                await asyncio.to_thread(self.process.wait, timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        self.log.unlink(missing_ok=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def rss_mb(self) -> float | None:
        """The server's resident memory (VmRSS), or None once it is gone."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return None


# --- Episodes over HTTP ------------------------------------------------------------------------------


def key_headers(key: str) -> dict[str, str]:
    return {KEY_HEADER: key}


def admin_headers(token: str) -> dict[str, str]:
    return {ADMIN_HEADER: token}


async def open_episode(http: httpx2.AsyncClient, base: str, label: str, clock: str | None = None) -> tuple[str, str]:
    """``POST /episodes``: the new episode's id and its key."""
    options = {"label": label, **({"clock": clock} if clock else {})}
    response = await http.post(f"{base}/episodes", json=options)
    if response.status_code != 201:
        raise RuntimeError(f"POST {base}/episodes answered {response.status_code}: {response.text[:300]}")
    opened = response.json()
    return str(opened["episode_id"]), str(opened["key"])


async def close_episode(http: httpx2.AsyncClient, base: str, episode_id: str, key: str) -> dict[str, Any]:
    """``DELETE /episodes/{id}`` with the episode's key: its final export."""
    response = await http.delete(f"{base}/episodes/{episode_id}", headers=key_headers(key))
    if response.status_code != 200:
        raise RuntimeError(f"DELETE {base}/episodes/{episode_id} answered {response.status_code}: {response.text[:300]}")
    return dict(response.json())


def stateless_call(
    tool: str, arguments: dict[str, Any], key: str | None, extra_meta: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and body of a plain JSON-RPC tools/call on the stateless protocol, in the episode of ``key``."""
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": STATELESS_VERSION,
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
        **(key_headers(key) if key else {}),
    }
    params = {"name": tool, "arguments": arguments, "_meta": {**STATELESS_META, **(extra_meta or {})}}
    return headers, {"jsonrpc": "2.0", "id": next(_request_ids), "method": "tools/call", "params": params}


def call_failure(status: int, body: bytes) -> str | None:
    """Why a raw tools/call did not return a successful tool result, or None when it did (any
    client: pass the HTTP status and the response body)."""
    try:
        reply = json.loads(body)
    except ValueError:
        return f"{status} {body[:200].decode('utf-8', 'replace')}"
    if status != 200 or not isinstance(reply, dict) or "error" in reply or reply.get("result", {}).get("isError") is not False:
        return f"{status} {str(reply)[:200]}"
    return None
