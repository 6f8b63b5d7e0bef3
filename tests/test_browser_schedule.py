"""``/schedule`` in a real browser (issue 21): bars under their days, the sticky machine
column on a phone, a free day opens the booking form, axe, live updates, screenshots.

The fixtures are those of tests/test_browser_pages.py (a ``rentcal serve`` subprocess,
Debian's Chromium, npm's axe-core); each test works on its own machine in NEXT month.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import rentcal
from rentcal.frontend.month import month_end
from tests import test_browser_pages as pages
from tests.browser import harness
from tests.test_browser_pages import (
    DESKTOP,
    LIVE_SECONDS,
    PASSWORDS,
    PHONE,
    Site,
    assert_no_reload,
    close,
    day,
    open_page,
    wait_live,
)

# The fixtures of the booking page's browser tests, shared by name.
site = pages.site
machine = pages.machine
month = pages.month

pytestmark = pytest.mark.slow


#: Each bar of one machine's row: its first/last day and its box's left/right edge,
#: with the left/right edges of the day column headings of those days.
BARS_JS = """(name) => {
  const edge = (d) => document.querySelector(`#schedule thead th[data-date="${d}"]`)
    .getBoundingClientRect();
  return [...document.querySelectorAll(`#schedule tr[data-machine="${name}"] td.bar-cell`)]
    .map(td => {
      const bar = td.querySelector('.bar').getBoundingClientRect();
      return {start: td.dataset.start, end: td.dataset.end, left: bar.left, right: bar.right,
              colLeft: edge(td.dataset.start).left, colRight: edge(td.dataset.end).right,
              text: td.querySelector('.bar [aria-hidden]').innerText.trim(),
              fits: td.querySelector('.bar').scrollWidth <= td.querySelector('.bar').clientWidth};
    });
}"""


@pytest.fixture
def own_site(tmp_path: Path, chromium: str, node_modules: Path) -> Iterator[Site]:
    """A server of its own: the screenshots show only their own machines."""
    db_url = f"sqlite:///{tmp_path / 'rentcal.db'}"
    cal = rentcal.connect(db_url)
    cal.add_member("ada", name="Ada Admin", admin=True)
    cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
    for handle in ("ada", "bob"):
        cal.set_password(handle, PASSWORDS[handle], acting="ada")
    server = harness.Server(db_url, node_modules / "fullcalendar", tmp_path / "server.log")
    try:
        yield Site(server.url, db_url, cal, server, node_modules)
    finally:
        server.stop()
        cal.close()


def schedule_page(page: Any, site: Site, month: date) -> None:
    page.goto(f"{site.url}/schedule?month={month:%Y-%m}")
    page.wait_for_selector("#schedule table.schedule")


def bars_of(page: Any, machine: str) -> list[dict[str, Any]]:
    return list(page.evaluate(BARS_JS, machine))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
class TestBars:
    """Bars lie exactly under the headings of their first and last day, at both widths."""

    def test_bars_on_their_day_columns(
        self, browser: Any, site: Site, machine: str, month: date, viewport: dict[str, int]
    ) -> None:
        cal = site.cal
        taken = cal.book(machine, day(month, 3), day(month, 5), member="bob")
        cal.approve(taken.id, acting="ada")
        cal.book(machine, day(month, 10), day(month, 12), member="ada")
        cal.add_maintenance(machine, day(month, 20), day(month, 21), acting="ada")
        last = month_end(month)
        cal.book(machine, last - timedelta(days=1), last + timedelta(days=3), member="bob")
        page = open_page(browser, site, "bob", viewport=viewport)
        schedule_page(page, site, month)
        bars = bars_of(page, machine)
        spans = [(b["start"], b["end"]) for b in bars]
        assert spans == [
            (day(month, 3).isoformat(), day(month, 5).isoformat()),
            (day(month, 10).isoformat(), day(month, 12).isoformat()),
            (day(month, 20).isoformat(), day(month, 21).isoformat()),
            ((last - timedelta(days=1)).isoformat(), last.isoformat()),  # clipped
        ]
        for bar in bars:
            assert abs(bar["left"] - bar["colLeft"]) <= 3, bar
            assert abs(bar["right"] - bar["colRight"]) <= 3, bar
            assert bar["fits"], f"the label of {bar} is cut"
        assert [b["text"] for b in bars][:3] == ["Bob Baker", "Ada Admin", "M"]
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
        close(page)


class TestPhone:
    """390 px: the table scrolls in its own box and the machine names stay in view."""

    def test_machine_column_stays_in_view_after_scrolling_sideways(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob", viewport=PHONE, is_mobile=True, has_touch=True)
        schedule_page(page, site, month)
        scroller = "#schedule .schedule-scroll"
        # The month must be laid out wider than the phone first (a fresh context
        # once measured it before that): a month that never is fails here.
        page.wait_for_function(
            "(sel) => { const el = document.querySelector(sel);"
            " return el.scrollWidth - el.clientWidth > 500; }",
            arg=scroller,
        )
        page.eval_on_selector(scroller, "el => { el.scrollLeft = el.scrollWidth; }")
        assert page.eval_on_selector(scroller, "el => el.scrollLeft") > 500
        seen = page.evaluate(
            """(name) => {
              const box = document.querySelector('#schedule .schedule-scroll')
                .getBoundingClientRect();
              const th = document.querySelector(`#schedule tr[data-machine="${name}"] th.machine`);
              const r = th.getBoundingClientRect();
              const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
              return {left: r.left, boxLeft: box.left, onTop: th.contains(hit)};
            }""",
            machine,
        )
        assert abs(seen["left"] - seen["boxLeft"]) <= 2, seen
        assert seen["onTop"], "a day cell covers the machine name"
        last = month_end(month).isoformat()
        header = page.locator(f'#schedule thead th[data-date="{last}"]').bounding_box()
        assert header is not None and header["x"] + header["width"] <= PHONE["width"] + 1
        close(page)


class TestBooking:
    """A free day is a link to the booking form with that machine and day chosen."""

    def test_click_a_free_day_opens_the_booking_form(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob")
        schedule_page(page, site, month)
        wanted = day(month, 14).isoformat()
        page.click(f'#schedule tr[data-machine="{machine}"] td[data-date="{wanted}"] a')
        page.wait_for_url(re.compile(r"/\?machine="))
        assert page.input_value("#machine") == machine
        assert page.input_value("#start") == wanted
        assert page.input_value("#end") == wanted
        page.wait_for_selector("#availability.free")
        close(page)

    def test_a_bar_opens_its_rental(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        rental = site.cal.book(machine, day(month, 7), day(month, 8), member="ada")
        page = open_page(browser, site, "bob")
        schedule_page(page, site, month)
        page.click(f'#schedule a.bar[data-rental="{rental.id}"]')
        page.wait_for_url(re.compile(rf"/rentals/{rental.id}$"))
        close(page)


class TestLive:
    """A booking made by another client appears without a reload."""

    def test_a_booking_elsewhere_appears_live(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob")
        # the revision stream open before the change (its first revision: nothing new),
        # so the change arrives as news on it, not as what a late connection found
        with page.expect_response(lambda answer: "/api/changes" in answer.url):
            schedule_page(page, site, month)
        mark_no_reload_schedule(page)
        done = harness.cli(
            site.db_url,
            "--as",
            "ada",
            "book",
            machine,
            day(month, 16).isoformat(),
            day(month, 18).isoformat(),
        )
        committed = time.monotonic()
        assert done.returncode == 0, done.stderr
        seconds = wait_live(
            page,
            """([name, start]) => [...document.querySelectorAll(
                 `#schedule tr[data-machine="${name}"] td.bar-cell`)]
                 .some(td => td.dataset.start === start)""",
            [machine, day(month, 16).isoformat()],
            committed,
        )
        assert_no_reload(page)
        assert seconds <= LIVE_SECONDS, f"the schedule showed it after {seconds:.2f} s"
        close(page)


def mark_no_reload_schedule(page: Any) -> None:
    """The booking page's marker (a reload would lose it), without its calendar observer."""
    page.evaluate("() => { window.__rentcalMarker = 'still here'; }")


