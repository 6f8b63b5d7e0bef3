"""``rentcal db check``: is the database sound, and what to do when it is not.

Reads only. Each probe runs in its own read transaction and turns what it
finds into a :class:`Finding` with advice; damage SQLite reports while a probe
reads is a finding too, not an exception. Damage found marks a SQLite file
(see :mod:`rentcal.db.sqlite_file`) so that no write goes ahead until a check
passes again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db import guards, schema, tables
from rentcal.db.sql import overlap_clause
from rentcal.db.sqlite_file import damage_marker, mark_damaged
from rentcal.db.store import Store
from rentcal.errors import DamagedDatabase


def _rentcal_state(store: Store) -> schema.SchemaState:
    """The state of a database rentcal may check, or the reason it may not."""
    state = store.state()
    refusal = schema.refusal(state, store.where, create=False)
    if refusal is not None:
        raise refusal
    return state


#: At most this many problems of one kind are listed.
MAX_LISTED = 20
GUARD_TRIGGERS = (
    "trg_maintenance_no_overlap_insert",
    "trg_maintenance_no_overlap_update",
    "trg_rental_no_overlap_insert",
    "trg_rental_no_overlap_update",
)
GUARD_CONSTRAINTS = ("ex_maintenance_overlap", "ex_rental_overlap")


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one check: ``ok``, what was found, and what to do about it."""

    check: str
    ok: bool
    detail: str
    advice: str = ""

    def as_dict(self) -> dict[str, Any]:
        """One entry of ``rentcal db check --json``."""
        return {"check": self.check, "ok": self.ok, "detail": self.detail, "advice": self.advice}


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Every finding of :func:`check`; ``ok`` when none is a problem."""

    database: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        """The findings that are problems."""
        return tuple(f for f in self.findings if not f.ok)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``rentcal db check --json``."""
        return {
            "database": self.database,
            "ok": self.ok,
            "findings": [f.as_dict() for f in self.findings],
        }


RESTORE = "restore the latest backup (made with 'rentcal backup')"
SALVAGE = (
    f"the file is damaged: stop writing to it (rentcal now refuses to), {RESTORE}, or "
    f"salvage what is readable with sqlite3 (sqlite3 BROKEN.db .recover | sqlite3 "
    f"RECOVERED.db) and check the result"
)


Probe = Callable[[Connection, Store], list["Finding"]]


def check(store: Store) -> CheckReport:
    """Check the database behind ``store``: schema revision, file integrity (SQLite),
    the overlap guards, and that no blocking rows overlap.

    Reads only. Each problem comes with advice. A file too damaged to read at
    all is one finding, not an exception.
    """
    try:
        state = _rentcal_state(store)
    except DamagedDatabase as err:
        report = CheckReport(store.display_url, (_damaged("schema", err.detail),))
        _mark(store, report)
        return report
    findings = [_schema_finding(state)]
    for name, probe in PROBES:
        try:
            findings.extend(_run(store, probe))
        except DamagedDatabase as err:
            findings.append(_damaged(name, err.detail))
    report = CheckReport(store.display_url, tuple(findings))
    _mark(store, report)
    return report


def _mark(store: Store, report: CheckReport) -> None:
    """Damage found: mark the file, so writes are refused; all well: clear the mark."""
    path = store.file_path
    if path is None:
        return
    damaged = [f for f in report.findings if f.advice == SALVAGE]
    if damaged:
        mark_damaged(path, damaged[0].detail)
    elif report.ok:
        with suppress(FileNotFoundError, PermissionError):
            damage_marker(path).unlink()


def _run(store: Store, probe: Probe) -> list[Finding]:
    """One probe in its own read transaction."""

    def work(conn: Connection) -> list[Finding]:
        return probe(conn, store)

    return store.run(work)


def _damaged(name: str, detail: str) -> Finding:
    """A check that could not even be read through: SQLite reports the file damaged."""
    return Finding(name, False, f"SQLite: {detail} (while checking {name})", SALVAGE)


def _schema_finding(state: schema.SchemaState) -> Finding:
    if not state.pending:
        return Finding("schema", True, f"at revision {state.current} (head)")
    return Finding(
        "schema",
        True,
        f"at revision {state.current}; {len(state.pending)} pending: {', '.join(state.pending)}",
        "the next use upgrades it; run 'rentcal db upgrade' to do it now",
    )


def _integrity(conn: Connection, store: Store) -> list[Finding]:
    if store.dialect != "sqlite":
        return [
            Finding(
                "integrity",
                True,
                "not checked by rentcal on PostgreSQL",
                "for a deep check of tables and indexes use PostgreSQL's pg_amcheck",
            )
        ]
    rows = [r[0] for r in conn.exec_driver_sql(f"PRAGMA integrity_check({MAX_LISTED})")]
    if rows == ["ok"]:
        return [Finding("integrity", True, "SQLite integrity_check: ok")]
    return [
        Finding(
            "integrity",
            False,
            "SQLite integrity_check: " + "; ".join(rows),
            SALVAGE,
        )
    ]


