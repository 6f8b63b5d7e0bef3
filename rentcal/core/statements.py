"""The ledger as people and accountants read it: periods, charges, statements (pure).

Every charge has the day it was charged on, in the organisation's time zone
(``charged_on``); a period (a month or a year) holds exactly the charges of
its days. Months partition the year, so the twelve monthly statements of a
member add up to the year's, and a rental ending on 31 December and charged
on 1 January is in January's statement only, never in both.

>>> p = parse_period("2030-02")
>>> (p.first.isoformat(), p.last.isoformat(), p.label)
('2030-02-01', '2030-02-28', '2030-02')
>>> [m.label for m in parse_period("2030").months()][:2]
['2030-01', '2030-02']
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from rentcal.core import checks
from rentcal.core.dates_words import MONTHS, span_words
from rentcal.core.money import CENT, format_money
from rentcal.core.news import sentence
from rentcal.core.types import ChargeKind
from rentcal.core.wording import plural, quote
from rentcal.errors import InvalidRequest

_PERIOD = re.compile(r"(\d{4})(?:-(\d{2}))?")
#: What :func:`parse_period` takes, in its messages.
MONTH_FORM = "a month (YYYY-MM, like 2030-01)"
PERIOD_FORMS = f"{MONTH_FORM} or a year (YYYY)"


@dataclass(frozen=True, slots=True)
class Period:
    """A month (``2030-01``) or a year (``2030``): the days whose charges it holds."""

    first: date
    last: date
    label: str

    def months(self) -> list[Period]:
        """The months of this period, in order (a month: itself)."""
        return [
            month_period(self.first.year, m) for m in range(self.first.month, self.last.month + 1)
        ]

    def words(self) -> str:
        """``January 2030`` or ``2030``."""
        if self.first.month == self.last.month:
            return f"{calendar.month_name[self.first.month]} {self.first.year}"
        return str(self.first.year)

    def holds(self, day: date) -> bool:
        """Whether ``day`` is one of the period's days."""
        return self.first <= day <= self.last


def month_period(year: int, month: int) -> Period:
    """The month ``year``-``month``."""
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), f"{year:04d}-{month:02d}")


def parse_period(value: object, name: str = "period", *, years: bool = True) -> Period:
    """``"2030-01"`` (a month) or ``"2030"`` (a year), exactly; ``years=False``: a
    month only, for what covers one month (issuing its invoices).

    The message names ``name`` (the option or field of the caller) and the
    forms the caller takes, no more:

    >>> parse_period("2030-13", "month", years=False)
    Traceback (most recent call last):
    rentcal.errors.InvalidRequest: month '2030-13' is not a month (YYYY-MM, like 2030-01)

    Raises:
        ArgumentTypeError: not a str.
        InvalidRequest: naming the value and the forms taken (``reason="format"``).
    """
    text = checks.text(value, name).strip()
    found = _PERIOD.fullmatch(text)
    year = int(found[1]) if found else 0
    month = int(found[2]) if found and found[2] else None
    wrong_month = not years if month is None else not 1 <= month <= 12
    if not found or year < 1 or wrong_month:
        forms = PERIOD_FORMS if years else MONTH_FORM
        raise InvalidRequest(
            f"{name} {quote(value)} is not {forms}",
            field=name,
            value=text[:40],
            reason="format",
        )
    if month is None:
        return Period(date(year, 1, 1), date(year, 12, 31), f"{year:04d}")
    return month_period(year, month)


def month_of(day: date) -> Period:
    """The month ``day`` is in."""
    return month_period(day.year, day.month)


@dataclass(frozen=True, slots=True)
class Charge:
    """One entry of the ledger of charges (append-only: a correction is a new entry).

    ``amount`` is signed: a debit (the member owes it) is positive, a credit
    negative. ``first_day``/``last_day`` are the days charged (a use) or the
    days booked (a late cancellation); ``days``, ``units`` and the rates are
    a use's parts. ``created_by``: who wrote it (None: the system).
    """

    id: int
    kind: ChargeKind
    member: str
    member_name: str
    rental_id: int | None
    machine: str | None
    machine_title: str | None
    charged_at: datetime
    charged_on: date
    first_day: date | None
    last_day: date | None
    days: int | None
    units: Decimal | None
    day_rate: Decimal | None
    unit_rate: Decimal | None
    minimum_charge: Decimal | None
    amount: Decimal
    reason: str | None
    created_by: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (dates ISO 8601, money and units as strings)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "member": self.member,
            "rental_id": self.rental_id,
            "machine": self.machine,
            "charged_on": self.charged_on.isoformat(),
            "charged_at": self.charged_at.isoformat(),
            "first_day": _iso(self.first_day),
            "last_day": _iso(self.last_day),
            "days": self.days,
            "units": _text(self.units),
            "day_rate": _text(self.day_rate),
            "unit_rate": _text(self.unit_rate),
            "minimum_charge": _text(self.minimum_charge),
            "amount": str(self.amount),
            "reason": self.reason,
            "created_by": self.created_by,
        }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _subtotal(charge: Charge) -> Decimal:
    """A use's days x day rate + units x unit rate, to the cent (before the minimum)."""
    used = (charge.day_rate or Decimal(0)) * (charge.days or 0)
    if charge.units is not None and charge.unit_rate is not None:
        used += charge.units * charge.unit_rate
    return used.quantize(CENT, rounding=ROUND_HALF_UP)


