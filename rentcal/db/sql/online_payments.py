"""Statements for card payments through Stripe Checkout (issue #23): sessions, the
events handled, and the holds of bookings awaiting payment (``rental.pay_by``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from rentcal.core.values import Rental
from rentcal.db.sql.common import insert_one
from rentcal.db.sql.rentals import RENTAL_SELECT, UNPAID, rental
from rentcal.db.tables import member_t, rental_t
from rentcal.db.tables_invoices import invoice_t
from rentcal.db.tables_online_payments import checkout_session_t, stripe_event_t

_c = checkout_session_t.c
_r = rental_t.c
#: A booking awaiting payment whose hold has ended: THE test (rentcal.db.sql.rentals).
_UNPAID = UNPAID
_UNPAID_MACHINES = sa.select(_r.machine_id).where(_UNPAID).distinct()
_UNPAID_RENTALS = RENTAL_SELECT.where(_r.machine_id == sa.bindparam("m"), _UNPAID).order_by(_r.id)
_SESSION = sa.select(
    checkout_session_t,
    member_t.c.handle.label("member"),
    invoice_t.c.number.label("invoice"),
).select_from(
    checkout_session_t.join(member_t, member_t.c.id == _c.member_id).outerjoin(
        invoice_t, invoice_t.c.id == _c.invoice_id
    )
)
_AWAITING = RENTAL_SELECT.where(
    _r.member_id == sa.bindparam("m"), _r.status == "pending", _r.pay_by.is_not(None)
)
_INSERTS: dict[str, sa.Insert] = {}


def _insert_event(dialect: str) -> sa.Insert:
    """INSERT of an event id that does nothing when it is there (the dialect's own words)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(stripe_event_t).on_conflict_do_nothing(index_elements=["id"])
        return pg.returning(stripe_event_t.c.id)
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(stripe_event_t).on_conflict_do_nothing(index_elements=["id"])
    return lite.returning(stripe_event_t.c.id)


def record_event(conn: Connection, event_id: str, kind: str, now: datetime) -> bool:
    """Remember a Stripe event; False when it was already handled (a replay).

    On PostgreSQL a concurrent twin waits for this transaction: once it commits,
    the twin's insert does nothing, so it sees a replay too.
    """
    dialect = conn.dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        statement = _INSERTS[dialect] = _insert_event(dialect)
    done = conn.execute(statement, {"id": event_id, "type": kind, "received_at": now})
    return done.first() is not None  # RETURNING: a row only when it was inserted


def insert_session(conn: Connection, values: dict[str, Any]) -> int:
    """A new Checkout Session row; its id."""
    return insert_one(conn, checkout_session_t, values)


def session(conn: Connection, stripe_id: str) -> RowMapping | None:
    """The session Stripe calls ``stripe_id`` (with its member's handle and invoice
    number), or None: not one of rentcal's."""
    return conn.execute(_SESSION.where(_c.stripe_id == stripe_id)).mappings().first()


def mark_paid(conn: Connection, session_id: int, now: datetime) -> bool:
    """Mark a session paid unless it is already; whether this call did.

    The UPDATE locks the row: of two events for one session handled at once
    (``completed`` and ``async_payment_succeeded``), the second sees it paid.
    """
    done = conn.execute(
        sa.update(checkout_session_t)
        .where(_c.id == session_id, _c.status != "paid")
        .values(status="paid", paid_at=now)
    )
    return done.rowcount == 1


def set_payment(conn: Connection, session_id: int, payment_id: int) -> None:
    """Name the payment recorded for a paid session."""
    conn.execute(
        sa.update(checkout_session_t).where(_c.id == session_id).values(payment_id=payment_id)
    )


def mark_expired(conn: Connection, session_id: int) -> bool:
    """Mark an open session expired; whether it was open."""
    done = conn.execute(
        sa.update(checkout_session_t)
        .where(_c.id == session_id, _c.status == "open")
        .values(status="expired")
    )
    return done.rowcount == 1


def unpaid_machine_ids(conn: Connection, now: datetime) -> set[int]:
    """Machines holding a booking whose time to pay ended by ``now``."""
    return {int(m) for m in conn.execute(_UNPAID_MACHINES, {"now": now}).scalars()}


def unpaid_rentals(conn: Connection, machine_id: int, now: datetime) -> list[Rental]:
    """One machine's bookings whose time to pay ended by ``now``, by id."""
    return [rental(r) for r in conn.execute(_UNPAID_RENTALS, {"m": machine_id, "now": now})]


def any_unpaid(conn: Connection, rental_ids: Sequence[int], now: datetime) -> bool:
    """Whether one of ``rental_ids`` is a booking whose time to pay ended by ``now``."""
    if not rental_ids:
        return False
    query = sa.select(_r.id).where(_r.id.in_(list(rental_ids)), _UNPAID).limit(1)
    return conn.execute(query, {"now": now}).first() is not None


def pay_by(conn: Connection, rental_id: int) -> datetime | None:
    """When the hold of a booking awaiting payment ends (None: it awaits none)."""
    query = sa.select(_r.pay_by).where(_r.id == rental_id)
    return conn.execute(query).scalar_one_or_none()


def awaiting_payment(conn: Connection, member_id: int) -> list[Rental]:
    """A member's bookings awaiting payment (each with its ``pay_by``), by id."""
    return [rental(row) for row in conn.execute(_AWAITING.order_by(_r.id), {"m": member_id})]


__all__ = [
    "any_unpaid",
    "awaiting_payment",
    "insert_session",
    "mark_expired",
    "mark_paid",
    "pay_by",
    "record_event",
    "session",
    "set_payment",
    "unpaid_machine_ids",
    "unpaid_rentals",
]
