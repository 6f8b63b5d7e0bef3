"""Statements for issued invoices, credit notes and payments (issue #23).

Only INSERTs and SELECTs on the documents: the database's triggers refuse
UPDATE and DELETE of invoices, lines, payments and allocations
(:mod:`rentcal.db.tables_invoices`). The one UPDATE is the number sequence,
raised under its row lock (:func:`lock_sequence`) in the transaction that
issues, so numbers have neither gaps nor duplicates. Sums are the service's,
in Decimal.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from rentcal.core.statements import Charge
from rentcal.db.sql.charges import CHARGE_SELECT, charge
from rentcal.db.sql.common import insert_one
from rentcal.db.tables import member_t
from rentcal.db.tables_billing import charge_t
from rentcal.db.tables_invoices import (
    invoice_line_t,
    invoice_reminder_t,
    invoice_sequence_t,
    invoice_t,
    payment_allocation_t,
    payment_t,
)

_i = invoice_t.c
_l = invoice_line_t.c
_s = invoice_sequence_t.c
_p = payment_t.c
_a = payment_allocation_t.c
_LOCK = sa.select(_s.value).where(_s.id == 1).with_for_update()
_RAISE = sa.update(invoice_sequence_t).where(_s.id == 1).values(value=sa.bindparam("v"))
_INVOICED = sa.select(_l.charge_id).where(_l.charge_id == charge_t.c.id, _l.kind == "invoice")
_UNINVOICED = CHARGE_SELECT.where(
    charge_t.c.member_id == sa.bindparam("m"),
    charge_t.c.charged_on <= sa.bindparam("last", type_=sa.Date),
    ~sa.exists(_INVOICED),
)
_WITH_UNINVOICED = (
    sa.select(member_t.c.id, member_t.c.handle)
    .where(
        sa.exists(
            sa.select(charge_t.c.id).where(
                charge_t.c.member_id == member_t.c.id,
                charge_t.c.charged_on <= sa.bindparam("last", type_=sa.Date),
                ~sa.exists(_INVOICED),
            )
        )
    )
    .order_by(member_t.c.handle)
)
_HEAD = sa.select(invoice_t, member_t.c.handle.label("member")).join(
    member_t, member_t.c.id == _i.member_id
)
_refers = invoice_t.alias("refers")
_SUMMARY = (
    sa.select(
        _i.id,
        _i.number,
        _i.kind,
        member_t.c.handle.label("member"),
        _i.issue_date,
        _i.due_date,
        _i.currency,
        _i.net,
        _i.vat,
        _i.gross,
        _refers.c.number.label("refers_to"),
    )
    .select_from(
        invoice_t.join(member_t, member_t.c.id == _i.member_id).outerjoin(
            _refers, _refers.c.id == _i.refers_to_id
        )
    )
    .order_by(_i.issue_date, _i.id)
)


def lock_sequence(conn: Connection) -> int:
    """The last number given, read under the sequence row's lock until commit
    (PostgreSQL ``FOR UPDATE``; SQLite's BEGIN IMMEDIATE already excludes writers)."""
    return int(conn.execute(_LOCK).scalar_one())


def raise_sequence(conn: Connection, value: int) -> None:
    """Store ``value`` as the last number given (after :func:`lock_sequence`)."""
    conn.execute(_RAISE, {"v": value})


def uninvoiced_charges(conn: Connection, member_id: int, last: date) -> list[Charge]:
    """The member's charges charged on or before ``last`` on no invoice yet, oldest first."""
    return [charge(r) for r in conn.execute(_UNINVOICED, {"m": member_id, "last": last})]


def members_with_uninvoiced(conn: Connection, last: date) -> list[tuple[int, str]]:
    """(id, handle) of the members with a charge on or before ``last`` not invoiced."""
    return [(int(r[0]), str(r[1])) for r in conn.execute(_WITH_UNINVOICED, {"last": last})]


def insert_invoice(conn: Connection, values: dict[str, Any]) -> int:
    """A new invoice or credit note; its id."""
    return insert_one(conn, invoice_t, values)


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """The lines of a new document (each with invoice_id, kind and position)."""
    if rows:
        conn.execute(sa.insert(invoice_line_t), rows)


def invoice_head(conn: Connection, number: str) -> RowMapping | None:
    """The invoice row numbered ``number`` (with its member's handle), or None."""
    return conn.execute(_HEAD.where(_i.number == number)).mappings().first()


def invoice_number(conn: Connection, invoice_id: int) -> str:
    """The number of invoice ``invoice_id``."""
    return str(conn.execute(sa.select(_i.number).where(_i.id == invoice_id)).scalar_one())


def invoice_lines(conn: Connection, invoice_id: int) -> list[RowMapping]:
    """The lines of one document, in order."""
    found = conn.execute(
        sa.select(invoice_line_t).where(_l.invoice_id == invoice_id).order_by(_l.position)
    )
    return list(found.mappings())


def credited_net(conn: Connection, invoice_id: int) -> list[Any]:
    """The net amounts of the credit notes correcting one invoice (negative)."""
    return list(conn.execute(sa.select(_i.net).where(_i.refers_to_id == invoice_id)).scalars())


def summaries(conn: Connection, member_id: int | None = None) -> list[RowMapping]:
    """Every document (of one member), oldest first, with its member and what it corrects."""
    statement = _SUMMARY if member_id is None else _SUMMARY.where(_i.member_id == member_id)
    return list(conn.execute(statement).mappings())


def insert_payment(conn: Connection, values: dict[str, Any]) -> int:
    """A new payment (negative: a refund); its id."""
    return insert_one(conn, payment_t, values)


def insert_allocations(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Parts of payments settling invoices."""
    if rows:
        conn.execute(sa.insert(payment_allocation_t), rows)


def payments(conn: Connection, member_id: int | None = None) -> list[RowMapping]:
    """Every payment (of one member), oldest first, with its member's handle."""
    statement = (
        sa.select(payment_t, member_t.c.handle.label("member"))
        .join(member_t, member_t.c.id == _p.member_id)
        .order_by(_p.received_on, _p.id)
    )
    if member_id is not None:
        statement = statement.where(_p.member_id == member_id)
    return list(conn.execute(statement).mappings())


def allocations(conn: Connection, member_id: int | None = None) -> list[RowMapping]:
    """(payment_id, invoice number, amount) of every allocation (of one member's payments)."""
    statement = (
        sa.select(_a.payment_id, _i.number, _a.amount)
        .join(invoice_t, _i.id == _a.invoice_id)
        .join(payment_t, _p.id == _a.payment_id)
        .order_by(_a.id)
    )
    if member_id is not None:
        statement = statement.where(_p.member_id == member_id)
    return list(conn.execute(statement).mappings())


def invoice_ids(conn: Connection, numbers: list[str]) -> dict[str, int]:
    """The ids of the invoices numbered ``numbers``."""
    found = conn.execute(sa.select(_i.number, _i.id).where(_i.number.in_(numbers)))
    return {str(n): int(i) for n, i in found}


def reminders_sent(conn: Connection) -> set[tuple[int, int]]:
    """(invoice id, stage) of every reminder sent."""
    r = invoice_reminder_t.c
    return {(int(i), int(s)) for i, s in conn.execute(sa.select(r.invoice_id, r.stage))}


def insert_reminder(conn: Connection, invoice_id: int, stage: int, now: Any) -> None:
    """Record that stage ``stage`` of invoice ``invoice_id`` was reminded of."""
    conn.execute(
        sa.insert(invoice_reminder_t).values(invoice_id=invoice_id, stage=stage, sent_at=now)
    )


__all__ = [
    "allocations",
    "credited_net",
    "insert_allocations",
    "insert_invoice",
    "insert_lines",
    "insert_payment",
    "insert_reminder",
    "invoice_head",
    "invoice_ids",
    "invoice_lines",
    "invoice_number",
    "lock_sequence",
    "members_with_uninvoiced",
    "payments",
    "raise_sequence",
    "reminders_sent",
    "summaries",
    "uninvoiced_charges",
]
