from __future__ import annotations

import json

import pytest

from harness.errors import ConfigurationError
from harness.pricing import cost_of, load_price_table
from harness.transcript import Usage


def test_cost_charges_uncached_cached_written_and_output_tokens_at_their_rates():
    usage = Usage(
        input_tokens=1_000_000 + 2_000_000 + 400_000, cache_read_tokens=2_000_000, cache_write_tokens=400_000,
        output_tokens=100_000, reasoning_tokens=50_000,
    )
    # claude-opus-4-6 defaults: 5 in, 0.5 cache read, 6.25 cache write, 25 out (USD per million)
    expected = 1 * 5.0 + 2 * 0.5 + 0.4 * 6.25 + 0.1 * 25.0
    assert cost_of("anthropic/claude-opus-4-6", usage) == pytest.approx(expected)


def test_self_hosted_and_scripted_models_cost_nothing():
    usage = Usage(input_tokens=10_000, output_tokens=10_000)
    table = load_price_table(None)
    assert table.cost_of("openai-compatible/zai-org/GLM-4.6", usage) == 0.0
    assert table.cost_of("scripted/reference", usage) == 0.0
    assert table.unpriced == set()


def test_dated_model_names_use_the_undated_price():
    usage = Usage(input_tokens=1_000_000)
    assert cost_of("openai/gpt-5.2-2025-12-11", usage) == pytest.approx(1.75)


def test_unknown_model_costs_zero_and_is_flagged():
    table = load_price_table(None)
    assert table.cost_of("openai/gpt-9", Usage(input_tokens=5, output_tokens=5)) == 0.0
    assert table.unpriced == {"openai/gpt-9"}


def test_override_file_changes_some_fields_and_adds_models(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"gpt-5.2": {"output": 20.0}, "openai-compatible/my-tune": {"input": 1.0, "output": 2.0}}),
        encoding="utf-8",
    )
    table = load_price_table(path)

    gpt = table.price_of("openai/gpt-5.2")
    assert (gpt.input, gpt.output, gpt.cache_read) == (1.75, 20.0, 0.175)
    tune = table.price_of("openai-compatible/my-tune")
    assert (tune.input, tune.output, tune.cache_read, tune.cache_write) == (1.0, 2.0, 1.0, 1.0)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps(["gpt-5.2"]),
        json.dumps({"new-model": {"output": 1.0}}),
        json.dumps({"gpt-5.2": {"input": -1}}),
    ],
    ids=["not-json", "not-an-object", "new-model-without-input", "negative-price"],
)
def test_bad_override_file_is_a_configuration_error(tmp_path, content):
    path = tmp_path / "prices.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="price table"):
        load_price_table(path)
