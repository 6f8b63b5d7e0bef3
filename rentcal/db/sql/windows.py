"""One machine's feed in a window, in O(log n) however long the machine's history.

The feeds' general finders (:func:`rentcal.db.sql.find_rentals`,
:func:`rentcal.db.sql.find_maintenance`) filter by ``start_date <= end AND
end_date >= start``, which no index bounds from below: SQLite answers it from
``ix_rental_status_end`` by reading every machine's open rentals ending after
the window's start (docs/performance.md). The hot case — one machine's
calendar, only what occupies it — is answered here by the seek of
``cal.check`` instead (:data:`rentcal.db.sql.CONFLICTS_STATEMENT`):

- blocking rows of a machine never overlap each other (SQLite's triggers and
  PostgreSQL's exclusion constraints refuse it, per table), so the rows meeting
  [start, end] are those starting inside it plus at most ONE starting before
  it: the latest, if it reaches the window's first day. Both reads go through
  the partial indexes ``ix_rental_blocking`` / ``ix_maintenance_blocking``.
- queued requests (pending, ``queued``; a ``queue`` machine's requests wait
  beside each other) block nothing, so no guard bounds them: they are read by
  ``ix_rental_machine`` (machine, status), i.e. among the machine's open
  rentals only, never its completed, cancelled or rejected history.

The rows, their order (start day, then id) and the values are exactly those
of the general finders for the same filters (tests/test_event_windows.py).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.values import Maintenance, Rental
from rentcal.db.guards import BLOCKING_RENTAL_SQL, maintenance_blocks, rental_blocks
from rentcal.db.sql.maintenance import MAINTENANCE_SELECT, maintenance
from rentcal.db.sql.overlap import blocking_ids, overlap_clause
from rentcal.db.sql.rentals import RENTAL_SELECT, rental
from rentcal.db.tables import maintenance_t, rental_t

_r = rental_t.c
_m = sa.bindparam("m", type_=sa.Integer)
_s = sa.bindparam("s", type_=sa.Date)
_e = sa.bindparam("e", type_=sa.Date)

#: Queued requests of machine :m (pending or approved, as the feeds' statuses are:
#: only pending ones are ever queued, but the database does not forbid an approved
#: one). No day bound here: SQLite would then read them through ix_rental_status_end,
#: every machine's open rentals; by (machine, status) it reads this machine's only.
_QUEUED_IDS = sa.select(_r.id).where(
    _r.machine_id == _m,
    sa.text(f"status IN ({BLOCKING_RENTAL_SQL}) AND queued"),  # rental_blocks' complement
)

#: The rentals of machine :m occupying or queued for [:s, :e], by start day then id.
#: THE overlap rule is applied once more to every row (the seek's rows meet it already).
MACHINE_WINDOW_RENTALS = RENTAL_SELECT.where(
    _r.id.in_(sa.union_all(blocking_ids(rental_t, rental_blocks()), _QUEUED_IDS)),
    overlap_clause(_r.start_date, _r.end_date, _s, _e),
).order_by(_r.start_date, _r.id)
#: The scheduled maintenance of machine :m meeting [:s, :e], by start day then id.
MACHINE_WINDOW_MAINTENANCE = MAINTENANCE_SELECT.where(
    maintenance_t.c.id.in_(blocking_ids(maintenance_t, maintenance_blocks()))
).order_by(maintenance_t.c.start_date, maintenance_t.c.id)


def machine_window_rentals(
    conn: Connection, machine_id: int, start: date, end: date
) -> list[Rental]:
    """Pending and approved rentals (queued ones included) of one machine meeting
    [start, end], by start day then id: what ``find_rentals`` returns for these
    filters, without reading the machine's history."""
    params = {"m": machine_id, "s": start, "e": end}
    return [rental(r) for r in conn.execute(MACHINE_WINDOW_RENTALS, params)]


def machine_window_maintenance(
    conn: Connection, machine_id: int, start: date, end: date
) -> list[Maintenance]:
    """Scheduled maintenance of one machine meeting [start, end], by start day then id:
    what ``find_maintenance`` returns for these filters, without reading the history."""
    params = {"m": machine_id, "s": start, "e": end}
    return [maintenance(r) for r in conn.execute(MACHINE_WINDOW_MAINTENANCE, params)]


__all__ = [
    "MACHINE_WINDOW_MAINTENANCE",
    "MACHINE_WINDOW_RENTALS",
    "machine_window_maintenance",
    "machine_window_rentals",
]
