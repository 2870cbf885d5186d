"""The ids a tool description or message gives as examples point nowhere: a model that copies one
(open models do) must get "not found", never act on a real customer's record."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from mcp_server.server import mcp_tools
from mcp_server.world.store import entity_tables, load_template

TOOLS_DIR = Path(__file__).resolve().parents[3] / "mcp_server" / "tools"
ID_SHAPE = re.compile(r"\b(?:cus|tkt|ord|prd|emp|pay|bld|shp|ref|ret|esc|res|kb|wrc)-\d[\d-]*\b")


def example_ids() -> set[str]:
    published = " ".join(
        f"{tool.description} {tool.parameters}" for tool in mcp_tools()
    )
    source = " ".join(path.read_text(encoding="utf-8") for path in TOOLS_DIR.glob("*.py"))
    return set(ID_SHAPE.findall(published)) | set(ID_SHAPE.findall(source))


@pytest.fixture(scope="module")
def world() -> sqlite3.Connection:
    return load_template().connect_sync()


def test_the_tools_give_examples_of_every_id_format_they_take() -> None:
    prefixes = {found.split("-")[0] for found in example_ids()}
    assert {"cus", "tkt", "ord", "prd", "emp", "pay", "bld", "shp"} <= prefixes


def test_no_example_id_is_a_record_of_the_world(world: sqlite3.Connection) -> None:
    real = []
    for table in entity_tables(world):
        columns = {row[1] for row in world.execute(f'PRAGMA table_info("{table}")')}
        if "id" not in columns:
            continue
        for example in sorted(example_ids()):
            if world.execute(f'SELECT 1 FROM "{table}" WHERE id = ?', (example,)).fetchone():
                real.append(f"{example} ({table})")
    assert real == []


def test_the_check_would_catch_a_real_id(world: sqlite3.Connection) -> None:
    (customer,) = world.execute("SELECT id FROM customers ORDER BY id LIMIT 1").fetchone()
    assert ID_SHAPE.fullmatch(customer)  # the pattern sees real ids, so a real one in a description would fail above
