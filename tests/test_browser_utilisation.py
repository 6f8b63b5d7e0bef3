"""The admin page's utilisation section in a real browser: both charts and their tables
drawn at 390 and 1280 px (side by side where there is room, stacked on a phone),
nothing outside the viewport, axe-clean; the docs' pictures.

The machinery (a real ``rentcal serve``, Debian's Chromium, npm's axe-core) and the
fixtures are tests/test_browser_pages.py's; run with ``RENTCAL_BROWSER_TESTS=1``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser_pages as shared
from tests.browser import harness
from tests.test_browser_admin import OUTSIDE_JS, WIDTHS
from tests.test_browser_pages import DESKTOP, PHONE, Site, close, day, open_page

# The server and its database: tests/test_browser_pages.py's fixtures
# (the browser: tests/browser/fixtures.py, shared by every browser file).
site, month = shared.site, shared.month

pytestmark = pytest.mark.slow

#: The boxes (x, y, width, height) of the section's parts, as laid out.
BOXES_JS = """() => Object.fromEntries(
  ['utilisation-machines', 'utilisation-machines-table', 'utilisation-months',
   'utilisation-months-table'].map(id => {
    const r = document.getElementById(id).getBoundingClientRect();
    return [id, [r.left, r.top, r.width, r.height]];
  }))"""


def busy(site: Site, month: date, name: str) -> str:
    """A machine of the test's own, booked (approved) the 3rd to the 6th of ``month``."""
    site.cal.add_machine(name, daily_price="50.00", title=name.title(), acting="ada")
    rental = site.cal.book(name, day(month, 3), day(month, 6), member="bob")
    site.cal.approve(rental.id, acting="ada")
    return name


class TestSection:
    """Drawn, readable and inside the screen at both widths."""

    @pytest.mark.parametrize("viewport", WIDTHS)
    def test_charts_and_tables(
        self, browser: Any, site: Site, month: date, viewport: dict[str, int]
    ) -> None:
        name = busy(site, month, f"seeder-{viewport['width']}")
        page = open_page(browser, site, "ada", viewport=viewport)
        page.goto(f"{site.url}/admin?month={month:%Y-%m}#utilisation")
        section = page.locator("#utilisation")
        assert f"{month:%B %Y}" in section.locator("h2").inner_text()
        row = page.locator(f'#utilisation-machines-table tr[data-machine="{name}"]')
        assert row.is_visible()
        assert "4 days" in row.inner_text()
        bars = page.locator("#utilisation-machines rect.bar")
        assert bars.count() >= 1
        label = page.locator("#utilisation-machines text.name", has_text=name.title())
        assert label.count() == 1 and label.is_visible()
        assert page.locator("#utilisation-months rect.bar.current").count() == 1
        boxes = page.evaluate(BOXES_JS)
        width = viewport["width"]
        for key, (left, _top, w, h) in boxes.items():
            assert w > 100 and h > 20, (key, boxes[key])
            assert left >= 0 and left + w <= width, (key, boxes[key])
        chart, table = boxes["utilisation-machines"], boxes["utilisation-machines-table"]
        if width >= DESKTOP["width"]:
            assert table[0] >= chart[0] + chart[2], "the table is beside the chart"
        else:
            assert table[1] >= chart[1] + chart[3], "the table is under the chart"
        outside = page.evaluate(OUTSIDE_JS)
        assert [o for o in outside if "utilisation" in o] == []
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        close(page)

    def test_axe(self, browser: Any, site: Site, month: date, node_modules: Path) -> None:
        busy(site, month, "seeder-axe")
        axe = node_modules / "axe-core" / "axe.min.js"
        page = open_page(browser, site, "ada", bypass_csp=True)  # axe is an injected script
        found: dict[str, list[str]] = {}
        for query in (f"?month={month:%Y-%m}", "?month=2030-13"):
            page.goto(f"{site.url}/admin{query}#utilisation")
            page.add_script_tag(path=str(axe))
            result = page.evaluate("() => axe.run('#utilisation', {resultTypes: ['violations']})")
            bad = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[query] = bad
        assert found == {}, json.dumps(found, indent=1)
        close(page)


@pytest.mark.pictures
class TestScreenshots:
    """docs/img/admin-utilisation-*.png (copied from tests/artifacts by hand)."""

    def test_screenshots(self, browser: Any, site: Site, month: date) -> None:
        for n, (first, last) in enumerate(((2, 9), (12, 13), (20, 27))):
            name = f"baler-{n + 1}"
            site.cal.add_machine(name, daily_price="90.00", title=f"Baler {n + 1}", acting="ada")
            rental = site.cal.book(name, day(month, first), day(month, last), member="bob")
            site.cal.approve(rental.id, acting="ada")
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = open_page(browser, site, "ada", viewport=viewport)
            page.goto(f"{site.url}/admin?month={month:%Y-%m}#utilisation")
            harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("#utilisation").screenshot(
                path=str(harness.ARTIFACTS / f"{label}-admin-utilisation.png")
            )
            close(page)