def units_text(units: Decimal) -> str:
    """``12.5`` for 12.500 (no trailing zeros, never an exponent)."""
    return f"{units.normalize():f}"


#: How a statement line names each kind.
KIND_WORDS = {
    ChargeKind.USE: "Use",
    ChargeKind.LATE_CANCELLATION: "Late cancellation",
    ChargeKind.CORRECTION: "Correction",
}


def _parts(charge: Charge, currency: str | None) -> str:
    """A use's sum in words (``3 days`` times ``€120.00`` plus ``12.5 units`` times
    ``€4.00``, with a multiplication sign), and the minimum when it raised the amount."""
    parts = [
        f"{plural(charge.days or 0, 'day')} × {format_money(charge.day_rate or CENT * 0, currency)}"
    ]
    if charge.units is not None and charge.unit_rate is not None:
        parts.append(
            f"{units_text(charge.units)} units × {format_money(charge.unit_rate, currency)}"
        )
    said = " + ".join(parts)
    if charge.minimum_charge is not None and charge.amount > _subtotal(charge):
        said += f", raised to the minimum of {format_money(charge.minimum_charge, currency)}"
    return said


def _what(charge: Charge) -> str | None:
    """``Tractor 6120 on Wed 9 - Fri 11 Jan 2030`` (an en dash; None: no machine nor days)."""
    what = charge.machine_title or charge.machine
    if charge.first_day is None or charge.last_day is None:
        return what
    days = span_words(charge.first_day, charge.last_day)
    return f"{what} on {days}" if what else days


def charge_words(charge: Charge, currency: str | None) -> str:
    """What a statement line says about ``charge`` (its amount and rental aside)."""
    what = _what(charge)
    said = _parts(charge, currency) if charge.kind is ChargeKind.USE else charge.reason or ""
    if what and said:
        return f"{what}: {said}"
    return what or said


def charged_message(charge: Charge, currency: str | None) -> str:
    """The member's notification of a new charge (and the e-mail's first line); the
    rental's number last, as in every notification."""
    money = format_money(abs(charge.amount), currency)
    about = "" if charge.rental_id is None else f" (rental {charge.rental_id})"
    what = _what(charge) or "a rental"
    if charge.kind is ChargeKind.USE:
        said = f"You were charged {money} for {what}: {_parts(charge, currency)}{about}"
    elif charge.kind is ChargeKind.LATE_CANCELLATION:
        said = (
            f"You were charged {money} for cancelling your booking of {what} late: "
            f"{charge.reason}{about}"
        )
    else:
        verb = "credited" if charge.amount < 0 else "charged"
        said = f"You were {verb} {money}: {charge.reason}{about}"
    return sentence(said)


@dataclass(frozen=True, slots=True)
class Statement:
    """A member's charges of one period, oldest first, and what they add up to."""

    member: str
    member_name: str
    period: Period
    currency: str | None
    charges: tuple[Charge, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the charges (credits subtract), exactly."""
        return sum((c.amount for c in self.charges), Decimal("0.00"))

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``rentcal statement --json`` and ``GET /api/statement``."""
        return {
            "member": self.member,
            "name": self.member_name,
            "period": self.period.label,
            "first_day": self.period.first.isoformat(),
            "last_day": self.period.last.isoformat(),
            "currency": self.currency,
            "charges": [c.as_dict() for c in self.charges],
            "total": str(self.total),
        }


@dataclass(frozen=True, slots=True)
class MemberTotal:
    """One member's total of a period (the treasurer's overview)."""

    member: str
    member_name: str
    count: int
    total: Decimal

    def as_dict(self) -> dict[str, object]:
        """The JSON shape."""
        return {
            "member": self.member,
            "name": self.member_name,
            "charges": self.count,
            "total": str(self.total),
        }


def totals_by_member(charges: Iterable[Charge]) -> list[MemberTotal]:
    """Each member's count and total of ``charges``, by handle."""
    found: dict[str, tuple[str, int, Decimal]] = {}
    for c in charges:
        name, count, total = found.get(c.member, (c.member_name, 0, Decimal("0.00")))
        found[c.member] = (name, count + 1, total + c.amount)
    return [MemberTotal(h, n, k, t) for h, (n, k, t) in sorted(found.items())]


def month_words(period: Period) -> str:
    """``Jan 2030`` (short, for tables)."""
    return f"{MONTHS[period.first.month - 1]} {period.first.year}"


__all__ = [
    "KIND_WORDS",
    "MONTH_FORM",
    "PERIOD_FORMS",
    "Charge",
    "MemberTotal",
    "Period",
    "Statement",
    "charge_words",
    "charged_message",
    "month_of",
    "month_period",
    "month_words",
    "parse_period",
    "totals_by_member",
    "units_text",
]
