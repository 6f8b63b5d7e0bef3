"""THE rental limits: how long one rental may last and how far ahead it may end.

One typo (``9999-12-30`` for ``2027-12-30``) must not block a machine for
thousands of years, so every path that gives a rental its days (booking,
moving, importing) and every question "could I book this?" (check,
check_many, free_windows) applies :func:`check_rental_days` — the one place
the rule is spelled. Pure: ``today`` and the limits are passed in.

- ``max_days``: the longest rental, in days, counting both ends.
- ``horizon_days``: the last day of a rental may be at most this many days
  after today.

The defaults (:data:`DEFAULT_MAX_DAYS`, :data:`DEFAULT_HORIZON_DAYS`) hold
until an admin stores other values (``rentcal limits set``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rentcal.core import checks
from rentcal.errors import InvalidRequest

#: The longest rental by default: a quarter of a year, a term's project.
DEFAULT_MAX_DAYS = 90
#: How far ahead a rental may end by default: two years of planning.
DEFAULT_HORIZON_DAYS = 730
#: The largest value either limit may be set to: a hundred years is "no limit".
MAX_LIMIT_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class RentalLimits:
    """The organisation's rental limits and where they come from.

    ``source`` is ``"database"`` once an admin stored them (``changed_by`` /
    ``changed_at``: who stored the latest change and when), else
    ``"default"``.
    """

    max_days: int = DEFAULT_MAX_DAYS
    horizon_days: int = DEFAULT_HORIZON_DAYS
    source: str = "default"
    changed_by: str | None = None
    changed_at: datetime | None = None

    def last_day(self, today: date) -> date:
        """The last day a rental may end on, seen from ``today``."""
        try:
            return today + timedelta(days=self.horizon_days)
        except OverflowError:
            return date.max

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``rentcal limits show --json``."""
        return {
            "max_days": self.max_days,
            "horizon_days": self.horizon_days,
            "source": self.source,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


def check_rental_days(start: date, end: date, today: date, limits: RentalLimits) -> None:
    """Refuse days [start, end] that break the length or the horizon limit.

    Raises:
        InvalidRequest: ``field="end"``, ``reason="too-long"`` or
            ``"too-far-ahead"``, ``value`` the end date; the message names
            the range, its length and the limit.
    """
    span = f"{start.isoformat()}..{end.isoformat()}"
    days = (end - start).days + 1
    if days > limits.max_days:
        raise InvalidRequest(
            f"a rental may last at most {limits.max_days:,} days: {span} is {days:,} days",
            field="end",
            value=end,
            reason="too-long",
        )
    last = limits.last_day(today)
    if end > last:
        raise InvalidRequest(
            f"a rental may end at most {limits.horizon_days:,} days ahead "
            f"(on {last.isoformat()} at the latest, today being {today.isoformat()}): "
            f"{span} ends {(end - today).days:,} days ahead",
            field="end",
            value=end,
            reason="too-far-ahead",
        )


def bookable_part(
    first: date, last: date, min_days: int, today: date, limits: RentalLimits
) -> tuple[date, date]:
    """[first, last] clipped to the booking horizon, where free windows of at least
    ``min_days`` are looked for; refused if nothing of it is bookable (the same
    limits :func:`check_rental_days` holds a booking to)."""
    if min_days > limits.max_days:
        raise InvalidRequest(
            f"min_days {min_days:,} is more than the longest rental ({limits.max_days:,} days)",
            field="min_days",
            value=min_days,
            reason="too-long",
        )
    horizon = limits.last_day(today)
    if first > horizon:
        raise InvalidRequest(
            f"no day from {first.isoformat()} to {last.isoformat()} can be booked: a rental "
            f"may end at most {limits.horizon_days:,} days ahead (on {horizon.isoformat()} "
            "at the latest)",
            field="start",
            value=first,
            reason="too-far-ahead",
        )
    return first, min(last, horizon)


def check_limit(value: object, name: str) -> int:
    """A limit an admin sets: a whole number of days from 1 to :data:`MAX_LIMIT_DAYS`."""
    days = checks.positive_int(value, name, "a number of days")
    if days > MAX_LIMIT_DAYS:
        raise InvalidRequest(
            f"{name} {days:,} is more than {MAX_LIMIT_DAYS:,} days (a hundred years)",
            field=name,
            value=days,
            reason="range",
        )
    return days


__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "DEFAULT_MAX_DAYS",
    "MAX_LIMIT_DAYS",
    "RentalLimits",
    "bookable_part",
    "check_limit",
    "check_rental_days",
]
