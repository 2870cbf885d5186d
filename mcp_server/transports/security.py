"""HTTP request guards for every route of the app (MCP endpoint and admin routes alike).

- Host header allow-list (DNS-rebinding protection): 421 otherwise.
- Origin allow-list for browser requests (a request without Origin is not from a web page): 403.
- Optional shared bearer token, header only, compared in constant time: 401 otherwise.

The admin token (``X-CoreCraft-Admin-Token``) is checked by the routes that need it, not here: it
grants listing and reaching every episode, on top of whatever the shared token grants.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.datastructures import Headers

ADMIN_HEADER = "x-corecraft-admin-token"
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def _host_pattern(host: str) -> str:
    return f"[{host}]:*" if ":" in host and not host.startswith("[") else f"{host}:*"


@dataclass(frozen=True)
class HttpSecurity:
    """What the guard lets through. Patterns are ``host:port`` or ``host:*`` (any port)."""

    allowed_hosts: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    token: str | None = field(default=None, repr=False)
    admin_token: str | None = field(default=None, repr=False)

    def is_admin(self, headers: Headers) -> bool:
        given = headers.get(ADMIN_HEADER)
        if self.admin_token is None or given is None:
            return False
        return hmac.compare_digest(given.encode(), self.admin_token.encode())

    @classmethod
    def for_bind(
        cls,
        host: str,
        *,
        token: str | None = None,
        admin_token: str | None = None,
        extra_hosts: Iterable[str] = (),
        extra_origins: Iterable[str] = (),
    ) -> HttpSecurity:
        """Loopback names always; the bound name too unless it is a wildcard; plus the extras."""
        names = list(LOOPBACK_HOSTS)
        if host not in WILDCARD_BINDS and host not in names:
            names.append(host)
        hosts = [_host_pattern(name) for name in names] + list(extra_hosts)
        origins = [f"http://{pattern}" for pattern in hosts] + list(extra_origins)
        return cls(
            allowed_hosts=tuple(hosts), allowed_origins=tuple(origins), token=token or None, admin_token=admin_token or None
        )


def matches(value: str, patterns: Iterable[str]) -> bool:
    """Exact match, or ``name:*`` matching ``name:<any port>``."""
    for pattern in patterns:
        if value == pattern:
            return True
        if pattern.endswith(":*") and value.startswith(pattern[:-1]) and value[len(pattern) - 1 :].isdigit():
            return True
    return False


class SecurityMiddleware:
    """Pure ASGI middleware: checks Host, Origin and the bearer token before any route runs."""

    def __init__(self, app: ASGIApp, security: HttpSecurity) -> None:
        self.app = app
        self.security = security
        self._expected = f"Bearer {security.token}".encode() if security.token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not matches(host, self.security.allowed_hosts):
            await _refuse(send, 421, "invalid Host header")
            return
        origin = headers.get("origin")
        if origin is not None and not matches(origin, self.security.allowed_origins):
            await _refuse(send, 403, "invalid Origin header")
            return
        if self._expected is not None:
            given = headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, self._expected):
                await _refuse(send, 401, "missing or wrong bearer token", {"www-authenticate": 'Bearer realm="corecraft"'})
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str, extra: dict[str, str] | None = None) -> None:
    await send_json(send, status, {"error": message}, extra)


async def send_json(send: Send, status: int, payload: object, extra: dict[str, str] | None = None) -> None:
    """A whole JSON response from plain ASGI middleware (which has no Starlette Response to use)."""
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
