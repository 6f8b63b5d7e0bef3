"""The overlap guards: THE blocking predicates and the database's own refusal of overlaps.

One predicate per table ("this row occupies its days") feeds the partial
indexes, SQLite's triggers and PostgreSQL's exclusion constraints, so the
guards cover exactly what blocks. The tables attach them (:mod:`rentcal.db.tables`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from rentcal.core.types import (
    BLOCKING_MAINTENANCE_STATUSES,
    BLOCKING_RENTAL_STATUSES,
    MaintenanceStatus,
    RentalStatus,
)


def _blocking_sql(enum_values: frozenset[RentalStatus] | frozenset[MaintenanceStatus]) -> str:
    """SQL literal list of blocking statuses, sorted for stable DDL."""
    return ", ".join(f"'{s.value}'" for s in sorted(enum_values, key=lambda s: s.value))


BLOCKING_RENTAL_SQL = _blocking_sql(BLOCKING_RENTAL_STATUSES)
BLOCKING_MAINTENANCE_SQL = _blocking_sql(BLOCKING_MAINTENANCE_STATUSES)


def rental_blocks(alias: str = "") -> str:
    """THE SQL test "this rental occupies its days": pending or approved, not queued.

    A queued request (a machine with the ``queue`` request policy) waits
    beside others for the same days and blocks nothing until approved. The
    partial index, the SQLite triggers and PostgreSQL's exclusion constraint
    use exactly this predicate, so the guards cover exactly what blocks.
    """
    prefix = f"{alias}." if alias else ""
    return f"{prefix}status IN ({BLOCKING_RENTAL_SQL}) AND NOT {prefix}queued"


def maintenance_blocks(alias: str = "") -> str:
    """The SQL test "this maintenance block occupies its days": scheduled."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}status IN ({BLOCKING_MAINTENANCE_SQL})"


# SQLite has no exclusion constraints: triggers refuse an overlapping blocking
# rental on INSERT and UPDATE so even a buggy writer cannot store one.
# Like the conflict seek (rentcal.db.sql.overlap._blocking_seek) the guards rely on
# blocking rows of one machine never overlapping, which they enforce
# themselves from the first row on: a row starting inside NEW's range, or the
# latest one starting before it reaching into it, is the only possible clash.
# O(log n) per write. The same rule guards scheduled maintenance blocks.
OVERLAP_TRIGGER_MESSAGE = "rentcal: overlapping blocking rental refused"
MAINTENANCE_TRIGGER_MESSAGE = "rentcal: overlapping scheduled maintenance refused"


def sqlite_guards(
    table: str, blocks: Callable[[str], str], message: str, columns: str = ""
) -> list[str]:
    """INSERT and UPDATE triggers refusing an overlapping blocking row.

    ``blocks(alias)`` is the table's blocking predicate; ``columns`` are more
    columns (besides days, machine and status) whose update may make a row block.
    """
    others = f"""FROM {table} AS r
        WHERE r.machine_id = NEW.machine_id AND r.id IS NOT NEW.id
          AND {blocks("r")}"""
    overlap = f"""
    {blocks("NEW")} AND (
        EXISTS (SELECT 1 {others}
                AND r.start_date >= NEW.start_date AND r.start_date <= NEW.end_date)
        OR COALESCE((SELECT r.end_date {others} AND r.start_date < NEW.start_date
                     ORDER BY r.start_date DESC LIMIT 1) >= NEW.start_date, 0))
"""
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    return [
        f"""CREATE TRIGGER IF NOT EXISTS trg_{table}_no_overlap_insert
        BEFORE INSERT ON {table} WHEN {overlap} {raise_}""",
        f"""CREATE TRIGGER IF NOT EXISTS trg_{table}_no_overlap_update
        BEFORE UPDATE OF machine_id, start_date, end_date, status{columns} ON {table}
        WHEN {overlap} {raise_}""",
    ]


def exclude_overlaps(table: sa.Table, blocking: str) -> None:
    """PostgreSQL's exclusion constraint on ``table`` (and its partial index's WHERE).

    ``ddl_if`` keeps the constraint out of SQLite DDL in a process that uses
    both backends; a second call adds nothing.
    """
    from sqlalchemy.dialects.postgresql import ExcludeConstraint

    for index in table.indexes:  # the partial availability index, PostgreSQL's spelling
        if index.name == f"ix_{table.name}_blocking":
            index.dialect_options["postgresql"]["where"] = sa.text(blocking)
    name = f"ex_{table.name}_overlap"
    if any(c.name == name for c in table.constraints):
        return
    table.append_constraint(
        ExcludeConstraint(
            (table.c.machine_id, "="),
            (sa.text("daterange(start_date, end_date, '[]')"), "&&"),
            where=sa.text(blocking),
            using="gist",
            name=name,
        ).ddl_if(dialect="postgresql")
    )
