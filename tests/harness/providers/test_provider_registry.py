from __future__ import annotations

import pytest
from provider_stubs import TASK, TOOLS, StubServer, chat_completion

from harness.errors import ConfigurationError
from harness.providers.anthropic_messages import AnthropicProvider
from harness.providers.openai_chat import OpenAIChatProvider, OpenAICompatibleProvider
from harness.providers.openai_responses import OpenAIResponsesProvider
from harness.providers.registry import check_credentials, create_provider, is_local_url, split_model
from harness.providers.scripted import ScriptedProvider
from harness.providers.settings import ModelSettings


@pytest.mark.parametrize(
    ("model", "base_url", "expected"),
    [
        ("anthropic/claude-opus-4-6", None, AnthropicProvider),
        ("openai/gpt-5.2", None, OpenAIChatProvider),
        ("openai-responses/gpt-5.2", None, OpenAIResponsesProvider),
        ("openai-compatible/glm-4.6", "http://localhost:8000/v1", OpenAICompatibleProvider),
        ("scripted/reference", None, ScriptedProvider),
    ],
)
async def test_each_prefix_builds_its_provider(model, base_url, expected):
    async with create_provider(model, None, base_url=base_url) as provider:
        assert type(provider) is expected
        assert provider.model == model


def test_model_part_may_contain_slashes():
    assert split_model("openai-compatible/zai-org/GLM-4.6") == ("openai-compatible", "zai-org/GLM-4.6")


@pytest.mark.parametrize("model", ["gemini/gemini-3", "claude-opus-4-6", "openai/"])
def test_unknown_or_malformed_model_names_list_the_valid_prefixes(model):
    with pytest.raises(ConfigurationError) as caught:
        create_provider(model, None)
    for prefix in ("anthropic/", "openai/", "openai-responses/", "openai-compatible/", "scripted/"):
        assert prefix in str(caught.value)


@pytest.mark.parametrize(
    ("model", "variable"),
    [
        ("anthropic/claude-opus-4-6", "ANTHROPIC_API_KEY"),
        ("openai/gpt-5.2", "OPENAI_API_KEY"),
        ("openai-responses/gpt-5.2", "OPENAI_API_KEY"),
    ],
)
def test_missing_api_key_is_a_configuration_error_before_any_call(monkeypatch, model, variable):
    monkeypatch.delenv(variable)
    with pytest.raises(ConfigurationError, match=variable):
        check_credentials(model)
    with pytest.raises(ConfigurationError, match=variable):
        create_provider(model, None)


def test_blank_api_key_counts_as_missing(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "  ")
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        check_credentials("anthropic/claude-opus-4-6")


def test_compatible_provider_needs_a_base_url():
    with pytest.raises(ConfigurationError, match="--base-url"):
        check_credentials("openai-compatible/glm-4.6")


def test_compatible_provider_on_a_remote_host_needs_a_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigurationError, match="CORECRAFT_COMPAT_API_KEY or OPENAI_API_KEY"):
        check_credentials("openai-compatible/glm-4.6", "https://glm.example.com/v1")


async def _authorization_sent(model: str, base_url: str) -> str:
    stub = StubServer(chat_completion({"content": "hi"}, "stop"))
    async with create_provider(model, None, base_url=base_url, http_client=stub.client()) as provider:
        await provider.open(system="s", tools=TOOLS, prompt="p", task=TASK).next_turn()
    return stub.requests[0]["headers"]["authorization"]


async def test_compatible_provider_on_a_local_host_uses_a_placeholder_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    assert await _authorization_sent("openai-compatible/glm-4.6", "http://127.0.0.1:30000/v1") == "Bearer EMPTY"


async def test_compatible_provider_prefers_its_own_key_variable(monkeypatch):
    monkeypatch.setenv("CORECRAFT_COMPAT_API_KEY", "compat-key")
    assert await _authorization_sent("openai-compatible/glm-4.6", "http://10.0.0.7:8000/v1") == "Bearer compat-key"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:8000/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("http://vllm:8000/v1", True),
        ("https://api.together.xyz/v1", False),
        ("https://8.8.8.8/v1", False),
    ],
)
def test_local_urls_are_loopback_private_or_single_label_hosts(url, local):
    assert is_local_url(url) is local


