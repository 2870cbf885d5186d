from __future__ import annotations

import pytest
from provider_stubs import ANTHROPIC_TEST_KEY, OPENAI_TEST_KEY, SleepRecorder


@pytest.fixture(autouse=True)
def provider_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake keys, and none of the variables that could redirect the SDKs elsewhere."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_TEST_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
    for name in ("CORECRAFT_COMPAT_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()
