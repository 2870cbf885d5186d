"""Remake the README's screenshots of `corecraft view` (not a test): docs/view-overview.png and
docs/view-episode.png, 1280 pixels wide, of a report of two runs.

    corecraft run --model scripted/reference --split heldout --out /tmp/demo/reference
    corecraft run --model scripted/spray --split heldout --out /tmp/demo/spray
    corecraft grade /tmp/demo/reference --judge none && corecraft grade /tmp/demo/spray --judge none
    corecraft view /tmp/demo/reference /tmp/demo/spray --out /tmp/demo/view.html
    python tests/harness/view/screenshots.py /tmp/demo/view.html docs/
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(report: Path, out: Path) -> None:
    chromium = shutil.which("chromium") or sys.exit("no chromium on PATH: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_viewport_size({"width": 1280, "height": 1040})  # taller than 800 to show the plots too
        page.goto(f"{report.resolve().as_uri()}#run-1")  # the failing run's overview
        page.screenshot(path=str(out / "view-overview.png"))
        row = page.locator("#episode-table tr[data-run='1'][data-outcome='failed']").first
        anchor = str(row.locator("a").first.get_attribute("href"))
        page.set_viewport_size({"width": 1280, "height": 1240})
        page.goto(f"{report.resolve().as_uri()}{anchor}")
        page.locator(anchor).locator("details.call summary").nth(1).click()  # one tool call unfolded
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(out / "view-episode.png"))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
