"""Issue 21 in a real browser: the booking page on a phone, and the words said there.

Same machinery as tests/test_browser_pages.py (Debian's Chromium through Playwright,
a real ``rentcal serve``, FullCalendar from npm); its fixtures are reused. "Visible"
means the element's bounding box lies inside the viewport, nothing scrolled.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests import test_browser_pages as pages
from tests.browser import harness
from tests.test_browser_pages import (
    DESKTOP,
    PHONE,
    Site,
    calendar_page,
    close,
    day,
    open_page,
    shot,
    wait_events,
)

# The fixtures of tests/test_browser_pages.py, found by pytest under these names.
site = pages.site
machine = pages.machine
month = pages.month

pytestmark = pytest.mark.slow

#: Every element of a box lies inside the viewport (no scrolling needed to see it).
IN_VIEW_JS = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
    && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
}"""
#: Pairs of week-view column headings whose text boxes overlap, and headings wider
#: than their column.
HEADERS_JS = """() => {
  const boxes = [...document.querySelectorAll('#calendar .fc-col-header-cell')].map(th => {
    const text = th.querySelector('.fc-col-header-cell-cushion');
    const range = document.createRange(); range.selectNodeContents(text);
    return [th.getBoundingClientRect(), range.getBoundingClientRect(), text.innerText];
  });
  const bad = [];
  boxes.forEach(([cell, text, words], i) => {
    if (text.left < cell.left - 0.5 || text.right > cell.right + 0.5) bad.push('wide: ' + words);
    const next = boxes[i + 1];
    if (next && text.right > next[1].left + 0.5) bad.push('overlap: ' + words);
  });
  return [boxes.length, bad];
}"""
#: Words of the elements matched that are split over two lines (a mid-word break, not
#: at a hyphen), or cut off by their box.
SPLIT_WORDS_JS = """(selector) => {
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.offsetParent) continue;   // not displayed
      const re = /[^\\s\\-\u2013\u2014]+/g; let m;   // a line may break at a hyphen
      while ((m = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) bad.push(m[0]);
      }
    }
    if (el.scrollWidth > el.clientWidth + 1) bad.push('cut: ' + el.innerText.slice(0, 40));
  }
  return bad;
}"""


def visible(page: Any, selector: str) -> bool:
    return bool(page.evaluate(IN_VIEW_JS, selector))


def phone(browser: Any, site: Site, handle: str = "bob") -> Any:
    return open_page(browser, site, handle, viewport=PHONE, is_mobile=True, has_touch=True)


def tap_day(page: Any, iso: str) -> None:
    """Tap a day as a person would: scrolled to the middle of the screen (not under the
    docked answer), on the cell's empty lower part (not on an event)."""
    cell = page.locator(f'#calendar td.fc-daygrid-day[data-date="{iso}"]')
    cell.evaluate("td => td.scrollIntoView({block: 'center'})")
    box = cell.bounding_box()
    cell.click(position={"x": box["width"] / 2, "y": box["height"] - 4})