def test_scripted_models_need_no_key(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("OPENAI_API_KEY")
    check_credentials("scripted/reference")


def test_settings_from_a_dict_are_recorded_in_full():
    given = {"max_tokens": 1234, "temperature": 0.2, "seed": 3, "extra_body": {"top_k": 5}}
    provider = create_provider("openai-compatible/glm-4.6", given, base_url="http://localhost:8000/v1")
    # The text tool-call parser in force is recorded too: "auto" is the compatible default.
    assert provider.settings == {**ModelSettings(**given).manifest(), "tool_call_parser": "auto"}
    assert provider.settings["max_retries"] == 6
    assert provider.settings["request_timeout_s"] == 600.0
    assert ModelSettings.model_validate(provider.settings) == ModelSettings(**given, tool_call_parser="auto")


def test_settings_added_later_stay_out_of_the_manifest_until_set_so_old_runs_resume():
    assert "tool_call_parser" not in ModelSettings().manifest()
    assert ModelSettings(tool_call_parser="hermes").manifest()["tool_call_parser"] == "hermes"
    hosted = create_provider("openai/gpt-5.2", {})
    assert "tool_call_parser" not in hosted.settings


def test_only_openai_compatible_models_take_a_tool_call_parser():
    with pytest.raises(ConfigurationError, match="openai does not support these settings: tool_call_parser"):
        create_provider("openai/gpt-5.2", {"tool_call_parser": "hermes"})
    with pytest.raises(ConfigurationError, match="tool_call_parser must be one of auto, none, hermes"):
        create_provider("openai-compatible/m", {"tool_call_parser": "xml"}, base_url="http://localhost:8000/v1")


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"max_tokenz": 10}, "max_tokenz"),
        ({"max_retries": 1000}, "max_retries"),
        ({"thinking_budget": 100}, "thinking_budget"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ],
)
def test_invalid_settings_are_a_configuration_error_naming_the_field(settings, named):
    with pytest.raises(ConfigurationError, match=named):
        create_provider("scripted/reference", settings)


def test_scripted_provider_refuses_sampling_settings_it_cannot_honour():
    with pytest.raises(ConfigurationError, match="temperature, seed"):
        create_provider("scripted/reference", {"temperature": 0.0, "seed": 1})


def test_scripted_provider_refuses_an_unknown_script():
    with pytest.raises(ConfigurationError, match="reference"):
        create_provider("scripted/oracle", None)


@pytest.mark.parametrize(
    ("model", "base_url"),
    [
        ("anthropic/claude-opus-4-6", "http://stub"),
        ("openai/gpt-5.2", "http://stub/v1"),
        ("openai-responses/gpt-5.2", "http://stub/v1"),
        ("openai-compatible/glm-4.6", "http://localhost:8000/v1"),
    ],
)
async def test_closing_a_provider_closes_the_http_client_it_was_given(model, base_url):
    http_client = StubServer().client()
    provider = create_provider(model, None, base_url=base_url, http_client=http_client)
    await provider.aclose()
    assert http_client.is_closed


def test_choosing_a_provider_imports_only_its_own_sdk() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from harness.providers.registry import create_provider; "
        "create_provider('openai-compatible/glm-4.6', base_url='http://127.0.0.1:9/v1'); "
        "print('anthropic' in sys.modules, 'openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    ("model", "base_url", "sdk"),
    [("openai-compatible/glm-4.6", "http://127.0.0.1:9/v1", "openai"), ("anthropic/claude-opus-4-6", None, "anthropic")],
)
async def test_a_provider_built_without_a_client_uses_its_sdks_default_client_and_closes_it(
    model: str, base_url: str | None, sdk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    provider = create_provider(model, None, base_url=base_url)
    http_client = provider._client._client  # type: ignore[attr-defined]
    # The SDK's own client class: its connection limits, timeouts and redirect handling.
    assert isinstance(http_client, importlib.import_module(sdk).DefaultAsyncHttpxClient)
    await provider.aclose()
    assert http_client.is_closed
