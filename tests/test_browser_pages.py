"""The pages in a real browser: Chromium (Debian's) driven by Playwright against a real
``rentcal serve`` subprocess, with FullCalendar from npm served by ``--assets``.

Skipped when Playwright, Chromium or npm are missing; ``RENTCAL_BROWSER_TESTS=1``
(``.ci/run``) turns every such skip into a failure. Each test works on its own
machine (created through the library in the same SQLite file the server uses) in
NEXT month, so every day shown is bookable and tests never see each other's
bookings. Screenshots go to tests/artifacts/ (git-ignored).

"Live" means: the change is made elsewhere (another browser, an admin, a
``rentcal book`` subprocess), and the open page shows it without a reload — a
marker set on ``window`` before the change must still be there — within
:data:`LIVE_SECONDS` of the change being committed, as issue 12 asks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import rentcal
from tests.browser import harness
from tests.browser.fixtures import FreshServers

LIVE_SECONDS = 2.0
PASSWORDS = {"ada": "ada-password", "bob": "bob-password", "cy": "cy-password"}
RED, YELLOW, ORANGE = "rgb(220, 53, 69)", "rgb(255, 193, 7)", "rgb(253, 126, 20)"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.slow


# -- fixtures --------------------------------------------------------------------------


@dataclass
class Site:
    """The running server and a library connection to its database."""

    url: str
    db_url: str
    cal: rentcal.Rentcal
    server: harness.Server
    assets: Path
    #: Each member's cookies once logged in through the form (see :func:`open_page`).
    logins: dict[str, list[Any]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def site(fresh_servers: FreshServers, node_modules: Path) -> Iterator[Site]:
    """A server of this file's own over a database of its own: ada (admin), bob
    (verified) and cy (not yet). The server was started ahead (while the last file ran);
    it reads the members per request, so they are written now."""
    try:
        import fastapi  # noqa: F401
    except ImportError:
        harness.requirement(False, "the web extra is not installed (pip install '.[web]')")
    fresh = fresh_servers.take()
    cal, server = fresh.cal, fresh.server
    try:
        cal.add_member("ada", name="Ada Admin", admin=True)
        cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
        cal.add_member("cy", name="Cy Newcomer", acting="ada")
        for handle, password in PASSWORDS.items():
            cal.set_password(handle, password, acting="ada")
        server.wait_ready()
        yield Site(server.url, fresh.db_url, cal, server, node_modules)
    finally:
        server.stop()
        cal.close()


@pytest.fixture
def machine(site: Site, request: pytest.FixtureRequest) -> str:
    """A machine of this test's own, 100.00 a day."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:50]
    site.cal.add_machine(name, daily_price="100.00", title=f"M {name}", acting="ada")
    return name


@pytest.fixture
def month(site: Site) -> date:
    """The first day of next month: every day of it is bookable."""
    first = site.cal.today().replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def day(month: date, n: int) -> date:
    return month.replace(day=n)


def open_page(browser: Any, site: Site, handle: str | None, **options: Any) -> Any:
    """A new context's page, logged in as ``handle``.

    The first time on a site, ``handle`` logs in through the login form (in a context of
    its own, its page checked like the tests' for script errors and CSP refusals); from
    then on a new context starts with the session cookies that login got, as a browser
    that logged in before does. The login form itself is TestLogin's and TestPasswordReset's.
    """
    options.setdefault("viewport", DESKTOP)
    options.setdefault("locale", "en-GB")
    if handle is not None:
        options["storage_state"] = {"cookies": login_cookies(browser, site, handle), "origins": []}
    context = browser.new_context(**options)
    return watched(context.new_page())


