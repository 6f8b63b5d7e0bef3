"""Paying by card in a real browser (issue #23): on /me a member with an open invoice clicks
**Pay online** and lands on the Checkout Session's URL, which the page's CSP lets the
form's 303 lead to; a booking awaiting payment shows **Pay now**.

A real ``rentcal serve`` with a Stripe account (``RENTCAL_STRIPE_*``) whose API is the
local stand-in (tests/stripe_support.py). Stripe's Checkout page itself cannot be
reached from the test machines: the browser context answers its URL with a small page
(Playwright's routing), after the browser's CSP check. The machinery and fixtures are
tests/test_browser_pages.py's; run with ``RENTCAL_BROWSER_TESTS=1``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import rentcal
from tests.browser import harness
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, StandIn
from tests.test_browser_pages import PASSWORDS, Site, close, open_page
from tests.test_invoices import ready

# the browser is tests/browser/fixtures.py's; this module has a site of its own

pytestmark = pytest.mark.slow
CHECKOUT = re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_\d{4}$")


class PayingServer(harness.Server):
    """``rentcal serve`` taking card payments, its Stripe API the stand-in at ``api_base``."""

    def __init__(self, database_url: str, assets: Path, log: Path, api_base: str) -> None:
        self.database_url = database_url
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        command = [sys.executable, "-m", "rentcal", "--db", database_url, "serve"]
        command += ["--port", str(self.port), "--assets", str(assets)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RENTCAL_")}
        env |= {
            "RENTCAL_STRIPE_SECRET_KEY": SECRET_KEY,
            "RENTCAL_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "RENTCAL_STRIPE_API_BASE": api_base,
        }
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=harness.ROOT
        )
        self.wait_ready()


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    with StandIn() as running:
        yield running


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, chromium: str, node_modules: Path, stand_in: StandIn
) -> Iterator[Site]:
    """bob with an invoice of last month open, payment at booking and invoices online."""
    folder = tmp_path_factory.mktemp("paying")
    db_url = f"sqlite:///{folder / 'rentcal.db'}"
    cal = rentcal.connect(db_url)
    cal.add_member("ada", name="Ada Admin", admin=True)
    cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
    cal.set_password("bob", PASSWORDS["bob"], acting="ada")
    ready(cal).set_online_payments(hold_minutes=30, invoices=True, acting="ada")
    last_month = cal.today().replace(day=1) - timedelta(days=1)
    cal.add_charge("bob", "100.00", "Hire", acting="ada", today=last_month)
    cal.issue_invoices(last_month.strftime("%Y-%m"), acting="ada")
    assets, log = node_modules / "fullcalendar", folder / "server.log"
    server = PayingServer(db_url, assets, log, stand_in.base)
    try:
        yield Site(server.url, db_url, cal, server, node_modules)
    finally:
        server.stop()
        cal.close()


def test_pay_online_lands_on_checkout(browser: Any, site: Site, stand_in: StandIn) -> None:
    cal = site.cal
    cal.add_machine("saw", daily_price="15.50", title="Band saw", auto_approve=True, acting="ada")
    first = cal.today() + timedelta(days=3)
    held = cal.book("saw", first, first, member="bob")
    [invoice] = cal.invoices("bob", acting="ada")
    page = open_page(browser, site, "bob")
    page.context.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<h1>Stripe Checkout</h1>"),
    )
    page.goto(site.url + "/me")
    awaiting = page.locator(f"#awaiting-{held.id}")
    assert awaiting.get_by_role("button", name=f"Pay now for rental {held.id}").is_visible()
    status = page.inner_text(f"#awaiting-words-{held.id}")  # in My rentals
    assert status.startswith("awaiting payment until "), status
    page.locator(f"#invoice-{invoice.number}").get_by_role("button", name="Pay online").click()
    page.wait_for_url(CHECKOUT)
    assert page.inner_text("h1") == "Stripe Checkout"
    sent = stand_in.created[-1]
    assert (sent["metadata[for]"], sent["line_items[0][price_data][unit_amount]"]) == (
        invoice.number,
        "11900",
    )
    assert page.url == f"https://checkout.stripe.com/c/pay/cs_test_{len(stand_in.created):04d}"
    close(page)  # no page error, no CSP refusal on the way
