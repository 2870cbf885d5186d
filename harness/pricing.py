"""What a model call costs, in USD, from its token usage.

The built-in table holds EDITABLE DEFAULTS, not authoritative prices: list prices change and
differ by tier, region and contract. Override or extend it with a JSON file
(``load_price_table(path)``), in USD per million tokens::

    {"gpt-5.2": {"input": 1.75, "output": 14.0, "cache_read": 0.175},
     "my-finetune": {"input": 0, "output": 0}}

An entry may give only some fields: the rest come from the built-in entry of that model, or for a
new model ``cache_read`` and ``cache_write`` default to its ``input`` price (no discount, no
surcharge). Keys are bare model names (``claude-opus-4-6``) or full model strings
(``anthropic/claude-opus-4-6``), the full string winning.

Usage convention (every provider adapter follows it): ``input_tokens`` counts ALL input tokens,
cached ones included; ``cache_read_tokens`` and ``cache_write_tokens`` are the parts of it read
from / written to the prompt cache. ``reasoning_tokens`` are part of ``output_tokens``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import ConfigurationError
from harness.transcript import Usage

logger = logging.getLogger(__name__)


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(ge=0)
    cache_write: float = Field(ge=0)


# Editable defaults (USD per million tokens), as published by the vendors when written; check
# before quoting a cost. Anthropic cache writes are the 5-minute rate (1.25x input); OpenAI
# charges no cache-write surcharge. Self-hosted and scripted models cost nothing here.
DEFAULT_PRICES: dict[str, Price] = {
    "claude-opus-4-6": Price(input=5.0, output=25.0, cache_read=0.50, cache_write=6.25),
    "claude-sonnet-4-6": Price(input=3.0, output=15.0, cache_read=0.30, cache_write=3.75),
    "gpt-5.2": Price(input=1.75, output=14.0, cache_read=0.175, cache_write=1.75),
    "gpt-5.1": Price(input=1.25, output=10.0, cache_read=0.125, cache_write=1.25),
    "glm-4.6": Price(input=0.0, output=0.0, cache_read=0.0, cache_write=0.0),
    "scripted/reference": Price(input=0.0, output=0.0, cache_read=0.0, cache_write=0.0),
}

_DATE_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2})$")


class PriceTable:
    """Prices by model; remembers which models it could not price so the runner can say so."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self.prices = {key.lower(): price for key, price in prices.items()}
        self.unpriced: set[str] = set()

    def price_of(self, model: str) -> Price | None:
        """The price of a full model string (``openai/gpt-5.2``) or a bare name, or None."""
        for key in _candidate_keys(model):
            if key in self.prices:
                return self.prices[key]
        return None

    def cost_of(self, model: str, usage: Usage) -> float:
        """USD for ``usage`` of ``model``; 0.0 for an unknown model, which is added to ``unpriced``."""
        price = self.price_of(model)
        if price is None:
            if model not in self.unpriced:
                logger.warning("no price for model %r: its cost is reported as 0", model)
            self.unpriced.add(model)
            return 0.0
        uncached = max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
        micro_usd = (
            uncached * price.input
            + usage.cache_read_tokens * price.cache_read
            + usage.cache_write_tokens * price.cache_write
            + usage.output_tokens * price.output
        )
        return micro_usd / 1_000_000


def load_price_table(path: Path | None = None) -> PriceTable:
    """The default table, merged with the JSON override at ``path`` if given."""
    merged: dict[str, Price] = {key.lower(): price for key, price in DEFAULT_PRICES.items()}
    if path is None:
        return PriceTable(merged)
    try:
        override = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read price table {path}: {exc}") from exc
    if not isinstance(override, dict):
        raise ConfigurationError(f"price table {path} must be a JSON object of model -> prices")
    for model, fields in override.items():
        merged[model.lower()] = _merge_entry(str(path), model, fields, merged.get(model.lower()))
    return PriceTable(merged)


_DEFAULT_TABLE = PriceTable(DEFAULT_PRICES)


def cost_of(model: str, usage: Usage, table: PriceTable | None = None) -> float:
    """USD for ``usage`` of ``model`` with ``table`` (the built-in defaults if None)."""
    return (table or _DEFAULT_TABLE).cost_of(model, usage)


def _merge_entry(source: str, model: str, fields: Any, base: Price | None) -> Price:
    if not isinstance(fields, dict):
        raise ConfigurationError(f"price table {source}: {model!r} must map to an object of prices")
    values: dict[str, Any] = base.model_dump() if base else {}
    values.update(fields)
    if base is None and "input" in values:
        values.setdefault("cache_read", values["input"])
        values.setdefault("cache_write", values["input"])
    try:
        return Price.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"price table {source}: bad entry for {model!r}: {problems}") from exc


def _candidate_keys(model: str) -> list[str]:
    """Lookup keys, most specific first: the full string, the name after the provider prefix,
    its last path segment (``zai-org/GLM-4.6`` -> ``glm-4.6``), each also without a date suffix."""
    full = model.lower()
    name = full.split("/", 1)[1] if "/" in full else full
    keys = [full, name, name.rsplit("/", 1)[-1]]
    keys += [_DATE_SUFFIX.sub("", key) for key in keys]
    return list(dict.fromkeys(keys))
