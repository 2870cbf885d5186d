"""The report in a real headless Chromium: what a person sees, and that nothing leaves the page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from view_support import BASELINE, CHALLENGER, FAILED_REASON, HOSTILE_REPLY, write_run

from harness.view.model import load_runs
from harness.view.pages import render
from harness.view.server import ReportServer


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The comparison of a hostile, damaged baseline with a run where two episodes flipped; and the
    page anchor of each baseline episode by task id."""
    root = tmp_path_factory.mktemp("browser")
    runs = load_runs([write_run(root / "base", BASELINE, hostile=True, damaged_line=True),
                      write_run(root / "next", CHALLENGER, model="openai/gpt-y")])
    path = root / "view.html"
    path.write_text(render(runs), encoding="utf-8")
    return path, {e.task_id: e.anchor for e in runs[0].episodes}


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A 1280x800 page and every URL it requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    opened = context.new_page()
    yield opened, requests
    context.close()


def test_the_overview_shows_the_pass_rate_and_the_damage_warning_and_requests_nothing(
    report: tuple[Path, dict[str, str]], page: tuple[Any, list[str]]
) -> None:
    path, _ = report
    tab, requests = page
    tab.goto(path.as_uri())
    baseline = tab.locator("#run-0")
    assert baseline.locator("[data-figure=pass-rate]").inner_text() == "66.7 %"
    assert baseline.get_by_text("skipped damaged line 2").is_visible()
    assert baseline.get_by_text("1 unverified", exact=True).first.is_visible()
    assert requests == [path.as_uri()]


def test_an_episode_page_shows_the_failed_criterions_reason_and_a_tool_calls_arguments_from_the_keyboard(
    report: tuple[Path, dict[str, str]], page: tuple[Any, list[str]]
) -> None:
    path, anchors = report
    tab, requests = page
    tab.goto(f"{path.as_uri()}#{anchors['t-fail']}")
    episode = tab.locator(f"#{anchors['t-fail']}")
    failed = episode.locator("table.criteria tbody tr").first
    assert failed.locator("td.reason").inner_text() == FAILED_REASON
    arguments = episode.locator("details.call pre.arguments").first
    assert not arguments.is_visible()
    episode.locator("details.call summary").first.focus()
    tab.keyboard.press("Enter")
    assert arguments.is_visible() and "</pre><script>window.__pwned = 3</script>" in arguments.inner_text()
    episode.get_by_role("button", name="Unfold every tool call").click()
    assert episode.locator("details.call:not([open])").count() == 0 and episode.locator("details.call").count() == 2
    assert HOSTILE_REPLY in episode.locator("li.message pre.content").last.inner_text()  # shown as text
    assert tab.evaluate("typeof window.__pwned") == "undefined"
    assert requests == [path.as_uri()]


def test_the_comparison_shows_each_flip_and_the_paired_test(
    report: tuple[Path, dict[str, str]], page: tuple[Any, list[str]]
) -> None:
    path, _ = report
    tab, requests = page
    tab.goto(f"{path.as_uri()}#compare")
    flip = tab.locator("#compare tr.flip", has_text="t-pass")
    assert flip.is_visible() and flip.locator("td").nth(1).inner_text() == "passed"
    assert flip.locator("td").nth(2).inner_text() == "failed"
    assert tab.locator("#compare [data-figure=p-value]").inner_text() == "p = 1.000"
    assert requests == [path.as_uri()]


def test_filters_narrow_the_episode_table_by_outcome_and_by_a_failed_criterion(
    report: tuple[Path, dict[str, str]], page: tuple[Any, list[str]]
) -> None:
    path, _ = report
    tab, _ = page
    tab.goto(f"{path.as_uri()}#episodes")
    rows = tab.locator("#episode-table tbody tr:visible")
    assert rows.count() == 2 * len(BASELINE)
    tab.select_option("#filters select[name=outcome]", "unverified")
    assert rows.count() == 2 and tab.locator("#shown").inner_text() == f"2 of {2 * len(BASELINE)} episodes"
    tab.select_option("#filters select[name=outcome]", "")
    tab.locator("#filters input[name=criterion]").fill("refund_amount")
    tab.select_option("#filters select[name=verdict]", "failed")
    assert sorted(rows.locator("td:nth-child(2)").all_inner_texts()) == ["t-fail", "t-pass"]


def test_the_served_report_loads_from_loopback_with_no_other_request(
    report: tuple[Path, dict[str, str]], page: tuple[Any, list[str]]
) -> None:
    path, _ = report
    tab, requests = page
    server = ReportServer(path.read_bytes())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        tab.goto(server.url)
        assert tab.locator("#run-0 [data-figure=pass-rate]").inner_text() == "66.7 %"
    finally:
        server.shutdown()
        server.server_close()
    assert requests == [server.url]
