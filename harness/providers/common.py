"""What every HTTP provider shares: one call with error mapping and retries, the exchange record,
the request body builder, reply parsing helpers, the bookkeeping of tool calls awaiting results,
and the provider base that builds the SDK client and POSTs through it."""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx2

from harness.errors import FatalProviderError, MalformedReplyError, RetryableProviderError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.providers.request_body import RequestBody
from harness.providers.retry import RetryLog, RetryPolicy, call_with_retries, status_error
from harness.providers.settings import ModelSettings, reject_unsupported


class RawHttpResponse(Protocol):
    """The part of the SDKs' ``with_raw_response`` objects we use (both SDKs have it)."""

    @property
    def http_request(self) -> Any: ...

    @property
    def http_response(self) -> Any: ...


@dataclass(frozen=True)
class SdkErrors:
    """The SDK exception classes that mean 'HTTP error status', 'no answer at all' and, among
    those, 'no answer in time' (``timeout``, a subclass of ``connection`` in both SDKs)."""

    status: type[Exception]
    connection: type[Exception]
    timeout: type[Exception] | None = None


@dataclass(frozen=True)
class Sdk:
    """What an adapter needs from its SDK: the client class, the exception classes ``exchange``
    maps, what the SDK's create() adds to the POST besides the body (``post_options``), and the
    SDK's own httpx2 client class with its defaults (limits, timeouts, redirects, keep-alive)."""

    client: Callable[..., Any]
    errors: SdkErrors
    post_options: Callable[[], Any]  # a fresh dict per call: the SDK keeps a reference to it
    http_client: Callable[..., httpx2.AsyncClient] = httpx2.AsyncClient


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every HTTP client the harness makes (httpx2's defaults), built once per
    process: building them reads the system's CA store, tens of milliseconds that each new client
    (the provider's, the pre-flight check's) would otherwise pay again before the first episode."""
    return httpx2.create_ssl_context()


@dataclass(frozen=True)
class Exchange:
    request: dict[str, Any]
    response: dict[str, Any]
    record: dict[str, Any]  # what goes into ModelTurn.exchange


def policy_for(settings: ModelSettings, sleep: Callable[[float], Awaitable[None]] | None) -> RetryPolicy:
    if sleep is None:
        return RetryPolicy(max_retries=settings.max_retries)
    return RetryPolicy(max_retries=settings.max_retries, sleep=sleep)


async def exchange(
    send: Callable[[], Awaitable[RawHttpResponse | httpx2.Response]],
    *,
    request: dict[str, Any] | None = None,
    provider: str,
    errors: SdkErrors,
    policy: RetryPolicy,
    timeout_s: float | None = None,
) -> Exchange:
    """One model call with retries; returns the JSON sent and received (never the API key,
    which travels in a header). ``request``: the body as sent, when the caller built it (see
    RequestBody), which spares parsing the serialized body again.

    A request the server took but did not answer within ``timeout_s`` is not sent again: the
    same prompt to the same server takes as long again (a large prompt on a CPU-bound local
    model), so retrying only multiplies the wait. A timeout while connecting is retried."""
    log = RetryLog()
    timeout_error: tuple[type[Exception], ...] = (errors.timeout,) if errors.timeout else ()

    async def attempt() -> RawHttpResponse | httpx2.Response:
        try:
            return await send()
        except errors.status as exc:
            status, headers = exc.status_code, exc.response.headers  # type: ignore[attr-defined]
            raise status_error(provider, status, _error_text(exc), headers) from exc
        except timeout_error as exc:
            if isinstance(exc.__cause__, httpx2.ConnectTimeout):
                raise RetryableProviderError(f"{provider} connection timed out: {exc}") from exc
            waited = f" after {timeout_s:g} s" if timeout_s is not None else ""
            raise FatalProviderError(
                f"{provider} request timed out{waited} without an answer; not retried, since the same request "
                "would take as long again. A slow server (a local model on CPU, a long prompt) needs a longer "
                "--request-timeout"
            ) from exc
        except errors.connection as exc:
            raise RetryableProviderError(f"{provider} connection failed: {exc}") from exc

    raw = await call_with_retries(attempt, policy, what=f"{provider} call", log=log)
    http_response = raw if isinstance(raw, httpx2.Response) else raw.http_response
    url = http_response.request.url
    if request is None:
        request = _json_object(http_response.request.content, what=f"{provider} request")
    response = _json_object(http_response.content, what=f"{provider} reply")
    record = {
        "endpoint": str(url.copy_with(query=None, username=None, password=None)),
        "request": request,
        "response": response,
        **log.as_dict(),
    }
    return Exchange(request=request, response=response, record=record)


def _error_text(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            kind = error.get("type") or error.get("code")
            return f"{error['message']} ({kind})" if kind else error["message"]
        if isinstance(error, str):
            return error
    return str(getattr(exc, "message", exc))[:1000]


def _json_object(content: bytes | None, *, what: str) -> dict[str, Any]:
    try:
        value = json.loads(content or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        preview = (content or b"")[:200].decode("utf-8", "replace")
        raise MalformedReplyError(f"{what} is not JSON: {preview!r}") from exc
    if not isinstance(value, dict):
        raise MalformedReplyError(f"{what} is not a JSON object: {type(value).__name__}")
    return value


_BODIES_KEPT = 16  # laid-out request bodies a provider keeps (one per tool list and system prompt)


# --- reading replies ------------------------------------------------------------------------


def need(mapping: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *, where: str) -> Any:
    """``mapping[key]`` if it exists and has type ``kind``, else MalformedReplyError."""
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    if not isinstance(value, kind):
        raise MalformedReplyError(f"{where}: expected {key!r} of type {_kind_name(kind)}, got {value!r:.200}")
    return value


def count(mapping: Any, *path: str) -> int:
    """A token count at ``path`` inside a usage object; missing or null counts as 0."""
    value = mapping
    for key in path:
        if not isinstance(value, Mapping):
            return 0
        value = value.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedReplyError(f"usage field {'.'.join(path)} is not an integer: {value!r:.100}")
    return value


# How the harness words its refusal of tool arguments it could not read. Such a call never reaches a
# server, and grading's replay recognises it by these openings (harness/grading/replay.py).
NOT_JSON_PREFIX = "tool arguments are not valid JSON ("
NOT_AN_OBJECT_PREFIX = "tool arguments must be a JSON object, got "
INPUT_NOT_AN_OBJECT_PREFIX = "tool input must be a JSON object, got "
ARGUMENT_REFUSAL_PREFIXES = (NOT_JSON_PREFIX, NOT_AN_OBJECT_PREFIX, INPUT_NOT_AN_OBJECT_PREFIX)


def parse_arguments(raw: Any) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments from a JSON string: (arguments, None) or ({}, why they were rejected).

    An empty string means no arguments (some servers send it for parameterless calls)."""
    if isinstance(raw, Mapping):
        return dict(raw), None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}, None
    if not isinstance(raw, str):
        return {}, f"{NOT_AN_OBJECT_PREFIX}{type(raw).__name__}"
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return {}, f"{NOT_JSON_PREFIX}{exc}): {raw[:500]}"
    if not isinstance(value, dict):
        return {}, f"{NOT_AN_OBJECT_PREFIX}{type(value).__name__}: {raw[:500]}"
    return value, None


