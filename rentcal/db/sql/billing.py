"""Members' billing addresses (``member_billing``, issue #23).

Saving is an upsert (``INSERT ... ON CONFLICT DO UPDATE``, spoken by SQLite and
PostgreSQL alike), so two saves at once never collide on the member's row; the
change log keeps what the address was (:mod:`rentcal.service.invoice_settings`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db.tables_invoices import member_billing_t

_b = member_billing_t.c
#: The columns of an address, in the order people read them.
ADDRESS_COLUMNS = ("name", "line1", "line2", "line3", "postcode", "city", "country", "vat_id")
_ROW = sa.select(*(_b[c] for c in ADDRESS_COLUMNS)).where(_b.member_id == sa.bindparam("m"))
_UPSERTS: dict[str, sa.Insert] = {}


def _upsert(dialect: str) -> sa.Insert:
    """The saving upsert in ``dialect`` (its dialect module imported when first needed)."""
    changing = [*ADDRESS_COLUMNS, "updated_by_id", "updated_at"]
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(member_billing_t)
        return pg.on_conflict_do_update(
            index_elements=[_b.member_id], set_={c: pg.excluded[c] for c in changing}
        )
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(member_billing_t)
    return lite.on_conflict_do_update(
        index_elements=[_b.member_id], set_={c: lite.excluded[c] for c in changing}
    )


def billing_address(conn: Connection, member_id: int) -> dict[str, Any] | None:
    """The member's stored address (:data:`ADDRESS_COLUMNS`), or None: none yet."""
    row = conn.execute(_ROW, {"m": member_id}).mappings().first()
    return None if row is None else dict(row)


def save_billing_address(conn: Connection, member_id: int, values: dict[str, Any]) -> None:
    """Store the member's address (every column of :data:`ADDRESS_COLUMNS`, who, when)."""
    dialect = conn.dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        statement = _UPSERTS[dialect] = _upsert(dialect)
    conn.execute(statement, {"member_id": member_id, **values})


__all__ = ["ADDRESS_COLUMNS", "billing_address", "save_billing_address"]