class TestAccessibility:
    """axe-core finds nothing serious or critical, at 390 and at 1280 px."""

    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
    def test_axe_finds_no_serious_violation(
        self,
        browser: Any,
        site: Site,
        machine: str,
        month: date,
        node_modules: Path,
        viewport: dict[str, int],
    ) -> None:
        cal = site.cal
        cal.book(machine, day(month, 1), day(month, 2), member="ada")
        cal.add_maintenance(machine, day(month, 5), day(month, 6), acting="ada")
        page = open_page(browser, site, "ada", viewport=viewport, bypass_csp=True)
        schedule_page(page, site, month)
        page.add_script_tag(path=str(node_modules / "axe-core" / "axe.min.js"))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        bad = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], json.dumps(bad, indent=1)
        close(page)


class TestScreenshots:
    """docs/img/schedule-390.png and schedule-1280.png: this month, a few machines."""

    def test_screenshots(self, browser: Any, own_site: Site) -> None:
        site = own_site
        cal = site.cal
        today = cal.today()
        names = (
            ("band-saw", "Band saw"),
            ("tractor-6120", "Tractor 6120"),
            ("wood-chipper", "Wood chipper"),
            ("trailer-2t", "Trailer 2 t"),
        )
        for name, title in names:
            policy = "queue" if name == "trailer-2t" else "block"
            cal.add_machine(
                name, daily_price="40.00", title=title, acting="ada", request_policy=policy
            )
        first = today.replace(day=1)
        last = month_end(first)

        def on(n: int) -> date:
            return min(today + timedelta(days=n), last)

        taken = cal.book("band-saw", today, on(2), member="bob")
        cal.approve(taken.id, acting="ada")
        cal.book("band-saw", on(5), on(6), member="ada")
        cal.add_maintenance("tractor-6120", on(1), on(3), acting="ada")
        long = cal.book("tractor-6120", on(9), last + timedelta(days=4), member="bob")
        cal.approve(long.id, acting="ada")
        cal.book("wood-chipper", on(3), on(3), member="bob")
        cal.book("trailer-2t", on(4), on(7), member="bob")  # queued side by side:
        cal.book("trailer-2t", on(6), on(8), member="ada")  # two lanes
        harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page = open_page(browser, site, "bob", viewport=viewport)
            page.goto(f"{site.url}/schedule?month={first:%Y-%m}")
            page.wait_for_selector("#schedule table.schedule")
            boxes = page.evaluate(
                """() => [...document.querySelectorAll(
                     '#schedule tr[data-machine="trailer-2t"] .bar')]
                     .map(b => [b.getBoundingClientRect().top,
                                b.getBoundingClientRect().bottom])"""
            )
            assert len(boxes) == 2 and boxes[0][1] <= boxes[1][0], f"queued bars overlap: {boxes}"
            page.screenshot(path=str(harness.ARTIFACTS / f"schedule-{width}.png"), full_page=True)
            close(page)
