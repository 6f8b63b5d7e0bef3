"""Card payments through the web server (issue #23): the redirect to Stripe's Checkout page
against a local stand-in of its API, and ``POST /stripe/webhook`` with real signatures
made from a test secret (verified by Stripe's own SDK): bad, stale, replayed, twin events.
Deliveries racing in real processes, on both backends: tests/test_stripe_webhook_races.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import rentcal
from rentcal.core.types import RentalStatus
from rentcal.web import Settings
from rentcal.web.pages.render import content_security_policy
from rentcal.web.stripe_checkout import StripeCheckout, session_params
from tests.conftest import BUSY_TIMEOUT, TODAY, d, seed
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, Clock, StandIn, event, signature
from tests.test_invoices import ready
from tests.web_support import Web, error_of

D = Decimal
PATH = "/stripe/webhook"


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with StandIn() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web(db_url: str, clock: Clock, stand_in: StandIn) -> Iterator[Web]:
    """The server with a Stripe account (pointing at the stand-in), payment at booking
    (30 minutes) and open invoices paid online."""
    settings = Settings(
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stand_in.base,
    )
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.set_online_payments(hold_minutes=30, invoices=True, acting="ada")
        yield Web(cal, settings)


def post_event(web: Web, payload: bytes, header: str | None = None) -> Any:
    """Deliver ``payload`` as Stripe would, signed now with the test secret."""
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signature(payload) if header is None else header
    return web.anonymous().post(PATH, content=payload, headers=headers)


def book_and_pay_page(web: Web) -> tuple[int, str]:
    """Book the saw on the booking page as bob: (the rental's id, where the 303 goes)."""
    client = web.as_("bob", follow_redirects=False)
    form = {"machine": "saw", "start": "2030-01-12", "end": "2030-01-12", "key": "k1"}
    answer = client.post("/", data=form)
    assert answer.status_code == 303, answer.text
    [waiting] = web.cal.awaiting_payment("bob", acting="ada")
    return waiting.rental.id, answer.headers["location"]


class TestRedirect:
    """The member is sent to the Checkout Session the stand-in made, for the right amount."""

    def test_booking_goes_to_checkout(self, web: Web, stand_in: StandIn) -> None:
        rental_id, location = book_and_pay_page(web)
        assert location == "https://checkout.stripe.com/c/pay/cs_test_0001"
        [sent] = stand_in.created
        assert sent["mode"] == "payment"
        assert sent["line_items[0][price_data][unit_amount]"] == "1550"
        assert sent["line_items[0][price_data][currency]"] == "eur"
        assert sent["client_reference_id"] == f"rental-{rental_id}"
        assert sent["metadata[member]"] == "bob"
        assert sent["success_url"].endswith("/me?done=paid")
        assert sent["cancel_url"].endswith("/me?done=pay-cancelled")
        assert int(sent["expires_at"]) > time.time() - 60  # no later than Stripe allows
        assert stand_in.auth == [f"Bearer {SECRET_KEY}"]

    def test_me_offers_pay_now_and_pay_online(self, web: Web, stand_in: StandIn) -> None:
        web.cal.add_charge("bob", "100.00", "Hire", acting="ada", today=d(5))
        [invoice] = web.cal.issue_invoices("2030-01", acting="ada", today=d(3, 2))
        rental = web.cal.book("saw", d(12), d(12), member="bob", today=TODAY)
        client = web.as_("bob", follow_redirects=False)
        page = client.get("/me")
        assert f'action="/me/pay/rental/{rental.id}"' in page.text
        assert f'action="/me/pay/invoice/{invoice.number}"' in page.text
        assert "https://checkout.stripe.com" in page.headers["content-security-policy"]
        answer = client.post(f"/me/pay/invoice/{invoice.number}")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("https://checkout.stripe.com/")
        assert stand_in.created[-1]["line_items[0][price_data][unit_amount]"] == "11900"
        assert stand_in.created[-1]["metadata[for]"] == invoice.number

    def test_stripe_down_is_told_on_me(self, web: Web, stand_in: StandIn) -> None:
        rental = web.cal.book("saw", d(12), d(12), member="bob", today=TODAY)
        stand_in.server.shutdown()
        stand_in.server.server_close()
        web.app.state.checkout = StripeCheckout(
            SECRET_KEY, WEBHOOK_SECRET, stand_in.base.rsplit(":", 1)[0] + ":9"
        )
        answer = web.as_("bob", follow_redirects=False).post(f"/me/pay/rental/{rental.id}")
        assert answer.status_code == 502
        assert "could not be started" in answer.text and SECRET_KEY not in answer.text

    def test_without_stripe_no_buttons(self, seeded: rentcal.Rentcal) -> None:
        web = Web(seeded)
        page = web.as_("bob").get("/me")
        assert "Pay online" not in page.text and "checkout.stripe.com" not in page.text
        assert error_of(post_event(web, b"{}"))["code"] == "not_found"

    def test_expiry_is_the_hold_or_stripes_minimum(self, web: Web, clock: Clock) -> None:
        """Stripe keeps a session open 30 minutes at least: a shorter rest of the hold
        gets those (a payment after the hold but before the release still counts)."""
        web.cal.set_online_payments(hold_minutes=60, acting="ada")
        rental = web.cal.book("saw", d(12), d(12), member="bob", today=TODAY)
        request = web.cal.booking_checkout(rental.id, acting="bob")
        assert request.pay_by is not None
        params = session_params(request, "https://x/ok", "https://x/no", clock.at)
        assert params["expires_at"] == int(request.pay_by.timestamp())
        clock.advance(minutes=45)
        later = session_params(request, "https://x/ok", "https://x/no", clock.at)
        assert later["expires_at"] == int(clock.at.timestamp()) + 30 * 60 + 30


class TestWebhook:
    """Signatures checked by Stripe's SDK; each event recorded once."""

    @pytest.fixture
    def session(self, web: Web) -> tuple[int, str]:
        rental_id, location = book_and_pay_page(web)
        return rental_id, location.rsplit("/", 1)[-1]

    def test_paid_event_approves_the_booking(self, web: Web, session: tuple[int, str]) -> None:
        rental_id, sid = session
        answer = post_event(web, event("checkout.session.completed", sid))
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"received": True, "outcome": "paid"}
        assert web.cal.rental(rental_id).status is RentalStatus.APPROVED
        [payment] = web.cal.payments("bob", acting="ada")
        assert (payment.amount, payment.reference) == (D("15.50"), f"pi_test_{sid}")

    @pytest.mark.parametrize(
        ("header", "why"),
        [
            pytest.param("", "No Stripe-Signature header", id="missing"),
            pytest.param("t=1,v1=00", "No signatures found matching", id="wrong"),
            pytest.param("garbage", "Unable to extract timestamp", id="garbled"),
        ],
    )
    def test_bad_signature(self, web: Web, session: tuple[int, str], header: str, why: str) -> None:
        answer = post_event(web, event("checkout.session.completed", session[1]), header)
        assert answer.status_code == 400
        body = error_of(answer)
        assert body["code"] == "bad_signature" and why in body["error"]
        assert WEBHOOK_SECRET not in answer.text
        assert web.cal.payments("bob", acting="ada") == []

    def test_other_secret_and_stale_timestamp(self, web: Web, session: tuple[int, str]) -> None:
        payload = event("checkout.session.completed", session[1])
        other = post_event(web, payload, signature(payload, "whsec_another_secret"))
        assert other.status_code == 400
        stale = post_event(web, payload, signature(payload, at=int(time.time()) - 600))
        assert stale.status_code == 400
        assert "Timestamp outside the tolerance zone" in error_of(stale)["error"]
        tampered = post_event(web, payload.replace(b"1550", b"1"), signature(payload))
        assert tampered.status_code == 400
        assert web.cal.payments("bob", acting="ada") == []

    def test_replay_and_twin_record_one_payment(self, web: Web, session: tuple[int, str]) -> None:
        sid = session[1]
        first = event("checkout.session.completed", sid, event_id="evt_once")
        outcomes = [post_event(web, first).json()["outcome"] for _ in range(2)]
        twin = event("checkout.session.async_payment_succeeded", sid)
        outcomes.append(post_event(web, twin).json()["outcome"])
        assert outcomes == ["paid", "replay", "already-paid"]
        assert len(web.cal.payments("bob", acting="ada")) == 1

    def test_unknown_types_and_expiry(self, web: Web, session: tuple[int, str]) -> None:
        rental_id, sid = session
        assert post_event(web, event("charge.refunded", sid)).json()["outcome"] == "ignored"
        expired = post_event(web, event("checkout.session.expired", sid, paid=False))
        assert expired.json()["outcome"] == "expired"
        assert web.cal.rental(rental_id).status is RentalStatus.PENDING  # the hold decides
        assert web.cal.payments("bob", acting="ada") == []

    def test_not_json(self, web: Web) -> None:
        payload = b"not json"
        answer = post_event(web, payload)
        assert answer.status_code == 400 and "not a Stripe event" in error_of(answer)["error"]


def test_secrets_stay_out_of_reprs() -> None:
    settings = Settings(stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET)
    checkout = StripeCheckout.from_settings(settings)
    assert SECRET_KEY not in repr(settings) and WEBHOOK_SECRET not in repr(settings)
    assert SECRET_KEY not in repr(checkout)
    assert "form-action 'self'" in content_security_policy("n", cdn=False)
