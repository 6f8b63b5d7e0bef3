"""Invitations in Chromium (issue #20): the admin invites from /admin by keyboard, the mail
arrives at a real SMTP server (aiosmtpd), the invitee opens the link, chooses a
password and lands logged in (the pages' layout at 390 px and axe-core are checked with
every other page by tests/test_browser_pictures.py, over the same invitation, open
sign-up and address change). Skipped like tests/test_browser_pages.py when Chromium is
missing.
"""

# ruff: noqa: F811  -- the fixtures imported below are parameters of the tests, by design

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser_pages import (  # noqa: F401  (fixtures)
    PHONE,
    Site,
    close,
    open_page,
    site,
)

pytestmark = pytest.mark.slow


def test_invite_from_the_admin_page_then_accept(browser: Any, site: Site) -> None:
    from rentcal.service.smtp_sender import SmtpSender
    from tests.mail_support import smtp_server

    page = open_page(browser, site, "ada")
    page.goto(site.url + "/admin#invitations")
    page.focus("#invite-handle")
    page.keyboard.type("ines")
    page.keyboard.press("Tab")
    page.keyboard.type("ines@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Ines Invited")
    page.keyboard.press("Enter")  # submits the form
    page.locator("#invitation-ines").wait_for()
    assert "Invitation queued" in page.inner_text("main")
    close(page)
    with smtp_server() as server:
        site.cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", site.url))
        got = server.to("ines@example.org")
    assert len(got) == 1 and got[0].message["Subject"] == "You are invited to rentcal"
    found = re.search(re.escape(site.url) + r"/invite/([A-Za-z0-9_-]{43})", got[0].text())
    assert found is not None, got[0].text()
    invitee = open_page(browser, site, None)
    invitee.goto(found.group(0))
    invitee.fill("#password", "ines-password")
    invitee.fill("#password2", "ines-password")
    invitee.press("#password2", "Enter")
    invitee.wait_for_url(site.url + "/")
    invitee.goto(site.url + "/me")
    assert "Ines Invited" in invitee.inner_text("header")  # logged in
    invitee.goto(found.group(0))  # the link works once
    invitee.fill("#password", "other-password")
    invitee.fill("#password2", "other-password")
    invitee.click("#invite-form button[type=submit]")
    assert "already used" in invitee.locator("#invite-error").inner_text()
    close(invitee)
    assert found.group(1) not in site.server.log()  # the log shows /invite/{secret}
    assert site.cal.invitations(acting="ada") == []


def test_sign_up_by_keyboard(browser: Any, site: Site) -> None:
    site.cal.set_signup("open", acting="ada")
    page = open_page(browser, site, None)
    page.goto(site.url + "/login")
    page.click("#signup-link")
    page.wait_for_url(site.url + "/signup")
    page.focus("#handle")
    for text in ("newbie", "New Bie", "newbie@example.org", "newbie-password", "newbie-password"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the submit button has the focus
    page.wait_for_url(site.url + "/me")
    assert "New Bie" in page.inner_text("header")
    assert "newbie@example.org" in page.inner_text("#email-pending")
    close(page)
    assert site.cal.member("newbie").verified is False
