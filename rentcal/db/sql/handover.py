"""Statements for hand-overs: a machine's keepers, a rental's check-out / check-in, meters.

The rule "a rental that is out and not back" has ONE SQL spelling,
:func:`out_not_back_clause`, used by :func:`out_not_back` and by the
housekeeping reads (:mod:`.rentals`), which never complete such a rental.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.handover import Condition, Handover, HandoverKind, MeterReading, with_used
from rentcal.db.sql.common import insert_one
from rentcal.db.tables import machine_t, member_t
from rentcal.db.tables_handover import handover_t, machine_keeper_t, meter_reading_t

_h, _k, _m = handover_t.c, machine_keeper_t.c, meter_reading_t.c
_r = sa.bindparam("r", type_=sa.Integer)
_machine = sa.bindparam("m", type_=sa.Integer)
_member = sa.bindparam("p", type_=sa.Integer)


def _kind_of(rental_id: Any, kind: HandoverKind) -> sa.Exists:
    """Whether the rental ``rental_id`` (a column or a parameter) has a ``kind`` row."""
    return sa.exists().where(_h.rental_id == rental_id, _h.kind == kind.value)


def out_not_back_clause(rental_id: Any) -> sa.ColumnElement[bool]:
    """THE SQL test "checked out and not checked in" of the rental ``rental_id``."""
    return sa.and_(_kind_of(rental_id, HandoverKind.OUT), ~_kind_of(rental_id, HandoverKind.IN))


def not_handed_out_clause(rental_id: Any) -> sa.ColumnElement[bool]:
    """Neither checked out nor flagged as a no-show yet (what a no-show flag looks for)."""
    return ~sa.exists().where(
        _h.rental_id == rental_id,
        _h.kind.in_([HandoverKind.OUT.value, HandoverKind.NO_SHOW.value]),
    )


_OUT_NOT_BACK = sa.select(out_not_back_clause(_r))
_by = member_t.alias("by")
_HANDOVERS = (
    sa.select(
        _h.rental_id,
        _h.kind,
        _h.at,
        _by.c.handle,
        _h.reading,
        _h.unit,
        _h.condition,
        _h.late,
        _h.notes,
        _h.maintenance_id,
    )
    .select_from(handover_t.outerjoin(_by, _by.c.id == _h.by_id))
    .where(_h.rental_id == _r)
    .order_by(_h.id)
)
_KEEPERS = (
    sa.select(member_t.c.handle)
    .select_from(machine_keeper_t.join(member_t, member_t.c.id == _k.member_id))
    .where(_k.machine_id == _machine)
    .order_by(member_t.c.handle)
)
_ACTIVE_KEEPER_IDS = (
    sa.select(_k.member_id)
    .select_from(machine_keeper_t.join(member_t, member_t.c.id == _k.member_id))
    .where(_k.machine_id == _machine, member_t.c.deactivated_at.is_(None))
    .order_by(_k.member_id)
)
_IS_KEEPER = sa.select(sa.exists().where(_k.machine_id == _machine, _k.member_id == _member))
_REMOVE_KEEPER = sa.delete(machine_keeper_t).where(
    _k.machine_id == _machine, _k.member_id == _member
)
_LAST_READING = (
    sa.select(_m.reading)
    .where(_m.machine_id == _machine, _m.unit == sa.bindparam("u", type_=sa.String))
    .order_by(_m.id.desc())
    .limit(1)
)
_READINGS = (
    sa.select(machine_t.c.name, _m.reading, _m.unit, _m.at, _m.rental_id, _by.c.handle.label("by"))
    .select_from(
        meter_reading_t.join(machine_t, machine_t.c.id == _m.machine_id).outerjoin(
            _by, _by.c.id == _m.by_id
        )
    )
    .where(_m.machine_id == _machine)
    .order_by(_m.id)
)


# -- keepers ------------------------------------------------------------------------


def keepers(conn: Connection, machine_id: int) -> list[str]:
    """The handles of a machine's keepers, in order."""
    return [str(h) for h in conn.execute(_KEEPERS, {"m": machine_id}).scalars()]


