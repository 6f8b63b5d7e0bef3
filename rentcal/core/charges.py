"""What a rental costs when it ends, and what a late cancellation costs (pure, exact).

A machine's prices are fixed on a rental when it is booked (or moved): the
day rate (the rental's ``price`` is days x day rate), optionally a rate per
meter unit and a minimum charge (:class:`Rates`). When the rental ends its
charge is computed once, here: days x day rate + units x unit rate, raised
to the minimum, rounded half up to the cent (:func:`use_charge`). Money is
``Decimal`` from the column to the sum; nothing goes through ``float`` or
SQL arithmetic (SQLite would use REAL).

The organisation's cancellation policy (:class:`CancellationPolicy`): free
until ``free_days`` days before the start, then a fixed fee or a share of
the booked price, never more than the booked price (:func:`late_fee`).

>>> rates = Rates(day_rate=Decimal("120.00"), unit_rate=Decimal("4.50"), minimum=None)
>>> use_charge(date(2030, 1, 1), date(2030, 1, 3), rates, units=Decimal("10")).amount
Decimal('405.00')
>>> policy = CancellationPolicy(free_days=7, share=Decimal("50"))
>>> late_fee(policy, date(2030, 1, 10), date(2030, 1, 5), Decimal("360.00"))
Decimal('180.00')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from rentcal.core import checks
from rentcal.core.money import format_money
from rentcal.core.pricing import CENT, MAX_AMOUNT, MAX_AMOUNT_TEXT, parse_amount
from rentcal.core.ranges import day_count
from rentcal.core.wording import plural, quote
from rentcal.errors import InvalidRequest

#: Meter units are kept to the thousandth (a tenth of an hour, a litre and its
#: millilitres...): ``Numeric(14, 3)``.
UNIT_PLACES = Decimal("0.001")
MAX_UNITS = Decimal("99999999999.999")
#: The longest free period a policy may have (a year).
MAX_FREE_DAYS = 365


@dataclass(frozen=True, slots=True)
class Rates:
    """What a rental is charged at, as fixed when it was booked (or moved)."""

    day_rate: Decimal
    #: Per meter unit used (None: the machine has no unit price).
    unit_rate: Decimal | None = None
    #: The least a rental ending is charged (None: no minimum).
    minimum: Decimal | None = None


def day_rate_of(price: Decimal, start: date, end: date) -> Decimal:
    """The day rate a rental's ``price`` was computed at (price = days x rate, exactly)."""
    return (price / day_count(start, end)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class UseCharge:
    """A rental's charge when it ends: its parts and the amount."""

    first_day: date
    last_day: date
    days: int
    units: Decimal | None
    day_rate: Decimal
    unit_rate: Decimal | None
    minimum: Decimal | None
    amount: Decimal

    @property
    def minimum_applied(self) -> bool:
        """Whether the minimum charge raised the amount."""
        return self.minimum is not None and self.amount == self.minimum > self.subtotal

    @property
    def subtotal(self) -> Decimal:
        """Days x day rate + units x unit rate, to the cent, before the minimum."""
        used = self.day_rate * self.days
        if self.units is not None and self.unit_rate is not None:
            used += self.units * self.unit_rate
        return used.quantize(CENT, rounding=ROUND_HALF_UP)


def check_units(value: object, name: str = "units") -> Decimal:
    """Meter units used: a Decimal, an int or a string, at least 0, to the thousandth."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise checks.wrong_type(name, "a Decimal or a string like '12.5' (or an int)", value)
    try:
        units = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except ArithmeticError:
        raise InvalidRequest(f"{name} {quote(value)} is not a number", field=name) from None
    if not units.is_finite() or units < 0 or units > MAX_UNITS:
        raise InvalidRequest(
            f"{name} {quote(value)} must be a number from 0 to {MAX_UNITS:,}",
            field=name,
            value=str(value),
            reason="range",
        )
    if units != units.quantize(UNIT_PLACES):
        raise InvalidRequest(
            f"{name} {quote(value)} has more than 3 decimal places",
            field=name,
            value=str(value),
            reason="places",
        )
    return units.quantize(UNIT_PLACES)


def use_charge(
    start: date,
    end: date,
    rates: Rates,
    *,
    ended_on: date | None = None,
    units: Decimal | None = None,
) -> UseCharge:
    """The charge of a rental of [start, end] ending now.

    ``ended_on``: the day it really ended (a check-in), else its booked last
    day; ``units``: meter units used (a check-in), else none. Units on a
    machine without a unit rate are recorded but cost nothing.

    Raises:
        InvalidRequest: ``ended_on`` before the first day, or an amount above
            :data:`~rentcal.core.pricing.MAX_AMOUNT`.
    """
    last = end if ended_on is None else ended_on
    if last < start:
        raise InvalidRequest(
            f"a rental starting {start.isoformat()} cannot end on {last.isoformat()}",
            field="ended_on",
            value=last.isoformat(),
            reason="before-start",
        )
    used = None if units is None else check_units(units)
    draft = UseCharge(
        start,
        last,
        day_count(start, last),
        used,
        rates.day_rate,
        rates.unit_rate,
        rates.minimum,
        Decimal(0),
    )
    amount = draft.subtotal
    if rates.minimum is not None and amount < rates.minimum:
        amount = rates.minimum
    if amount > MAX_AMOUNT:
        raise InvalidRequest(
            f"the charge would be {amount:,}, more than the largest amount rentcal stores "
            f"({MAX_AMOUNT_TEXT})",
            field="units",
            reason="too-large",
        )
    return UseCharge(
        start, last, draft.days, used, rates.day_rate, rates.unit_rate, rates.minimum, amount
    )


def signed_amount(value: object, name: str = "amount") -> Decimal:
    """A correction's amount: a debit (``"10.00"``) or a credit (``"-10.00"``), never 0.

    Raises:
        ArgumentTypeError: not a Decimal, int or str.
        InvalidRequest: not a number, 0, more than two places, or too large.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise checks.wrong_type(
            name, "a Decimal or a string like '-10.00' (or an int; never a float)", value
        )
    text = value.strip() if isinstance(value, str) else value
    negative = False
    if isinstance(text, str) and text.startswith(("-", "+")):
        negative, text = text.startswith("-"), text[1:]
    elif isinstance(text, (Decimal, int)) and text < 0:
        negative, text = True, -text
    with checks.about(name, value):
        amount = parse_amount(text, label=name)
    if amount == 0:
        raise InvalidRequest(
            f"{name} is 0: a correction credits (-10.00) or debits (10.00) something",
            field=name,
            value=str(value),
            reason="zero",
        )
    return -amount if negative else amount


# -- the cancellation policy -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CancellationPolicy:
    """Free until ``free_days`` days before the start; then ``fee`` or ``share``
    (percent) of the booked price. ``free_days`` None: cancelling is always free."""

    free_days: int | None = None
    #: A fixed fee (never more than the booked price).
    fee: Decimal | None = None
    #: A share of the booked price, in percent (0.01 to 100).
    share: Decimal | None = None

    @property
    def active(self) -> bool:
        """Whether a late cancellation costs anything."""
        return self.free_days is not None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (``rentcal cancellation show --json``, the API)."""
        return {
            "free_days": self.free_days,
            "fee": None if self.fee is None else str(self.fee),
            "share": None if self.share is None else str(self.share),
        }

    def stored(self) -> str:
        """The text kept in the organisation's settings."""
        return json.dumps(self.as_dict(), sort_keys=True)

    def words(self, currency: str | None) -> str:
        """``free until 7 days before the start, then a fee of €25.00`` (or ``then 50% of
        the booked price``)."""
        if self.free_days is None:
            return "cancelling is always free"
        if self.fee is not None:
            then = f"a fee of {format_money(self.fee, currency)}"
        else:
            then = f"{(self.share or Decimal(0)).normalize():f}% of the booked price"
        return f"free until {plural(self.free_days, 'day')} before the start, then {then}"


#: No policy: cancelling is free (the default until an admin sets one).
FREE = CancellationPolicy()


def check_policy(free_days: object, fee: object = None, share: object = None) -> CancellationPolicy:
    """A policy from its parts: ``free_days`` None turns fees off (then neither fee nor
    share); else exactly one of ``fee`` (an amount above 0) and ``share`` (percent).
    Each value's type is checked before how they go together."""
    if free_days is not None and (isinstance(free_days, bool) or not isinstance(free_days, int)):
        raise checks.wrong_type("free_days", "an int (days before the start)", free_days)
    amount = None if fee is None else checks.amount(fee, "fee", "fee")
    percent = None if share is None else checks.amount(share, "share", "share")
    if free_days is None:
        if fee is not None or share is not None:
            raise InvalidRequest(
                "a fee needs free_days: how many days before the start cancelling stops being free",
                field="free_days",
                reason="missing",
            )
        return FREE
    if not 1 <= free_days <= MAX_FREE_DAYS:
        raise InvalidRequest(
            f"free_days {free_days} must be from 1 to {MAX_FREE_DAYS}",
            field="free_days",
            value=free_days,
            reason="range",
        )
    if (amount is None) == (percent is None):
        raise InvalidRequest(
            "give a fee (an amount) or a share (percent of the booked price), not both "
            "and not neither",
            field="fee" if amount is None else "share",
            reason="fee-or-share",
        )
    if amount is not None:
        if amount == 0:
            raise InvalidRequest("fee 0.00 charges nothing", field="fee", reason="zero")
        return CancellationPolicy(free_days, fee=amount)
    if percent is None or not Decimal("0") < percent <= Decimal("100"):
        raise InvalidRequest(
            f"share {percent} must be above 0 and at most 100 (percent of the booked price)",
            field="share",
            value=str(percent),
            reason="range",
        )
    return CancellationPolicy(free_days, share=percent)


def stored_policy(text: str | None) -> CancellationPolicy:
    """The policy a stored setting says; FREE for none, or for text no rentcal wrote
    (charging nobody is never wrong, charging by a misread policy would be)."""
    if not text:
        return FREE
    try:
        data = json.loads(text)
        return check_policy(
            data.get("free_days"),
            None if data.get("fee") is None else str(data["fee"]),
            None if data.get("share") is None else str(data["share"]),
        )
    except (ValueError, TypeError, AttributeError, InvalidRequest):
        return FREE


def days_before(start: date, today: date) -> int:
    """How many days before the start ``today`` is (0 on the first day)."""
    return (start - today).days


def late_fee(
    policy: CancellationPolicy, start: date, today: date, price: Decimal
) -> Decimal | None:
    """The fee for cancelling a booking of ``price`` starting ``start`` on ``today``;
    None when it is free (no policy, early enough, or nothing to charge)."""
    if policy.free_days is None or days_before(start, today) >= policy.free_days:
        return None
    if policy.fee is not None:
        fee = min(policy.fee, price)
    else:
        share = policy.share or Decimal(0)
        fee = (price * share / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return fee if fee > 0 else None


def late_words(policy: CancellationPolicy, start: date, today: date, currency: str | None) -> str:
    """Why a late cancellation was charged (the ledger's reason)."""
    before = days_before(start, today)
    when = (
        "on or after the first day" if before <= 0 else f"{plural(before, 'day')} before the start"
    )
    return f"cancelled {when}; {policy.words(currency)}"


__all__ = [
    "FREE",
    "MAX_FREE_DAYS",
    "MAX_UNITS",
    "UNIT_PLACES",
    "CancellationPolicy",
    "Rates",
    "UseCharge",
    "check_policy",
    "check_units",
    "day_rate_of",
    "days_before",
    "late_fee",
    "late_words",
    "signed_amount",
    "stored_policy",
    "use_charge",
]
