"""``utilisation``: how busy each machine was, month by month (admins).

One read transaction of a fixed number of statements (:mod:`rentcal.db.sql.utilisation`:
the machines, their status changes, the window's rentals and maintenance),
however many machines and months; the counting is pure
(:func:`rentcal.core.utilisation.month_use`). Months are calendar months of
the organisation's time zone, and so are the days a rental was completed, a
block marked done, a machine added or retired.

Units used and charges come from the ledger of charges (a use charge carries
the units its meter counted): :func:`measures` reads them, by the month each
was charged in, as the statements do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.types import MachineStatus
from rentcal.core.utilisation import (
    NO_CHARGES,
    Days,
    MachineUse,
    UtilisationReport,
    month_end,
    month_use,
    months_ending,
    report,
    retired_ranges,
)
from rentcal.core.values import TimeZone
from rentcal.db.sql import utilisation as qu
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.org_zone import local_date

#: How many months a report may look back over (three years).
MAX_MONTHS = 36
#: The months a report covers by default: the year up to its month.
DEFAULT_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Measures:
    """What one machine's month adds to its days: the meter's units and the charges."""

    units_used: Decimal | None = None
    meter_unit: str | None = None
    charges: Decimal = NO_CHARGES


def measures(
    conn: Connection, machines: Sequence[qu.MachineRecord], months: Sequence[date]
) -> dict[tuple[int, date], Measures]:
    """Units used and charges per (machine id, first day of the month), read in ``conn``.

    Both come from the ledger of charges in ONE statement for the whole window:
    a rental's ``use`` charge carries the units its meter counted (check-in
    reading less check-out reading), and every charge naming a machine counts
    in the month it was charged in (the statement's period, so this report and
    the statements agree). A machine's month missing here has no units (None)
    and no charges (0.00); a machine with a meter shows 0 units for a month
    charged without any.
    """
    units_of = {m.id: m.meter_unit for m in machines}
    found: dict[tuple[int, date], Measures] = {}
    for mid, day, units, amount in qu.charges(conn, months[0], month_end(months[-1])):
        key = (mid, day.replace(day=1))
        was = found.get(key, Measures(meter_unit=units_of.get(mid)))
        used = was.units_used
        if units is not None:
            used = (used or Decimal(0)) + Decimal(units)
        elif used is None and was.meter_unit is not None:
            used = Decimal(0)
        found[key] = Measures(used, was.meter_unit, was.charges + Decimal(amount))
    return found


def _first_day(value: object) -> date | None:
    """``month`` checked: the first day of a month, or None (this month)."""
    month = checks.optional_day(value, "month")
    if month is not None and month.day != 1:
        raise InvalidRequest(
            f"month {month.isoformat()} is not the first day of a month "
            f"(give {month.replace(day=1).isoformat()} for that month)",
            field="month",
            value=month,
            reason="not-first-day",
        )
    return month


def _months(value: object) -> int:
    """``months`` checked: 1 to :data:`MAX_MONTHS`."""
    count = checks.positive_int(value, "months")
    if count > MAX_MONTHS:
        raise InvalidRequest(
            f"months {count} is more than {MAX_MONTHS}",
            field="months",
            value=count,
            reason="range",
        )
    return count


def _days(spans: Iterable[qu.Span], zone: TimeZone) -> dict[int, list[Days]]:
    """Each machine's day ranges; one that ended early ends on the day it ended
    (completed, marked done: that day counts, the days after it were free again)."""
    found: dict[int, list[Days]] = {}
    for span in spans:
        end = span.end
        if span.ended_at is not None:
            end = max(span.start, min(end, local_date(zone, span.ended_at)))
        found.setdefault(span.machine_id, []).append((span.start, end))
    return found


class Utilisation:
    """The utilisation report."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def utilisation(
        self,
        month: date | None = None,
        months: int = DEFAULT_MONTHS,
        acting: str | None = None,
        today: date | None = None,
    ) -> UtilisationReport:
        """How busy each machine was in ``month`` and the months before it (admins).

        ``month``: the first day of a month of the organisation's time zone
        (None: this month, from ``today``). ``months``: how many months the
        report covers, ending with ``month`` (1 to :data:`MAX_MONTHS`; default
        12: the last year). Per machine and month: maintenance, bookable and
        booked days, the share booked, units used and charges (see
        :mod:`rentcal.core.utilisation`); machines without a bookable day in
        any of the months are left out.

        Raises:
            PermissionDenied: ``acting`` is not an active admin.
            ArgumentTypeError: ``month`` or ``today`` not a date, ``months`` not an int.
            InvalidRequest: ``month`` not a month's first day, ``months`` out of range.
        """
        given = _first_day(month)
        count = _months(months)
        checks.optional_handle(acting, "acting", "acting member")
        day = checks.optional_day(today, "today")
        first = given or self.ctx.today(day).replace(day=1)
        window = months_ending(first, count)
        zone = self.ctx.timezone()

        def work(conn: Connection) -> UtilisationReport:
            self.ctx.admin(conn, acting, "see how busy the machines are")
            found = qu.machines(conn)
            changes = qu.status_changes(conn)
            start, end = window[0], month_end(first)
            booked = _days(qu.booked(conn, start, end), zone)
            down = _days(qu.down(conn, start, end), zone)
            extra = measures(conn, found, window)
            rows = [
                _machine_use(m, window, zone, booked, down, changes.get(m.id, ()), extra)
                for m in found
            ]
            currency = self.ctx.currency_in(conn)
            return report(first, window, rows, timezone=zone.name, currency=currency)

        return self.ctx.read(work)


def _machine_use(
    machine: qu.MachineRecord,
    window: Sequence[date],
    zone: TimeZone,
    booked: dict[int, list[Days]],
    down: dict[int, list[Days]],
    changes: Iterable[tuple[datetime, MachineStatus]],
    extra: dict[tuple[int, date], Measures],
) -> MachineUse:
    """One machine's months of ``window``."""
    retired = retired_ranges((local_date(zone, at), status) for at, status in changes)
    added = local_date(zone, machine.added_at)
    return MachineUse(
        machine.name,
        machine.title,
        machine.status,
        tuple(
            month_use(
                first,
                booked.get(machine.id, ()),
                down.get(machine.id, ()),
                added=added,
                retired=retired,
                **_given(extra.get((machine.id, first))),
            )
            for first in window
        ),
    )


def _given(found: Measures | None) -> dict[str, Any]:
    """:func:`month_use`'s keyword arguments of a machine's month's measures."""
    if found is None:
        return {}
    return {
        "units_used": found.units_used,
        "meter_unit": found.meter_unit,
        "charges": found.charges,
    }


__all__ = ["DEFAULT_MONTHS", "MAX_MONTHS", "Measures", "Utilisation", "measures"]
