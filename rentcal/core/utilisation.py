"""How busy each machine is: booked days over bookable days, month by month (pure).

The figures of one machine in one month (:class:`MonthUse`), from day ranges
the service reads (:mod:`rentcal.service.utilisation`):

- **maintenance days**: days of the month under a scheduled or done
  maintenance block. They are neither bookable nor booked, even where a
  rental's days meet them: the machine was out of service.
- **booked days**: days with an approved or completed rental, each day counted
  once however many rentals meet it (a rental completed early frees its
  remaining days, which another may then book), maintenance days excluded.
- **bookable days**: the month's days, minus maintenance days, minus the days
  the machine was out of service: before it was added to rentcal, and after it
  was retired until it was reactivated. Days booked are always bookable (an
  approved rental that stands after a retirement was still used), and a month
  in which the machine was booked before the day it was added (history
  imported from elsewhere) counts whole: rentcal cannot know when it arrived.
- **share**: booked / bookable, None when nothing was bookable.

So ``days == maintenance_days + out_of_service_days + bookable_days`` and
``booked_days <= bookable_days`` always.

``units_used``/``meter_unit`` (what the machine's meter counted) and
``charges`` (what its rentals were charged) are carried as given: the service
fills them from the hand-over readings and the ledger of charges.

Examples:

    >>> jan, booked = date(2030, 1, 1), [(date(2030, 1, 5), date(2030, 1, 7))]
    >>> use = month_use(jan, booked, [(date(2030, 1, 30), date(2030, 2, 2))])
    >>> use.days, use.maintenance_days, use.bookable_days, use.booked_days, use.share
    (31, 2, 29, 3, 0.1034)
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from rentcal.core.types import MachineStatus

#: An inclusive range of whole days: (first day, last day).
Days = tuple[date, date]
#: The charges of a month without any: two places, like every amount.
NO_CHARGES = Decimal("0.00")
#: Places of a share in JSON and the values (0.4138: 41.38 %).
SHARE_PLACES = 4

_ONE_DAY = timedelta(days=1)


def month_end(first: date) -> date:
    """The last day of ``first``'s month."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_key(first: date) -> str:
    """``2030-01``: how JSON and the front ends name a month."""
    return f"{first.year:04d}-{first.month:02d}"


