"""The tool-list cache behind `corecraft tools`: the same list as a fresh build, rebuilt whenever a
module it was built from changes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from harness.cli import tools_cache, tools_cmd
from harness.cli.main import main
from harness.cli.tools_cache import cached_tools, fingerprint, is_current
from harness.cli.tools_cmd import listed_tools
from mcp_server.tools import load_all_tools

TOOLS_DIR = Path(load_all_tools()["getOrderDetails"].function.__code__.co_filename).parent


def counting(tools: list[dict[str, Any]]) -> tuple[list[int], Any]:
    calls = [0]

    def build() -> list[dict[str, Any]]:
        calls[0] += 1
        return tools

    return calls, build


def test_a_second_call_is_served_from_the_cache_without_building(tmp_path: Path) -> None:
    calls, build = counting([{"name": "a", "inputSchema": {"type": "object"}}])
    first = cached_tools(build, tmp_path / "tools.json")
    second = cached_tools(build, tmp_path / "tools.json")
    assert first == second == [{"name": "a", "inputSchema": {"type": "object"}}]
    assert calls[0] == 1


@pytest.mark.parametrize("damage", ["not json", '{"format": 1}', '{"format": 0, "built_from": {}, "tools": []}'])
def test_a_damaged_or_foreign_cache_file_is_rebuilt_and_rewritten(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "tools.json"
    path.write_text(damage, encoding="utf-8")
    calls, build = counting([{"name": "a"}])
    assert cached_tools(build, path) == [{"name": "a"}] and calls[0] == 1
    assert json.loads(path.read_text(encoding="utf-8"))["tools"] == [{"name": "a"}]


def test_the_fingerprint_covers_the_tool_modules_by_content_and_pydantic_by_file() -> None:
    built_from = fingerprint()
    assert str(TOOLS_DIR / "orders.py") in built_from["ours"]
    assert any(Path(name).parts[-2:] == ("pydantic", "main.py") for name in built_from["libraries"])
    assert is_current(built_from)


def test_an_edited_module_a_reinstalled_library_or_another_python_makes_the_cache_stale(tmp_path: Path) -> None:
    ours, library = tmp_path / "tool.py", tmp_path / "lib.py"
    ours.write_text("A = 1\n")
    library.write_text("B = 1\n")
    stat = library.stat()
    built_from = {
        "python": sys.version,
        "ours": {str(ours): tools_cache._sha256(ours)},
        "libraries": {str(library): [stat.st_size, stat.st_mtime_ns]},
    }
    assert is_current(built_from)
    assert not is_current({**built_from, "python": "2.7"})
    ours.write_text("A = 2\n")  # same size: caught by content
    assert not is_current(built_from)
    ours.write_text("A = 1\n")
    os.utime(library, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert not is_current(built_from)
    library.unlink()
    assert not is_current(built_from)


def test_corecraft_tools_prints_the_same_from_the_cache_as_from_a_fresh_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tools_cache, "default_cache_file", lambda: tmp_path / "tools.json")
    fresh = {}
    for args in (["tools"], ["tools", "--json"]):
        (tmp_path / "tools.json").unlink(missing_ok=True)
        assert main(args) == 0
        fresh[args[-1]] = capsys.readouterr().out
    assert json.loads((tmp_path / "tools.json").read_text(encoding="utf-8"))["tools"] == anyio.run(listed_tools)

    async def no_build() -> None:
        raise AssertionError("the list was built again instead of read from the cache")

    monkeypatch.setattr(tools_cmd, "listed_tools", no_build)
    for args in (["tools"], ["tools", "--json"]):
        assert main(args) == 0
        assert capsys.readouterr().out == fresh[args[-1]]
