"""Every page of the site in Chromium at 390 and 1280 px, with the demo's data (#21).

Each page, as the member or the admin who sees it, at 390x844 and 1280x800: the page
never scrolls sideways, no box cuts its text, no two pieces of text (or text and a
control) lie on top of each other, no control sticks out of its box or the screen
(``tests/browser/layout_checks.js``), and axe-core finds no violation at all. Then
every ``<details>`` is opened and the layout checked again. :class:`TestTheChecksCanFail`
breaks a page on purpose and shows each check catching it.

``RENTCAL_WRITE_PICTURES=1`` also writes ``docs/img/page-<name>-<width>.png``
(full page, 1x, at most :data:`MAX_HEIGHT` px tall): the pictures docs/web.md links.
The machinery (a real ``rentcal serve``, Debian's Chromium, npm's axe-core) is
tests/browser/harness.py's; ``RENTCAL_BROWSER_TESTS=1`` turns a skip into a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import rentcal
from rentcal.demo import DemoSummary, build_demo
from tests.browser import harness
from tests.browser.fixtures import keep

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = [pytest.param(PHONE, id="390"), pytest.param(DESKTOP, id="1280")]
PICTURES = harness.ROOT / "docs" / "img"
WRITE_ENV = "RENTCAL_WRITE_PICTURES"
#: The tallest picture written (at 1x, the longest page, /admin at 390 px, fits whole).
MAX_HEIGHT = 7500
CHECKS_JS = (Path(harness.__file__).parent / "layout_checks.js").read_text(encoding="utf-8")
SECRET = "x" * 43  # a link's secret: the forms show whether or not it is still good


# -- the site: the demo's data and a little more ------------------------------------------


@dataclass
class Demo:
    """A ``rentcal serve`` over the demo's database, and who can log in."""

    url: str
    cal: rentcal.Rentcal
    summary: DemoSummary
    passwords: dict[str, str]
    axe: Path
    states: dict[str, Any] = field(default_factory=dict)
    #: One page per viewer, width and script on or off, navigated from page to page.
    tabs: dict[tuple[str, int, bool], Any] = field(default_factory=dict)


