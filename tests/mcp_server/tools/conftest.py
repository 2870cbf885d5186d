"""Fixtures shared by the tool tests (helpers live in tool_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mcp_server.episodes import EpisodeRegistry
from tool_support import TEMPLATE


@pytest.fixture
async def registry() -> AsyncIterator[EpisodeRegistry]:
    """An episode registry on the committed world, closed after the test."""
    held = EpisodeRegistry(TEMPLATE)
    yield held
    await held.close_all()
