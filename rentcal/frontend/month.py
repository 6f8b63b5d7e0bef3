"""Month arithmetic and layout shared by the two month grids (``rentcal calendar``, ``/``).

Both grids draw weeks from Monday and show what *occupies* a machine; the
terminal one marks the month's days only, the page also the days of the
neighbouring months that complete its first and last week. Both used to do
this arithmetic themselves; the page's copy failed at the end of the calendar
(December 9999's last week runs into year 10000). Here every function is
safe from 0001-01 to 9999-12: a day outside that range is ``None``.

>>> from datetime import date
>>> shift_month(date(2030, 12, 1), 1)
datetime.date(2031, 1, 1)
>>> month_weeks(date(9999, 12, 1))[-1][-1] is None
True
"""

import calendar
from datetime import date, timedelta

from rentcal.core.ranges import LAST_DAY, day_count
from rentcal.core.types import MaintenanceStatus, RentalStatus

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
#: Rental statuses that occupy a machine on a calendar (others are history).
OCCUPYING_RENTALS = frozenset({RentalStatus.PENDING, RentalStatus.APPROVED})
#: Maintenance statuses that occupy a machine on a calendar.
OCCUPYING_MAINTENANCE = frozenset({MaintenanceStatus.SCHEDULED})
#: The same, as (event type, status) pairs of the feeds' legend.
OCCUPYING = frozenset(
    {("rental", s.value) for s in OCCUPYING_RENTALS}
    | {("maintenance", s.value) for s in OCCUPYING_MAINTENANCE}
)
_FIRST_MONTH = date.min.year * 12
_LAST_MONTH = date.max.year * 12 + 11


def month_start(value: date) -> date:
    """The first day of ``value``'s month."""
    return value.replace(day=1)


def month_end(value: date) -> date:
    """The last day of ``value``'s month."""
    return value.replace(day=calendar.monthrange(value.year, value.month)[1])


def shift_month(first: date, months: int) -> date:
    """The first day of the month ``months`` away, kept within 0001-01..9999-12."""
    index = min(max(first.year * 12 + first.month - 1 + months, _FIRST_MONTH), _LAST_MONTH)
    return date(index // 12, index % 12 + 1, 1)


def month_key(first: date) -> str:
    """``2030-01``: the YYYY-MM of ``first`` (strftime drops the zeros of year 1)."""
    return f"{first.year:04d}-{first.month:02d}"


def month_title(first: date) -> str:
    """``January 2030``, in English whatever the locale; always 4 digits (``January 0001``)."""
    return f"{MONTH_NAMES[first.month - 1]} {first.year:04d}"


def days_of(first: date, last: date) -> list[date]:
    """Every day of [first, last]; safe up to 9999-12-31 (no step past the last day)."""
    return [first + timedelta(days=n) for n in range(day_count(first, last))]


def _day(ordinal: int) -> date | None:
    """The day of a proleptic ordinal, or None outside 0001-01-01..9999-12-31."""
    if date.min.toordinal() <= ordinal <= date.max.toordinal():
        return date.fromordinal(ordinal)
    return None


def month_weeks(first: date) -> list[list[date | None]]:
    """The weeks (Monday first) covering ``first``'s month, seven days each.

    Days of the neighbouring months complete the first and last week; a day
    beyond the calendar's ends is None.
    """
    start = month_start(first)
    monday = start.toordinal() - start.weekday()
    last = month_end(start).toordinal()
    count = (last - monday) // 7 + 1
    return [[_day(monday + 7 * week + n) for n in range(7)] for week in range(count)]


def occupied_window(first: date, last: date) -> tuple[date, date]:
    """The part of [first, last] anything can occupy: what a grid asks the library for.

    Nothing can occupy 9999-12-31 (feeds need the day after an end) and the
    library refuses a window ending there; the grid still shows that day, free.
    """
    return first, min(last, LAST_DAY)


def grid_window(first: date) -> tuple[date, date]:
    """The first and last real day the grid of ``first``'s month shows."""
    days = [d for week in month_weeks(first) for d in week if d is not None]
    return days[0], days[-1]


__all__ = [
    "MONTH_NAMES",
    "OCCUPYING",
    "OCCUPYING_MAINTENANCE",
    "OCCUPYING_RENTALS",
    "days_of",
    "grid_window",
    "month_end",
    "month_key",
    "month_start",
    "month_title",
    "month_weeks",
    "occupied_window",
    "shift_month",
]
