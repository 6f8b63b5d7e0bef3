"""Statements for rentals: the joined rental select, finders, housekeeping reads, writes.

:data:`RENTAL_SELECT` lists its columns in the order of the
:class:`rentcal.core.values.Rental` fields, so rows unpack straight into values
(feeds turn 100,000 rows into values; see docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.db.rows import NewHistory, NewRental
from rentcal.db.sql.common import insert_one
from rentcal.db.sql.handover import not_handed_out_clause, out_not_back_clause
from rentcal.db.sql.overlap import narrowed, overlap_clause
from rentcal.db.tables import history_t, machine_t, member_t, rental_t

_changer = member_t.alias("changer")
_r = rental_t.c
# Columns in the order of the Rental value's fields: rows unpack straight into it.
RENTAL_SELECT = sa.select(
    _r.id,
    _r.uid,
    machine_t.c.name.label("machine_name"),
    machine_t.c.title.label("machine_title"),
    member_t.c.handle.label("member_handle"),
    member_t.c.name.label("member_name"),
    _r.start_date,
    _r.end_date,
    _r.status,
    _r.purpose,
    _r.price,
    _r.created_at,
    _r.updated_at,
    _r.sequence,
    _changer.c.handle.label("changer_handle"),
    _r.reason,
    _r.queued,
    _r.pay_by,
).select_from(
    rental_t.join(machine_t, machine_t.c.id == rental_t.c.machine_id)
    .join(member_t, member_t.c.id == rental_t.c.member_id)
    .outerjoin(_changer, _changer.c.id == rental_t.c.status_changed_by_id)
)
_RENTAL_BY_ID = RENTAL_SELECT.where(rental_t.c.id == sa.bindparam("r"))
_RENTAL_MACHINE = sa.select(rental_t.c.machine_id).where(rental_t.c.id == sa.bindparam("r"))
_RENTAL_OWNER = sa.select(rental_t.c.member_id).where(rental_t.c.id == sa.bindparam("r"))
_MAX_RENTAL_ID = sa.select(sa.func.max(rental_t.c.id))
_h = history_t.c
_HISTORY = (
    sa.select(_h.from_status, _h.to_status, _h.reason, _h.changed_at, member_t.c.handle.label("by"))
    .select_from(history_t.outerjoin(member_t, member_t.c.id == _h.changed_by_id))
    .where(_h.rental_id == sa.bindparam("r"))
    .order_by(_h.id)
)
_INSERT_HISTORY = sa.insert(history_t)
_INSERT_RENTALS = sa.insert(rental_t)

# -- housekeeping: what time has made stale (see rentcal.service.housekeeping) ----------
_today = sa.bindparam("today", type_=sa.Date)
_cutoff = sa.bindparam("cutoff", type_=rental_t.c.created_at.type)
_m = sa.bindparam("m", type_=sa.Integer)
_PENDING, _APPROVED = "pending", "approved"
#: An approved rental that has ended completes by itself, unless it is checked out and
#: not back (its check-in completes it): THE test, shared by the two reads below.
_ENDED = sa.and_(_r.status == _APPROVED, _r.end_date < _today, ~out_not_back_clause(_r.id))
#: Machines with a pending request whose first day has passed or an approved rental that
#: has ended; both seek ix_rental_status_end (status, end_date) / scan the few pending rows.
_STALE_MACHINES = sa.union(
    sa.select(_r.machine_id).where(_ENDED),
    sa.select(_r.machine_id).where(_r.status == _PENDING, _r.start_date < _today),
)
#: Whether one machine has a pending request made at or before :cutoff.
_OVERDUE = (
    sa.select(_r.id)
    .where(
        _r.machine_id == _m, _r.status == _PENDING, _r.created_at <= _cutoff, _r.pay_by.is_(None)
    )
    .limit(1)
)
#: A booking awaiting payment whose hold (``pay_by``) ended by :now: THE test, shared
#: with :mod:`rentcal.db.sql.online_payments`.
UNPAID = sa.and_(
    _r.status == _PENDING,
    _r.pay_by.is_not(None),
    _r.pay_by <= sa.bindparam("now", type_=rental_t.c.pay_by.type),
)
#: The stale rentals of one machine, in id order (the caller holds its lock), each with
#: whether it is an unpaid hold: one read for everything settling releases or ends.
_STALE_RENTALS = (
    RENTAL_SELECT.add_columns(sa.case((UNPAID, True), else_=False).label("unpaid"))
    .where(
        _r.machine_id == _m,
        sa.or_(
            sa.and_(
                _r.status == _PENDING,
                # a booking awaiting payment ends with its hold (UNPAID), not by age
                sa.or_(
                    _r.start_date < _today, sa.and_(_r.created_at <= _cutoff, _r.pay_by.is_(None))
                ),
            ),
            _ENDED,
            UNPAID,
        ),
    )
    .order_by(_r.id)
)
#: Approved rentals that began on or before :cutoff (a day) and were neither checked out
#: nor flagged yet: the no-shows, when the organisation flags them (by machine, or all).
_NO_SHOW = sa.and_(
    _r.status == _APPROVED,
    _r.start_date <= sa.bindparam("cutoff_day", type_=sa.Date),
    not_handed_out_clause(_r.id),
)
_NO_SHOW_MACHINES = sa.select(_r.machine_id).where(_NO_SHOW).distinct()
_NO_SHOWS = RENTAL_SELECT.where(_r.machine_id == _m, _NO_SHOW).order_by(_r.id)

#: Queued requests of one machine overlapping [:s, :e] (approving one rejects these).
_QUEUED_OVERLAPPING = RENTAL_SELECT.where(
    _r.machine_id == _m,
    _r.status == _PENDING,
    _r.queued.is_(True),
    overlap_clause(
        _r.start_date,
        _r.end_date,
        sa.bindparam("s", type_=sa.Date),
        sa.bindparam("e", type_=sa.Date),
    ),
).order_by(_r.id)


def rental(row: Any) -> Rental:
    """A Rental value from a :data:`RENTAL_SELECT` row.

    Positional: feeds turn 100,000 rows into values, and attribute lookups
    on Row objects were the largest cost (see docs/performance.md).
    """
    return Rental(*row)


# -- reads ---------------------------------------------------------------------------


def rental_machine_id(conn: Connection, rental_id: int) -> int | None:
    """The machine of a rental, or None when there is no such rental."""
    value = conn.execute(_RENTAL_MACHINE, {"r": rental_id}).scalar_one_or_none()
    return None if value is None else int(value)


def open_rental_machine_ids(conn: Connection, member_id: int) -> list[int]:
    """The machines holding a member's pending or approved rentals, by id."""
    c = rental_t.c
    query = (
        sa.select(c.machine_id)
        .where(
            c.member_id == member_id,
            c.status.in_([RentalStatus.PENDING, RentalStatus.APPROVED]),
        )
        .distinct()
        .order_by(c.machine_id)
    )
    return [int(v) for v in conn.execute(query).scalars()]


