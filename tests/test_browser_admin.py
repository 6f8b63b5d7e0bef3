"""Administration in a real browser (#21): booking for a member, a refusal kept beside its
form, nothing cut or overlapped at 390 and 1280 px, axe-clean; the docs' pictures.

The machinery (a real ``rentcal serve``, Debian's Chromium, npm's axe-core) and the
fixtures are tests/test_browser_pages.py's; run with ``RENTCAL_BROWSER_TESTS=1``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser_pages as shared
from tests.browser import harness
from tests.test_browser_pages import DESKTOP, PHONE, Site, close, day, open_page, shot

# The server and its database: tests/test_browser_pages.py's fixtures
# (the browser: tests/browser/fixtures.py, shared by every browser file).
site, month = shared.site, shared.month

pytestmark = pytest.mark.slow


@pytest.fixture
def machine(site: Site) -> str:
    """A machine of this test's own with a short title, as real ones have (the pages'
    module names its machines after their tests, too long for any select at 390 px)."""
    name = f"mower-{len(site.cal.machines()) + 1}"
    site.cal.add_machine(name, daily_price="100.00", title=name.title(), acting="ada")
    return name


WIDTHS = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]
ADMIN_PAGES = ("/admin", "/admin/rentals")

#: Visible elements of <main> whose box leaves the viewport sideways (the visually
#: hidden ones, 1 px boxes clipped on purpose, excepted).
OUTSIDE_JS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.visually-hidden') || getComputedStyle(el).visibility === 'hidden') continue;
    const head = el.closest('thead');
    if (head && getComputedStyle(head).position === 'absolute') continue;
    const r = el.getBoundingClientRect();
    if (r.width && (r.left < -0.5 || r.right > width + 0.5)) {
      const where = `${Math.round(r.left)}..${Math.round(r.right)}`;
      out.push(`${el.tagName.toLowerCase()}#${el.id} ${where}`);
    }
  }
  return out;
}"""
#: Selects too narrow for one of their options (the text would be cut off).
CUT_JS = """() => {
  const pen = document.createElement('canvas').getContext('2d'), out = [];
  for (const s of document.querySelectorAll('main select')) {
    if (!s.getClientRects().length) continue;
    const css = getComputedStyle(s);
    pen.font = css.font;
    const room = s.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight) - 20;
    for (const o of s.options) {
      const need = pen.measureText(o.text).width;
      if (need > room) out.push(`#${s.id}: "${o.text}" needs ${Math.round(need)} px, has ${room}`);
    }
  }
  return out;
}"""
#: Form controls and labels whose boxes overlap (one inside the other excepted).
OVERLAP_JS = """() => {
  const all = [...document.querySelectorAll(
    'main input:not([type=hidden]), main select, main textarea, main button, main label')]
    .filter(el => el.getClientRects().length && !el.closest('.visually-hidden'));
  const boxes = all.map(el => el.getBoundingClientRect()), out = [];
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) {
    if (all[i].contains(all[j]) || all[j].contains(all[i])) continue;
    const a = boxes[i], b = boxes[j];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 1 && h > 1) out.push(`${all[i].id || all[i].tagName} / ${all[j].id || all[j].tagName}`);
  }
  return out;
}"""
IN_VIEW_JS = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
}"""


def open_everything(page: Any) -> None:
    """Every edit form shown, as an administrator going through them would see it."""
    page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")


def fill_book_for(page: Any, member: str, machine: str, start: date, end: date, why: str) -> None:
    form = page.locator("#book-for-form")
    form.get_by_label("Book for").select_option(member)
    form.get_by_label("Machine").select_option(machine)
    form.get_by_label("First day").fill(start.isoformat())
    form.get_by_label("Last day").fill(end.isoformat())
    form.get_by_label("Purpose").fill(why)
    form.get_by_role("button", name="Book for the member").click()


class TestBookForAMember:
    """The phoned-in request: booked for the member, or refused beside the form as typed."""

    @pytest.mark.parametrize("viewport", WIDTHS)
    def test_book_then_a_refusal_kept_across_a_reload(
        self, browser: Any, site: Site, machine: str, month: date, viewport: dict[str, int]
    ) -> None:
        page = open_page(browser, site, "ada", viewport=viewport)
        page.goto(site.url + "/admin")
        fill_book_for(page, "bob", machine, day(month, 3), day(month, 4), "phoned in")
        page.wait_for_url(re.compile(r"/admin\?done=booked-for&rental=\d+#book-for$"))
        (rental,) = site.cal.rentals(machine=machine)
        assert (rental.member, rental.purpose) == ("bob", "phoned in")
        assert f"rental {rental.id}" in page.inner_text("#booked-for")
        assert page.evaluate(IN_VIEW_JS, "#booked-for"), "not at the form after booking"
        fill_book_for(page, "bob", machine, day(month, 4), day(month, 5), "again")
        page.wait_for_url(re.compile(r"/admin\?flash=[\w-]+#book-for$"))
        for _ in range(2):  # as shown, then after a reload (which sends nothing)
            assert f"rental {rental.id}" in page.inner_text("#book-for-form-error")
            assert page.evaluate(IN_VIEW_JS, "#book-for-form-error")
            form = page.locator("#book-for-form")
            assert form.get_by_label("Book for").input_value() == "bob"
            assert form.get_by_label("Last day").input_value() == day(month, 5).isoformat()
            assert form.get_by_label("Purpose").input_value() == "again"
            page.reload()
        assert len(site.cal.rentals(machine=machine)) == 1
        close(page)


class TestAdminLayout:
    """At 390 and 1280 px: no box outside the viewport, no select cutting its options,
    no control over another, every edit form open; axe finds nothing serious."""

    @pytest.mark.parametrize("viewport", WIDTHS)
    def test_nothing_cut_or_overlapped(
        self, browser: Any, site: Site, machine: str, month: date, viewport: dict[str, int]
    ) -> None:
        site.cal.book(machine, day(month, 8), day(month, 9), member="bob", purpose="hay")
        site.cal.add_maintenance(machine, day(month, 20), day(month, 21), acting="ada")
        page = open_page(browser, site, "ada", viewport=viewport)
        found: dict[str, dict[str, list[str]]] = {}
        for path in ADMIN_PAGES:
            page.goto(site.url + path)
            open_everything(page)
            checks = {name: page.evaluate(js) for name, js in _CHECKS.items()}
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if widths[0] > widths[1]:
                checks["scrolls sideways"] = [str(widths)]
            if any(checks.values()):
                found[path] = {k: v[:5] for k, v in checks.items() if v}
        assert found == {}, json.dumps(found, indent=1)
        close(page)

    @pytest.mark.parametrize("viewport", WIDTHS)
    def test_lands_at_the_item_under_the_notice(
        self, browser: Any, site: Site, machine: str, viewport: dict[str, int]
    ) -> None:
        page = open_page(browser, site, "ada", viewport=viewport)
        page.goto(site.url + "/admin")
        box = page.locator(f"#edit-machine-{machine}")
        box.locator("summary").click()
        box.get_by_label("Price a day").fill("88.00")
        box.get_by_role("button", name=re.compile("^Save")).click()
        page.wait_for_url(site.url + f"/admin?done=machine-edited#edit-machine-{machine}")
        assert str(site.cal.machine(machine).daily_price) == "88.00"
        notice = page.locator("main > .notice").bounding_box()
        item = page.locator(f"#edit-machine-{machine} summary").bounding_box()
        height = viewport["height"]
        assert notice["y"] >= 0 and notice["y"] + notice["height"] <= item["y"], (notice, item)
        assert item["y"] + item["height"] <= height, "the item is not in view"
        assert page.evaluate("window.scrollY") > 0  # not the top of the page
        harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(harness.ARTIFACTS / f"admin-landed-{viewport['width']}.png"))
        close(page)

    def test_axe_with_errors_shown(
        self, browser: Any, site: Site, machine: str, month: date, node_modules: Path
    ) -> None:
        axe = node_modules / "axe-core" / "axe.min.js"
        page = open_page(browser, site, "ada", bypass_csp=True)  # axe is an injected script
        page.goto(site.url + "/admin")
        fill_book_for(page, "bob", machine, day(month, 9), day(month, 8), "backwards")
        page.wait_for_url(re.compile(r"/admin\?flash="))
        found: dict[str, list[str]] = {}
        for path in (None, "/admin/rentals", "/admin/rentals?month=2030-13"):
            if path is not None:
                page.goto(site.url + path)
            open_everything(page)
            page.add_script_tag(path=str(axe))
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            bad = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[path or "/admin (refused)"] = bad
        assert found == {}, json.dumps(found, indent=1)
        close(page)


_CHECKS = {"outside": OUTSIDE_JS, "cut selects": CUT_JS, "overlapping": OVERLAP_JS}


@pytest.mark.pictures
class TestAdminScreenshots:
    """docs/img/admin-*.png: a refused phoned-in booking kept beside the form, and the
    rentals table, at both widths (copied from tests/artifacts by hand)."""

    def test_screenshots(self, browser: Any, site: Site, month: date) -> None:
        cal = site.cal
        cal.add_machine("baler", daily_price="90.00", title="Baler", acting="ada")
        cal.add_machine("tractor-6120", daily_price="120.00", title="Tractor 6120", acting="ada")
        taken = cal.book("tractor-6120", day(month, 5), day(month, 9), member="bob", purpose="hay")
        cal.book("baler", day(month, 12), day(month, 13), member="bob", purpose="straw")
        cal.approve(taken.id, acting="ada")
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = open_page(browser, site, "ada", viewport=viewport)
            page.goto(site.url + "/admin")
            fill_book_for(page, "bob", "tractor-6120", day(month, 8), day(month, 10), "seed drill")
            page.wait_for_url(re.compile(r"/admin\?flash="))
            page.evaluate("document.activeElement.blur()")
            harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(harness.ARTIFACTS / f"{name}-admin-book-for.png"))
            page.goto(f"{site.url}/admin/rentals?month={month:%Y-%m}")
            shot(page, f"{name}-admin-rentals")
            close(page)
