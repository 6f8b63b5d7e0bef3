"""Turn the date expressions users type on the command line into dates.

Everything here is pure: the caller passes ``today`` in, so results never
depend on the clock and tests can pin it. General date syntax is left to
python-dateutil; only the tiny fixed grammars (``+3d``, ``YYYY-MM``, keywords,
weekday names) are matched here. dateutil is deliberately permissive, so its
answers are checked before being trusted:

* a date must spell out year, month and day -- dateutil silently fills gaps
  from a default (``Jan`` alone is "January 1st of some year");
* ``01/02/2030`` is refused: dateutil guesses month-first, half the world
  means day-first, and a wrong guess books the wrong week;
* two-digit years are refused: dateutil picks their century from the clock;
* a time of day, or a weekday contradicting the date, is refused rather than
  silently dropped.

Every failure is an :class:`~rentcal.errors.InvalidRequest` naming the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from dateutil.parser import parser, parserinfo
from dateutil.relativedelta import relativedelta

from rentcal.errors import InvalidRequest

__all__ = ["end_from_days", "parse_date", "parse_hours", "parse_month"]

_EXPECTED = "expected YYYY-MM-DD, today, tomorrow, +3d, +2w or a weekday name"
_TWO_DIGIT_YEAR = "write the year in full (use YYYY-MM-DD)"
_OUT_OF_RANGE = "the result is outside the supported range 0001-01-01 to 9999-12-31"

_MAX_ECHO = 40

_KEYWORD_OFFSETS = {"today": 0, "tomorrow": 1, "yesterday": -1}

# ``+3d``, ``-1w``, ``2m``: sign optional (default +), ASCII digits only.
_OFFSET_RE = re.compile(r"([+-]?)([0-9]+)([dwm])")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
# dateutil itself treats a leading run of 3+ digits as the year.
_YEAR_FIRST_RE = re.compile(r"\d{3}")

_WEEKDAY_NAMES = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_WEEKDAYS = {
    alias: index for index, name in enumerate(_WEEKDAY_NAMES) for alias in (name, name[:3])
}

# Two defaults differing in every field: a field dateutil had to fill in
# differs between the two results, a field the text spelled out does not.
# Both years are leap years and both months have 31 days, so filling in a
# year or month never turns a real date such as "Feb 29" or "31" into an error.
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0, 0)
_DEFAULT_B = datetime(2004, 3, 2, 1, 1, 1, 1)


def parse_date(text: str, today: date) -> date:
    """Parse one date expression relative to ``today``.

    Accepts ISO ``2030-01-15``; ``today``/``tomorrow``/``yesterday``; offsets
    ``+3d``, ``2w``, ``-1m`` (months via relativedelta, so Jan 31 + 1m is the
    last day of February); a weekday name (``fri``, ``Friday``) meaning the next
    such day strictly after today, so a booking never lands on today by
    surprise; and other complete, unambiguous dates such as ``15 Jan 2030``.
    """
    value = text.strip()
    if not value:
        raise _invalid(value, "no date given; " + _EXPECTED)
    lowered = value.lower()

    if lowered in _KEYWORD_OFFSETS:
        return _shift(value, lambda: today + timedelta(days=_KEYWORD_OFFSETS[lowered]))

    offset = _OFFSET_RE.fullmatch(lowered)
    if offset is not None:
        return _apply_offset(value, today, *offset.groups())

    weekday = _WEEKDAYS.get(lowered)
    if weekday is not None:
        ahead = (weekday - today.weekday() - 1) % 7 + 1  # 1..7: strictly after today
        return _shift(value, lambda: today + timedelta(days=ahead))

    return _parse_absolute(value)


def parse_month(text: str, today: date) -> tuple[date, date]:
    """Parse ``YYYY-MM``, ``this`` or ``next`` into (first day, last day) of that month.

    Returning both ends lets callers query a month as an ordinary inclusive
    range without doing month arithmetic of their own.
    """
    value = text.strip()
    lowered = value.lower()
    try:
        if lowered == "this":
            first = today.replace(day=1)
        elif lowered == "next":
            first = _add_months(today.replace(day=1), 1)
        else:
            match = _MONTH_RE.fullmatch(value)
            if match is None:
                raise InvalidRequest(
                    f"invalid month {_quote(value)}: expected YYYY-MM, this or next"
                )
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12:
                raise InvalidRequest(f"invalid month {_quote(value)}: month must be in 1..12")
            first = date(year, month, 1)
        # relativedelta(day=31) clamps to the month's last day.
        last = _add_relative(first, relativedelta(day=31))
    except (ValueError, OverflowError) as exc:
        raise InvalidRequest(f"invalid month {_quote(value)}: {exc}") from exc
    return first, last


def end_from_days(start: date, days: int) -> date:
    """The last day of an inclusive range of ``days`` days beginning at ``start``.

    Ranges in rentcal include both ends, so ``days=1`` ends on ``start``;
    centralising the ``- 1`` keeps that off-by-one out of callers.
    """
    if days < 1:
        raise InvalidRequest(f"invalid number of days {days!r}: must be at least 1")
    try:
        return start + timedelta(days=days - 1)
    except OverflowError as exc:
        raise InvalidRequest(f"invalid number of days {days!r}: {_OUT_OF_RANGE}") from exc


# --------------------------------------------------------------------------
# helpers


def _quote(value: str) -> str:
    """The user's text in quotes, shortened so pasted junk cannot flood the terminal."""
    if len(value) > _MAX_ECHO:
        value = value[:_MAX_ECHO] + "..."
    return repr(value)


