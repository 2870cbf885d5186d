"""Before any episode: is the OpenAI-compatible server at ``--base-url`` there at all?

Without this check a server that is down (or a mistyped port) costs every episode its full retry
budget of refused connections, about a minute each, and the run ends as a column of errors. One
GET of ``<base_url>/models`` answers in milliseconds when a server listens; any HTTP answer (even
401 or 404) means something is there, and only a connection failure or silence stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from harness.errors import ConfigurationError
from harness.providers.common import tls_context

PREFLIGHT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ServerCheck:
    status: int  # the HTTP status of GET /models
    models: list[str]  # the model ids it lists (empty when it lists none or did not say)

    def lists(self, model: str) -> bool:
        return not self.models or model in self.models


async def check_server(
    base_url: str, *, timeout_s: float = PREFLIGHT_TIMEOUT_S, transport: httpx2.AsyncBaseTransport | None = None,
) -> ServerCheck:
    """GET ``<base_url>/models``; ConfigurationError naming the URL when nothing answers in time."""
    url = base_url.rstrip("/") + "/models"
    try:
        async with httpx2.AsyncClient(timeout=timeout_s, transport=transport, verify=tls_context()) as client:
            response = await client.get(url)
    except httpx2.TimeoutException as exc:
        raise ConfigurationError(
            f"the model server at {base_url} did not answer GET /models within {timeout_s:g} s "
            f"({type(exc).__name__}); is it up and is --base-url right?"
        ) from exc
    except httpx2.TransportError as exc:
        raise ConfigurationError(
            f"cannot reach the model server at {base_url}: {exc or type(exc).__name__}. Start it (see "
            "docs/open-models.md) or fix --base-url; no episode was started"
        ) from exc
    return ServerCheck(status=response.status_code, models=_model_ids(response))


def _model_ids(response: httpx2.Response) -> list[str]:
    if response.status_code != 200:
        return []
    try:
        body = response.json()
    except ValueError:
        return []
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return []
    return [item["id"] for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]
