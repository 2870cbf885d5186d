"""Fixtures shared by the harness and server tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from mcp_server.world.store import load_template


@pytest.fixture(scope="module")
def world() -> Iterator[sqlite3.Connection]:
    """A private copy of the committed world, rows by column name (a module may define its own ``world``)."""
    conn = load_template().connect_sync()
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()
