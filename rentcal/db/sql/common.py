"""The one single-row insert every typed insert of the statement modules ends in."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def insert_one(conn: Connection, table: sa.Table, values: dict[str, object]) -> int:
    """Insert one row and return its new primary key (the typed inserts end here)."""
    key = conn.execute(sa.insert(table).values(values)).inserted_primary_key
    if key is None:  # pragma: no cover - single-row inserts always report their key
        raise RuntimeError(f"no primary key returned by an insert into {table.name}")
    return int(key[0])


__all__ = ["insert_one"]
