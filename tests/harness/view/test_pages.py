from __future__ import annotations

import base64
import hashlib
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from view_support import BASELINE, CHALLENGER, HOSTILE_ARGUMENT, HOSTILE_REPLY, write_run

from harness.view.model import load_runs
from harness.view.pages import render
from harness.view.stats import MISSING_NOTE

# attributes that make a browser fetch or navigate; in the report they may only point inside the page
_FETCHING = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background", "xlink:href"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._inside = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._inside = None

    def handle_data(self, data: str) -> None:
        if self._inside == "script":
            self.scripts.append(data)
        elif self._inside == "style":
            self.styles.append(data)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("pages")
    paths = [write_run(root / "base", BASELINE, hostile=True, damaged_line=True), write_run(root / "next", CHALLENGER)]
    return render(load_runs(paths))


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_model_written_markup_is_shown_as_text_and_never_becomes_an_element(page: str) -> None:
    tags = _Tags()
    tags.feed(page)
    assert sum(1 for tag, _ in tags.tags if tag == "script") == 1  # the report's own
    assert not [tag for tag, _ in tags.tags if tag in ("iframe", "img", "textarea", "object", "embed", "link")]
    assert not [(tag, a) for tag, attrs in tags.tags for a in attrs if a.lower().startswith("on")]
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "window.__pwned" not in "".join(tags.scripts)
    assert HOSTILE_REPLY not in page and HOSTILE_ARGUMENT not in page


def test_nothing_in_the_page_points_outside_it(page: str) -> None:
    tags = _Tags()
    tags.feed(page)
    targets = [value or "" for _, attrs in tags.tags for name, value in attrs.items() if name.lower() in _FETCHING]
    assert targets and all(t.startswith("#") for t in targets)
    assert "@import" not in "".join(tags.styles) and "url(" not in "".join(tags.styles)


def test_the_content_security_policy_allows_only_the_pages_own_style_and_script(page: str) -> None:
    tags = _Tags()
    tags.feed(page)
    policy = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert policy is not None and "default-src 'none'" in policy
    assert f"script-src {_sha(tags.scripts[0])};" in policy and f"style-src {_sha(tags.styles[0])};" in policy


def test_the_page_shows_damage_warnings_and_never_hides_unverified_ungraded_or_errored_episodes(page: str) -> None:
    assert "skipped damaged line 2" in page
    assert re.search(r"<strong>1 unverified</strong>", page)
    assert "call 2 (createRefund) does not replay" in page
    assert re.search(r"<strong>1 ungraded</strong>", page) and re.search(r"<strong>1 infrastructure errors</strong>", page)


def test_without_scipy_the_page_says_how_to_get_intervals_and_still_shows_the_rates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)
    html = render(load_runs([write_run(tmp_path / "a", BASELINE), write_run(tmp_path / "b", CHALLENGER)]))
    assert MISSING_NOTE.replace("'", "&#39;") in html
    assert 'data-figure="pass-rate">66.7 %' in html and "95 % CI –" in html