def watched(page: Any) -> Any:
    """``page`` collecting its script errors and CSP refusals in ``page.errors``
    (:func:`close` asserts there are none)."""
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.on(
        "console",
        lambda msg: page.errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return page


def login_cookies(browser: Any, site: Site, handle: str) -> list[Any]:
    """``handle``'s session cookies on ``site``: logged in through the form once."""
    if handle not in site.logins:
        page = watched(browser.new_context(viewport=DESKTOP, locale="en-GB").new_page())
        page.goto(site.url + "/login")
        page.fill("#handle", handle)
        page.fill("#password", PASSWORDS[handle])
        page.click("#login-form button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        site.logins[handle] = page.context.storage_state()["cookies"]
        close(page)
    return site.logins[handle]


def calendar_page(page: Any, site: Site, machine: str | None, month: date | None) -> None:
    """The booking page of ``machine`` at ``month`` (None: this month), its events loaded."""
    query = "&".join(
        ([f"month={month:%Y-%m}"] if month else []) + ([f"machine={machine}"] if machine else [])
    )
    page.goto(site.url + "/?" + query)
    wait_events(page)


def wait_events(page: Any) -> None:
    page.wait_for_selector("#calendar .fc-daygrid-day, #calendar .fc-list", state="attached")
    page.wait_for_function(
        "() => document.querySelector('#calendar').getAttribute('aria-busy') === 'false'"
    )


#: Which event titles FullCalendar draws over which day cell (by geometry: an event bar
#: covers a cell when it spans the cell's centre inside the cell's row).
CELLS_JS = """() => {
  const out = {};
  const cells = [...document.querySelectorAll('#calendar td.fc-daygrid-day[data-date]')];
  cells.forEach(c => { out[c.dataset.date] = []; });
  for (const ev of document.querySelectorAll('#calendar .fc-daygrid-event')) {
    const r = ev.getBoundingClientRect();
    for (const c of cells) {
      const b = c.getBoundingClientRect();
      const cx = b.left + b.width / 2, cy = r.top + r.height / 2;
      if (cx > r.left && cx < r.right && cy > b.top && cy < b.bottom) {
        out[c.dataset.date].push(ev.querySelector('.fc-event-title').innerText.trim());
      }
    }
  }
  return out;
}"""
LIST_JS = """() => {
  const out = {}; let current = null;
  for (const tr of document.querySelectorAll('#calendar .fc-list-table tr')) {
    if (tr.classList.contains('fc-list-day')) { current = tr.dataset.date; out[current] = []; }
    else if (tr.classList.contains('fc-list-event')) {
      out[current].push(tr.querySelector('.fc-list-event-title').innerText.trim());
    }
  }
  return out;
}"""
COLOURS_JS = """() => Object.fromEntries(
  [...document.querySelectorAll('#calendar .fc-daygrid-event')].map(ev => {
    const title = ev.querySelector('.fc-event-title');
    return [title.innerText.trim(),
            [getComputedStyle(ev).backgroundColor, getComputedStyle(title).color]];
  }))"""


def expected_cells(site: Site, machine: str | None, days: list[str]) -> dict[str, list[str]]:
    """What the database says each day shows: the feed's events covering it."""
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    out: dict[str, list[str]] = {d: [] for d in days}
    for event in site.cal.events(machine, start=first, end=last):
        start = date.fromisoformat(str(event["start"]))
        end = date.fromisoformat(str(event["end"]))  # exclusive
        current = start
        while current < end:
            if current.isoformat() in out:
                out[current.isoformat()].append(str(event["title"]))
            current += timedelta(days=1)
    return out


def normalised(cells: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in cells.items()}


def shot(page: Any, name: str) -> None:
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(harness.ARTIFACTS / f"{name}.png"), full_page=True)


def close(page: Any) -> None:
    assert page.errors == [], page.errors
    page.context.close()


def mark_no_reload(page: Any) -> None:
    """Mark the page (a reload would lose it) and count the fewest events ever drawn from
    now on: a refresh that blanked the calendar for a moment (flicker) would show as 0."""
    page.evaluate(
        """() => {
      window.__rentcalMarker = 'still here';
      const count = () => document.querySelectorAll('#calendar .fc-daygrid-event').length;
      window.__rentcalFewest = count();
      new MutationObserver(() => {
        window.__rentcalFewest = Math.min(window.__rentcalFewest, count());
      }).observe(document.querySelector('#calendar'), {childList: true, subtree: true});
    }"""
    )


def fewest_events(page: Any) -> int:
    return int(page.evaluate("window.__rentcalFewest"))


def assert_no_reload(page: Any) -> None:
    assert page.evaluate("window.__rentcalMarker") == "still here", "the page was reloaded"


def wait_live(page: Any, expression: str, arg: Any, committed_at: float) -> float:
    """Wait until ``expression`` holds in the page; the seconds it took after the commit
    (also written to tests/artifacts/live-seconds.jsonl, for the record)."""
    page.wait_for_function(expression, arg=arg, timeout=15_000, polling=50)
    seconds = time.monotonic() - committed_at
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(harness.ARTIFACTS / "live-seconds.jsonl", "a", encoding="utf-8") as log:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
        log.write(json.dumps({"test": test, "seconds": round(seconds, 3)}) + "\n")
    return seconds


def rentals_of(site: Site, machine: str) -> list[Any]:
    return site.cal.rentals(machine=machine)


# -- tests -----------------------------------------------------------------------------


class TestLogin:
    """/login: inline errors, then back to where the member was going."""

    def test_login_inline_error_then_next(self, browser: Any, site: Site) -> None:
        page = open_page(browser, site, None)
        page.goto(site.url + "/me")
        assert "/login?next=/me" in page.url
        page.fill("#handle", "bob")
        page.fill("#password", "not-the-password")
        page.click("#login-form button[type=submit]")
        error = page.locator("#login-error")
        assert error.is_visible()
        assert "wrong handle or password" in error.inner_text().lower()
        assert page.input_value("#handle") == "bob"
        page.fill("#password", PASSWORDS["bob"])
        page.click("#login-form button[type=submit]")
        page.wait_for_url(site.url + "/me")
        assert "Bob Baker" in page.inner_text("header")
        close(page)


class TestPasswordReset:
    """Forgot password? on the login page -> the mail (a real SMTP server) -> a new password."""

    def test_password_reset_end_to_end(self, browser: Any, site: Site) -> None:
        from rentcal.service.smtp_sender import SmtpSender
        from tests.mail_support import smtp_server

        old, new = "dee-old-password", "dee-new-password"
        site.cal.add_member("dee", name="Dee Forgetful", email="dee@example.org", acting="ada")
        site.cal.set_password("dee", old, acting="ada")
        page = open_page(browser, site, None)
        page.goto(site.url + "/login")
        page.click("text=Forgot password?")
        page.wait_for_url(site.url + "/forgot")
        page.fill("#who", "DEE@example.org")
        page.press("#who", "Enter")  # by keyboard
        sent = page.locator("#forgot-sent")
        sent.wait_for()
        assert "a link is on its way" in sent.inner_text()
        with smtp_server() as server:
            site.cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", site.url))
            got = server.to("dee@example.org")
        assert len(got) == 1 and "new rentcal password" in str(got[0].message["Subject"])
        found = re.search(re.escape(site.url) + r"/reset/([A-Za-z0-9_-]{43})", got[0].text())
        assert found is not None, got[0].text()
        page.goto(found.group(0))
        page.fill("#password", new)
        page.fill("#password2", new)
        page.click("#reset-form button[type=submit]")
        page.wait_for_url(site.url + "/")
        page.goto(site.url + "/me")
        assert "Dee Forgetful" in page.inner_text("header")  # logged in
        page.goto(found.group(0))  # the link works once
        page.fill("#password", "third password")
        page.fill("#password2", "third password")
        page.click("#reset-form button[type=submit]")
        assert "already used or expired" in page.locator("#reset-error").inner_text()
        close(page)
        again = open_page(browser, site, None)
        again.goto(site.url + "/login")
        again.fill("#handle", "dee")
        again.fill("#password", old)
        again.click("#login-form button[type=submit]")
        assert "wrong handle or password" in again.locator("#login-error").inner_text().lower()
        again.fill("#password", new)
        again.click("#login-form button[type=submit]")
        again.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        close(again)
        assert found.group(1) not in site.server.log()  # the log shows /reset/{secret}


class TestCalendar:
    """The booking page draws the database's events on the right days, in the feeds' colours."""

    def test_events_on_the_right_cells_in_every_view(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        cal = site.cal
        six = cal.book(machine, day(month, 15), day(month, 20), member="bob", purpose="hay")
        cal.approve(six.id, acting="ada")
        cal.book(machine, day(month, 3), day(month, 4), member="bob")
        gone = cal.book(machine, day(month, 8), day(month, 9), member="bob")
        cal.cancel(gone.id, acting="bob")
        cal.add_maintenance(machine, day(month, 24), day(month, 25), acting="ada")

        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        drawn = page.evaluate(CELLS_JS)
        assert normalised(drawn) == normalised(expected_cells(site, machine, sorted(drawn)))
        # The six-day rental covers exactly 15..20 (FullCalendar's end is exclusive).
        covered = sorted(d for d, titles in drawn.items() if "Rented by Bob Baker" in titles)
        assert covered == [day(month, n).isoformat() for n in range(15, 21)]
        colours = page.evaluate(COLOURS_JS)
        assert colours["Rented by Bob Baker"] == [RED, "rgb(255, 255, 255)"]
        assert colours["Requested by Bob Baker"] == [YELLOW, "rgb(0, 0, 0)"]
        assert colours["Maintenance: Preventive"][0] == ORANGE
        assert page.locator(".legend").inner_text().count("—") == 3
        shot(page, "desktop-booking")

        page.click(".fc-dayGridWeek-button")  # the week of the 15th: next until it shows
        for _ in range(6):
            if page.locator(f'td.fc-daygrid-day[data-date="{day(month, 15)}"]').count():
                break
            page.click(".fc-next-button")
        wait_events(page)
        week = page.evaluate(CELLS_JS)
        assert normalised(week) == normalised(expected_cells(site, machine, sorted(week)))

        page.click(".fc-listMonth-button")
        page.wait_for_selector("#calendar .fc-list-table")
        listed = page.evaluate(LIST_JS)
        days = [day(month, n).isoformat() for n in range(1, 29)]
        wanted = {d: t for d, t in expected_cells(site, machine, days).items() if t}
        assert normalised({d: t for d, t in listed.items() if d in days}) == normalised(wanted)
        close(page)

    def test_all_machines_label_each_machine(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        site.cal.book(machine, day(month, 11), day(month, 11), member="bob")
        page = open_page(browser, site, "bob")
        calendar_page(page, site, None, month)
        titles = page.evaluate(CELLS_JS)[day(month, 11).isoformat()]
        assert f"M {machine} — Requested by Bob Baker" in titles
        assert page.inner_text("#calendar-name") == "All machines"
        close(page)

    def test_event_details_on_click_and_keyboard(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        rental = site.cal.book(machine, day(month, 5), day(month, 7), member="bob", purpose="hay")
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        page.click("#calendar .fc-daygrid-event")
        details = page.locator("#event-details")
        details.wait_for(state="visible")
        page.wait_for_function(
            "() => document.querySelector('#event-details').innerText.includes('300.00')"
        )
        text = details.inner_text()
        for part in (f"Rental {rental.id}", "Bob Baker", "pending", "hay", "300.00", "(3 days)"):
            assert part in text
        page.click("#event-details button")
        assert details.is_hidden()
        # Keyboard: events are focusable and Enter opens the same details.
        page.focus("#calendar .fc-daygrid-event")
        page.keyboard.press("Enter")
        details.wait_for(state="visible")
        outline = page.evaluate("getComputedStyle(document.querySelector('#machine')).outlineStyle")
        assert outline == "none"  # not focused: no ring
        page.focus("#machine")
        page.keyboard.press("Tab")
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.id") == "machine"
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert ring == "solid"
        close(page)


def wait_for_value(page: Any, selector: str, value: str) -> None:
    """Until the field holds ``value`` (or Playwright's timeout): events are asynchronous."""
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel).value === want", arg=[selector, value]
    )


class TestBookingForm:
    """Clicking days, the green / red box, the price, booking."""

    def test_click_two_days_and_drag(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        page.click(f'td.fc-daygrid-day[data-date="{day(month, 22)}"]')
        # As a person would: the second click after the first one's shading is drawn.
        page.wait_for_selector(f'td.fc-daygrid-day[data-date="{day(month, 22)}"] .rc-choice')
        assert page.input_value("#start") == day(month, 22).isoformat()
        assert page.input_value("#end") == ""
        assert "Now choose the last day" in page.inner_text("#availability")
        page.click(f'td.fc-daygrid-day[data-date="{day(month, 12)}"]')  # either order
        wait_for_value(page, "#start", day(month, 12).isoformat())  # FullCalendar's click is async
        assert page.input_value("#start") == day(month, 12).isoformat()
        assert page.input_value("#end") == day(month, 22).isoformat()
        page.wait_for_selector(f'td.fc-daygrid-day[data-date="{day(month, 12)}"] .rc-choice')
        first = page.locator(f'td.fc-daygrid-day[data-date="{day(month, 8)}"]').bounding_box()
        last = page.locator(f'td.fc-daygrid-day[data-date="{day(month, 10)}"]').bounding_box()
        page.mouse.move(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)
        page.mouse.down()
        page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=8)
        page.mouse.up()
        wait_for_value(page, "#start", day(month, 8).isoformat())
        assert page.input_value("#start") == day(month, 8).isoformat()
        assert page.input_value("#end") == day(month, 10).isoformat()
        close(page)

    def test_green_box_and_price_then_red_box_with_conflict(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        taken = site.cal.book(machine, day(month, 14), day(month, 16), member="ada")
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, None)  # this month: typed days bring the calendar along
        page.fill("#start", day(month, 10).isoformat())
        page.fill("#end", day(month, 12).isoformat())
        page.wait_for_selector("#availability.free")
        page.wait_for_selector(f'td.fc-daygrid-day[data-date="{day(month, 10)}"]')
        assert page.inner_text("#availability").startswith("Available.")
        assert page.inner_text("#quote") == "Price: 3 days × 100.00 = 300.00"
        assert page.is_enabled("#book")
        page.fill("#end", day(month, 15).isoformat())
        page.wait_for_selector("#availability.taken")
        box = page.inner_text("#availability")
        assert box.startswith("Not available.")
        assert f"rental {taken.id} (pending)" in box
        assert page.is_disabled("#book")
        assert page.inner_text("#quote") == ""  # no price for days that cannot be booked
        close(page)

    def test_server_error_next_to_the_field(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        page.fill("#start", day(month, 12).isoformat())
        page.fill("#end", day(month, 10).isoformat())
        page.wait_for_function("() => document.querySelector('#end-error').textContent !== ''")
        assert "before" in page.inner_text("#end-error")
        assert page.locator("#availability.idle").count() == 1
        assert page.get_attribute("#end", "aria-invalid") == "true"
        assert page.is_disabled("#book")
        close(page)

    def test_book_lands_on_rental_page_and_another_browser_sees_it_live(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        watcher = open_page(browser, site, "ada")
        calendar_page(watcher, site, machine, month)
        mark_no_reload(watcher)
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        page.fill("#start", day(month, 26).isoformat())
        page.fill("#end", day(month, 28).isoformat())
        page.fill("#purpose", "hay harvest")
        page.wait_for_selector("#availability.free")
        page.click("#book")
        page.wait_for_url(re.compile(r"/rentals/\d+\?done=booked$"))
        committed = time.monotonic()
        (rental,) = rentals_of(site, machine)
        assert page.url.endswith(f"/rentals/{rental.id}?done=booked")
        assert "Booked: rental" in page.inner_text(".notice")
        assert page.inner_text("#rental-price") == "300.00"
        assert page.get_attribute("#rental-status", "data-status") == "pending"
        shot(page, "desktop-rental")
        seconds = wait_live(
            watcher,
            f"(day) => ({CELLS_JS})()[day].includes('Requested by Bob Baker')",
            day(month, 27).isoformat(),
            committed,
        )
        assert_no_reload(watcher)
        assert seconds <= LIVE_SECONDS, f"the other browser saw it after {seconds:.2f} s"
        close(page)
        close(watcher)

    def test_rentcal_book_in_a_shell_appears_live(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        site.cal.book(machine, day(month, 2), day(month, 2), member="bob")
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        page.fill("#start", day(month, 17).isoformat())
        page.fill("#end", day(month, 18).isoformat())
        page.wait_for_selector("#availability.free")
        mark_no_reload(page)
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
            f"(day) => ({CELLS_JS})()[day].includes('Requested by Ada Admin')",
            day(month, 16).isoformat(),
            committed,
        )
        # The availability answer shown (green) was re-checked: now red.
        page.wait_for_selector("#availability.taken", timeout=5_000)
        assert_no_reload(page)
        assert fewest_events(page) >= 1, "the calendar blanked while refreshing"
        assert seconds <= LIVE_SECONDS, f"the page saw it after {seconds:.2f} s"
        close(page)

    def test_double_click_books_once(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob")
        calendar_page(page, site, machine, month)
        page.fill("#start", day(month, 5).isoformat())
        page.fill("#end", day(month, 6).isoformat())
        page.wait_for_selector("#availability.free")
        page.dblclick("#book")
        page.wait_for_url(re.compile(r"/rentals/\d+"))
        page.wait_for_load_state("load")
        (rental,) = rentals_of(site, machine)
        assert f"/rentals/{rental.id}" in page.url
        assert page.locator("h1").inner_text().startswith(f"Rental {rental.id}")
        close(page)

    def test_unverified_member_sees_calendar_and_why(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        site.cal.book(machine, day(month, 9), day(month, 9), member="bob")
        page = open_page(browser, site, "cy")
        calendar_page(page, site, machine, month)
        assert "an admin must verify you" in page.inner_text("#not-verified")
        assert page.is_disabled("#book")
        assert page.is_disabled("#start")
        assert page.evaluate(CELLS_JS)[day(month, 9).isoformat()] == ["Requested by Bob Baker"]
        close(page)


class TestAdmin:
    """The queue: approve in place, and the member's calendar turns red live."""

    def test_admin_approves_and_member_sees_red_live(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        rental = site.cal.book(machine, day(month, 19), day(month, 21), member="bob")
        member = open_page(browser, site, "bob")
        calendar_page(member, site, machine, month)
        assert member.evaluate(COLOURS_JS)["Requested by Bob Baker"][0] == YELLOW
        mark_no_reload(member)
        admin = open_page(browser, site, "ada")
        admin.goto(site.url + "/admin")
        item = admin.locator(f"#rental-{rental.id}")
        assert machine in item.inner_text()
        shot(admin, "desktop-admin")
        item.get_by_role("button", name=re.compile("^Approve")).click()
        admin.wait_for_url(site.url + "/admin?done=approved#pending")
        committed = time.monotonic()
        assert admin.locator(f"#rental-{rental.id}").count() == 0
        seconds = wait_live(
            member,
            f"(colour) => ({COLOURS_JS})()['Rented by Bob Baker']?.[0] === colour",
            RED,
            committed,
        )
        assert_no_reload(member)
        assert fewest_events(member) >= 1, "the calendar blanked while refreshing"
        assert seconds <= LIVE_SECONDS, f"the member saw it after {seconds:.2f} s"
        assert site.cal.rental(rental.id).status == "approved"
        close(member)
        close(admin)


class TestAdminEdits:
    """An admin changes a machine's price through the /admin edit form."""

    def test_admin_edits_a_machine_price(self, browser: Any, site: Site, machine: str) -> None:
        page = open_page(browser, site, "ada")
        page.goto(site.url + "/admin")
        box = page.locator(f"#edit-machine-{machine}")
        box.locator("summary").click()
        box.get_by_label("Price a day").fill("123.45")
        box.get_by_role("button", name=re.compile("^Save")).click()
        page.wait_for_url(site.url + f"/admin?done=machine-edited#edit-machine-{machine}")
        assert "existing rentals keep their price" in page.inner_text("main")
        assert str(site.cal.machine(machine).daily_price) == "123.45"
        assert [c.field for c in site.cal.machine_history(machine)] == ["daily_price"]
        close(page)


class TestMove:
    """A member moves their own pending request from its page; a taken day is refused."""

    def test_member_moves_a_request(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        rental = site.cal.book(machine, day(month, 5), day(month, 6), member="bob")
        taken = site.cal.book(machine, day(month, 20), day(month, 20), member="ada")
        page = open_page(browser, site, "bob")
        page.goto(f"{site.url}/rentals/{rental.id}")
        page.get_by_label("New first day").fill(day(month, 19).isoformat())
        page.get_by_label("New last day").fill(day(month, 20).isoformat())
        page.get_by_role("button", name="Move").click()
        page.wait_for_load_state()
        assert f"rental {taken.id}" in page.inner_text("main")  # the conflict is named
        assert site.cal.rental(rental.id).start == day(month, 5)
        page.get_by_label("New first day").fill(day(month, 12).isoformat())
        page.get_by_label("New last day").fill(day(month, 14).isoformat())
        page.get_by_role("button", name="Move").click()
        page.wait_for_url(re.compile(rf"/rentals/{rental.id}\?done=moved"))
        moved = site.cal.rental(rental.id)
        assert (moved.start, moved.end, moved.sequence) == (day(month, 12), day(month, 14), 1)
        assert moved.uid == rental.uid
        assert "Moved" in page.inner_text("main")
        calendar_page(page, site, machine, month)
        cells = page.evaluate(
            "() => [...document.querySelectorAll('.fc-daygrid-day')].filter("
            "c => c.querySelector('.fc-event')).map(c => c.dataset.date)"
        )
        assert day(month, 12).isoformat() in cells and day(month, 5).isoformat() not in cells
        close(page)


class TestWithoutJavaScript:
    """Every page's core job works without JavaScript; FullCalendar may be missing too."""

    def test_book_through_the_form_without_javascript(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        site.cal.book(machine, day(month, 2), day(month, 3), member="ada")
        page = open_page(browser, site, "bob", java_script_enabled=False)
        page.goto(f"{site.url}/?machine={machine}&month={month:%Y-%m}")
        grid = page.locator("#fallback-grid")
        assert grid.is_visible()
        cells = page.eval_on_selector_all(
            "#fallback-grid td[data-date]", "tds => tds.map(td => [td.dataset.date, td.innerText])"
        )
        assert len(cells) >= 28
        wanted = expected_cells(site, machine, sorted(c[0] for c in cells))
        for iso, text in cells:
            if wanted[iso]:
                assert all(title in text for title in wanted[iso]) and "(pending)" in text
            else:
                assert "free" in text, (iso, text)
        page.fill("#start", day(month, 12).isoformat())
        page.fill("#end", day(month, 13).isoformat())
        page.click("#check")
        assert "Available." in page.inner_text("#availability")
        assert "= 200.00" in page.inner_text("#quote")
        page.click("#book")
        page.wait_for_url(re.compile(r"/rentals/\d+\?done=booked$"))
        page.reload()
        page.go_back()
        (booked,) = [r for r in rentals_of(site, machine) if r.member == "bob"]
        assert booked.start == day(month, 12)
        # A refused booking shows the red box with the conflict, next to the form.
        page.goto(f"{site.url}/?machine={machine}&month={month:%Y-%m}")
        page.fill("#start", day(month, 3).isoformat())
        page.fill("#end", day(month, 4).isoformat())
        page.click("#book")
        assert "Not available." in page.inner_text("#availability")
        close(page)

    def test_double_submit_without_javascript_books_once(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob", java_script_enabled=False)
        page.goto(f"{site.url}/?machine={machine}&month={month:%Y-%m}")
        page.fill("#start", day(month, 7).isoformat())
        page.fill("#end", day(month, 7).isoformat())
        page.dblclick("#book")
        page.wait_for_url(re.compile(r"/rentals/\d+"))
        (rental,) = rentals_of(site, machine)
        assert f"/rentals/{rental.id}" in page.url
        close(page)

    def test_fullcalendar_blocked_shows_the_grid_and_still_books(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        site.cal.book(machine, day(month, 4), day(month, 4), member="ada")
        page = open_page(browser, site, "bob")
        page.route("**/assets/fullcalendar/**", lambda route: route.abort())
        page.goto(f"{site.url}/?machine={machine}&month={month:%Y-%m}")
        page.wait_for_function("() => document.documentElement.classList.contains('no-fc')")
        cell = page.locator(f'#fallback-grid td[data-date="{day(month, 4)}"]')
        assert cell.is_visible()
        assert cell.get_attribute("data-state") == "pending"
        assert "Requested by Ada Admin" in cell.inner_text()
        page.click(f'#fallback-grid td[data-date="{day(month, 11)}"]')
        page.click(f'#fallback-grid td[data-date="{day(month, 9)}"]')  # the grid takes clicks
        assert page.input_value("#start") == day(month, 9).isoformat()
        assert page.input_value("#end") == day(month, 11).isoformat()
        assert page.locator("#fallback-grid td.chosen").count() == 3
        page.fill("#end", day(month, 9).isoformat())
        page.wait_for_selector("#availability.free")
        page.click("#book")
        page.wait_for_url(re.compile(r"/rentals/\d+"))
        assert len(rentals_of(site, machine)) == 2
        close(page)


class TestLocale:
    """Dates as the member's browser writes them (390 px, sideways scroll and axe-core on
    every page are tests/test_browser_pictures.py's)."""

    def test_dates_in_the_members_locale(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        rental = site.cal.book(machine, day(month, 15), day(month, 20), member="bob")
        page = open_page(browser, site, "bob", locale="de-DE")
        page.goto(f"{site.url}/rentals/{rental.id}")
        text = page.inner_text("#rental-days")
        assert re.search(r"\b(Mo|Di|Mi|Do|Fr|Sa|So)\.", text), text
        assert "15. " in text and "(6 days)" in text
        close(page)


class TestAssets:
    """The pinned FullCalendar: CSP allows only it, and its SRI hash is that of the npm file."""

    def test_sri_is_the_npm_files_hash(self, node_modules: Path) -> None:
        from rentcal.web.pages.render import FULLCALENDAR_SRI, FULLCALENDAR_VERSION

        package = node_modules / "fullcalendar"
        manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
        assert manifest["version"] == FULLCALENDAR_VERSION
        digest = hashlib.sha384((package / "index.global.min.js").read_bytes()).digest()
        assert "sha384-" + base64.b64encode(digest).decode() == FULLCALENDAR_SRI

    def test_no_third_party_request_and_no_csp_violation(
        self, browser: Any, site: Site, machine: str, month: date
    ) -> None:
        page = open_page(browser, site, "bob")
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(req.url.split("/")[2]))
        calendar_page(page, site, machine, month)
        page.goto(site.url + "/me")
        assert hosts == {site.url.split("/")[2]}
        close(page)  # asserts no CSP violation was reported on the console


@pytest.mark.pictures
class TestScreenshots:
    """The main pages on a desktop and a phone, with a range chosen (docs/img/ takes two)."""

    def test_screenshots(self, browser: Any, site: Site, month: date) -> None:
        cal = site.cal
        cal.add_machine("tractor-6120", daily_price="120.00", title="Tractor 6120", acting="ada")
        taken = cal.book("tractor-6120", day(month, 5), day(month, 9), member="bob", purpose="hay")
        cal.approve(taken.id, acting="ada")
        cal.book("tractor-6120", day(month, 13), day(month, 14), member="ada")
        cal.add_maintenance("tractor-6120", day(month, 21), day(month, 22), acting="ada")
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = open_page(browser, site, "bob", viewport=viewport)
            calendar_page(page, site, "tractor-6120", month)
            page.fill("#start", day(month, 16).isoformat())
            page.fill("#end", day(month, 18).isoformat())
            page.wait_for_selector("#availability.free")
            page.evaluate("document.activeElement.blur()")
            shot(page, f"{name}-booking-free")
            page.goto(f"{site.url}/rentals/{taken.id}")
            shot(page, f"{name}-rental")
            page.goto(site.url + "/me")
            shot(page, f"{name}-me")
            close(page)


class TestSubscribe:
    """/me after a new feed URL: the Copy button copies it, at 390 and 1280 px, by keyboard;
    the webcal link, the steps and the loopback warning fit; axe finds nothing serious."""

    FITS_JS = """() => {
      const out = [];
      const width = document.documentElement.clientWidth;
      for (const el of document.querySelectorAll('#subscribe, #subscribe *')) {
        const r = el.getBoundingClientRect();
        if (r.width && (r.left < 0 || r.right > width + 0.5)) { out.push(el.id || el.tagName); }
      }
      const box = document.querySelector('#flash-secret');
      if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1) {
        out.push('the URL is cut');
      }
      return out;
    }"""

    def _new_feed(self, page: Any, site: Site) -> str:
        page.goto(site.url + "/me")
        page.select_option("#feed-scope", "machine")
        page.select_option("#feed-machine", index=1)
        page.click("#feed-form button[type=submit]")
        page.wait_for_selector("#subscribe")
        return str(page.input_value("#flash-secret"))

    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
    def test_copy_button(
        self, browser: Any, site: Site, machine: str, node_modules: Path, viewport: dict[str, int]
    ) -> None:
        page = open_page(
            browser,
            site,
            "bob",
            viewport=viewport,
            permissions=["clipboard-read", "clipboard-write"],
            bypass_csp=True,  # for axe only; the page's own script is not inline
        )
        url = self._new_feed(page, site)
        assert re.fullmatch(re.escape(site.url) + r"/feeds/[\w-]{43}\.ics", url)
        assert page.get_attribute("#webcal-link", "href") == "webcal://" + url.split("://")[1]
        # the server answers at 127.0.0.1: Google and Outlook cannot reach it, and it says so
        assert page.locator("#loopback-warning").is_visible()
        assert page.locator("#subscribe-steps").is_visible()
        assert page.evaluate(self.FITS_JS) == []
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        page.focus("#copy-url")
        page.keyboard.press("Enter")
        page.wait_for_selector("#copy-status:has-text('Copied')")
        assert page.evaluate("navigator.clipboard.readText()") == url
        page.add_script_tag(path=str(node_modules / "axe-core" / "axe.min.js"))
        result = page.evaluate("() => axe.run('#main', {resultTypes: ['violations']})")
        bad = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert bad == []
        page.evaluate("document.activeElement.blur()")
        shot(page, f"{'phone' if viewport is PHONE else 'desktop'}-me-subscribe")
        close(page)

    def test_without_the_clipboard_api_the_url_is_selected(
        self, browser: Any, site: Site, machine: str
    ) -> None:
        page = open_page(browser, site, "bob")
        page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        self._new_feed(page, site)
        page.click("#copy-url")
        page.wait_for_selector("#copy-status:not(:empty)")
        selected = page.evaluate(
            "() => { const b = document.querySelector('#flash-secret');"
            " return [b.selectionStart, b.selectionEnd, b.value.length,"
            " document.activeElement === b]; }"
        )
        assert selected[0] == 0 and selected[1] == selected[2] and selected[3], selected
        close(page)
