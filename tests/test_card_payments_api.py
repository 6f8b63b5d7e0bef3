"""The JSON API of card payments (issue #23): ``pay_by`` in the rental shape, and
``POST /api/rentals/{id}/pay`` answering the Checkout Session's URL (against the local
stand-in of Stripe's API), for its member only; its schema in /openapi.json.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rentcal
from rentcal.web import Settings
from rentcal.web.stripe_checkout import StripeCheckout
from tests.cli_support import RENTAL_KEYS, ok_json
from tests.conftest import BUSY_TIMEOUT, TODAY, d, seed
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, Clock, StandIn, event, signature
from tests.test_invoices import ready
from tests.web_support import Web, error_of

#: The hold of a booking made on the tests' clock (noon, a second a call) ends 30 minutes on.
PAY_BY = "2030-01-09T12:30:"


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with StandIn() as running:
        yield running


@pytest.fixture
def web(db_url: str, stand_in: StandIn) -> Iterator[Web]:
    """A server taking card payments (at the stand-in), payment at booking for 30 minutes."""
    settings = Settings(
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stand_in.base,
    )
    with rentcal.connect(db_url, clock=Clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.set_online_payments(hold_minutes=30, acting="ada")
        yield Web(cal, settings)


def held(web: Web) -> int:
    """bob books the saw through the API: it awaits his payment."""
    answer = web.as_("bob").post(
        "/api/rentals", json={"machine": "saw", "start": "2030-01-12", "end": "2030-01-12"}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "pending" and body["pay_by"].startswith(PAY_BY)
    return int(body["id"])


class TestPayBy:
    """``pay_by``: set while the booking awaits its payment, else null; private."""

    def test_in_every_rental_shape(self, web: Web) -> None:
        rental_id = held(web)
        bob = web.as_("bob")
        assert bob.get(f"/api/rentals/{rental_id}").json()["pay_by"].startswith(PAY_BY)
        [listed] = bob.get("/api/rentals?member=bob").json()
        assert listed["pay_by"].startswith(PAY_BY) and listed["pay_by"].endswith("+00:00")
        assert web.as_("ada").get(f"/api/rentals/{rental_id}").json()["pay_by"] is not None
        other = web.as_("dan").get(f"/api/rentals/{rental_id}").json()
        assert (other["pay_by"], other["price"]) == (None, None)  # like its price

    def test_null_once_not_awaited(self, web: Web) -> None:
        request = web.cal.book("tractor", d(14), d(14), member="bob", today=TODAY)
        assert web.cal.rental(request.id).as_dict()["pay_by"] is None
        rental_id = held(web)
        web.cal.approve(rental_id, acting="ada", today=TODAY)  # waives the payment
        assert web.as_("bob").get(f"/api/rentals/{rental_id}").json()["pay_by"] is None

    def test_cli_json(self, web: Web, db_url: str) -> None:
        rental_id = held(web)
        shown = ok_json(db_url, "rentals", "--member", "bob", as_="bob")
        assert set(shown[0]) == RENTAL_KEYS and shown[0]["id"] == rental_id


class TestPay:
    """``POST /api/rentals/{id}/pay``: 201 with the session's URL, for its member only."""

    def test_answers_the_checkout_url(self, web: Web, stand_in: StandIn) -> None:
        rental_id = held(web)
        answer = web.as_("bob").post(f"/api/rentals/{rental_id}/pay")
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body == {
            "url": "https://checkout.stripe.com/c/pay/cs_test_0001",
            "session": "cs_test_0001",
            "rental": rental_id,
            "amount": "15.50",
            "currency": "EUR",
            "pay_by": body["pay_by"],
        }
        assert body["pay_by"].startswith(PAY_BY)
        [sent] = stand_in.created
        assert sent["client_reference_id"] == f"rental-{rental_id}"
        assert sent["success_url"].endswith("/me?done=paid")
        # the session is recorded: Stripe's word about it approves the booking
        payload = event("checkout.session.completed", body["session"])
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature(payload)}
        done = web.anonymous().post("/stripe/webhook", content=payload, headers=headers)
        assert done.json()["outcome"] == "paid"
        after = web.as_("bob").get(f"/api/rentals/{rental_id}").json()
        assert (after["status"], after["pay_by"]) == ("approved", None)

    @pytest.mark.parametrize(
        ("who", "status", "code", "words"),
        [
            pytest.param("dan", 403, "permission_denied", "cannot pay rental", id="not-his"),
            pytest.param("ada", 403, "permission_denied", "cannot pay rental", id="admin"),
        ],
    )
    def test_only_its_member(
        self, web: Web, stand_in: StandIn, who: str, status: int, code: str, words: str
    ) -> None:
        rental_id = held(web)
        answer = web.as_(who).post(f"/api/rentals/{rental_id}/pay")
        body = error_of(answer)
        assert (answer.status_code, body["code"]) == (status, code)
        assert words in body["error"] and stand_in.created == []

    def test_refusals(self, web: Web, stand_in: StandIn) -> None:
        request = web.cal.book("tractor", d(14), d(14), member="bob", today=TODAY)
        bob = web.as_("bob")
        answer = bob.post(f"/api/rentals/{request.id}/pay")
        assert answer.status_code == 400
        assert error_of(answer)["error"] == f"rental {request.id} awaits no payment (it is pending)"
        assert bob.post("/api/rentals/999/pay").status_code == 404
        rental_id = held(web)
        web.app.state.checkout = StripeCheckout(SECRET_KEY, WEBHOOK_SECRET, "http://127.0.0.1:9")
        down = bob.post(f"/api/rentals/{rental_id}/pay")
        assert (down.status_code, error_of(down)["code"]) == (502, "checkout_unavailable")
        assert "nothing was charged" in down.text and SECRET_KEY not in down.text
        web.app.state.checkout = None
        off = bob.post(f"/api/rentals/{rental_id}/pay")
        assert (off.status_code, error_of(off)["code"]) == (404, "not_found")
        assert stand_in.created == []

    def test_in_the_schema(self, web: Web) -> None:
        schema = web.as_("bob").get("/openapi.json").json()
        operation = schema["paths"]["/api/rentals/{rental_id}/pay"]["post"]
        assert set(operation["responses"]) >= {"201", "400", "403", "404", "502"}
        shapes = schema["components"]["schemas"]
        assert set(shapes["CheckoutOut"]["required"]) == {
            "url",
            "session",
            "rental",
            "amount",
            "currency",
            "pay_by",
        }
        assert "pay_by" in shapes["RentalOut"]["properties"]