def _invalid(value: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"invalid date {_quote(value)}: {reason}")


def _shift(value: str, compute: Callable[[], date]) -> date:
    """Run date arithmetic, reporting overflow past year 1 or 9999 as a bad request."""
    try:
        return compute()
    except (OverflowError, ValueError) as exc:
        raise _invalid(value, _OUT_OF_RANGE) from exc


def _apply_offset(value: str, today: date, sign: str, digits: str, unit: str) -> date:
    def compute() -> date:
        amount = int(digits) * (-1 if sign == "-" else 1)  # ValueError past 4300 digits
        if unit == "m":
            return _add_months(today, amount)
        return today + timedelta(days=amount * (7 if unit == "w" else 1))

    return _shift(value, compute)


def _add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic; a too-short target month clamps to its last day."""
    return _add_relative(day, relativedelta(months=months))


def _add_relative(day: date, delta: relativedelta) -> date:
    """``day + delta`` with its type pinned: dateutil ships no type hints."""
    result: date = day + delta
    return result


class _RefusedError(Exception):
    """Internal: why dateutil's answer was refused; becomes an InvalidRequest."""


class _StrictInfo(parserinfo):  # type: ignore[misc, unused-ignore]
    """parserinfo that records what dateutil would otherwise silently paper over.

    One instance per parse, so the recorded state never leaks between calls.
    """

    def __init__(self) -> None:
        super().__init__()
        self.weekdays_seen: list[int] = []
        self.two_digit_year = False

    def weekday(self, name: str) -> int | None:
        # dateutil ignores a weekday name whenever the day is given.
        found: int | None = super().weekday(name)
        if found is not None:
            self.weekdays_seen.append(found)
        return found

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        # The stock version maps "30" to 1930 or 2030 depending on the clock.
        if year < 100 and not century_specified:
            self.two_digit_year = True
        return year


def _dateutil_parse(value: str, default: datetime, *, dayfirst: bool = False) -> datetime:
    """One dateutil parse; raises ``_RefusedError`` with a reason instead of its mixed bag."""
    info = _StrictInfo()
    try:
        result: datetime = parser(info).parse(
            value, default=default, dayfirst=dayfirst, ignoretz=True
        )
    except (ValueError, ArithmeticError) as exc:
        # ParserError (a ValueError) wraps the real reason, e.g. "day is out
        # of range for month", as __cause__; OverflowError and
        # decimal.InvalidOperation escape dateutil on huge numbers.
        if info.two_digit_year:
            raise _RefusedError(_TWO_DIGIT_YEAR) from exc
        cause = exc.__cause__
        if isinstance(cause, ValueError) and str(cause):
            raise _RefusedError(str(cause)) from exc
        raise _RefusedError(_EXPECTED) from exc
    if info.two_digit_year:
        raise _RefusedError(_TWO_DIGIT_YEAR)
    for named in info.weekdays_seen:
        if named != result.weekday():
            actual = _WEEKDAY_NAMES[result.weekday()].title()
            raise _RefusedError(
                f"{result.date().isoformat()} is a {actual}, not a {_WEEKDAY_NAMES[named].title()}"
            )
    return result


def _parse_absolute(value: str) -> date:
    """A complete calendar date in any unambiguous form dateutil understands."""
    try:
        first = _dateutil_parse(value, _DEFAULT_A)
        second = _dateutil_parse(value, _DEFAULT_B)
    except _RefusedError as exc:
        raise _invalid(value, str(exc)) from exc

    if first.date() != second.date():
        raise _invalid(value, "a date needs an explicit year, month and day (use YYYY-MM-DD)")
    if any(
        getattr(first, field) == getattr(second, field)
        for field in ("hour", "minute", "second", "microsecond")
    ):
        raise _invalid(value, "expected a date without a time of day")

    # dayfirst only flips D/M/Y vs M/D/Y; for year-first text it would flip
    # YYYY-MM-DD to the YYYY-DD-MM nobody writes, so only ask when the year
    # does not come first.
    if _YEAR_FIRST_RE.match(value) is None:
        try:
            day_first = _dateutil_parse(value, _DEFAULT_A, dayfirst=True)
        except _RefusedError:
            day_first = first
        if day_first.date() != first.date():
            raise _invalid(
                value,
                f"ambiguous, it could be {first.date().isoformat()} or "
                f"{day_first.date().isoformat()}; use YYYY-MM-DD",
            )
    return first.date()


_HOURS = re.compile(r"\s*(\d{1,6})\s*([hd])\s*", re.IGNORECASE)


def parse_hours(text: str) -> int | None:
    """``48h`` -> 48, ``3d`` -> 72, ``never`` -> None: a request expiry in whole hours."""
    if text.strip().lower() == "never":
        return None
    found = _HOURS.fullmatch(text)
    if found is None:
        raise InvalidRequest(
            f"cannot read {text[:_MAX_ECHO]!r} as a duration: expected hours (48h), days (3d) "
            "or never",
            field="request_expiry",
            value=text[:_MAX_ECHO],
            reason="format",
        )
    number, unit = int(found.group(1)), found.group(2).lower()
    return number * (24 if unit == "d" else 1)
