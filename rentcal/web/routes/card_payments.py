"""``POST /api/rentals/{id}/pay``: paying for a booking awaiting its card payment from a
script or an API client (issue #23), the JSON twin of the page's ``POST /me/pay/rental/{id}``.

Both make the Checkout Session the same way (:func:`open_session`): the library says
what to charge (``booking_checkout``: the booking's member only, while its hold
lasts), Stripe makes the session (:mod:`rentcal.web.stripe_checkout`), its id is
recorded. The page answers 303 to Stripe's page; this answers 201 with its ``url``
(:class:`~rentcal.web.billing_shapes.CheckoutOut`) for the payer to open. The
payment is recorded when Stripe's webhook says so, never on the payer's return.

(``/api/rentals/{id}/checkout`` is the hand-over's check-out: :mod:`.handover`.)
"""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.service import Rentcal
from rentcal.service.online_payments import CheckoutRequest
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.billing_shapes import CheckoutOut
from rentcal.web.routes.account import public_base
from rentcal.web.routes.common import COMMON, RentalId, errors
from rentcal.web.stripe_checkout import CheckoutUnavailable, StripeCheckout
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["rentals"], responses=COMMON)


def open_session(request: Request, cal: Rentcal, wanted: CheckoutRequest) -> tuple[str, str]:
    """Have Stripe make the Checkout Session for ``wanted`` and record it: (its id, the URL
    of Stripe's page). Stripe sends the payer back to ``/me?done=paid`` or
    ``/me?done=pay-cancelled`` on this server (``--base-url``, else the request's).

    Raises:
        CheckoutUnavailable: no Stripe account on this server, or Stripe refused or
            could not be reached (nothing is charged, nothing recorded).
    """
    checkout: StripeCheckout | None = request.app.state.checkout
    if checkout is None:
        raise CheckoutUnavailable(
            "card payments are not configured on this server (docs/billing.md)",
            reason="not-configured",
        )
    base = public_base(request, request.app.state.settings)
    sid, url = checkout.create(
        wanted,
        success_url=f"{base}/me?done=paid",
        cancel_url=f"{base}/me?done=pay-cancelled",
        now=cal.now(),
    )
    cal.record_checkout(wanted, sid)
    return sid, url


def checkout_view(wanted: CheckoutRequest, session: str, url: str) -> dict[str, object]:
    """The JSON of a session made for a booking (:class:`CheckoutOut`)."""
    pay_by = wanted.pay_by
    return {
        "url": url,
        "session": session,
        "rental": wanted.rental_id,
        "amount": str(wanted.amount),
        "currency": wanted.currency,
        "pay_by": None if pay_by is None else pay_by.astimezone(UTC).isoformat(),
    }


@router.post(
    "/rentals/{rental_id}/pay",
    response_model=CheckoutOut,
    status_code=201,
    responses=errors(502),
)
def pay_rental(rental_id: RentalId, request: Request, member: CurrentMember, cal: Cal) -> Response:
    """Pay for your booking awaiting its card payment: a Stripe Checkout Session for its
    price, open no longer than its hold; open ``url`` to pay. 400 when it awaits no
    payment, 403 when it is not yours, 404 when the server takes no card payments,
    502 when Stripe could not make the session (nothing is charged; try again)."""
    wanted = cal.booking_checkout(rental_id, acting=member.handle)
    sid, url = open_session(request, cal, wanted)
    return as_json(checkout_view(wanted, sid, url), status=201)


__all__ = ["checkout_view", "open_session", "router"]
