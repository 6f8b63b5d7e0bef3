"""Paying by card on Stripe's Checkout page: from ``/me`` and right after booking.

``POST /me/pay/invoice/{number}`` (an open invoice, when the organisation
lets members pay invoices online) and ``POST /me/pay/rental/{id}`` (a
booking awaiting payment) ask the library what to charge, have Stripe make a
Checkout Session (:mod:`rentcal.web.stripe_checkout`), record its id, and
answer 303 to Stripe's page. Stripe sends the member back to
``/me?done=paid`` or ``/me?done=pay-cancelled`` (words in :mod:`.me`); the payment itself is
recorded when Stripe's webhook says so (:mod:`rentcal.web.routes.stripe_webhook`),
never on the member's return, which anyone could fake.

A booking made on the booking page that awaits payment goes straight to
Stripe (:func:`after_booking`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from rentcal.core.values import Member, Rental
from rentcal.errors import RentcalError
from rentcal.service import Rentcal
from rentcal.service.online_payments import CheckoutRequest
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages.forms import FORM
from rentcal.web.pages.me import me_page
from rentcal.web.pages.render import see_other
from rentcal.web.routes.card_payments import open_session
from rentcal.web.stripe_checkout import StripeCheckout

router = APIRouter()


def checkout_of(request: Request) -> StripeCheckout | None:
    """The server's Stripe Checkout (None: no secret key and webhook secret configured)."""
    found: StripeCheckout | None = request.app.state.checkout
    return found


def start(request: Request, cal: Rentcal, wanted: CheckoutRequest) -> Response:
    """Make the Checkout Session for ``wanted``, record it, and send the member to it."""
    _sid, url = open_session(request, cal, wanted)
    return RedirectResponse(url, status_code=303)


def _refused(request: Request, cal: Rentcal, member: Member, err: RentcalError) -> Response:
    status = classify(err).status  # Stripe's failure 502, none configured 404
    return me_page(request, cal, member, errors={"pay": {FORM: err.message}}, status=status)


@router.post("/me/pay/invoice/{number}", include_in_schema=False)
def pay_invoice(request: Request, number: str, cal: Cal, member: CurrentMember) -> Response:
    """ "Pay online" beside an open invoice: to Stripe's page for its open amount."""
    try:
        return start(request, cal, cal.invoice_checkout(number, acting=member.handle))
    except RentcalError as err:
        return _refused(request, cal, member, err)


@router.post("/me/pay/rental/{rental_id}", include_in_schema=False)
def pay_rental(request: Request, rental_id: int, cal: Cal, member: CurrentMember) -> Response:
    """ "Pay now" beside a booking awaiting payment: to Stripe's page for its price."""
    try:
        return start(request, cal, cal.booking_checkout(rental_id, acting=member.handle))
    except RentcalError as err:
        return _refused(request, cal, member, err)


def after_booking(request: Request, cal: Rentcal, member: Member, rental: Rental) -> Response:
    """The answer to a booking made on the booking page: Stripe's page when it awaits
    payment (and Stripe is configured), else the rental's page. If Stripe cannot start
    the payment, /me says why and offers "Pay now" while the hold lasts."""
    waiting = any(w.rental.id == rental.id for w in cal.awaiting_payment(acting=member.handle))
    if not waiting or checkout_of(request) is None:
        return see_other(request, f"/rentals/{rental.id}", done="booked")
    try:
        return start(request, cal, cal.booking_checkout(rental.id, acting=member.handle))
    except RentcalError as err:
        return _refused(request, cal, member, err)


__all__ = ["after_booking", "checkout_of", "router", "start"]
