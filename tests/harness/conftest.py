from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from harness.tasks.loader import TaskWithRubric, load_suite
from mcp_server.world.store import Template

_NAME = "corecraft_test_support"
if _NAME not in sys.modules:  # the shared helpers live with the fixtures they describe
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).parent / "fixtures" / "support.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from corecraft_test_support import FIXTURES, fixture_template  # noqa: E402


@pytest.fixture(scope="session")
def template() -> Template:
    return fixture_template()


@pytest.fixture(scope="session")
def suite() -> dict[str, TaskWithRubric]:
    return {pair.task.id: pair for pair in load_suite(FIXTURES)}
