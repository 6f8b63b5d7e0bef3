"""Prices: fixed at booking as days x daily price, in whole cents."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from rentcal.core.ranges import day_count
from rentcal.core.wording import plural, quote, shorten
from rentcal.errors import InvalidRequest

CENT = Decimal("0.01")
#: Largest amount a Numeric(12, 2) column holds: the limit for a daily price and
#: for a rental's price (days x daily price), on every backend.
MAX_AMOUNT = Decimal("9999999999.99")
MAX_AMOUNT_TEXT = f"{MAX_AMOUNT:,}"


def parse_amount(value: object, *, label: str = "daily price") -> Decimal:
    """A non-negative money amount with at most 2 decimal places.

    Accepts ``Decimal``, ``int`` and strings like ``"120.50"``; floats are
    refused because they cannot represent cents exactly.

    Raises:
        InvalidRequest: naming the value and why it was refused.
    """
    shown = quote(value)
    if isinstance(value, (bool, float)):
        raise InvalidRequest(f"{label} {shown} must be a Decimal or a string like '120.50'")
    if isinstance(value, str) and (not value.isascii() or "_" in value):
        # Decimal() also reads '1_000' and Arabic-Indic digits: not money anyone types.
        raise InvalidRequest(f"{label} {shown} is not a number (write it like 120 or 15.50)")
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidRequest(f"{label} {shown} is not a number") from None
    if not amount.is_finite():
        raise InvalidRequest(f"{label} {shown} is not a finite number")
    number = shorten(str(value).strip())  # a number: shown as typed, not quoted
    if amount < 0:
        raise InvalidRequest(f"{label} {number} is negative")
    if amount > MAX_AMOUNT:  # before quantize(), which overflows on 1e400
        raise InvalidRequest(f"{label} {number} is larger than {MAX_AMOUNT_TEXT}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidRequest(f"{label} {number} has more than 2 decimal places")
    return abs(amount).quantize(CENT) if amount == 0 else amount.quantize(CENT)  # no "-0.00"


def rental_price(daily_price: Decimal, start: date, end: date) -> Decimal:
    """Days (inclusive) times the daily price, to the cent.

    Raises:
        InvalidRequest: the price would be above :data:`MAX_AMOUNT`, the most a
            ``NUMERIC(12, 2)`` column holds exactly on every backend (refused
            before anything is written, rather than overflowing on PostgreSQL
            or losing cents on SQLite).
    """
    days = day_count(start, end)
    price = daily_price * days
    if price > MAX_AMOUNT:
        raise InvalidRequest(
            f"the price of {plural(days, 'day')} at {daily_price} a day would be {price:,}, "
            f"more than the largest amount rentcal stores ({MAX_AMOUNT_TEXT}); "
            "book fewer days"
        )
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


__all__ = ["CENT", "MAX_AMOUNT", "MAX_AMOUNT_TEXT", "parse_amount", "rental_price"]