class TestPhonePicking:
    """After picking days on a phone, the answer and Book are on screen, unscrolled."""

    def test_answer_price_and_book_visible_after_two_taps(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = phone(browser, site)
        calendar_page(page, site, machine, month)
        last_week = day(month, 26).isoformat()
        tap_day(page, day(month, 23).isoformat())
        page.wait_for_selector(f'td[data-date="{day(month, 23)}"] .rc-choice')
        tap_day(page, last_week)
        page.wait_for_selector("#availability.free")
        page.wait_for_selector("#decision.docked")
        for part in ("#availability", "#quote", "#book"):
            assert visible(page, part), f"{part} is off-screen after picking days"
        assert page.is_enabled("#book")
        assert page.inner_text("#quote") == "Price: 4 days × 100.00 = 400.00"
        # The docked block hides nothing for good: the last week can still be scrolled up.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        cell = page.locator(f'#calendar td[data-date="{last_week}"]').bounding_box()
        bar = page.locator("#decision").bounding_box()
        assert cell["y"] + cell["height"] <= bar["y"] + 1
        shot(page, "phone-booking-picked")
        page.click("#book")
        page.wait_for_url(re.compile(r"/rentals/\d+\?done=booked$"))
        close(page)

    def test_a_conflict_is_said_once_on_screen_without_a_price(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        taken = site.cal.book(machine, day(month, 24), day(month, 25), member="ada")
        page = phone(browser, site)
        calendar_page(page, site, machine, month)
        tap_day(page, day(month, 22).isoformat())
        page.wait_for_selector(f'td[data-date="{day(month, 22)}"] .rc-choice')
        tap_day(page, day(month, 26).isoformat())
        page.wait_for_selector("#availability.taken")
        assert visible(page, "#availability") and visible(page, "#book")
        assert page.is_disabled("#book")
        box = page.inner_text("#availability")
        assert box.count(f"rental {taken.id}") == 1, box  # said once
        assert not re.search(r"\d{4}-\d{2}-\d{2}", box), box  # one form of dates: the locale's
        assert page.inner_text("#quote") == ""  # the price of refused days is gone
        shot(page, "phone-booking-conflict")
        close(page)

    def test_all_machines_problem_is_on_screen(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = phone(browser, site)
        calendar_page(page, site, None, month)
        tap_day(page, day(month, 22).isoformat())
        page.wait_for_selector(f'td[data-date="{day(month, 22)}"] .rc-choice')
        tap_day(page, day(month, 26).isoformat())
        page.wait_for_function(
            "() => document.querySelector('#availability').innerText.includes('Choose one machine')"
        )
        assert visible(page, "#availability") and visible(page, "#book")
        close(page)


class TestPastDays:
    """Past days look unavailable and say why when picked; they are never selected."""

    def test_past_day_says_why_and_is_not_picked(
        self, browser: Any, site: Site, machine: str
    ) -> None:
        today = site.cal.today()
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        page = phone(browser, site)
        calendar_page(page, site, machine, last_month)
        past = day(last_month, 10).isoformat()
        cell = page.locator(f'#calendar td.fc-daygrid-day[data-date="{past}"]')
        assert "rc-past" in (cell.get_attribute("class") or "")
        tap_day(page, past)
        page.wait_for_function(
            "() => document.querySelector('#availability').innerText.includes('has passed')"
        )
        assert visible(page, "#availability")
        assert page.input_value("#start") == "" and page.input_value("#end") == ""
        assert page.locator("#calendar .rc-choice").count() == 0
        close(page)

    def test_past_days_in_the_grid_without_fullcalendar(
        self, browser: Any, site: Site, machine: str
    ) -> None:
        today = site.cal.today()
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        page = open_page(browser, site, "bob")
        page.route("**/assets/fullcalendar/**", lambda route: route.abort())
        page.goto(f"{site.url}/?machine={machine}&month={last_month:%Y-%m}")
        page.wait_for_function("() => document.documentElement.classList.contains('no-fc')")
        past = page.locator(f'#fallback-grid td[data-date="{day(last_month, 10)}"]')
        assert past.get_attribute("data-past") == "yes"
        assert "passed" in past.inner_text() or "(passed)" in past.inner_html()
        past.click()
        assert "has passed" in page.inner_text("#availability")
        assert page.input_value("#start") == ""
        close(page)


class TestWeekView:
    """Week opens the current week; its headings fit their columns at both widths."""

    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_week_shows_today(
        self, browser: Any, site: Site, machine: str, viewport: dict[str, int]
    ) -> None:
        today = site.cal.today().isoformat()
        page = open_page(browser, site, "bob", viewport=viewport)
        calendar_page(page, site, machine, None)
        page.click(".fc-dayGridWeek-button")
        wait_events(page)
        shown = page.eval_on_selector_all(
            "#calendar td.fc-daygrid-day[data-date]", "tds => tds.map(td => td.dataset.date)"
        )
        assert len(shown) == 7 and today in shown, shown
        assert page.get_attribute(".fc-dayGridWeek-button", "aria-pressed") == "true"
        count, bad = page.evaluate(HEADERS_JS)
        assert count == 7 and bad == [], bad
        shot(page, f"{'phone' if viewport == PHONE else 'desktop'}-booking-week")
        close(page)


class TestNothingCut:
    """No word is broken or cut in the no-script grid, the form or the header."""

    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_grid_and_form_words_whole(
        self, browser: Any, site: Site, month: date, viewport: dict[str, int]
    ) -> None:
        name = "tractor-6120" if viewport == PHONE else "tractor-6120-b"
        site.cal.add_machine(
            name,
            daily_price="120.00",
            title="Tractor 6120",
            description="80 hp, front loader",
            acting="ada",
        )
        rental = site.cal.book(name, day(month, 5), day(month, 9), member="bob")
        site.cal.approve(rental.id, acting="ada")
        page = open_page(browser, site, "bob", viewport=viewport, java_script_enabled=False)
        page.goto(f"{site.url}/?machine={name}&month={month:%Y-%m}")
        cells = "#fallback-grid td[data-date]"
        assert page.evaluate(SPLIT_WORDS_JS, cells) == []
        assert page.evaluate(SPLIT_WORDS_JS, "header.top, .booking-form") == []
        facts = page.inner_text("#machine-facts")
        assert "80 hp, front loader" in facts and "120.00 a day" in facts
        option = page.locator(f'#machine option[value="{name}"]').inner_text()
        assert option.strip() == "Tractor 6120 — 120.00 a day"
        width = page.evaluate("document.querySelector('#machine').scrollWidth")
        text = page.evaluate(
            """(v) => { const c = document.createElement('canvas').getContext('2d');
                 const s = getComputedStyle(document.querySelector('#machine'));
                 c.font = s.font; return c.measureText(
                 document.querySelector(`#machine option[value="${v}"]`).text.trim()).width; }""",
            name,
        )
        assert text < width, "the chosen machine's price is cut off in the select"
        shot(page, f"{'phone' if viewport == PHONE else 'desktop'}-booking-nojs")
        close(page)


class TestOtherPagesWhole:
    """Login, a rental and an error page: no word broken or cut at either width."""

    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_words_whole(
        self, browser: Any, site: Site, machine: str, month: date, viewport: dict[str, int]
    ) -> None:
        rental = site.cal.book(machine, day(month, 3), day(month, 4), member="bob", purpose="hay")
        stranger = open_page(browser, site, None, viewport=viewport)
        stranger.goto(site.url + "/login")
        assert stranger.evaluate(SPLIT_WORDS_JS, "main, main *") == []
        close(stranger)
        page = open_page(browser, site, "bob", viewport=viewport)
        for path in (f"/rentals/{rental.id}", "/no-such-page"):
            page.goto(site.url + path)
            assert page.evaluate(SPLIT_WORDS_JS, "header.top, main h1, main p, main dd") == [], path
        close(page)


class TestEventTitlesWhole:
    """FullCalendar's one-day events: whole titles at 1280 px, a word for the status at 390."""

    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_event_titles_not_cut(
        self, browser: Any, site: Site, machine: str, month: date, viewport: dict[str, int]
    ) -> None:
        site.cal.book(machine, day(month, 11), day(month, 11), member="bob")
        page = open_page(browser, site, "bob", viewport=viewport)
        calendar_page(page, site, None, month)  # all machines: the longest titles
        titles = "#calendar .fc-daygrid-event .fc-event-title, #calendar .rc-short"
        assert page.locator(titles).count() >= 1
        assert page.evaluate(SPLIT_WORDS_JS, titles) == []
        close(page)


class TestLoginNext:
    """A link followed while logged out comes back after logging in; other hosts never."""

    def test_link_survives_a_failed_login(self, browser: Any, site: Site, machine: str) -> None:
        page = open_page(browser, site, None)
        page.goto(f"{site.url}/?machine={machine}")
        assert "/login?next=" in page.url
        page.fill("#handle", "bob")
        page.fill("#password", "wrong password")
        page.click("#login-form button[type=submit]")
        assert page.locator("#login-error").is_visible()
        page.fill("#password", "bob-password")
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{site.url}/?machine={machine}")
        assert page.input_value("#machine") == machine
        close(page)

    @pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
    def test_open_redirect_refused(self, browser: Any, site: Site, target: str) -> None:
        page = open_page(browser, site, None)
        page.goto(f"{site.url}/login?next={quote(target, safe='')}")
        page.fill("#handle", "bob")
        page.fill("#password", "bob-password")
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{site.url}/")
        close(page)


class TestErrorPages:
    """A browser's missing page is a page of the site; a script still gets JSON."""

    def test_missing_page_in_the_layout(self, browser: Any, site: Site) -> None:
        page = open_page(browser, site, "bob", viewport=PHONE)
        answer = page.goto(site.url + "/no-such-page")
        assert answer is not None and answer.status == 404
        assert page.inner_text("h1") == "Page not found"
        assert "Bob Baker" in page.inner_text("header")
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
        api = page.request.get(site.url + "/no-such-page", headers={"Accept": "application/json"})
        assert api.status == 404 and api.json()["code"] == "not_found"
        close(page)


def axe_violations(page: Any, axe: Path, context: str = "document") -> list[str]:
    """Serious or critical axe-core findings on the page as it is now."""
    page.add_script_tag(path=str(axe))
    result = page.evaluate(f"() => axe.run({context}, {{resultTypes: ['violations']}})")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class TestAccessibleOnAPhone:
    """axe-core at 390 px: the docked answer, the grid as a list, the error page."""

    def test_axe_on_a_phone(
        self, browser: Any, site: Site, machine: str, month: date, node_modules: Path
    ) -> None:
        axe = node_modules / "axe-core" / "axe.min.js"
        page = open_page(browser, site, "bob", viewport=PHONE, bypass_csp=True)
        calendar_page(page, site, machine, month)
        tap_day(page, day(month, 23).isoformat())
        page.wait_for_selector(f'td[data-date="{day(month, 23)}"] .rc-choice')
        tap_day(page, day(month, 26).isoformat())
        page.wait_for_selector("#decision.docked #availability.free")
        found = {"docked": axe_violations(page, axe, "{exclude: [['#calendar']]}")}
        page.route("**/assets/fullcalendar/**", lambda route: route.abort())
        page.goto(f"{site.url}/?machine={machine}&month={month:%Y-%m}")
        page.wait_for_function("() => document.documentElement.classList.contains('no-fc')")
        found["grid as a list"] = axe_violations(page, axe)
        page.goto(site.url + "/no-such-page")
        found["404"] = axe_violations(page, axe)
        assert found == {k: [] for k in found}, found
        close(page)


@pytest.mark.pictures
class TestDocsPictures:
    """The pictures of docs/web.md (tests/artifacts/docs-*.png; copy them to docs/img/)."""

    def test_docs_pictures(self, browser: Any, site: Site, month: date) -> None:
        cal = site.cal
        cal.add_machine(
            "tractor",
            daily_price="120.00",
            title="Tractor 6120",
            description="80 hp, front loader",
            acting="ada",
        )
        taken = cal.book("tractor", day(month, 5), day(month, 9), member="ada", purpose="hay")
        cal.approve(taken.id, acting="ada")
        cal.book("tractor", day(month, 13), day(month, 14), member="ada")
        cal.add_maintenance("tractor", day(month, 21), day(month, 22), acting="ada")
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = open_page(browser, site, "bob", viewport=viewport)
            calendar_page(page, site, "tractor", month)
            tap_day(page, day(month, 16).isoformat())
            page.wait_for_selector(f'td[data-date="{day(month, 16)}"] .rc-choice')
            tap_day(page, day(month, 18).isoformat())
            page.wait_for_selector("#availability.free")
            page.evaluate("document.activeElement.blur()")
            shot_view(page, f"docs-booking-{name}")
            tap_day(page, day(month, 12).isoformat())
            page.wait_for_selector(f'td[data-date="{day(month, 12)}"] .rc-choice')
            tap_day(page, day(month, 14).isoformat())
            page.wait_for_selector("#availability.taken")
            page.evaluate("document.activeElement.blur()")
            shot_view(page, f"docs-booking-conflict-{name}")
            page.click(".fc-dayGridWeek-button")
            wait_events(page)
            page.evaluate("document.activeElement.blur()")
            page.locator("#calendar").evaluate("c => c.scrollIntoView({block: 'center'})")
            shot_view(page, f"docs-booking-week-{name}")
            page.goto(site.url + "/no-such-page")
            shot_view(page, f"docs-not-found-{name}")
            close(page)
            stranger = open_page(browser, site, None, viewport=viewport)
            stranger.goto(f"{site.url}/?machine=tractor")
            stranger.fill("#handle", "bob")
            stranger.fill("#password", "wrong password")
            stranger.click("#login-form button[type=submit]")
            stranger.evaluate("document.activeElement.blur()")
            shot_view(stranger, f"docs-login-{name}")
            close(stranger)
            plain = open_page(browser, site, "bob", viewport=viewport, java_script_enabled=False)
            plain.goto(f"{site.url}/?machine=tractor&month={month:%Y-%m}")
            plain.locator("#fallback-grid").evaluate("g => g.scrollIntoView()")
            shot_view(plain, f"docs-booking-nojs-{name}")
            close(plain)


def shot_view(page: Any, name: str) -> None:
    """What the screen shows (not the whole page: a docked answer is where it is seen)."""
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(harness.ARTIFACTS / f"{name}.png"))
