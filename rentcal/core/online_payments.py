"""Card payments through Stripe Checkout: the organisation's rules and Stripe's amounts
(issue #23; pure).

The organisation may

* require **payment at booking**: a member booking for themselves a machine
  that approves automatically, at a price above zero, gets a *pending* rental
  that holds its days for :attr:`OnlinePaymentRules.hold_minutes`; paid in
  time it is approved, else housekeeping rejects it as :data:`UNPAID_REASON`;
* let members **pay open invoices online**.

Stripe counts money in a currency's minor unit (cents; yen are whole; a few
dinars have three places): :func:`to_minor` and :func:`from_minor` convert
exactly, never through ``float``.

>>> to_minor(Decimal("12.30"), "EUR"), to_minor(Decimal("1200"), "JPY")
(1230, 1200)
>>> from_minor(1230, "eur"), from_minor(1200, "jpy"), from_minor(1230, "kwd")
(Decimal('12.30'), Decimal('1200.00'), Decimal('1.23'))
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from rentcal.core.checks import flag, positive_int
from rentcal.core.dates_words import span_words
from rentcal.core.news import machine_words, member_words, sentence
from rentcal.core.values import Rental
from rentcal.errors import InvalidRequest

#: The reason stored on (and told about) a booking whose hold ended unpaid.
UNPAID_REASON = "unpaid"
#: A hold's bounds: Stripe keeps a Checkout Session open 30 minutes at least and
#: 24 hours at most, so the hold a member gets fits one session.
MIN_HOLD_MINUTES = 30
MAX_HOLD_MINUTES = 24 * 60
#: Stripe's zero-decimal and three-decimal currencies (docs.stripe.com/currencies).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
CENT = Decimal("0.01")


class Purpose(StrEnum):
    """What a Checkout Session pays for."""

    INVOICE = "invoice"
    BOOKING = "booking"


class SessionStatus(StrEnum):
    """A Checkout Session as rentcal last heard of it."""

    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class OnlinePaymentRules:
    """The organisation's online payments: at booking (with a hold), open invoices."""

    #: Minutes a booking awaiting payment holds its days; None: no payment at booking.
    hold_minutes: int | None = None
    #: Whether members may pay their open invoices online.
    invoices: bool = False

    @property
    def at_booking(self) -> bool:
        """Whether bookings of automatically approving, priced machines wait for payment."""
        return self.hold_minutes is not None

    @property
    def any(self) -> bool:
        """Whether any card payment is offered."""
        return self.at_booking or self.invoices

    def words(self) -> str:
        """One line for people: ``payment at booking (hold 30 minutes); open invoices``."""
        parts = []
        if self.hold_minutes is not None:
            parts.append(f"payment at booking (hold {self.hold_minutes} minutes)")
        if self.invoices:
            parts.append("open invoices")
        return "; ".join(parts) or "off"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (``rentcal online-payments show --json``)."""
        return {
            "at_booking": self.at_booking,
            "hold_minutes": self.hold_minutes,
            "invoices": self.invoices,
        }


def check_hold_minutes(value: object, name: str = "hold_minutes") -> int:
    """A hold of :data:`MIN_HOLD_MINUTES` to :data:`MAX_HOLD_MINUTES` minutes.

    Raises:
        InvalidRequest: naming the value and the range (Stripe's session limits).
    """
    minutes = positive_int(value, name, "a number of minutes")
    if not MIN_HOLD_MINUTES <= minutes <= MAX_HOLD_MINUTES:
        raise InvalidRequest(
            f"{name} {minutes} is outside {MIN_HOLD_MINUTES}-{MAX_HOLD_MINUTES} minutes "
            "(a Stripe Checkout Session stays open 30 minutes to 24 hours)",
            field=name,
            value=minutes,
            reason="range",
        )
    return minutes


def check_rules(hold_minutes: object, invoices: object) -> OnlinePaymentRules:
    """The rules from a hold (None: no payment at booking) and the invoices flag."""
    hold = None if hold_minutes is None else check_hold_minutes(hold_minutes)
    return OnlinePaymentRules(hold, flag(invoices, "invoices"))


def _places(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in ``currency``'s minor unit as Stripe counts it (12.30 EUR: 1230).

    Raises:
        InvalidRequest: the amount has more places than the currency (12.30 JPY).
    """
    scaled = amount.scaleb(_places(currency))
    if scaled != scaled.to_integral_value():
        raise InvalidRequest(
            f"amount {amount} cannot be paid in {currency.upper()}: it has no "
            f"{'cents' if _places(currency) == 0 else 'such fractions'}",
            field="amount",
            value=str(amount),
            reason="currency-places",
        )
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    """Stripe's minor-unit ``value`` as an amount of two places (1230 EUR: 12.30)."""
    return Decimal(value).scaleb(-_places(currency)).quantize(CENT)


__all__ = [
    "MAX_HOLD_MINUTES",
    "MIN_HOLD_MINUTES",
    "UNPAID_REASON",
    "OnlinePaymentRules",
    "Purpose",
    "SessionStatus",
    "check_hold_minutes",
    "check_rules",
    "from_minor",
    "late_payment_words",
    "to_minor",
]


def late_payment_words(rental: Rental, amount: str) -> str:
    """To the admins and the member: money for a booking came when it no longer waited
    for it (released unpaid, cancelled, or no longer approvable); it is a credit."""
    what = f"{machine_words(rental)} for {span_words(rental.start, rental.end)}"
    return sentence(
        f"A card payment of {amount} for {member_words(rental)}'s booking of {what} arrived "
        f"while the booking was {rental.status.value} (rental {rental.id}); it stays on the "
        "account as a credit for the next invoice, or an admin refunds it"
    )
