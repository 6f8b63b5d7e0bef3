"""Prices: fixed at booking as days x daily price, in whole cents."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from rentcal.core.ranges import day_count
from rentcal.errors import InvalidRequest

CENT = Decimal("0.01")
#: Largest amount a Numeric(12, 2) column holds.
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(value: object, *, label: str = "daily price") -> Decimal:
    """A non-negative money amount with at most 2 decimal places.

    Accepts ``Decimal``, ``int`` and strings like ``"120.50"``; floats are
    refused because they cannot represent cents exactly.

    Raises:
        InvalidRequest: naming the value and why it was refused.
    """
    if isinstance(value, (bool, float)):
        raise InvalidRequest(f"{label} {value!r} must be a Decimal or a string like '120.50'")
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidRequest(f"{label} {value!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidRequest(f"{label} {value!r} is not a finite number")
    if amount < 0:
        raise InvalidRequest(f"{label} {value} is negative")
    if amount > MAX_AMOUNT:  # before quantize(), which overflows on 1e400
        raise InvalidRequest(f"{label} {value} is larger than {MAX_AMOUNT}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidRequest(f"{label} {value} has more than 2 decimal places")
    return abs(amount).quantize(CENT) if amount == 0 else amount.quantize(CENT)  # no "-0.00"


def rental_price(daily_price: Decimal, start: date, end: date) -> Decimal:
    """Days (inclusive) times the daily price, to the cent."""
    return (daily_price * day_count(start, end)).quantize(CENT, rounding=ROUND_HALF_UP)


__all__ = ["CENT", "MAX_AMOUNT", "parse_amount", "rental_price"]
