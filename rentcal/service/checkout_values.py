"""The values a front end and :mod:`rentcal.service.online_payments` exchange (issue #23).

The service never talks to Stripe: a front end asks it what a Checkout Session
should charge (a :class:`CheckoutRequest`), has Stripe make it, and hands each
verified webhook event over reduced to a :class:`CheckoutEvent`. Frozen, and
free of Stripe's types, so neither side depends on the other's library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rentcal.core.online_payments import Purpose
from rentcal.core.values import Rental

#: The Stripe events handled; any other is answered and ignored.
PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
EXPIRED_EVENT = "checkout.session.expired"


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What one Checkout Session is to charge, for whom, and for what."""

    purpose: Purpose
    member: str
    email: str | None
    amount: Decimal
    currency: str
    #: The line people read on Stripe's page.
    description: str
    invoice: str | None = None
    rental_id: int | None = None
    #: When a booking's hold ends (the session should not outlive it).
    pay_by: datetime | None = None

    @property
    def reference(self) -> str:
        """Stripe's ``client_reference_id``: ``invoice-2030-000001`` or ``rental-12``."""
        if self.purpose is Purpose.INVOICE:
            return f"invoice-{self.invoice}"
        return f"rental-{self.rental_id}"


@dataclass(frozen=True, slots=True)
class CheckoutEvent:
    """A verified Stripe event about a Checkout Session, reduced to what rentcal reads."""

    id: str
    type: str
    session: str | None = None
    #: ``payment_status == "paid"``.
    paid: bool = False
    #: ``amount_total`` in the currency's minor unit, and the currency (lower case).
    amount_minor: int | None = None
    currency: str | None = None
    #: The PaymentIntent's id, the payment's reference (else the session's id).
    payment_intent: str | None = None


@dataclass(frozen=True, slots=True)
class AwaitingPayment:
    """A booking holding its days until ``pay_by`` while its card payment is awaited."""

    rental: Rental
    pay_by: datetime


__all__ = ["EXPIRED_EVENT", "PAID_EVENTS", "AwaitingPayment", "CheckoutEvent", "CheckoutRequest"]
