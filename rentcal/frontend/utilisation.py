"""The utilisation report in both front ends' words: which month is meant, and how
its figures read (``rentcal report utilisation``, the admin page, the API).

The figures are :class:`rentcal.core.utilisation.UtilisationReport`'s; this
module only reads a month from what a person typed and words numbers: a share
as ``41.4 %``, units as ``12.5 h``, charges in the organisation's currency.
"""

import re
from datetime import date

from rentcal.core.money import format_money
from rentcal.core.utilisation import MonthUse
from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest
from rentcal.frontend.month import month_start, shift_month

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
#: Words for a month relative to today's.
RELATIVE = {"this": 0, "last": -1, "next": 1}
#: What a month is written as, for the messages.
EXPECTED = "expected YYYY-MM, this, last or next"


def parse_month(text: str, today: date, label: str = "month") -> date:
    """The first day of the month ``text`` names: ``YYYY-MM`` (0001-01 to 9999-12),
    or ``this``, ``last`` or ``next`` (today's month, the one before or after it).

    Raises:
        InvalidRequest: naming ``label`` (the option or field) and the value,
            ``field="month"``, ``reason="not-a-month"``.

    >>> parse_month("2030-02", date(2031, 5, 9)), parse_month("last", date(2030, 1, 9))
    (datetime.date(2030, 2, 1), datetime.date(2029, 12, 1))
    """
    value = text.strip()
    shift = RELATIVE.get(value.lower())
    if shift is not None:
        return shift_month(month_start(today), shift)
    found = _MONTH.fullmatch(value)
    if found is not None and int(found[1]) >= 1 and 1 <= int(found[2]) <= 12:
        return date(int(found[1]), int(found[2]), 1)
    raise InvalidRequest(
        f"{label} {quote(value)}: not a month ({EXPECTED})",
        field="month",
        value=value,
        reason="not-a-month",
    )


def share_text(share: float | None, none: str = "-") -> str:
    """``41.4 %`` (one place), or ``none`` when nothing was bookable.

    >>> share_text(0.41379), share_text(1.0), share_text(None)
    ('41.4 %', '100.0 %', '-')
    """
    return none if share is None else f"{share * 100:.1f} %"


def units_text(use: MonthUse, none: str = "-") -> str:
    """``12.5 h``: the units the meter counted and its unit, or ``none`` (no meter).

    >>> from decimal import Decimal
    >>> units_text(MonthUse(date(2030, 1, 1), 31, 0, 0, 31, 3, Decimal("12.50"), "h"))
    '12.5 h'
    """
    if use.units_used is None:
        return none
    amount = f"{use.units_used.normalize():f}"
    return f"{amount} {use.meter_unit}" if use.meter_unit else amount


def charges_text(use: MonthUse, currency: str | None) -> str:
    """What the month's rentals were charged, in the organisation's currency."""
    return format_money(use.charges, currency)


__all__ = ["EXPECTED", "RELATIVE", "charges_text", "parse_month", "share_text", "units_text"]