def months_ending(last: date, count: int) -> tuple[date, ...]:
    """The first days of the ``count`` months ending with ``last``'s, oldest first
    (fewer when they would begin before year 1).

    >>> [month_key(m) for m in months_ending(date(2030, 2, 1), 3)]
    ['2029-12', '2030-01', '2030-02']
    """
    index = last.year * 12 + last.month - 1
    first_index = max(index - count + 1, 12)  # 12: January of year 1
    return tuple(date(i // 12, i % 12 + 1, 1) for i in range(first_index, index + 1))


def _days_in(ranges: Iterable[Days], first: date, last: date) -> set[int]:
    """The ordinals of the days of ``ranges`` inside [first, last]."""
    low, high = first.toordinal(), last.toordinal()
    found: set[int] = set()
    for start, end in ranges:
        found.update(range(max(start.toordinal(), low), min(end.toordinal(), high) + 1))
    return found


@dataclass(frozen=True, slots=True)
class MonthUse:
    """One machine's month (or every machine's, summed: then days are machine-days).

    See the module's docstring for what each count holds.
    """

    #: The first day of the month.
    month: date
    days: int
    maintenance_days: int
    out_of_service_days: int
    bookable_days: int
    booked_days: int
    #: What the machine's meter counted over the month's rentals (None: no meter, or
    #: not known); ``meter_unit`` names the unit ("h", "km").
    units_used: Decimal | None = None
    meter_unit: str | None = None
    #: What the month's rentals of the machine were charged (the ledger's entries).
    charges: Decimal = NO_CHARGES

    @property
    def share(self) -> float | None:
        """Booked days per bookable day, rounded to :data:`SHARE_PLACES`; None: none bookable."""
        if not self.bookable_days:
            return None
        return round(self.booked_days / self.bookable_days, SHARE_PLACES)

    @property
    def end(self) -> date:
        """The last day of the month."""
        return month_end(self.month)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a month's figures (``charges`` a two-place string)."""
        return {
            "month": month_key(self.month),
            "days": self.days,
            "maintenance_days": self.maintenance_days,
            "out_of_service_days": self.out_of_service_days,
            "bookable_days": self.bookable_days,
            "booked_days": self.booked_days,
            "share": self.share,
            "units_used": None if self.units_used is None else str(self.units_used),
            "meter_unit": self.meter_unit,
            "charges": str(self.charges),
        }


def month_use(
    month: date,
    booked: Iterable[Days],
    maintenance: Iterable[Days] = (),
    *,
    added: date | None = None,
    retired: Iterable[Days] = (),
    units_used: Decimal | None = None,
    meter_unit: str | None = None,
    charges: Decimal = NO_CHARGES,
) -> MonthUse:
    """The figures of one machine in ``month`` (its first day).

    ``booked``: the days of its approved and completed rentals; ``maintenance``:
    of its scheduled and done maintenance blocks (any ranges: clipped to the
    month here). ``added``: the day it was added to rentcal (None: not known);
    ``retired``: the day ranges it was retired. The last three are passed
    through.
    """
    first, last = month, month_end(month)
    every = set(range(first.toordinal(), last.toordinal() + 1))
    down = _days_in(maintenance, first, last)
    used = _days_in(booked, first, last) - down
    away = _days_in(retired, first, last)
    if added is not None and added > first:
        before = set(range(first.toordinal(), min(added, last + _ONE_DAY).toordinal()))
        if not used & before:  # booked before it was added: imported history, the whole month
            away |= before
    bookable = (every - down - away) | used
    return MonthUse(
        month=first,
        days=len(every),
        maintenance_days=len(down),
        out_of_service_days=len(every) - len(down) - len(bookable),
        bookable_days=len(bookable),
        booked_days=len(used),
        units_used=units_used,
        meter_unit=meter_unit,
        charges=charges,
    )


def retired_ranges(changes: Iterable[tuple[date, MachineStatus]]) -> list[Days]:
    """The day ranges a machine was retired, from its status changes oldest first:
    (the day of the change, the new status). Retired on day D: not bookable from
    D + 1 (D itself could still be booked); reactivated on day E: bookable from E.
    A reactivation without a recorded retirement before it (a database from
    before retirements were recorded) is ignored: when it was retired is not known.

    >>> retired_ranges([(date(2030, 1, 10), MachineStatus.RETIRED)])
    [(datetime.date(2030, 1, 11), datetime.date(9999, 12, 31))]
    """
    found: list[Days] = []
    since: date | None = None
    for day, status in changes:
        if status is MachineStatus.RETIRED and since is None:
            since = day + _ONE_DAY if day < date.max else day
        elif status is MachineStatus.ACTIVE and since is not None:
            if day - _ONE_DAY >= since:
                found.append((since, day - _ONE_DAY))
            since = None
    if since is not None:
        found.append((since, date.max))
    return found


@dataclass(frozen=True, slots=True)
class MachineUse:
    """One machine's months, oldest first; the last is the report's month."""

    machine: str
    title: str
    status: MachineStatus
    months: tuple[MonthUse, ...]

    @property
    def current(self) -> MonthUse:
        """The report's month."""
        return self.months[-1]

    def as_dict(self) -> dict[str, object]:
        """The report month's figures, and every month's under ``months``."""
        head = {"machine": self.machine, "title": self.title, "status": self.status.value}
        current = self.current.as_dict()
        del current["month"]
        return {**head, **current, "months": [m.as_dict() for m in self.months]}


def total(months: Sequence[MonthUse], month: date) -> MonthUse:
    """Every machine's figures of one month summed (units: None, they differ by machine)."""
    return MonthUse(
        month=month,
        days=sum(m.days for m in months),
        maintenance_days=sum(m.maintenance_days for m in months),
        out_of_service_days=sum(m.out_of_service_days for m in months),
        bookable_days=sum(m.bookable_days for m in months),
        booked_days=sum(m.booked_days for m in months),
        charges=sum((m.charges for m in months), NO_CHARGES),
    )


@dataclass(frozen=True, slots=True)
class UtilisationReport:
    """``Rentcal.utilisation``: how busy each machine was in a month, and in the months
    before it.

    ``machines`` by name: those with a bookable day in one of the months;
    ``totals``: every machine's figures summed, one per month (machine-days).
    ``timezone``: the organisation's zone the months are read in;
    ``currency``: the one the charges are worded in (None: none set).
    """

    month: date
    months: tuple[date, ...]
    timezone: str
    currency: str | None
    machines: tuple[MachineUse, ...]
    totals: tuple[MonthUse, ...] = field(default=())

    @property
    def total(self) -> MonthUse:
        """Every machine's figures of the report's month."""
        return self.totals[-1]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``rentcal report utilisation --json`` and the API."""
        summed = self.total.as_dict()
        for key in ("month", "units_used", "meter_unit"):
            del summed[key]
        return {
            "month": month_key(self.month),
            "start": self.month.isoformat(),
            "end": month_end(self.month).isoformat(),
            "timezone": self.timezone,
            "currency": self.currency,
            "months": [month_key(m) for m in self.months],
            "machines": [m.as_dict() for m in self.machines],
            "total": {
                **summed,
                "months": [_without_units(t.as_dict()) for t in self.totals],
            },
        }


def _without_units(shape: dict[str, object]) -> dict[str, object]:
    shape.pop("units_used")
    shape.pop("meter_unit")
    return shape


def report(
    month: date,
    months: tuple[date, ...],
    machines: Sequence[MachineUse],
    *,
    timezone: str,
    currency: str | None,
) -> UtilisationReport:
    """The report of ``machines`` (each with one :class:`MonthUse` per month of
    ``months``), keeping those with a bookable day, and the totals per month."""
    kept = tuple(m for m in machines if any(u.bookable_days for u in m.months))
    totals = tuple(total([m.months[i] for m in kept], first) for i, first in enumerate(months))
    return UtilisationReport(month, months, timezone, currency, kept, totals)


__all__ = [
    "NO_CHARGES",
    "SHARE_PLACES",
    "Days",
    "MachineUse",
    "MonthUse",
    "UtilisationReport",
    "month_end",
    "month_key",
    "month_use",
    "months_ending",
    "report",
    "retired_ranges",
    "total",
]
