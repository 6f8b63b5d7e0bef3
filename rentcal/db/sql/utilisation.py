"""The utilisation report's reads: four statements however many machines and months.

:func:`rentcal.core.utilisation.month_use` counts days; these statements read
what it counts from, for every machine at once, over the report's window (its
first month's first day to its last month's last day):

- :data:`MACHINES`: every machine, retired ones too (they may have been busy
  in the window), with the day it was added;
- :data:`STATUS_CHANGES`: the machines' recorded retirements and
  reactivations (the change log; admins' edits, a short table);
- :data:`RENTALS`: approved and completed rentals meeting the window, and when a
  completed one was completed (an early completion frees its remaining days);
- :data:`MAINTENANCE`: scheduled and done maintenance meeting the window, and
  when a done block was last changed (marked done: nothing changes a done one).

Bounded like every window read (docs/performance.md): :data:`RENTALS` seeks
``ix_rental_status_end`` (status, end_date) from the window's first day, once
per status, so no rental that ended before the window is read, however long the
history. The usual lower bound on the start day (``cal.check``'s seek of the
one blocking rental before the window) cannot serve here: completed rentals
block nothing, so nothing keeps them from overlapping. What the seek reads past
the window is bounded too: completed rentals ending between the window and
today, and approved ones (they end within the booking horizon). Maintenance
has no index by day across machines; its blocks are few (one per service, not
per day), so :data:`MAINTENANCE` filters them as it reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.types import MachineStatus, MaintenanceStatus, RentalStatus
from rentcal.db.sql.overlap import overlap_clause
from rentcal.db.tables import change_log_t, history_t, machine_t, maintenance_t, rental_t
from rentcal.db.tables_billing import charge_t

#: Rentals that count as booked: approved (to come, or ended and not yet completed
#: by housekeeping) and completed (it took place). Not pending, rejected (expired
#: requests included) or cancelled.
BOOKED_STATUSES = (RentalStatus.APPROVED, RentalStatus.COMPLETED)
#: Maintenance that takes a machine out of service: scheduled, or done (not cancelled).
DOWN_STATUSES = (MaintenanceStatus.SCHEDULED, MaintenanceStatus.DONE)

_s = sa.bindparam("s", type_=sa.Date)
_e = sa.bindparam("e", type_=sa.Date)
_r, _h, _x, _c = rental_t.c, history_t.c, maintenance_t.c, change_log_t.c

MACHINES = sa.select(
    machine_t.c.id,
    machine_t.c.name,
    machine_t.c.title,
    machine_t.c.status,
    machine_t.c.created_at,
    machine_t.c.meter_unit,
).order_by(machine_t.c.name)

STATUS_CHANGES = (
    sa.select(_c.entity_id, _c.changed_at, _c.new_value)
    .where(_c.entity == "machine", _c.field == "status")
    .order_by(_c.id)
)

#: When a rental was completed: its (one) history row to ``completed``, by rental_id.
_COMPLETED_AT = (
    sa.select(sa.func.max(_h.changed_at))
    .where(_h.rental_id == _r.id, _h.to_status == RentalStatus.COMPLETED.value)
    .scalar_subquery()
)
RENTALS = sa.select(
    _r.machine_id, _r.start_date, _r.end_date, _r.status, _COMPLETED_AT.label("completed_at")
).where(
    _r.status.in_([s.value for s in BOOKED_STATUSES]),
    overlap_clause(_r.start_date, _r.end_date, _s, _e),
)

MAINTENANCE = sa.select(_x.machine_id, _x.start_date, _x.end_date, _x.status, _x.updated_at).where(
    _x.status.in_([s.value for s in DOWN_STATUSES]),
    overlap_clause(_x.start_date, _x.end_date, _s, _e),
)


@dataclass(frozen=True, slots=True)
class MachineRecord:
    """A machine as the report names it."""

    id: int
    name: str
    title: str
    status: MachineStatus
    added_at: datetime
    #: The unit of its meter (``hours``, ``km``, ...); None: it has none.
    meter_unit: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """Days of one machine: a rental's or a maintenance block's, and when it ended
    early (``ended_at``: a rental's completion, a done block's last change; else None)."""

    machine_id: int
    start: date
    end: date
    ended_at: datetime | None


def machines(conn: Connection) -> list[MachineRecord]:
    """Every machine by name, retired ones too."""
    return [
        MachineRecord(mid, name, title, MachineStatus(status), added, unit)
        for mid, name, title, status, added, unit in conn.execute(MACHINES)
    ]


def status_changes(conn: Connection) -> dict[int, list[tuple[datetime, MachineStatus]]]:
    """Each machine's recorded status changes, oldest first: (when, the new status)."""
    found: dict[int, list[tuple[datetime, MachineStatus]]] = {}
    for machine_id, at, new in conn.execute(STATUS_CHANGES):
        if new in (MachineStatus.ACTIVE.value, MachineStatus.RETIRED.value):
            found.setdefault(machine_id, []).append((at, MachineStatus(new)))
    return found


def _spans(rows: Iterable[Any], ended: str) -> list[Span]:
    return [
        Span(machine_id, start, end, at if str(status) == ended else None)
        for machine_id, start, end, status, at in rows
    ]


def booked(conn: Connection, start: date, end: date) -> list[Span]:
    """Approved and completed rentals meeting [start, end] (``ended_at``: when completed)."""
    return _spans(conn.execute(RENTALS, {"s": start, "e": end}), RentalStatus.COMPLETED.value)


def down(conn: Connection, start: date, end: date) -> list[Span]:
    """Scheduled and done maintenance meeting [start, end] (``ended_at``: when marked done)."""
    rows = conn.execute(MAINTENANCE, {"s": start, "e": end})
    return _spans(rows, MaintenanceStatus.DONE.value)


__all__ = [
    "BOOKED_STATUSES",
    "DOWN_STATUSES",
    "MACHINES",
    "MAINTENANCE",
    "RENTALS",
    "STATUS_CHANGES",
    "MachineRecord",
    "Span",
    "booked",
    "down",
    "machines",
    "status_changes",
]


#: The ledger's entries of the window that name a machine (uses, late cancellations,
#: corrections of a rental), by the day they were charged: ``ix_charge_day``.
CHARGES = sa.select(
    charge_t.c.machine_id, charge_t.c.charged_on, charge_t.c.units, charge_t.c.amount
).where(
    charge_t.c.machine_id.is_not(None),
    charge_t.c.charged_on >= sa.bindparam("first", type_=sa.Date),
    charge_t.c.charged_on <= sa.bindparam("last", type_=sa.Date),
)


def charges(
    conn: Connection, first: date, last: date
) -> list[tuple[int, date, Decimal | None, Decimal]]:
    """Each machine's charges charged from ``first`` to ``last``: (machine id, the day,
    units used or None, amount). Summed in Python: money never adds up as REAL."""
    return [
        (int(mid), day, units, amount)
        for mid, day, units, amount in conn.execute(CHARGES, {"first": first, "last": last})
    ]
