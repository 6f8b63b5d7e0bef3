"""A booking awaiting its card payment says so, and until when, wherever it is shown
(issue #23): ``rentcal book``, ``show`` and ``rentals``, the rental page, /me, the admin
queue, the member's notification and e-mail at booking, the iCalendar DESCRIPTION.
A request waiting for an admin keeps its words (tests/test_pages.py, test_cli_rentals.py).

All of it goes through :func:`rentcal.core.news.waiting_words` (and ``status_words``),
which knows a rental awaiting payment by ``Rental.awaiting_payment``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

import rentcal
from rentcal.core.news import status_words, waiting_words
from rentcal.core.privacy import PUBLIC, Viewer
from rentcal.core.types import RentalStatus
from rentcal.feeds.ical import rental_description
from rentcal.web import Settings
from tests.cli_support import cli
from tests.conftest import BUSY_TIMEOUT, TODAY, d, seed
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, Clock
from tests.test_invoices import ready
from tests.web_support import Web

#: The hold of a booking made at the tests' clock (noon, a second per call) plus 30 minutes.
UNTIL = re.compile(r"awaiting payment until Wed 9 Jan 2030 12:30 UTC")


@pytest.fixture
def org(db_url: str) -> Iterator[rentcal.Rentcal]:
    """Payment at booking (30 minutes) with EUR; bob has an e-mail address."""
    with rentcal.connect(db_url, clock=Clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        cal.set_online_payments(hold_minutes=30, acting="ada")
        yield cal


def held(cal: rentcal.Rentcal) -> rentcal.Rental:
    """bob's booking of the saw (auto-approves, priced): it awaits his payment."""
    return cal.book("saw", d(12), d(12), member="bob", today=TODAY)


class TestTheWords:
    """One helper: what a pending rental waits for; other statuses wait for nothing."""

    def test_held_request_and_settled(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        assert rental.awaiting_payment and rental.pay_by is not None
        assert UNTIL.fullmatch(waiting_words(rental) or "")
        assert status_words(rental) == f"pending, {waiting_words(rental)}"
        request = org.book("tractor", d(14), d(14), member="bob", today=TODAY)
        assert not request.awaiting_payment
        assert waiting_words(request) == "waiting for an admin to approve it"
        assert status_words(request) == "pending"
        approved = replace(rental, status=RentalStatus.APPROVED)  # pay_by kept: not awaited
        assert not approved.awaiting_payment and waiting_words(approved) is None
        assert status_words(approved) == "approved"

    def test_the_member_is_told_at_booking(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        [note] = org.notifications("bob")
        assert note.rental_id == rental.id
        assert note.message == (
            "Your booking of Band saw for Sat 12 Jan 2030 is awaiting payment until "
            f"Wed 9 Jan 2030 12:30 UTC: pay for it on your page, or it is released (rental "
            f"{rental.id})."
        )
        [mail] = [m for m in org.outbox(acting="ada") if m.kind == "payment-hold"]
        assert (mail.address, mail.rental_id) == ("bob@example.org", rental.id)
        assert mail.subject == note.message.removesuffix(".")  # whole: under 150 characters
        assert org.notifications("ada") == []  # the admins hear of it once it is paid

    def test_ical_description_to_who_may_see_the_price(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        mine = rental_description(rental, Viewer("bob", admin=False))
        assert f"Status: {status_words(rental)}" in mine.splitlines()
        assert "Status: pending" in rental_description(rental, PUBLIC).splitlines()


class TestCli:
    """``book``'s first line, ``show`` and ``rentals`` say until when it is held."""

    def test_book(self, org: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "book", "saw", "2030-01-12", "--days", "1", as_="bob")
        assert result.exit_code == 0, result.output
        first = result.stdout.splitlines()[0]
        assert re.fullmatch(
            r"Booked rental \d+: saw Sat 12 Jan 2030 - awaiting payment until "
            r"\w{3} \d+ \w{3} \d{4} \d\d:\d\d UTC; pay for it on your page \(/me\) by then, "
            r"or it is released unpaid\.",
            first,
        ), first
        assert "waiting for an admin" not in result.stdout

    def test_show_and_list(self, org: rentcal.Rentcal, db_url: str) -> None:
        """Held for a day (the CLI's clock runs on TODAY at the real time of day)."""
        org.set_online_payments(hold_minutes=24 * 60, acting="ada")
        rental = held(org)
        until = "awaiting payment until Thu 10 Jan 2030 12:00 UTC"
        shown = cli(db_url, "show", str(rental.id), as_="bob")
        assert shown.exit_code == 0, shown.output
        assert f"status      pending, {until}" in shown.stdout.splitlines()
        listed = cli(db_url, "rentals", "--member", "bob", as_="bob")
        assert listed.exit_code == 0, listed.output
        assert f"pending, {until}" in listed.stdout


class TestPages:
    """The rental page after booking, /me and the admin's queue."""

    @pytest.fixture
    def web(self, org: rentcal.Rentcal) -> Web:
        settings = Settings(stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET)
        return Web(org, settings)

    def test_rental_page(self, web: Web) -> None:
        rental = held(web.cal)
        page = web.as_("bob").get(f"/rentals/{rental.id}?done=booked").text
        assert f"Booked: rental {rental.id} is awaiting payment until" in page
        assert "waiting for an admin" not in page
        assert f'id="awaiting-words-{rental.id}"' in page and UNTIL.search(page)
        assert f'action="/me/pay/rental/{rental.id}"' in page  # Pay now, for its member
        theirs = web.as_("ada").get(f"/rentals/{rental.id}").text
        assert UNTIL.search(theirs) and "/me/pay/rental/" not in theirs

    def test_me_and_admin_queue(self, web: Web) -> None:
        rental = held(web.cal)
        me = web.as_("bob").get("/me").text
        assert f'id="awaiting-words-{rental.id}"' in me
        queue = web.as_("ada").get("/admin").text
        assert UNTIL.search(queue) and "approving it waives the card payment" in queue


def test_a_request_waiting_for_an_admin_keeps_its_words(org: rentcal.Rentcal) -> None:
    """No hold, no payment words: the admin decides (tractor needs approval)."""
    request = org.book("tractor", d(14), d(14), member="bob", today=TODAY)
    assert request.pay_by is None
    assert "Status: pending" in rental_description(request, Viewer("ada", admin=True))
    assert org.notifications("bob") == []
