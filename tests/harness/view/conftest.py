"""A real headless Chromium for the viewer's browser tests: Debian's `chromium` (installed by
.ci/run), driven through Playwright's Python API; Playwright's own browser downloads are never used.

Without a browser the tests skip, saying why, except under CI (CI=true), where they must run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The browser to drive: $CORECRAFT_CHROMIUM, else the first of BROWSER_NAMES on PATH."""
    chosen = os.environ.get("CORECRAFT_CHROMIUM")
    if chosen:
        return chosen
    return next((found for name in BROWSER_NAMES if (found := shutil.which(name))), None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI the browser tests must run (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped, so that Playwright's event loop never overlaps the asyncio tests' loop."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -e '.[test]'")
    path = find_chromium()
    if path is None:
        _unavailable("no Chromium found: apt-get install chromium, or set CORECRAFT_CHROMIUM to a Chromium binary")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()
