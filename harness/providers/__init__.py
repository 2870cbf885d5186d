"""Model providers: one adapter per wire format, chosen by the model string's prefix.

Build one with ``harness.providers.registry.create_provider(model, settings, base_url=...)`` and
check credentials up front with ``check_credentials(model, base_url)`` (both raise
ConfigurationError). Settings are a ``harness.providers.settings.ModelSettings`` or a plain dict.

=====================================  ===================================================
model string                           notes
=====================================  ===================================================
``anthropic/claude-opus-4-6``          ANTHROPIC_API_KEY. No temperature/top_p/seed in the
                                       anthropic 2.x SDK (refused; extra_body if needed).
                                       thinking_budget=N or "adaptive" (use adaptive on
                                       opus-4-6); reasoning_effort low..max -> output_config.
``openai/gpt-5.2``                     Chat Completions. OPENAI_API_KEY. temperature, top_p,
                                       reasoning_effort, seed, extra_body.
``openai-responses/gpt-5.2``           Responses API, store=False, encrypted reasoning carried
                                       between turns. OPENAI_API_KEY. No seed.
``openai-compatible/zai-org/GLM-4.6``  Chat Completions at ``base_url`` (required), e.g.
                                       ``http://localhost:8000/v1`` for vLLM/SGLang. Key:
                                       CORECRAFT_COMPAT_API_KEY, else OPENAI_API_KEY, else
                                       "EMPTY" for a local URL. GLM reasoning text is sent back
                                       on later turns under the key it arrived in.
                                       extra_body={"chat_template_kwargs": {...}} for template
                                       switches.
``scripted/reference``                 Replays the task's reference solution, one tool call
                                       per turn, then the reply. No key, no network, no cost.
=====================================  ===================================================

Every HTTP provider: the SDK's own retries are off; ours (``retry.py``) retry 408/409/429/5xx,
timeouts and dropped connections up to ``max_retries`` times (default 6), honouring
``retry-after(-ms)``, then raise FatalProviderError. Other 4xx raise FatalProviderError at once;
replies that do not parse raise MalformedReplyError. Each ModelTurn's ``exchange`` holds the
JSON request and reply (the key travels in a header and is never recorded) plus attempt counts.
A provider owns its HTTP client: use ``async with`` or ``await provider.aclose()``.

Token usage follows one convention (see harness/pricing.py): ``input_tokens`` includes cached
tokens; ``cache_read_tokens``/``cache_write_tokens`` are parts of it; ``reasoning_tokens`` are
part of ``output_tokens``.
"""
