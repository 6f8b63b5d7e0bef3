"""The figures per minute of the web server (``usage_count``): add, read, prune.

Adding is an upsert (``INSERT ... ON CONFLICT DO UPDATE SET value = value +
excluded.value``, which SQLite and PostgreSQL both speak), so two workers
flushing the same minute at once both count, with no read-modify-write race.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db.tables_usage import usage_count_t

_READ = (
    sa.select(usage_count_t.c.minute, usage_count_t.c.name, usage_count_t.c.value)
    .where(usage_count_t.c.minute >= sa.bindparam("since"))
    .order_by(usage_count_t.c.minute, usage_count_t.c.name)
)
_PRUNE = sa.delete(usage_count_t).where(usage_count_t.c.minute < sa.bindparam("before"))


def _upsert(dialect: str) -> sa.Insert:
    """The adding upsert in ``dialect`` (imported when first needed: SQLite users never
    load the PostgreSQL dialect)."""
    keys = [usage_count_t.c.minute, usage_count_t.c.name]
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(usage_count_t)
        return pg.on_conflict_do_update(
            index_elements=keys, set_={"value": usage_count_t.c.value + pg.excluded.value}
        )
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(usage_count_t)
    return lite.on_conflict_do_update(
        index_elements=keys, set_={"value": usage_count_t.c.value + lite.excluded.value}
    )


_UPSERTS: dict[str, sa.Insert] = {}


def add_usage(conn: Connection, minute: datetime, counts: Mapping[str, int]) -> None:
    """Add ``counts`` to ``minute``'s rows (made when missing), in one statement."""
    if not counts:
        return
    dialect = conn.dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        statement = _UPSERTS[dialect] = _upsert(dialect)
    conn.execute(
        statement, [{"minute": minute, "name": k, "value": v} for k, v in sorted(counts.items())]
    )


def prune_usage(conn: Connection, before: datetime) -> None:
    """Forget the minutes before ``before``."""
    conn.execute(_PRUNE, {"before": before})


def usage_since(conn: Connection, since: datetime) -> list[tuple[datetime, str, int]]:
    """Every (minute, name, value) from ``since`` on, oldest first."""
    return [(r.minute, r.name, r.value) for r in conn.execute(_READ, {"since": since})]


__all__ = ["add_usage", "prune_usage", "usage_since"]