def without_nulls(block: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if v is not None}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


# --- tool results bookkeeping ---------------------------------------------------------------


class PendingCalls:
    """The last turn's tool calls, until their results arrive; catches agent-loop mistakes early."""

    def __init__(self) -> None:
        self._ids: list[str] = []

    def expect(self, calls: Sequence[ToolCall]) -> None:
        self._ids = [c.id for c in calls]

    def settle(self, results: Sequence[ToolResult]) -> None:
        given = [r.call_id for r in results]
        if sorted(given) != sorted(self._ids):
            raise ValueError(f"tool results {given} do not match the last turn's tool calls {self._ids}")
        self._ids = []

    def check_none_open(self) -> None:
        if self._ids:
            raise RuntimeError(f"next_turn() called before add_tool_results() for tool calls {self._ids}")


# --- provider lifecycle ---------------------------------------------------------------------


class ProviderBase:
    """Fields every provider records, plus ``async with`` support around ``aclose``."""

    prefix: str = ""

    def __init__(self, name: str, settings: ModelSettings, *, base_url: str | None) -> None:
        self.name = name  # the model name the API sees, without our prefix
        self.model = f"{self.prefix}/{name}"
        self.model_settings = settings
        self.settings: dict[str, Any] = settings.manifest()
        self.base_url = base_url

    async def aclose(self) -> None:
        """Release network resources (the SDK client and the httpx2 client it holds)."""

    async def __aenter__(self) -> ProviderBase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class HttpProvider(ProviderBase):
    """A provider behind an HTTP API, reached through its SDK's client. Retries are ours (the
    client's are off) and request bodies come from RequestBody, not from the SDK's create()."""

    sdk: Sdk
    path: str  # the endpoint, relative to the client's base URL
    supported_settings: tuple[str, ...]  # the optional settings this API takes
    setting_hints: Mapping[str, str] = {}  # what to use instead of a setting it refuses

    def __init__(
        self,
        name: str,
        settings: ModelSettings,
        *,
        api_key: str,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        reject_unsupported(settings, provider=self.prefix, supported=self.supported_settings, hints=self.setting_hints)
        self.check_settings(settings)
        super().__init__(name, settings, base_url=base_url)
        self.policy = policy_for(settings, sleep)
        self._bodies: dict[tuple[Any, ...], tuple[tuple[Any, ...], RequestBody]] = {}
        if http_client is None:  # the client the SDK would build, with the shared TLS settings
            http_client = self.sdk.http_client(verify=tls_context())
        # Explicit timeout: also stops the anthropic SDK refusing large max_tokens without streaming.
        self._client = self.sdk.client(
            api_key=api_key,
            base_url=base_url,
            http_client=http_client,
            max_retries=0,
            timeout=settings.request_timeout_s,
        )

    def check_settings(self, settings: ModelSettings) -> None:
        """Refuse values of supported settings that this API does not take (ConfigurationError)."""

    async def aclose(self) -> None:
        await self._client.close()

    def warn_like_the_sdk(self) -> None:
        """The warnings create() gives for this model and settings, which send() bypasses (none
        unless an adapter says so). Called once per turn, directly from the conversation's
        next_turn, so that an adapter's ``stacklevel`` points at the same frame."""

    def conversation_body(
        self, tools: Sequence[ToolSchema], system: str | None, build: Callable[[], RequestBody]
    ) -> RequestBody:
        """A new conversation's RequestBody, whose fixed fields ``build`` makes from this provider's
        settings, ``tools`` and ``system`` alone (None where the system prompt is not among them).
        Every episode of a run passes the same ToolSchema objects (harness.agent.episode_tool_schemas),
        so the ~50 KB of tools are serialized once per tool list (and system prompt), not once per
        episode; each conversation gets a fresh copy."""
        key = (*map(id, tools), system)
        cached = self._bodies.get(key)
        if cached is None:
            if len(self._bodies) >= _BODIES_KEPT:
                del self._bodies[next(iter(self._bodies))]  # the oldest
            cached = self._bodies[key] = (tuple(tools), build())  # the tools held: their ids stay theirs
        return cached[1].fresh()

    async def send(self, body: bytes) -> Any:
        """POST a body built by RequestBody: what create() sends, without its per-call walk and
        serialization of the whole request (the returned object is the same as with_raw_response's)."""
        options = self.sdk.post_options()
        return await self._client.post(self.path, content=body, cast_to=httpx2.Response, options=options)


class HttpConversation:
    """One episode with an HTTP provider: each turn checks that the last turn's tool calls were
    answered, makes one call (with retries) and records the exchange. The adapter says how its
    wire format takes a reply into the history and writes tool results into it."""

    def __init__(self, provider: HttpProvider, body: RequestBody, history: list[dict[str, Any]]) -> None:
        self._provider = provider
        self._body = body
        self._history = history  # the provider-native messages or input items, as sent
        self._pending = PendingCalls()

    async def next_turn(self) -> ModelTurn:
        self._pending.check_none_open()
        provider = self._provider
        provider.warn_like_the_sdk()
        body, request = self._body.render(self._history_to_send())
        done = await exchange(
            lambda: provider.send(body),
            request=request,
            provider=provider.prefix,
            errors=provider.sdk.errors,
            policy=provider.policy,
            timeout_s=provider.model_settings.request_timeout_s,
        )
        turn = self._take_reply(done.response)
        turn.exchange = done.record
        self._pending.expect(turn.tool_calls)
        return turn

    def add_tool_results(self, results: list[ToolResult]) -> None:
        self._pending.settle(results)
        self._history.extend(self._result_items(results))

    def _history_to_send(self) -> list[dict[str, Any]]:
        return self._history

    def _take_reply(self, response: dict[str, Any]) -> ModelTurn:
        """The turn in ``response``, after adding what must be sent back to the history."""
        raise NotImplementedError

    def _result_items(self, results: list[ToolResult]) -> list[dict[str, Any]]:
        """What the history gains for the results of the last turn's tool calls."""
        raise NotImplementedError