def active_keeper_ids(conn: Connection, machine_id: int) -> list[int]:
    """The ids of a machine's keepers who are not deactivated (who hear of a no-show)."""
    return [int(i) for i in conn.execute(_ACTIVE_KEEPER_IDS, {"m": machine_id}).scalars()]


def is_keeper(conn: Connection, machine_id: int, member_id: int) -> bool:
    """Whether the member keeps (hands over) the machine."""
    return bool(conn.execute(_IS_KEEPER, {"m": machine_id, "p": member_id}).scalar())


def add_keeper(conn: Connection, machine_id: int, member_id: int, by_id: int, at: datetime) -> None:
    """Make the member a keeper of the machine (the caller checked they are not one)."""
    conn.execute(
        sa.insert(machine_keeper_t).values(
            machine_id=machine_id, member_id=member_id, added_by_id=by_id, added_at=at
        )
    )


def remove_keeper(conn: Connection, machine_id: int, member_id: int) -> bool:
    """The member keeps the machine no more; whether they did."""
    return conn.execute(_REMOVE_KEEPER, {"m": machine_id, "p": member_id}).rowcount > 0


# -- hand-overs ---------------------------------------------------------------------


def out_not_back(conn: Connection, rental_id: int) -> bool:
    """Whether the rental is checked out and not checked in: the machine is with its member."""
    return bool(conn.execute(_OUT_NOT_BACK, {"r": rental_id}).scalar())


def handovers(conn: Connection, rental_id: int) -> list[Handover]:
    """A rental's hand-overs, in the order they were recorded (its check-in with ``used``)."""
    return with_used(
        [
            Handover(
                int(rid),
                HandoverKind(kind),
                at,
                by,
                reading,
                unit,
                None if condition is None else Condition(condition),
                bool(late),
                notes,
                repair,
            )
            for rid, kind, at, by, reading, unit, condition, late, notes, repair in conn.execute(
                _HANDOVERS, {"r": rental_id}
            )
        ]
    )


def insert_handover(
    conn: Connection,
    *,
    rental_id: int,
    kind: HandoverKind,
    at: datetime,
    by_id: int | None,
    reading: Decimal | None = None,
    unit: str | None = None,
    condition: Condition | None = None,
    late: bool = False,
    notes: str | None = None,
    maintenance_id: int | None = None,
) -> int:
    """One hand-over row; the database refuses a second one of the same kind (UNIQUE)."""
    values: dict[str, object] = {
        "rental_id": rental_id,
        "kind": kind.value,
        "at": at,
        "by_id": by_id,
        "reading": reading,
        "unit": unit,
        "condition": None if condition is None else condition.value,
        "late": late,
        "notes": notes,
        "maintenance_id": maintenance_id,
    }
    return insert_one(conn, handover_t, values)


# -- meter readings -----------------------------------------------------------------


def last_reading(conn: Connection, machine_id: int, unit: str) -> Decimal | None:
    """The latest reading of the machine's meter in ``unit``, or None."""
    value = conn.execute(_LAST_READING, {"m": machine_id, "u": unit}).scalar()
    return None if value is None else Decimal(value)


def readings(conn: Connection, machine_id: int) -> list[MeterReading]:
    """Every reading of the machine's meter, oldest first."""
    return [
        MeterReading(name, Decimal(reading), unit, at, rental_id, by)
        for name, reading, unit, at, rental_id, by in conn.execute(_READINGS, {"m": machine_id})
    ]


def add_reading(
    conn: Connection,
    *,
    machine_id: int,
    reading: Decimal,
    unit: str,
    at: datetime,
    rental_id: int | None,
    by_id: int | None,
) -> None:
    """One reading of a machine's meter."""
    insert_one(
        conn,
        meter_reading_t,
        {
            "machine_id": machine_id,
            "reading": reading,
            "unit": unit,
            "at": at,
            "rental_id": rental_id,
            "by_id": by_id,
        },
    )


__all__ = [
    "active_keeper_ids",
    "add_keeper",
    "add_reading",
    "handovers",
    "insert_handover",
    "is_keeper",
    "keepers",
    "last_reading",
    "not_handed_out_clause",
    "out_not_back",
    "out_not_back_clause",
    "readings",
    "remove_keeper",
]
