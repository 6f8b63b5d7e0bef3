"""Statements for the ledger of charges: the rates fixed on a rental, inserts, reads.

Rows come back as :class:`rentcal.core.statements.Charge` values (columns in
the order of its fields). There is no UPDATE and no DELETE here: the ledger
is append-only, and the database's triggers refuse both anyway
(:mod:`rentcal.db.tables_billing`). Sums are the service's, in Decimal.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.statements import Charge
from rentcal.core.types import ChargeKind
from rentcal.db.rows import NewCharge, RentalRates
from rentcal.db.sql.common import insert_one
from rentcal.db.tables import machine_t, member_t, rental_t
from rentcal.db.tables_billing import charge_t

_c = charge_t.c
_creator = member_t.alias("creator")
# Columns in the order of the Charge value's fields.
CHARGE_SELECT = (
    sa.select(
        _c.id,
        _c.kind,
        member_t.c.handle,
        member_t.c.name,
        _c.rental_id,
        machine_t.c.name.label("machine_name"),
        machine_t.c.title.label("machine_title"),
        _c.charged_at,
        _c.charged_on,
        _c.first_day,
        _c.last_day,
        _c.days,
        _c.units,
        _c.day_rate,
        _c.unit_rate,
        _c.minimum_charge,
        _c.amount,
        _c.reason,
        _creator.c.handle.label("created_by"),
    )
    .select_from(
        charge_t.join(member_t, member_t.c.id == _c.member_id)
        .outerjoin(machine_t, machine_t.c.id == _c.machine_id)
        .outerjoin(_creator, _creator.c.id == _c.created_by_id)
    )
    .order_by(_c.charged_on, _c.id)
)
_first = sa.bindparam("first", type_=sa.Date)
_last = sa.bindparam("last", type_=sa.Date)
_BETWEEN = CHARGE_SELECT.where(_c.charged_on >= _first, _c.charged_on <= _last)
_OF_MEMBER = _BETWEEN.where(_c.member_id == sa.bindparam("m"))
_BY_ID = CHARGE_SELECT.where(_c.id == sa.bindparam("i"))
_OF_RENTAL = CHARGE_SELECT.where(_c.rental_id == sa.bindparam("r"))
_HAS = sa.select(_c.id).where(_c.rental_id == sa.bindparam("r"), _c.kind == sa.bindparam("k"))
_r = rental_t.c
_RATES = sa.select(*(_r[f] for f in RentalRates._fields)).where(_r.id == sa.bindparam("r"))


def charge(row: Any) -> Charge:
    """A Charge value from a :data:`CHARGE_SELECT` row."""
    values = list(row)
    values[1] = ChargeKind(values[1])
    return Charge(*values)


def rental_rates(conn: Connection, rental_id: int) -> RentalRates | None:
    """The days, price and rates fixed on a rental, or None."""
    row = conn.execute(_RATES, {"r": rental_id}).first()
    return None if row is None else RentalRates._make(row)


def has_charge(conn: Connection, rental_id: int, kind: ChargeKind) -> bool:
    """Whether the rental already has a charge of ``kind``."""
    return conn.execute(_HAS, {"r": rental_id, "k": kind.value}).first() is not None


def insert_charge(conn: Connection, **values: Unpack[NewCharge]) -> int:
    """A new entry of the ledger; its id."""
    return insert_one(conn, charge_t, dict(values))


def charge_by_id(conn: Connection, charge_id: int) -> Charge | None:
    """One charge, or None."""
    row = conn.execute(_BY_ID, {"i": charge_id}).first()
    return None if row is None else charge(row)


def charges_between(
    conn: Connection, first: date, last: date, member_id: int | None = None
) -> list[Charge]:
    """The charges charged on [first, last] (of one member), oldest first."""
    if member_id is None:
        rows = conn.execute(_BETWEEN, {"first": first, "last": last})
    else:
        rows = conn.execute(_OF_MEMBER, {"first": first, "last": last, "m": member_id})
    return [charge(r) for r in rows]


def rental_charges(conn: Connection, rental_id: int) -> list[Charge]:
    """Every charge about one rental, oldest first."""
    return [charge(r) for r in conn.execute(_OF_RENTAL, {"r": rental_id})]


__all__ = [
    "CHARGE_SELECT",
    "charge",
    "charge_by_id",
    "charges_between",
    "has_charge",
    "insert_charge",
    "rental_charges",
    "rental_rates",
]
