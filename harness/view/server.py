"""`corecraft view --serve`: the report on http://127.0.0.1:PORT/, for a browser on this machine.

It binds the loopback address only, serves the one page and nothing else, and refuses requests
whose Host header names another site (a DNS-rebinding page must not read transcripts)."""

from __future__ import annotations

from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"
_PATHS = ("/", "/index.html")


class _Handler(BaseHTTPRequestHandler):
    server: ReportServer

    def _allowed_host(self) -> bool:
        port = self.server.server_address[1]
        return (self.headers.get("Host") or "") in {f"{LOOPBACK}:{port}", f"localhost:{port}"}

    def _respond(self, body: bool) -> None:
        if not self._allowed_host():
            self.send_error(HTTPStatus.FORBIDDEN, "unknown Host: open the address `corecraft view` printed")
            return
        if self.path.split("?", 1)[0] not in _PATHS:
            self.send_error(HTTPStatus.NOT_FOUND, "the report is at /")
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.server.page)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if body:
            self.wfile.write(self.server.page)

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self._respond(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # a request per reload is not worth a line on the terminal


class ReportServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, page: bytes, port: int = 0) -> None:
        self.page = page
        super().__init__((LOOPBACK, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}/"
