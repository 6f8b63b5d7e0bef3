"""``POST /stripe/webhook``: Stripe tells the server a Checkout Session was paid or expired.

No login and no cookie (so no CSRF check applies): the ``Stripe-Signature``
header, verified with Stripe's SDK against the webhook secret, is the
authentication; the body is bounded like every other (``max_body_bytes``).
Answers: 200 once the event is handled, or was before (a replay records
nothing), or is of a type rentcal ignores; 400 with the reason when the
signature is missing, wrong or stale (Stripe shows it in its dashboard);
404 when the server has no Stripe account configured; 503 when the database
is busy (Stripe tries again later).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.web.auth import Cal
from rentcal.web.blocking import in_thread
from rentcal.web.error_responses import error_response
from rentcal.web.stripe_checkout import BadEvent, StripeCheckout
from rentcal.web.views import as_json

router = APIRouter()
log = logging.getLogger("rentcal.web")
PATH = "/stripe/webhook"


@router.post(PATH, include_in_schema=False)
async def stripe_webhook(request: Request, cal: Cal) -> Response:
    """Verify Stripe's signature, then record what the event says, once."""
    checkout: StripeCheckout | None = request.app.state.checkout
    if checkout is None:
        message = "card payments are not configured on this server"
        return error_response(request.scope, 404, "not_found", message)
    payload = await request.body()
    try:
        event = checkout.verify(payload, request.headers.get("stripe-signature"))
    except BadEvent as err:
        return error_response(request.scope, 400, "bad_signature", str(err))
    outcome = await in_thread(lambda: cal.checkout_event(event))
    log.info("stripe: event %s (%s): %s", event.id, event.type, outcome)
    return as_json({"received": True, "outcome": outcome})


__all__ = ["PATH", "router"]