def add_the_rest(cal: rentcal.Rentcal, summary: DemoSummary) -> None:
    """What a site in use has besides the demo: an invitation, open sign-up, a pending
    address, feeds and a token, a failed mail and an hour of the server's figures."""
    from rentcal.service.smtp_sender import SmtpSender
    from tests.mail_support import smtp_server

    cal.set_signup("open", acting="ada")
    cal.create_feed("bob", member="bob", name="My rentals in Outlook")
    cal.create_feed("bob", machine="tractor-6120", name="Tractor on my phone")
    cal.create_token("bob", name="weekly report script")
    with smtp_server() as smtp:
        cal.deliver_mail(SmtpSender(smtp.url, "rentcal@example.org", None))  # the demo's
        cal.invite_member("erin", "erin@example.org", name="Erin Invited", acting="ada")
        smtp.handler.reply = "550 5.1.1 <erin@example.org>: Recipient address rejected"
        cal.deliver_mail(SmtpSender(smtp.url, "rentcal@example.org", None))
    cal.change_email("bob", "bob.baker@example.org", acting="bob")  # queued: not sent yet
    rng = random.Random(21)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for minute in range(60, 0, -1):
        busy = 20 + int(30 * (1 - abs(minute - 25) / 35)) + rng.randint(0, 9)
        counts = {"requests": busy, "api": busy // 2, "api_4xx": rng.randint(0, 2)}
        counts |= {"check:3": busy // 4, "check:4": rng.randint(0, 3)}
        counts |= {"events:2": busy // 3, "events:3": rng.randint(0, busy // 6)}
        counts |= {"queries": busy * 3, "cache_hit": busy, "cache_miss": busy // 5}
        counts |= {"booked": rng.randint(0, 2), "booking_failed": rng.randint(0, 1)}
        cal.add_usage(now - timedelta(minutes=minute), counts)


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, chromium: str, node_modules: Path
) -> Iterator[Demo]:
    """The demo's site; the browser is the one every browser file shares
    (tests/browser/fixtures.py)."""
    try:
        import fastapi  # noqa: F401
    except ImportError:
        harness.requirement(False, "the web extra is not installed (pip install '.[web]')")
    folder = tmp_path_factory.mktemp("pictures")
    db_url = f"sqlite:///{folder / 'rentcal.db'}"
    cal = rentcal.connect(db_url)  # the schema, before the server opens the file
    # started first: the demo is written while it imports (it reads the data per request)
    server = harness.Server(
        db_url, node_modules / "fullcalendar", folder / "server.log", wait=False
    )
    try:
        summary = build_demo(cal, cal.today())
        add_the_rest(cal, summary)
        server.wait_ready()
        axe = node_modules / "axe-core" / "axe.min.js"
        shown = Demo(server.url, cal, summary, dict(summary.passwords), axe)
        yield shown
        for tab in shown.tabs.values():
            if not tab.is_closed():
                tab.context.close()
    finally:
        server.stop()
        cal.close()


def new_page(
    browser: Any, demo: Demo, who: str | None, viewport: dict[str, int], **options: Any
) -> Any:
    """A page of a new context, logged in as ``who`` (through the form once per member:
    later contexts start with the session cookies it got; the site keeps nothing else in
    the browser, and a session does not depend on the device)."""
    options = {"viewport": viewport, "locale": "en-GB", "device_scale_factor": 1, **options}
    if viewport["width"] < 600:
        options |= {"is_mobile": True, "has_touch": True}
    if who is not None and who not in demo.states:
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(demo.url + "/login")
        page.fill("#handle", who)
        page.fill("#password", demo.passwords[who])
        page.click("#login-form button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        demo.states[who] = {"cookies": context.storage_state()["cookies"], "origins": []}
        context.close()
    if who is not None:
        options["storage_state"] = demo.states[who]
    page = browser.new_context(**options).new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.on(
        "console",
        lambda msg: page.errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return page


# -- the pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A page as someone sees it: ``path`` (formatted with the demo's rentals) or ``then``."""

    name: str
    who: str | None
    path: str
    status: int = 200
    script: bool = True
    then: Callable[[Any], None] | None = None
    #: The picture's height at most (its rest is another page's picture).
    picture_height: int = MAX_HEIGHT


def calendar_drawn(page: Any) -> None:
    page.wait_for_selector("#calendar .fc-daygrid-day, #calendar .fc-list", state="attached")
    page.wait_for_function(
        "() => document.querySelector('#calendar').getAttribute('aria-busy') === 'false'"
    )


def new_feed(page: Any) -> None:
    """/me right after making a feed URL: how to subscribe to it."""
    page.select_option("#feed-scope", "machine")
    page.select_option("#feed-machine", "tractor-6120")
    page.click("#feed-form button[type=submit]")
    page.wait_for_selector("#subscribe")


PAGES = [
    Shown("booking", "bob", "/?machine=tractor-6120", then=calendar_drawn),
    Shown("booking-all", "bob", "/", then=calendar_drawn),
    Shown("booking-nojs", "bob", "/?machine=tractor-6120", script=False),
    Shown("booking-unverified", "dan", "/?machine=excavator", then=calendar_drawn),
    Shown("login", None, "/login"),
    Shown("forgot", None, "/forgot"),
    Shown("reset", None, f"/reset/{SECRET}"),
    Shown("invite", None, f"/invite/{SECRET}"),
    Shown("signup", None, "/signup"),
    Shown("confirm-email", None, f"/confirm-email/{SECRET}"),
    Shown("me", "bob", "/me"),
    Shown("me-feed", "bob", "/me", then=new_feed, picture_height=1300),  # then as "me"
    Shown("me-admin", "ada", "/me"),
    Shown("rental", "bob", "/rentals/{approved}"),
    Shown("rental-admin", "ada", "/rentals/{pending}"),
    Shown("schedule", "bob", "/schedule"),
    Shown("admin", "ada", "/admin"),
    Shown("admin-rentals", "ada", "/admin/rentals"),
    Shown("not-found", "bob", "/no-such-page", status=404),
    Shown("refused", "bob", "/admin", status=403),
]


def visit(browser: Any, demo: Demo, shown: Shown, viewport: dict[str, int]) -> Any:
    """``shown`` loaded in the tab of its viewer, width and script setting (a new
    document: nothing of the last page's remains but the cookies, which are the same)."""
    key = (shown.who or "", viewport["width"], shown.script)
    page = demo.tabs.get(key)
    if page is None or page.is_closed() or not browser.is_connected():
        page = demo.tabs[key] = new_page(browser, demo, shown.who, viewport)
        keep(page.context)
        if not shown.script:  # as without JavaScript; axe, evaluated, still runs (its timers)
            page.route("**/*.js", lambda route: route.abort())
    page.errors.clear()
    rentals = {s: demo.summary.first(s).id for s in ("approved", "pending")}
    answer = page.goto(demo.url + shown.path.format(**rentals))
    assert answer is not None and answer.status == shown.status, (shown.path, answer)
    if shown.then is not None:
        shown.then(page)
    page.evaluate("document.fonts.ready")
    return page


def layout_problems(page: Any) -> dict[str, list[str]]:
    """What tests/browser/layout_checks.js finds wrong, by check (only those that found)."""
    found = page.evaluate(CHECKS_JS)
    return {check: items[:8] for check, items in found.items() if items}


def axe_violations(page: Any, demo: Demo) -> list[str]:
    """Every axe-core violation on the page as it is now (any impact). axe is evaluated,
    not added as a script: the page's CSP stays on, and pages without JavaScript count."""
    page.evaluate(demo.axe.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def picture(page: Any, shown: Shown, viewport: dict[str, int]) -> None:
    """docs/img/page-NAME-WIDTH.png, when RENTCAL_WRITE_PICTURES=1."""
    if os.environ.get(WRITE_ENV) != "1":
        return
    page.evaluate("document.activeElement && document.activeElement.blur()")
    full = int(page.evaluate("document.documentElement.scrollHeight"))
    height = min(full, shown.picture_height)
    path = PICTURES / f"page-{shown.name}-{viewport['width']}.png"
    clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")


@pytest.mark.parametrize("viewport", WIDTHS)
@pytest.mark.parametrize("shown", PAGES, ids=[p.name for p in PAGES])
def test_page(browser: Any, demo: Demo, shown: Shown, viewport: dict[str, int]) -> None:
    page = visit(browser, demo, shown, viewport)
    found: dict[str, Any] = {}
    if problems := layout_problems(page):
        found["as shown"] = problems
    if bad := axe_violations(page, demo):
        found["axe"] = bad
    picture(page, shown, viewport)
    if page.evaluate("document.querySelectorAll('details:not([open])').length"):
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        if problems := layout_problems(page):
            found["every <details> open"] = problems
    assert page.errors == [], page.errors
    assert found == {}, json.dumps(found, indent=1)


# -- the checks catch what they are for ----------------------------------------------------


BROKEN = {
    "overflow": "main { min-width: 1500px; }",
    "clipped": "h1 { width: 3ch; overflow: hidden; white-space: nowrap; }",
    "overlap": "h1 { margin-bottom: -2.5em; }",
    "outside": "#handle { min-width: 30rem; }",
}


def break_page(page: Any, css: str) -> None:
    """Add ``css`` to the page (a constructed style sheet: the page's CSP forbids <style>)."""
    page.evaluate(
        "(css) => { const s = new CSSStyleSheet(); s.replaceSync(css);"
        " document.adoptedStyleSheets = [...document.adoptedStyleSheets, s]; }",
        css,
    )


class TestTheChecksCanFail:
    """The pages pass because they are right, not because the checks see nothing: the
    login page passes them all as it is (``test_page[login-390]`` and ``[login-1280]``),
    and each check finds the fault it is for once the page is broken on purpose; axe
    finds a missing label."""

    @pytest.mark.parametrize("check", sorted(BROKEN))
    def test_each_check_finds_its_fault(self, browser: Any, demo: Demo, check: str) -> None:
        page = visit(browser, demo, Shown("login", None, "/login"), PHONE)
        break_page(page, BROKEN[check])
        found = layout_problems(page)
        assert check in found, found

    def test_a_cut_select(self, browser: Any, demo: Demo) -> None:
        page = visit(browser, demo, Shown("me", "bob", "/me"), DESKTOP)
        break_page(page, "#feed-format { width: 5rem; }")
        assert any("#feed-format" in item for item in layout_problems(page)["clipped"])

    def test_text_under_a_button(self, browser: Any, demo: Demo) -> None:
        page = visit(browser, demo, Shown("login", None, "/login"), DESKTOP)
        break_page(page, "#login-form button[type=submit] { margin-top: -4rem; }")
        assert any("button" in item for item in layout_problems(page)["overlap"])

    def test_axe_finds_a_missing_label(self, browser: Any, demo: Demo) -> None:
        page = visit(browser, demo, Shown("login", None, "/login"), DESKTOP)
        page.evaluate("document.querySelector('label[for=handle]').remove()")
        assert any(v.startswith("label") for v in axe_violations(page, demo))