def rental_owner_id(conn: Connection, rental_id: int) -> int:
    """The member id a rental belongs to."""
    return int(conn.execute(_RENTAL_OWNER, {"r": rental_id}).scalar_one())


def rental_by_id(conn: Connection, rental_id: int) -> Rental | None:
    """One rental value, or None."""
    row = conn.execute(_RENTAL_BY_ID, {"r": rental_id}).first()
    return None if row is None else rental(row)


def stale_machine_ids(conn: Connection, today: date) -> set[int]:
    """Machines with a pending request past its first day or an approved rental ended."""
    return {int(m) for m in conn.execute(_STALE_MACHINES, {"today": today}).scalars()}


def has_overdue(conn: Connection, machine_id: int, cutoff: datetime) -> bool:
    """Whether a pending request of the machine was made at or before ``cutoff``."""
    return conn.execute(_OVERDUE, {"m": machine_id, "cutoff": cutoff}).first() is not None


def stale_rentals(
    conn: Connection, machine_id: int, today: date, cutoff: datetime | None, now: datetime
) -> list[tuple[Rental, bool]]:
    """Pending requests past their first day or made by ``cutoff``, bookings whose hold
    for payment ended by ``now`` (True beside them), and ended approved rentals, of one
    machine (``cutoff`` None: no expiry by age)."""
    params = {"m": machine_id, "today": today, "cutoff": cutoff, "now": now}
    return [(rental(r[:-1]), bool(r[-1])) for r in conn.execute(_STALE_RENTALS, params)]


def no_show_machine_ids(conn: Connection, cutoff: date) -> set[int]:
    """Machines with an approved rental begun by ``cutoff`` that nobody checked out
    (nor flagged yet)."""
    return {int(m) for m in conn.execute(_NO_SHOW_MACHINES, {"cutoff_day": cutoff}).scalars()}


