"""THE overlap rule in SQL, and the O(log n) seek for a machine's conflicts.

``overlap_clause`` is THE SQL spelling of the overlap rule
(:func:`rentcal.core.ranges.overlaps` is the Python one; a test proves they
agree); every finder that filters by days goes through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.availability import Conflict
from rentcal.core.types import ConflictKind
from rentcal.db.guards import maintenance_blocks, rental_blocks
from rentcal.db.tables import maintenance_t, rental_t

S = TypeVar("S", bound=sa.Select[Any])


def overlap_clause(
    start_col: Any, end_col: Any, start: date | Any, end: date | Any
) -> sa.ColumnElement[bool]:
    """THE SQL spelling of the overlap rule (see rentcal.core.ranges.overlaps)."""
    return sa.and_(start_col <= end, end_col >= start)


def _blocking_seek(table: sa.Table, blocks: str, kind: str) -> list[sa.Select[Any]]:
    """Blocking rows of one machine overlapping [:s, :e], in O(log n).

    Blocking rows of one machine never overlap each other (the service keeps
    it so and the database guards rentals), so only two kinds of rows can meet
    the range: those starting inside it (one index range read) and the single
    latest one starting before it (one index seek, ORDER BY ... DESC LIMIT 1).
    Both are still filtered by :func:`overlap_clause`, THE rule. The status
    test is a literal matching the partial index, which SQLite needs to use it.
    """
    c = table.c
    blocking = sa.text(blocks)
    m = sa.bindparam("m", type_=sa.Integer)
    s = sa.bindparam("s", type_=sa.Date)
    e = sa.bindparam("e", type_=sa.Date)
    status = sa.type_coerce(c.status, sa.String).label("status")
    cols: tuple[sa.ColumnElement[Any], ...] = (
        sa.literal_column(f"'{kind}'").label("kind"),
        c.id,
        c.start_date,
        c.end_date,
        status,
    )
    inside = sa.select(*cols).where(
        c.machine_id == m,
        blocking,
        c.start_date >= s,
        overlap_clause(c.start_date, c.end_date, s, e),
    )
    latest = (
        sa.select(*cols)
        .where(c.machine_id == m, blocking, c.start_date < s)
        .order_by(c.start_date.desc())
        .limit(1)
        .subquery()
    )
    before = sa.select(latest).where(latest.c.end_date >= s)
    return [inside, before]


#: Conflicts of one machine with [:s, :e]: blocking rentals, then scheduled maintenance.
CONFLICTS_STATEMENT = sa.union_all(
    *_blocking_seek(rental_t, rental_blocks("rental"), "rental"),
    *_blocking_seek(maintenance_t, maintenance_blocks("maintenance"), "maintenance"),
)


def blocking_ids(table: sa.Table, blocks: str) -> sa.Select[Any]:
    """Ids of machine :m's blocking rows meeting [:s, :e]: the seek of
    :data:`CONFLICTS_STATEMENT`, for the feeds' windows (:mod:`.windows`).

    ``blocks`` must be the table's blocking predicate as the partial index
    spells it (:func:`rentcal.db.guards.rental_blocks`), so SQLite uses the index.
    """
    seek = sa.union_all(*_blocking_seek(table, blocks, table.name)).subquery()
    return sa.select(seek.c.id)


def conflicts(conn: Connection, machine_id: int, start: date, end: date) -> list[Conflict]:
    """Blocking rentals and scheduled maintenance of one machine overlapping [start, end]."""
    rows = conn.execute(CONFLICTS_STATEMENT, {"m": machine_id, "s": start, "e": end})
    return [
        Conflict(ConflictKind(kind), rid, first, last, str(status))
        for kind, rid, first, last, status in rows
    ]


def narrowed(
    query: S, table: sa.Table, statuses: Sequence[Enum], start: date | None, end: date | None
) -> S:
    """``query`` limited to ``statuses`` and to rows touching [start, end], by start then id."""
    c = table.c
    if statuses:
        query = query.where(c.status.in_([s.value for s in statuses]))
    if start is not None or end is not None:
        query = query.where(
            overlap_clause(c.start_date, c.end_date, start or date.min, end or date.max)
        )
    return query.order_by(c.start_date, c.id)


__all__ = ["CONFLICTS_STATEMENT", "blocking_ids", "conflicts", "narrowed", "overlap_clause"]
