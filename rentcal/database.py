"""Looking after a rentcal database: schema revision, upgrades, checks, backups.

These act on the database itself, not on bookings, so they live beside the
use cases rather than in them; ``rentcal db status | upgrade | check`` and
``rentcal backup`` are one call each. None of them upgrades a database by
opening it (``connect()`` does): ``status`` and ``check`` report what is
there, ``backup`` copies it as it is — take one before an upgrade.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal import models, schema
from rentcal.errors import DamagedDatabase, DatabaseError, InvalidRequest, NoDatabase
from rentcal.store import Store, damage_marker, mark_damaged, overlap_clause, resolve_url

#: At most this many problems of one kind are listed by :func:`check`.
MAX_LISTED = 20
GUARD_TRIGGERS = (
    "trg_maintenance_no_overlap_insert",
    "trg_maintenance_no_overlap_update",
    "trg_rental_no_overlap_insert",
    "trg_rental_no_overlap_update",
)
GUARD_CONSTRAINTS = ("ex_maintenance_overlap", "ex_rental_overlap")


@contextmanager
def _opened(url: str | None) -> Iterator[Store]:
    """The database as it is: never created, never upgraded by opening it."""
    store = Store(url, create=False, check=False)
    try:
        yield store
    finally:
        store.close()


def _rentcal_state(store: Store, *, allow_empty: bool = False) -> schema.SchemaState:
    """The state of a database rentcal may act on, or the reason it may not."""
    state = store.state()
    refusal = schema.refusal(state, store.where, create=allow_empty)
    if refusal is not None:
        raise refusal
    return state


# -- status and upgrade ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Status:
    """Where a database's schema stands."""

    database: str
    #: The revision the schema is at (rentcal 0.1's databases are at the baseline).
    current: str | None
    head: str
    #: Revisions an upgrade would apply, oldest first.
    pending: tuple[str, ...]
    #: False for a database of rentcal 0.1: its revision is not recorded yet.
    stamped: bool

    @property
    def up_to_date(self) -> bool:
        """Nothing pending."""
        return not self.pending

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``rentcal db status --json``."""
        return {
            "database": self.database,
            "current": self.current,
            "head": self.head,
            "pending": list(self.pending),
            "stamped": self.stamped,
            "up_to_date": self.up_to_date,
        }


def _status(store: Store, state: schema.SchemaState) -> Status:
    return Status(store.display_url, state.current, schema.HEAD, state.pending, state.stamped)


def status(url: str | None = None) -> Status:
    """The schema revision of the database at ``url``: current, head, pending.

    Raises NoDatabase, ForeignDatabase, or DatabaseError for a newer schema.
    """
    with _opened(url) as store:
        return _status(store, _rentcal_state(store))


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What :func:`upgrade` did."""

    database: str
    before: str | None
    after: str
    applied: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``rentcal db upgrade --json``."""
        return {
            "database": self.database,
            "before": self.before,
            "after": self.after,
            "applied": list(self.applied),
        }


def upgrade(url: str | None = None) -> Upgrade:
    """Upgrade the database at ``url`` to head, all or nothing (what ``connect()``
    does on its own, made explicit). A database at head is left alone."""
    with _opened(url) as store:
        before = _rentcal_state(store)
        store.ensure_schema()
        after = store.state()
        return Upgrade(
            store.display_url, before.current, after.current or schema.HEAD, before.pending
        )


def upgrade_sql(url: str | None = None) -> str:
    """The SQL an upgrade of the database at ``url`` would run, for a DBA (Alembic's
    offline mode). Nothing is written. An empty database (or a SQLite file that
    does not exist) gets the whole schema."""
    try:
        with _opened(url) as store:
            state = _rentcal_state(store, allow_empty=True)
            where, dialect = store.display_url, store.dialect
    except NoDatabase:  # a SQLite file that does not exist yet: as empty (and not created)
        where, dialect = resolve_url(url), "sqlite"
        state = schema.SchemaState((), None, None)
    if not state.pending:
        return f"-- {where} is at {schema.HEAD}: nothing to upgrade.\n"
    from rentcal.migrations import runner

    return runner.upgrade_sql(dialect, state)


# -- check -----------------------------------------------------------------------------


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


def check(url: str | None = None) -> CheckReport:
    """Check the database at ``url``: schema revision, file integrity (SQLite),
    the overlap guards, and that no blocking rows overlap.

    Reads only. Each problem comes with advice. A file too damaged to read at
    all is one finding, not an exception.
    """
    with _opened(url) as store:
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
    if store.dialect != "sqlite" or store.where == store.display_url:
        return
    path = Path(store.where)
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


def _overlaps(conn: Connection, table: sa.Table, blocking_sql: str) -> list[tuple[Any, ...]]:
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
        .where(sa.text(f"{table.name}.status IN ({blocking_sql})"))
        .subquery()
    )
    r = ranked.c
    query = (
        sa.select(models.machine_t.c.name, r.prev_id, r.id)
        .join_from(ranked, models.machine_t, models.machine_t.c.id == r.machine_id)
        .where(
            r.prev_id.is_not(None),
            overlap_clause(r.prev_start, r.prev_end, r.start_date, r.end_date),
        )
        .order_by(models.machine_t.c.name, r.start_date)
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
    pairs = _overlaps(conn, models.rental_t, models.BLOCKING_RENTAL_SQL)
    return [
        _overlap_finding(
            "rentals",
            "pending or approved rentals",
            pairs,
            "reject or cancel one rental of each pair ('rentcal reject ID'), then check again",
        )
    ]


def _maintenance_overlaps(conn: Connection, store: Store) -> list[Finding]:
    pairs = _overlaps(conn, models.maintenance_t, models.BLOCKING_MAINTENANCE_SQL)
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


# -- backup ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backup:
    """What :func:`backup` wrote."""

    database: str
    path: str
    size: int
    rentals: int
    members: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``rentcal backup --json``."""
        return {
            "database": self.database,
            "path": self.path,
            "bytes": self.size,
            "rentals": self.rentals,
            "members": self.members,
        }


