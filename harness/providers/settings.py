"""Model settings: one pydantic model shared by every provider and recorded in the run manifest.

Fields left at ``None`` are not sent. A provider that cannot honour a field someone set raises
``ConfigurationError`` naming it, so no setting is ever dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import ConfigurationError

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]

# Settings a provider may or may not support; the rest (max_tokens, timeout, retries) apply to all.
OPTIONAL_SETTINGS = (
    "temperature", "top_p", "reasoning_effort", "thinking_budget", "extra_body", "seed", "tool_call_parser",
)
# Settings added after runs were first recorded: left out of the manifest while unset, so that
# directories made before them still resume (their manifests never had the key).
RECORDED_WHEN_SET = ("tool_call_parser",)

DEFAULT_MAX_TOKENS = 8192
DEFAULT_MAX_RETRIES = 6
MAX_RETRIES_LIMIT = 20


class ModelSettings(BaseModel):
    """How to call the model. Every field is recorded in the manifest exactly as given."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # inf would switch a limit off

    max_tokens: int = Field(DEFAULT_MAX_TOKENS, ge=1, description="Output token cap per model turn")
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    reasoning_effort: ReasoningEffort | None = Field(
        None, description="OpenAI reasoning effort; on Anthropic, output_config.effort (low..max only)"
    )
    thinking_budget: int | Literal["adaptive"] | None = Field(
        None, description="Anthropic extended thinking: budget_tokens (>= 1024, < max_tokens) or 'adaptive'"
    )
    request_timeout_s: float = Field(600.0, gt=0, description="Timeout of one HTTP request")
    extra_body: dict[str, Any] | None = Field(
        None, description="Extra top-level request fields, e.g. {'chat_template_kwargs': {...}} for vLLM/SGLang"
    )
    max_retries: int = Field(DEFAULT_MAX_RETRIES, ge=0, le=MAX_RETRIES_LIMIT, description="Retries per model call")
    seed: int | None = None
    tool_call_parser: str | None = Field(
        None,
        description="How to read tool calls a model writes as text (openai-compatible/ only): 'auto' (the "
        "default there), 'none', or one format of harness.providers.text_tool_calls.FORMATS",
    )

    @field_validator("thinking_budget")
    @classmethod
    def _budget_is_at_least_the_api_minimum(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value < 1024:
            raise ValueError("thinking_budget must be at least 1024 tokens (the Anthropic minimum)")
        return value

    @field_validator("tool_call_parser")
    @classmethod
    def _parser_is_known(cls, value: str | None) -> str | None:
        from harness.providers.text_tool_calls import PARSER_CHOICES  # imports the providers' helpers

        if value is not None and value not in PARSER_CHOICES:
            raise ValueError(f"tool_call_parser must be one of {', '.join(PARSER_CHOICES)}, got {value!r}")
        return value

    def manifest(self) -> dict[str, Any]:
        """The settings as plain JSON for the run manifest (all fields, defaults included, except
        the later ones of RECORDED_WHEN_SET while unset)."""
        dumped = self.model_dump(mode="json")
        return {k: v for k, v in dumped.items() if not (k in RECORDED_WHEN_SET and v is None)}

    def chosen_optional(self) -> list[str]:
        """The optional settings that were set (not None), in declaration order."""
        return [name for name in OPTIONAL_SETTINGS if getattr(self, name) is not None]


def coerce_settings(settings: ModelSettings | Mapping[str, Any] | None) -> ModelSettings:
    """Accept a ModelSettings, a plain dict (e.g. from a manifest or CLI flags) or None."""
    if settings is None:
        return ModelSettings()
    if isinstance(settings, ModelSettings):
        return settings
    try:
        return ModelSettings.model_validate(dict(settings))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid model settings: {problems}") from exc


def reject_unsupported(
    settings: ModelSettings,
    *,
    provider: str,
    supported: Iterable[str],
    hints: Mapping[str, str] | None = None,
) -> None:
    """Raise ConfigurationError naming every optional setting that was set but ``provider`` lacks."""
    allowed = set(supported)
    unsupported = [name for name in settings.chosen_optional() if name not in allowed]
    if not unsupported:
        return
    hints = hints or {}
    explained = "".join(f". {name}: {hints[name]}" for name in unsupported if name in hints)
    raise ConfigurationError(f"{provider} does not support these settings: {', '.join(unsupported)}{explained}")
