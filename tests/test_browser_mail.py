"""The mail parts of /me and /admin in a real browser (Chromium, Playwright, #20).

The "E-mail notifications" form of /me and the outbox section of /admin, at
390 px and 1280 px: no sideways scrolling, axe-core finds nothing serious in
them, and each works by keyboard alone. The server and the browser are
those of tests/test_browser_pages.py (its module-scoped fixtures).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rentcal.service.smtp_sender import SmtpSender
from tests.browser import harness
from tests.mail_support import smtp_server
from tests.test_browser_pages import (  # noqa: F401  (pytest fixtures: browser, site, ...)
    DESKTOP,
    PHONE,
    Site,
    close,
    open_page,
    site,
)

pytestmark = pytest.mark.slow
VIEWPORTS = [pytest.param(PHONE, id="390px"), pytest.param(DESKTOP, id="1280px")]


@pytest.fixture(scope="module")
def outbox(site: Site) -> Iterator[Site]:  # noqa: F811
    """Ada has an address; two requests: mail 1 refused for good, mail 2 queued."""
    cal = site.cal
    cal.edit_member("ada", email="ada@example.org", acting="ada")
    cal.add_machine("mailer", daily_price="10.00", title="Mail test machine", acting="ada")
    today = cal.today()
    first = today + timedelta(days=30)
    cal.book("mailer", first, first, member="bob", acting="bob")
    with smtp_server() as smtp:
        smtp.handler.reply = (
            "550 5.1.1 <ada@example.org>: Recipient address rejected: "
            "user unknown in virtual mailbox table"
        )
        assert cal.deliver_mail(SmtpSender(smtp.url, "rentcal@example.org", None)).failed == 1
    second = today + timedelta(days=40)
    cal.book("mailer", second, second, member="bob", acting="bob")
    yield site


def axe_violations(page: Any, modules: Path, selector: str) -> list[str]:
    """axe-core's serious and critical findings inside ``selector``."""
    page.add_script_tag(path=str(modules / "axe-core" / "axe.min.js"))
    result = page.evaluate(
        "(sel) => axe.run({include: [[sel]]}, {resultTypes: ['violations']})", selector
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def part_shot(page: Any, selector: str, name: str) -> None:
    """A screenshot of one section (tests/artifacts/, for people to look at)."""
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(harness.ARTIFACTS / f"{name}.png"))


def fits(page: Any) -> bool:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return bool(widths[0] <= widths[1])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_me_choices_by_keyboard(
    browser: Any,
    site: Site,  # noqa: F811
    node_modules: Path,
    viewport: dict[str, int],
) -> None:
    page = open_page(browser, site, "bob", viewport=viewport, bypass_csp=True)
    page.goto(site.url + "/me")
    assert fits(page)
    assert axe_violations(page, node_modules, "#mail-choices") == []
    page.focus("#choice-moved")
    page.select_option("#choice-moved", "in-app")  # a select changes by keyboard alike
    page.focus("#mail-choices-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me?done=mail-choices")
    assert "E-mail choices saved." in page.inner_text("main")
    assert page.eval_on_selector("#choice-moved", "el => el.value") == "in-app"
    part_shot(page, "#mail-choices", f"mail-choices-{viewport['width']}")
    choices = {c.kind: c.choice for c in site.cal.mail_choices("bob", acting="bob")}
    assert choices["moved"] == "in-app"
    site.cal.set_mail_choices("bob", {"moved": "email"}, acting="bob")
    close(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_admin_outbox_by_keyboard(
    browser: Any,
    outbox: Site,
    node_modules: Path,
    viewport: dict[str, int],
) -> None:
    page = open_page(browser, outbox, "ada", viewport=viewport, bypass_csp=True)
    page.goto(outbox.url + "/admin#outbox")
    assert fits(page)
    assert axe_violations(page, node_modules, "#outbox") == []
    text = page.inner_text("#outbox")
    assert "user unknown in virtual mailbox table" in text
    part_shot(page, "#outbox", f"admin-outbox-{viewport['width']}")
    failed = [m for m in outbox.cal.outbox(acting="ada") if m.status == "failed"]
    assert failed  # mail 1 (and, after the other viewport's run, maybe mail 2 too)
    page.focus(f"#mail-{failed[0].id} button:has-text('Retry')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin?done=mail-retry")
    now = {m.id: m.status for m in outbox.cal.outbox(acting="ada")}
    assert now[failed[0].id] == "queued"
    # Back to failed for the other viewport's run (the library records a failure so).
    with smtp_server() as smtp:
        smtp.handler.reply = "550 5.1.1 user unknown in virtual mailbox table"
        outbox.cal.deliver_mail(SmtpSender(smtp.url, "rentcal@example.org", None))
    close(page)


def test_discard_asks_first(
    browser: Any,
    outbox: Site,
) -> None:
    page = open_page(browser, outbox, "ada", viewport=PHONE)
    page.goto(outbox.url + "/admin#outbox")
    newest = outbox.cal.recent_mail(acting="ada").items[0]
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.focus(f"#mail-{newest.id} button:has-text('Discard')")
    page.keyboard.press("Enter")
    assert newest.id in [m.id for m in outbox.cal.outbox(acting="ada")]
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin?done=mail-discard")
    assert newest.id not in [m.id for m in outbox.cal.outbox(acting="ada")]
    close(page)
