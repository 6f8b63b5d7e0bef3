"""Changing a booking awaiting its card payment (issue #23), by the rules decided:

* nobody moves it (library, ``rentcal move``, the API, the rental page's form): its
  Checkout Session charges its price for its days, so the member pays for it, or
  cancels it, first; once paid, an admin moves it as any approved rental;
* an admin may approve it by hand: that waives the payment at booking (``pay_by``
  cleared, the reason told); a payment through its session arriving later is a credit.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

import rentcal
from rentcal.core.types import RentalStatus
from rentcal.errors import InvalidRequest, InvalidTransition
from rentcal.service.online_payments import CheckoutEvent
from rentcal.service.org_online_payments import WAIVED_REASON
from tests.cli_support import cli, failed
from tests.conftest import BOTH, BUSY_TIMEOUT, TODAY, d, seed
from tests.stripe_support import Clock
from tests.test_invoices import ready
from tests.web_support import Web, error_of

REFUSED = "pay for it or cancel it first"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(db_url: str, clock: Clock) -> Iterator[rentcal.Rentcal]:
    """Payment at booking, held a day (the CLI's clock runs on TODAY at the real time)."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.set_online_payments(hold_minutes=24 * 60, acting="ada")
        yield cal


def held(cal: rentcal.Rentcal) -> rentcal.Rental:
    """bob's booking of the saw awaiting his payment, with an open Checkout Session."""
    rental = cal.book("saw", d(12), d(12), member="bob", today=TODAY)
    cal.record_checkout(cal.booking_checkout(rental.id, acting="bob"), "cs_1")
    return rental


def pay(cal: rentcal.Rentcal, event_id: str = "evt_1") -> str:
    """Stripe's word that session cs_1 was paid (15.50 EUR)."""
    paid = CheckoutEvent(event_id, "checkout.session.completed", "cs_1", True, 1550, "eur")
    return cal.checkout_event(paid)


class TestNoMove:
    """Refused, naming the rental and the reason; nothing changes."""

    @pytest.mark.parametrize("acting", ["bob", "ada"])
    def test_refused_for_its_member_and_an_admin(self, org: rentcal.Rentcal, acting: str) -> None:
        rental = held(org)
        with pytest.raises(InvalidTransition) as caught:
            org.move(rental.id, start=d(14), acting=acting, today=TODAY)
        assert caught.value.message == (
            f"cannot move rental {rental.id}: it is awaiting payment until Thu 10 Jan 2030 "
            f"12:00 UTC; {REFUSED}"
        )
        assert (caught.value.current, caught.value.action) == ("pending", "move")
        assert org.rental(rental.id) == rental
        assert org.history(rental.id)[-1]["reason"] is None  # no "moved" row

    def test_once_paid_an_admin_moves_it(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        assert pay(org) == "paid"
        moved = org.move(rental.id, start=d(14), acting="ada", today=TODAY)
        assert (moved.status, moved.start, moved.awaiting_payment) == (
            RentalStatus.APPROVED,
            d(14),
            False,
        )

    def test_cli(self, org: rentcal.Rentcal, db_url: str) -> None:
        rental = held(org)
        result = cli(db_url, "move", str(rental.id), "--start", "2030-01-14", as_="bob")
        failed(result, 2, f"cannot move rental {rental.id}: it is awaiting payment until")
        assert REFUSED in result.stderr

    def test_api_and_page(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        web = Web(org)
        answer = web.as_("bob").post(f"/api/rentals/{rental.id}/move", json={"start": "2030-01-14"})
        assert answer.status_code == 409
        body = error_of(answer)
        assert body["code"] == "invalid_transition" and REFUSED in body["error"]
        client = web.as_("ada")
        page = client.get(f"/rentals/{rental.id}").text
        assert "move-form" not in page  # no form for a move the library refuses
        posted = client.post(f"/rentals/{rental.id}/move", data={"start": "2030-01-14"})
        assert REFUSED in posted.text  # a hand-made post: the page says why
        assert org.rental(rental.id).start == d(12)


@BOTH
class TestAdminApproval:
    """An admin's approval waives the payment at booking: the rental is invoiced instead."""

    def test_approval_clears_pay_by(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        approved = org.approve(rental.id, acting="ada", today=TODAY)
        assert (approved.status, approved.pay_by, approved.reason) == (
            RentalStatus.APPROVED,
            None,
            WAIVED_REASON,
        )
        assert org.awaiting_payment("bob", acting="ada") == []
        assert f"Reason: {WAIVED_REASON}" in org.notifications("bob")[-1].message
        with pytest.raises(InvalidRequest, match="awaits no payment \\(it is approved\\)"):
            org.booking_checkout(rental.id, acting="bob")
        assert org.rental(rental.id).as_dict()["status"] == "approved"

    def test_a_payment_after_it_is_a_credit(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        org.approve(rental.id, acting="ada", today=TODAY)
        assert pay(org) == "late"
        assert org.balance("bob", acting="bob").balance.unallocated == Decimal("15.50")
        assert "arrived while the booking was approved" in org.notifications("ada")[-1].message

    def test_too_late_to_approve_once_released(self, org: rentcal.Rentcal, clock: Clock) -> None:
        rental = held(org)
        clock.advance(hours=25)
        with pytest.raises(InvalidTransition, match=f"rental {rental.id}"):
            org.approve(rental.id, acting="ada", today=TODAY)
        after = org.rental(rental.id)
        assert (after.status, after.reason) == (RentalStatus.REJECTED, "unpaid")
