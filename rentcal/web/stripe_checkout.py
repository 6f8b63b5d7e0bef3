"""The one module that talks to Stripe: Checkout Sessions made, webhook events verified.

Only this module imports Stripe's SDK (the ``payments`` extra, imported on
first use; an import-linter contract keeps it here). The service never sees
Stripe: it is handed a :class:`~rentcal.service.online_payments.CheckoutRequest`
in and plain values out (:class:`~rentcal.service.online_payments.CheckoutEvent`).

* :meth:`StripeCheckout.create`: ``POST /v1/checkout/sessions`` through the
  SDK's ``StripeClient`` (at ``stripe_api_base`` when set: the tests' local
  stand-in), one line item of the amount in the currency's minor unit,
  ``client_reference_id`` and ``metadata`` naming the member and what is paid,
  success and cancel URLs back to ``/me``; the session's id and ``url``.
* :meth:`StripeCheckout.verify`: ``stripe.Webhook.construct_event`` checks
  the ``Stripe-Signature`` header against the webhook secret (and that it is
  at most five minutes old); :class:`BadEvent` says why not.

The secret key and the webhook secret never reach a message, a log line or
an error page: errors from Stripe are reduced to their kind and status.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from rentcal.core.online_payments import Purpose, to_minor
from rentcal.errors import RentcalError
from rentcal.service.online_payments import CheckoutEvent, CheckoutRequest
from rentcal.web.server_settings import Settings

log = logging.getLogger("rentcal.web")

#: What ``pip`` needs for card payments.
INSTALL_HINT = "pip install 'rentcal[payments]'"
#: Where Stripe's Checkout pages are (the pages' CSP lets their forms go there).
CHECKOUT_ORIGIN = "https://checkout.stripe.com"
#: Stripe keeps a session open at least this long after it is made.
MIN_SESSION = timedelta(minutes=30, seconds=30)
#: How many times the SDK tries again after a network error.
RETRIES = 1


class BadEvent(Exception):
    """A webhook request that is not a verified Stripe event; the message says why."""


class CheckoutUnavailable(RentcalError):
    """Stripe could not make a Checkout Session (network, configuration); try again."""


def load_stripe() -> ModuleType:
    """Stripe's SDK, or a RentcalError saying what to install."""
    try:
        import stripe
    except ImportError:
        raise CheckoutUnavailable(
            f"card payments need Stripe's SDK: {INSTALL_HINT}", reason="no-stripe"
        ) from None
    return stripe


class StripeCheckout:
    """Stripe Checkout for one server: its secret key, webhook secret and API address."""

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None) -> None:
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base
        self._client: Any = None

    def __repr__(self) -> str:
        return f"<StripeCheckout api={self._api_base or 'stripe'}>"  # never the secrets

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeCheckout | None:
        """The server's Stripe Checkout, or None when it has no secret key and webhook secret."""
        if not settings.stripe_secret_key or not settings.stripe_webhook_secret:
            return None
        return cls(
            settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base
        )

    def _stripe_client(self) -> Any:
        """The SDK's client, made on first use (the SDK is imported then)."""
        if self._client is None:
            stripe = load_stripe()
            addresses = {"api": self._api_base} if self._api_base else None
            self._client = stripe.StripeClient(
                self._secret_key, base_addresses=addresses, max_network_retries=RETRIES
            )
        return self._client

    def create(
        self, request: CheckoutRequest, *, success_url: str, cancel_url: str, now: datetime
    ) -> tuple[str, str]:
        """Make a Checkout Session for ``request``: (its id, the URL to send the member to).

        Raises:
            CheckoutUnavailable: Stripe refused or could not be reached (the reason
                in a few words, never a secret).
        """
        stripe = load_stripe()
        try:
            session = self._stripe_client().v1.checkout.sessions.create(
                params=session_params(request, success_url, cancel_url, now)
            )
        except stripe.StripeError as err:
            status = getattr(err, "http_status", None)
            kind = type(err).__name__
            log.warning("stripe: creating a checkout session failed: %s %s", kind, status)
            raise CheckoutUnavailable(
                f"the card payment could not be started ({type(err).__name__}"
                f"{'' if status is None else f', HTTP {status}'}); nothing was charged, try again",
                reason="stripe",
            ) from None
        return str(session.id), str(session.url)

    def verify(self, payload: bytes, signature: str | None) -> CheckoutEvent:
        """The event ``payload`` carries, once its ``Stripe-Signature`` is verified.

        Raises:
            BadEvent: no or a wrong signature, a stale timestamp, not an event.
        """
        stripe = load_stripe()
        try:
            stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except stripe.SignatureVerificationError as err:
            raise BadEvent(f"the Stripe-Signature does not verify: {err.user_message}") from None
        except ValueError:
            raise BadEvent("the body is not a Stripe event (JSON)") from None
        return checkout_event(json.loads(payload))


def session_params(
    request: CheckoutRequest, success_url: str, cancel_url: str, now: datetime
) -> dict[str, Any]:
    """The documented parameters of ``POST /v1/checkout/sessions`` for ``request``."""
    what = request.invoice if request.purpose is Purpose.INVOICE else str(request.rental_id)
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": to_minor(request.amount, request.currency),
                    "product_data": {"name": request.description[:250]},
                },
            }
        ],
        "client_reference_id": request.reference,
        "metadata": {"member": request.member, "purpose": request.purpose.value, "for": what},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if request.email:
        params["customer_email"] = request.email
    if request.pay_by is not None:  # no later than the hold (Stripe's minimum allowing)
        params["expires_at"] = int(max(request.pay_by, now + MIN_SESSION).timestamp())
    return params


def checkout_event(data: Any) -> CheckoutEvent:
    """A verified event's JSON reduced to what rentcal reads (a Checkout Session's, or none).

    Raises:
        BadEvent: not an event object (no id or type).
    """
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BadEvent("the body is not a Stripe event (no id)")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise BadEvent("the body is not a Stripe event (no type)")
    found = (data.get("data") or {}).get("object") or {}
    if not isinstance(found, dict) or found.get("object") != "checkout.session":
        return CheckoutEvent(data["id"], kind)
    amount = found.get("amount_total")
    intent = found.get("payment_intent")
    return CheckoutEvent(
        data["id"],
        kind,
        session=str(found.get("id")),
        paid=found.get("payment_status") == "paid",
        amount_minor=amount if isinstance(amount, int) else None,
        currency=found.get("currency") if isinstance(found.get("currency"), str) else None,
        payment_intent=intent if isinstance(intent, str) else None,
    )


__all__ = [
    "CHECKOUT_ORIGIN",
    "BadEvent",
    "CheckoutUnavailable",
    "StripeCheckout",
    "checkout_event",
    "load_stripe",
    "session_params",
]
