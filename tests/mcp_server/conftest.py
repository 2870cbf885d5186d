"""Fixtures shared by the server-wide tests."""

from __future__ import annotations

import pytest

from mcp_server.world.store import load_template


@pytest.fixture(scope="session")
def open_ticket() -> str:
    """A ticket of the committed world that still accepts escalations (not closed)."""
    conn = load_template().connect_sync()
    try:
        row = conn.execute("SELECT id FROM support_tickets WHERE status != 'closed' ORDER BY id LIMIT 1").fetchone()
    finally:
        conn.close()
    assert row is not None, "the world has no open ticket"
    return str(row[0])
