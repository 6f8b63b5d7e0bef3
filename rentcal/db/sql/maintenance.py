"""Statements for maintenance blocks: the joined select, finders and writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.types import MaintenanceKind, MaintenanceStatus
from rentcal.core.values import Maintenance
from rentcal.db.rows import NewMaintenance
from rentcal.db.sql.common import insert_one
from rentcal.db.sql.overlap import narrowed
from rentcal.db.tables import machine_t, maintenance_t

MAINTENANCE_SELECT = sa.select(
    maintenance_t,
    machine_t.c.name.label("machine_name"),
    machine_t.c.title.label("machine_title"),
).select_from(maintenance_t.join(machine_t, machine_t.c.id == maintenance_t.c.machine_id))
_MAINTENANCE_BY_ID = MAINTENANCE_SELECT.where(maintenance_t.c.id == sa.bindparam("i"))
_INSERT_MAINTENANCE = sa.insert(maintenance_t)


def maintenance(row: Any) -> Maintenance:
    """A Maintenance value from a :data:`MAINTENANCE_SELECT` row."""
    return Maintenance(
        id=row.id,
        uid=row.uid,
        machine=row.machine_name,
        machine_title=row.machine_title,
        start=row.start_date,
        end=row.end_date,
        kind=MaintenanceKind(row.kind),
        status=MaintenanceStatus(row.status),
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sequence=row.sequence,
    )


def maintenance_by_id(conn: Connection, maintenance_id: int) -> Maintenance | None:
    """One maintenance value, or None."""
    row = conn.execute(_MAINTENANCE_BY_ID, {"i": maintenance_id}).first()
    return None if row is None else maintenance(row)


def find_maintenance(
    conn: Connection,
    *,
    machine_id: int | None,
    statuses: Sequence[Enum],
    start: date | None,
    end: date | None,
) -> list[Maintenance]:
    """Maintenance blocks matching every filter given, by start day then id."""
    query = MAINTENANCE_SELECT
    if machine_id is not None:
        query = query.where(maintenance_t.c.machine_id == machine_id)
    query = narrowed(query, maintenance_t, statuses, start, end)
    return [maintenance(r) for r in conn.execute(query)]


def insert_maintenance(conn: Connection, **values: Unpack[NewMaintenance]) -> int:
    """A new maintenance row; returns its id."""
    return insert_one(conn, maintenance_t, dict(values))


def insert_maintenance_rows(conn: Connection, rows: list[NewMaintenance]) -> None:
    """Many maintenance rows in one executemany."""
    conn.execute(_INSERT_MAINTENANCE, rows)


def update_maintenance(
    conn: Connection, maintenance_id: int, *, bump: bool = False, **values: object
) -> None:
    """Change columns of one maintenance block; ``bump=True`` raises its SEQUENCE."""
    if bump:
        values["sequence"] = maintenance_t.c.sequence + 1
    conn.execute(
        sa.update(maintenance_t).where(maintenance_t.c.id == maintenance_id).values(values)
    )


__all__ = [
    "MAINTENANCE_SELECT",
    "find_maintenance",
    "insert_maintenance",
    "insert_maintenance_rows",
    "maintenance",
    "maintenance_by_id",
    "update_maintenance",
]