def backup(url: str | None, target: str | os.PathLike[str]) -> Backup:
    """A consistent copy of the SQLite database at ``url`` in the new file ``target``.

    SQLite's online backup copies every page inside one read transaction, so
    the copy holds exactly what was committed when it started, even while
    other processes write (they are not blocked). The copy is one
    self-contained file (no -wal beside it), private (0600), passes
    ``integrity_check`` before it gets its name, and never replaces an
    existing file. PostgreSQL has its own tools (pg_dump).
    """
    path = Path(target).expanduser()
    with _opened(url) as store:
        _rentcal_state(store)
        if store.dialect != "sqlite":
            raise InvalidRequest(
                f"backup copies SQLite files; {store.display_url} is PostgreSQL: use its own "
                f"tools, e.g. pg_dump (see docs/postgres.md)"
            )
        _check_target(path)
        temporary = _private_temporary(path)
        try:
            _copy(store, temporary)
            rentals, members = _verify(temporary)
            os.link(temporary, path)  # never replaces a file that appeared meanwhile
        except FileExistsError:
            raise InvalidRequest(f"{str(path)!r} already exists; give a new file name") from None
        finally:
            with suppress(FileNotFoundError):
                temporary.unlink()
        return Backup(store.display_url, str(path), path.stat().st_size, rentals, members)


def _check_target(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise InvalidRequest(f"{str(path)!r} already exists; give a new file name")
    if not path.parent.is_dir():
        raise InvalidRequest(f"directory {str(path.parent)!r} does not exist")


def _private_temporary(path: Path) -> Path:
    """A new empty 0600 file beside ``path``, for the copy to be written into."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as err:
        raise InvalidRequest(f"cannot write {str(path)!r}: {err.strerror}") from None
    return temporary


def _copy(store: Store, temporary: Path) -> None:
    """SQLite's online backup, then the copy turned into one self-contained file."""
    try:
        with store.engine.connect() as conn:
            source: Any = conn.connection.driver_connection
            target = sqlite3.connect(temporary, isolation_level=None)
            try:
                source.backup(target)  # all pages in one step: one consistent snapshot
                target.execute("PRAGMA journal_mode = DELETE").close()
            finally:
                target.close()
    except sqlite3.Error as err:
        raise DatabaseError(f"backup of {store.where} failed: {err}") from None


def _verify(temporary: Path) -> tuple[int, int]:
    """Integrity of the copy, and how many rentals and members it holds."""
    conn = sqlite3.connect(f"file:{temporary}?mode=ro", uri=True)
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise DatabaseError(
                "the copy failed SQLite's integrity_check (" + "; ".join(result[:5]) + "); "
                "the database itself may be damaged: run 'rentcal db check'"
            )
        rentals = conn.execute(f"SELECT count(*) FROM {models.rental_t.name}").fetchone()
        members = conn.execute(f"SELECT count(*) FROM {models.member_t.name}").fetchone()
    finally:
        conn.close()
    return int(rentals[0]), int(members[0])


__all__ = [
    "Backup",
    "CheckReport",
    "Finding",
    "Status",
    "Upgrade",
    "backup",
    "check",
    "status",
    "upgrade",
    "upgrade_sql",
]