def _foreign_keys(conn: Connection, store: Store) -> list[Finding]:
    if store.dialect != "sqlite":
        return []  # PostgreSQL enforces foreign keys itself, always
    rows = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if not rows:
        return [Finding("references", True, "every row refers to rows that exist")]
    shown = ", ".join(f"{r[0]} row {r[1]} -> {r[2]}" for r in rows[:MAX_LISTED])
    return [
        Finding(
            "references",
            False,
            f"{len(rows)} row(s) refer to rows that do not exist: {shown}",
            f"someone changed the data outside rentcal: {RESTORE}",
        )
    ]


def _guards(conn: Connection, store: Store) -> list[Finding]:
    expected: tuple[str, ...]
    if store.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        expected, what = GUARD_TRIGGERS, "trigger"
    else:
        sql = (
            "SELECT conname FROM pg_constraint WHERE contype = 'x' "
            "AND connamespace = current_schema()::regnamespace"
        )
        expected, what = GUARD_CONSTRAINTS, "exclusion constraint"
    present = set(conn.exec_driver_sql(sql).scalars())
    missing = [name for name in expected if name not in present]
    if not missing:
        return [Finding("guards", True, f"every overlap {what} is in place")]
    return [
        Finding(
            "guards",
            False,
            f"missing overlap {what}(s): {', '.join(missing)}",
            f"the database no longer refuses double bookings by itself (someone changed the "
            f"schema by hand): {RESTORE}",
        )
    ]


def _overlaps(conn: Connection, table: sa.Table, blocks: str) -> list[tuple[Any, ...]]:
    """Pairs of blocking rows of one machine that overlap, by THE overlap rule.

    Each row is compared with the row before it in start order (per machine):
    if any two rows overlap, some such neighbours do, so one pass suffices.
    """
    c = table.c
    order = (c.start_date, c.id)
    ranked = (
        sa.select(
            c.id,
            c.machine_id,
            c.start_date,
            c.end_date,
            sa.func.lag(c.id).over(partition_by=c.machine_id, order_by=order).label("prev_id"),
            sa.func.lag(c.start_date)
            .over(partition_by=c.machine_id, order_by=order)
            .label("prev_start"),
            sa.func.lag(c.end_date)
            .over(partition_by=c.machine_id, order_by=order)
            .label("prev_end"),
        )
        .where(sa.text(blocks))
        .subquery()
    )
    r = ranked.c
    query = (
        sa.select(tables.machine_t.c.name, r.prev_id, r.id)
        .join_from(ranked, tables.machine_t, tables.machine_t.c.id == r.machine_id)
        .where(
            r.prev_id.is_not(None),
            overlap_clause(r.prev_start, r.prev_end, r.start_date, r.end_date),
        )
        .order_by(tables.machine_t.c.name, r.start_date)
        .limit(MAX_LISTED + 1)
    )
    return [tuple(row) for row in conn.execute(query)]


def _overlap_finding(name: str, what: str, pairs: list[tuple[Any, ...]], advice: str) -> Finding:
    if not pairs:
        return Finding(name, True, f"no two {what} of one machine overlap")
    listed = ", ".join(f"{a} and {b} ({m})" for m, a, b in pairs[:MAX_LISTED])
    more = " and more" if len(pairs) > MAX_LISTED else ""
    return Finding(name, False, f"overlapping {what}: {listed}{more}", advice)


def _rental_overlaps(conn: Connection, store: Store) -> list[Finding]:
    columns = {c["name"] for c in sa.inspect(conn).get_columns("rental")}
    # a database not yet at revision 0004 has no queued requests: every pending one blocks
    blocks = (
        guards.rental_blocks("rental")
        if "queued" in columns
        else f"rental.status IN ({guards.BLOCKING_RENTAL_SQL})"
    )
    pairs = _overlaps(conn, tables.rental_t, blocks)
    return [
        _overlap_finding(
            "rentals",
            "pending or approved rentals",
            pairs,
            "reject or cancel one rental of each pair ('rentcal reject ID'), then check again",
        )
    ]


def _maintenance_overlaps(conn: Connection, store: Store) -> list[Finding]:
    pairs = _overlaps(conn, tables.maintenance_t, guards.maintenance_blocks("maintenance"))
    return [
        _overlap_finding(
            "maintenance",
            "scheduled maintenance blocks",
            pairs,
            "cancel one block of each pair ('rentcal maintenance cancel ID'), then check again",
        )
    ]


#: (name, probe) of every check after the schema's, in the order reported.
PROBES: tuple[tuple[str, Probe], ...] = (
    ("integrity", _integrity),
    ("references", _foreign_keys),
    ("guards", _guards),
    ("rentals", _rental_overlaps),
    ("maintenance", _maintenance_overlaps),
)


__all__ = ["CheckReport", "Finding", "check"]
