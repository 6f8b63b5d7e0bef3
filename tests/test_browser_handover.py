"""Hand-over in a real browser: a keeper checks a rental out and in on its page, the
check-out proposes the meter's last reading, a refusal stays beside its form with what
was typed, its member sees the hand-overs; axe-clean, and no sideways scrolling at 390 px.

The machinery (a real ``rentcal serve``, Debian's Chromium, npm's axe-core) and the
fixtures are tests/test_browser_pages.py's; run with ``RENTCAL_BROWSER_TESTS=1``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import rentcal
from tests import test_browser_pages as shared
from tests.test_browser_admin import OUTSIDE_JS
from tests.test_browser_pages import PHONE, Site, close, open_page, shot

# The server and its database: tests/test_browser_pages.py's fixtures
# (the browser: tests/browser/fixtures.py, shared by every browser file).
site = shared.site

pytestmark = pytest.mark.slow

#: The keeper of each test's machine (an unverified member may hand machines over).
KEEPER = "cy"


@pytest.fixture
def machine(site: Site, request: pytest.FixtureRequest) -> str:
    """A machine of this test's own with an hour meter, cy its keeper; it approves itself."""
    name = "ho-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    site.cal.add_machine(name, daily_price="50.00", title=name, auto_approve=True, acting="ada")
    site.cal.edit_machine(name, meter="hours", acting="ada")
    site.cal.add_keeper(name, KEEPER, acting="ada")
    return name


def rental_today(site: Site, machine: str) -> rentcal.Rental:
    """Bob's rental of ``machine`` for today (approved by the machine itself)."""
    today = site.cal.today()
    return site.cal.book(machine, today, today, member="bob")


def form_post(page: Any, form: str, button: str) -> None:
    """Send a form and wait for the page the 303 lands on."""
    with page.expect_navigation():
        page.locator(form).get_by_role("button", name=button).click()


class TestCheckOutAndIn:
    """The keeper's forms, end to end, as a keeper at the machine would use them."""

    def test_check_out_then_in_and_the_member_sees_both(
        self, browser: Any, site: Site, machine: str
    ) -> None:
        rental = rental_today(site, machine)
        page = open_page(browser, site, KEEPER)
        page.goto(f"{site.url}/rentals/{rental.id}")
        form = page.locator("#checkout-form")
        form.get_by_label("Meter reading (hours)").fill("1200.5")
        form.get_by_label("Notes").fill("tank full")
        form_post(page, "#checkout-form", "Check out")
        assert page.url.endswith(f"/rentals/{rental.id}?done=checked-out")
        assert "Checked out: the machine is with its member." in page.inner_text("main")
        assert page.inner_text("#checkin-out-reading") == "At the check-out: 1200.5 hours."
        assert page.locator("#checkout-form").count() == 0
        checkin = page.locator("#checkin-form")
        checkin.get_by_label("Meter reading (hours)").fill("1212")
        checkin.get_by_label("Condition").select_option("needs-attention")
        checkin.get_by_label("Notes").fill("loose belt")
        form_post(page, "#checkin-form", "Check in")
        assert "Checked in: the rental is completed." in page.inner_text("main")
        listed = page.inner_text("#handovers")
        assert "checked out" in listed and "checked in" in listed
        assert "1212 hours (11.5 hours used)" in listed and "loose belt" in listed
        assert page.get_attribute("#rental-status", "data-status") == "completed"
        shot(page, "handover-keeper")
        close(page)
        member = open_page(browser, site, "bob")
        member.goto(f"{site.url}/rentals/{rental.id}")
        assert "tank full" in member.inner_text("#handovers")
        assert member.locator("#checkout-form, #checkin-form").count() == 0
        close(member)

    def test_the_check_out_proposes_the_last_reading(
        self, browser: Any, site: Site, machine: str
    ) -> None:
        first = rental_today(site, machine)
        site.cal.checkout(first.id, meter="1200", acting=KEEPER)
        site.cal.checkin(first.id, meter="1210.5", acting=KEEPER)  # back today: free again
        second = rental_today(site, machine)
        page = open_page(browser, site, KEEPER)
        page.goto(f"{site.url}/rentals/{second.id}")
        meter = page.locator("#checkout-form").get_by_label("Meter reading (hours)")
        assert meter.input_value() == "1210.5"
        assert page.inner_text("#checkout-proposed") == "The last reading was 1210.5 hours."
        form_post(page, "#checkout-form", "Check out")
        assert site.cal.handovers(second.id)[0].reading == Decimal("1210.50")
        close(page)

    def test_a_refused_check_in_stays_beside_its_form(
        self, browser: Any, site: Site, machine: str
    ) -> None:
        rental = rental_today(site, machine)
        site.cal.checkout(rental.id, meter="500", acting=KEEPER)
        page = open_page(browser, site, KEEPER)
        page.goto(f"{site.url}/rentals/{rental.id}")
        checkin = page.locator("#checkin-form")
        checkin.get_by_label("Meter reading (hours)").fill("499")
        checkin.get_by_label("Notes").fill("typed before the error")
        form_post(page, "#checkin-form", "Check in")
        assert re.search(rf"/rentals/{rental.id}\?flash=", page.url), page.url
        error = page.inner_text("#action-error")
        assert "meter reading 499 hours is lower than the check-out's 500 hours" in error
        page.reload()  # the message and what was typed survive a reload
        assert "is lower than the check-out" in page.inner_text("#action-error")
        checkin = page.locator("#checkin-form")
        assert checkin.get_by_label("Meter reading (hours)").input_value() == "499"
        assert checkin.get_by_label("Notes").input_value() == "typed before the error"
        assert site.cal.rental(rental.id).status.value == "approved"
        close(page)


class TestLayout:
    """The forms and the hand-over list at a phone's width, and to axe."""

    def test_axe_and_no_sideways_scrolling(
        self, browser: Any, site: Site, machine: str, node_modules: Path
    ) -> None:
        axe = node_modules / "axe-core" / "axe.min.js"
        out_rental = rental_today(site, machine)
        site.cal.checkout(out_rental.id, meter="10", notes="all fine", acting=KEEPER)
        found: dict[str, list[str]] = {}
        for viewport in (shared.DESKTOP, PHONE):
            page = open_page(browser, site, KEEPER, viewport=viewport, bypass_csp=True)
            page.goto(f"{site.url}/rentals/{out_rental.id}")
            assert page.locator("#checkin-form").is_visible()
            outside = page.evaluate(OUTSIDE_JS)
            assert outside == [], (viewport, outside)
            page.add_script_tag(path=str(axe))
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            bad = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[str(viewport["width"])] = bad
            shot(page, f"handover-{viewport['width']}")
            close(page)
        assert found == {}, json.dumps(found, indent=1)
