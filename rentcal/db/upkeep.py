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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rentcal.db import integrity, schema, tables
from rentcal.db.integrity import CheckReport, Finding
from rentcal.db.store import Store, resolve_url
from rentcal.errors import DatabaseError, InvalidRequest, NoDatabase


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
    from rentcal.db.migrations import runner

    return runner.upgrade_sql(dialect, state)


def check(url: str | None = None) -> CheckReport:
    """Check the database at ``url`` (see :func:`rentcal.db.integrity.check`); reads only."""
    with _opened(url) as store:
        return integrity.check(store)


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
        rentals = conn.execute(f"SELECT count(*) FROM {tables.rental_t.name}").fetchone()
        members = conn.execute(f"SELECT count(*) FROM {tables.member_t.name}").fetchone()
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