def no_shows(conn: Connection, machine_id: int, cutoff: date) -> list[Rental]:
    """The rentals of one machine :func:`no_show_machine_ids` finds, by id."""
    params = {"m": machine_id, "cutoff_day": cutoff}
    return [rental(r) for r in conn.execute(_NO_SHOWS, params)]


def queued_overlapping(conn: Connection, machine_id: int, start: date, end: date) -> list[Rental]:
    """Queued (pending) requests of one machine overlapping [start, end], by id."""
    params = {"m": machine_id, "s": start, "e": end}
    return [rental(r) for r in conn.execute(_QUEUED_OVERLAPPING, params)]


def find_rentals(
    conn: Connection,
    *,
    machine_id: int | None,
    member_id: int | None,
    statuses: Sequence[Enum],
    start: date | None,
    end: date | None,
) -> list[Rental]:
    """Rentals matching every filter given, by start day then id."""
    query = RENTAL_SELECT
    if machine_id is not None:
        query = query.where(rental_t.c.machine_id == machine_id)
    if member_id is not None:
        query = query.where(rental_t.c.member_id == member_id)
    query = narrowed(query, rental_t, statuses, start, end)
    return [rental(r) for r in conn.execute(query)]


def history(conn: Connection, rental_id: int) -> list[dict[str, Any]]:
    """Every status change of a rental, oldest first."""
    return [
        {
            "from": r.from_status.value if r.from_status else None,
            "to": r.to_status.value,
            "by": r.by,
            "reason": r.reason,
            "at": r.changed_at,
        }
        for r in conn.execute(_HISTORY, {"r": rental_id})
    ]


def max_rental_id(conn: Connection) -> int:
    """The largest rental id so far (0 for none)."""
    return int(conn.execute(_MAX_RENTAL_ID).scalar() or 0)


# -- writes --------------------------------------------------------------------------


def queue_pending(conn: Connection, machine_id: int) -> int:
    """Put a machine's pending requests in its queue (they stop holding their days)."""
    c = rental_t.c
    done = conn.execute(
        sa.update(rental_t)
        .where(
            c.machine_id == machine_id,
            c.status == RentalStatus.PENDING,
            c.queued == sa.false(),
        )
        .values(queued=True)
    )
    return done.rowcount


def insert_rental(conn: Connection, **values: Unpack[NewRental]) -> int:
    """A new rental row; returns its id."""
    return insert_one(conn, rental_t, dict(values))


def insert_rentals(conn: Connection, rows: list[NewRental]) -> None:
    """Many rental rows in one executemany."""
    conn.execute(_INSERT_RENTALS, rows)


def add_history(conn: Connection, **values: Unpack[NewHistory]) -> None:
    """One status change of a rental."""
    conn.execute(_INSERT_HISTORY.values(dict(values)))


def add_import_history(conn: Connection, after_id: int, actor_id: int, now: datetime) -> None:
    """One 'imported' history row for every rental with an id above ``after_id``."""
    r = rental_t.c
    conn.execute(
        sa.insert(history_t).from_select(
            ["rental_id", "to_status", "changed_by_id", "reason", "changed_at"],
            sa.select(
                r.id,
                r.status,
                sa.literal(actor_id),
                sa.literal("imported"),
                sa.literal(now, type_=history_t.c.changed_at.type),
            ).where(r.id > after_id),
        )
    )


def update_rental(
    conn: Connection, rental_id: int, *, bump: bool = False, **values: object
) -> None:
    """Change columns of one rental; ``bump=True`` raises its SEQUENCE by one."""
    if bump:
        values["sequence"] = rental_t.c.sequence + 1
    conn.execute(sa.update(rental_t).where(rental_t.c.id == rental_id).values(values))


__all__ = [
    "RENTAL_SELECT",
    "UNPAID",
    "add_history",
    "add_import_history",
    "find_rentals",
    "has_overdue",
    "history",
    "insert_rental",
    "insert_rentals",
    "max_rental_id",
    "no_show_machine_ids",
    "no_shows",
    "open_rental_machine_ids",
    "queue_pending",
    "queued_overlapping",
    "rental",
    "rental_by_id",
    "rental_machine_id",
    "rental_owner_id",
    "stale_machine_ids",
    "stale_rentals",
    "update_rental",
]
