"""Inclusive whole-day date ranges and THE overlap rule.

A rental from ``start`` to ``end`` occupies both days: a one-day rental has
``start == end``. Two inclusive ranges overlap when
``a.start <= b.end and b.start <= a.end``; :func:`overlaps` is the only
Python spelling of that rule and ``rentcal.db.sql.overlap_clause`` the only SQL
one (a test proves they agree).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rentcal.errors import InvalidRequest

ONE_DAY = timedelta(days=1)
#: The last bookable day: feeds need the day after a rental's last day.
LAST_DAY = date.max - ONE_DAY


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Whether inclusive ranges [a_start, a_end] and [b_start, b_end] share a day."""
    return a_start <= b_end and b_start <= a_end


def day_count(start: date, end: date) -> int:
    """Number of days in the inclusive range (1 for a one-day range)."""
    return (end - start).days + 1


def iter_days(start: date, end: date) -> Iterator[date]:
    """Every day of the inclusive range, in order."""
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def validate_range(start: date, end: date, today: date | None = None) -> None:
    """Refuse a range that cannot be booked.

    ``today`` is injected: ``None`` skips the "in the past" rule (history
    imports), a date enforces it.

    Raises:
        InvalidRequest: non-dates, end before start, or start before today.
    """
    for label, value in (("start", start), ("end", end)):
        if isinstance(value, datetime):  # a date subclass, but not a whole day
            raise InvalidRequest(f"{label} date {value!r} is a datetime; pass a date")
        if not isinstance(value, date):
            raise InvalidRequest(f"{label} date {value!r} is not a date")
    if end < start:
        raise InvalidRequest(f"end date {end.isoformat()} is before start date {start.isoformat()}")
    if end > LAST_DAY:
        raise InvalidRequest(
            f"end date {end.isoformat()} is after the last bookable day {LAST_DAY.isoformat()}"
        )
    if today is not None and start < today:
        raise InvalidRequest(
            f"start date {start.isoformat()} is in the past (today is {today.isoformat()})"
        )


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of whole days; ``end`` is the last day, not the day after."""

    start: date
    end: date

    def __post_init__(self) -> None:
        validate_range(self.start, self.end)

    @property
    def days(self) -> int:
        """Length in days, counting both ends."""
        return day_count(self.start, self.end)

    def overlaps(self, other: DateRange) -> bool:
        """The overlap rule applied to two ranges."""
        return overlaps(self.start, self.end, other.start, other.end)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __iter__(self) -> Iterator[date]:
        return iter_days(self.start, self.end)


__all__ = ["ONE_DAY", "DateRange", "day_count", "iter_days", "overlaps", "validate_range"]
