"""Choose and build a provider from a model string ``<provider>/<model>``.

==================  ==========================================  =====================================
prefix              wire format                                 credentials
==================  ==========================================  =====================================
anthropic           Anthropic Messages                          ANTHROPIC_API_KEY
openai              OpenAI Chat Completions                     OPENAI_API_KEY
openai-responses    OpenAI Responses                            OPENAI_API_KEY
openai-compatible   Chat Completions at ``base_url`` (vLLM,     CORECRAFT_COMPAT_API_KEY, else
                    SGLang, ...); base_url is required          OPENAI_API_KEY, else "EMPTY" when
                                                                base_url is local
scripted            replays the task's reference (no network)   none
==================  ==========================================  =====================================

The model part may itself contain slashes: ``openai-compatible/zai-org/GLM-4.6`` asks the server
for ``zai-org/GLM-4.6``. ``base_url`` (optional for the hosted APIs, e.g. a proxy) is given to the
SDK as is: Anthropic appends ``/v1/messages``; OpenAI-style URLs must end in ``/v1``.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx2

from harness.errors import ConfigurationError
from harness.providers.base import Provider
from harness.providers.scripted import ScriptedProvider
from harness.providers.settings import ModelSettings, coerce_settings

# prefix -> (module, class). Imported on first use: each SDK costs about a second to import, and a
# run needs only one of them.
HTTP_PROVIDERS: dict[str, tuple[str, str]] = {
    "anthropic": ("harness.providers.anthropic_messages", "AnthropicProvider"),
    "openai": ("harness.providers.openai_chat", "OpenAIChatProvider"),
    "openai-responses": ("harness.providers.openai_responses", "OpenAIResponsesProvider"),
    "openai-compatible": ("harness.providers.openai_chat", "OpenAICompatibleProvider"),
}
PROVIDER_PREFIXES = (*HTTP_PROVIDERS, "scripted")
KEY_VARIABLES = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "openai-responses": ("OPENAI_API_KEY",),
    "openai-compatible": ("CORECRAFT_COMPAT_API_KEY", "OPENAI_API_KEY"),
}
LOCAL_SERVER_KEY = "EMPTY"  # vLLM and SGLang accept any key unless started with --api-key


def http_provider_class(prefix: str) -> Any:
    """The adapter class for an HTTP provider prefix, importing its SDK now."""
    module, name = HTTP_PROVIDERS[prefix]
    return getattr(importlib.import_module(module), name)


def split_model(model: str) -> tuple[str, str]:
    """``"openai/gpt-5.2"`` -> ``("openai", "gpt-5.2")``; ConfigurationError naming the valid prefixes."""
    prefix, slash, name = model.partition("/")
    valid = ", ".join(f"{p}/" for p in PROVIDER_PREFIXES)
    if not slash or not prefix or not name:
        raise ConfigurationError(f"model {model!r} must look like <provider>/<model>; providers: {valid}")
    if prefix not in PROVIDER_PREFIXES:
        raise ConfigurationError(f"unknown provider {prefix!r} in model {model!r}; valid providers: {valid}")
    return prefix, name


def check_credentials(model: str, base_url: str | None = None, *, environ: Mapping[str, str] | None = None) -> None:
    """Fail before any episode starts if ``model`` cannot be called (bad name, no key, no base URL)."""
    prefix, _ = split_model(model)
    resolve_api_key(prefix, base_url, environ=environ)


def resolve_api_key(prefix: str, base_url: str | None, *, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    if base_url is not None:
        _check_base_url(base_url)
    if prefix == "scripted":
        if base_url is not None:
            raise ConfigurationError("scripted/ models make no network calls: drop --base-url")
        return None
    if prefix == "openai-compatible" and base_url is None:
        raise ConfigurationError(
            "openai-compatible/ needs --base-url, the server's OpenAI-style root, e.g. http://localhost:8000/v1"
        )
    names = KEY_VARIABLES[prefix]
    for name in names:
        key = (environ.get(name) or "").strip()
        if key:
            return key
    if prefix == "openai-compatible" and base_url is not None and is_local_url(base_url):
        return LOCAL_SERVER_KEY
    where = " (or a local --base-url, which needs no key)" if prefix == "openai-compatible" else ""
    raise ConfigurationError(f"{prefix}/ models need an API key: set {' or '.join(names)}{where}")


def create_provider(
    model: str,
    settings: ModelSettings | Mapping[str, Any] | None = None,
    *,
    base_url: str | None = None,
    http_client: httpx2.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Provider:
    """Build the provider for ``model``. Raises ConfigurationError for a bad name, missing key or
    unsupported setting. The provider owns ``http_client`` once built: ``aclose()`` closes it.
    ``sleep`` replaces ``asyncio.sleep`` between retries (tests pass a recorder)."""
    chosen = coerce_settings(settings)
    prefix, name = split_model(model)
    api_key = resolve_api_key(prefix, base_url)
    if prefix == "scripted":
        if http_client is not None:
            raise ConfigurationError("scripted/ models make no network calls: no http_client is used")
        return ScriptedProvider(name, chosen)
    assert api_key is not None
    provider_class = http_provider_class(prefix)
    return provider_class(name, chosen, api_key=api_key, base_url=base_url, http_client=http_client, sleep=sleep)


def is_local_url(url: str) -> bool:
    """True for loopback, private-network and single-label hosts (``localhost``, ``10.0.0.5``,
    a docker-compose service name such as ``vllm``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost") or (host and "." not in host and ":" not in host):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"--base-url must be an http(s) URL, got {base_url!r}")
