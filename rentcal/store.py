"""Engines, SQLite pragmas, the locking recipe and THE transaction manager.

All locking lives here so the service has one code path for every backend:

* SQLite: the sqlite3 driver runs with ``isolation_level=None`` (we issue
  BEGIN ourselves), write transactions start with ``BEGIN IMMEDIATE`` so the
  write lock is taken *before* the availability re-check, reads stay deferred;
  WAL, ``foreign_keys=ON`` and a busy timeout. ``FOR UPDATE`` is dropped by
  SQLite's compiler, which is fine: BEGIN IMMEDIATE already serialises writers.
* PostgreSQL: READ COMMITTED pinned explicitly (REPEATABLE READ double-books
  with a row lock) and ``SELECT ... FOR UPDATE`` on the machine row.
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from rentcal import models, schema
from rentcal.errors import Busy, DamagedDatabase, DatabaseError, InvalidRequest
from rentcal.sqlite_file import (
    create_private_file,
    damage_marker,
    mark_damaged,
    read_only_url,
    sqlite_access,
)

#: Seconds a writer waits for another writer before :class:`Busy`.
DEFAULT_BUSY_TIMEOUT = 10.0
_WRITE = "rentcal_write"
#: Attempts for a transaction PostgreSQL aborted to resolve a conflict.
RETRIES = 5
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: Advisory lock key serialising schema creation/upgrade on PostgreSQL ("rentcal").
SCHEMA_LOCK_KEY = 0x72656E7463616C
#: PostgreSQL: lock_timeout expired while waiting for a row lock.
LOCK_NOT_AVAILABLE = "55P03"
T = TypeVar("T")


def default_sqlite_path() -> Path:
    """$XDG_DATA_HOME/rentcal/rentcal.db, defaulting to ~/.local/share."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rentcal" / "rentcal.db"


def resolve_url(url: str | None) -> str:
    """The database URL to use: explicit, else $RENTCAL_DATABASE_URL, else the file.

    A bare filesystem path is taken as a SQLite file; ``postgresql://`` is
    routed to psycopg 3, the only PostgreSQL driver rentcal supports.
    """
    url = url or os.environ.get("RENTCAL_DATABASE_URL") or None
    if url is None:
        path = default_sqlite_path()
        return f"sqlite:///{path}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def overlap_clause(start_col: Any, end_col: Any, start: date | Any, end: date | Any) -> Any:
    """THE SQL spelling of the overlap rule (see rentcal.core.ranges.overlaps)."""
    return sa.and_(start_col <= end, end_col >= start)


def _blocking_seek(table: sa.Table, blocking_sql: str, kind: str) -> list[Any]:
    """Blocking rows of one machine overlapping [:s, :e], in O(log n).

    Blocking rows of one machine never overlap each other (the service keeps
    it so and the database guards rentals), so only two kinds of rows can meet
    the range: those starting inside it (one index range read) and the single
    latest one starting before it (one index seek, ORDER BY ... DESC LIMIT 1).
    Both are still filtered by :func:`overlap_clause`, THE rule. The status
    test is a literal matching the partial index, which SQLite needs to use it.
    """
    c = table.c
    blocking = sa.text(f"{table.name}.status IN ({blocking_sql})")
    m: Any = sa.bindparam("m", type_=sa.Integer)
    s: Any = sa.bindparam("s", type_=sa.Date)
    e: Any = sa.bindparam("e", type_=sa.Date)
    status = sa.type_coerce(c.status, sa.String).label("status")
    cols: tuple[Any, ...] = (
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
    *_blocking_seek(models.rental_t, models.BLOCKING_RENTAL_SQL, "rental"),
    *_blocking_seek(models.maintenance_t, models.BLOCKING_MAINTENANCE_SQL, "maintenance"),
)
#: The machine row a check needs, looked up by its unique name.
MACHINE_BY_NAME = sa.select(models.machine_t).where(models.machine_t.c.name == sa.bindparam("n"))


def _sqlite_engine(url: sa.URL, busy_timeout: float, *, create: bool = True) -> Engine:
    connect_args: dict[str, Any] = {"timeout": busy_timeout, "isolation_level": None}
    if sys.version_info >= (3, 12):  # pragma: no cover - pinned for 3.12+ drivers
        connect_args["autocommit"] = sqlite3.LEGACY_TRANSACTION_CONTROL  # type: ignore[attr-defined]
    database = url.database or ""
    read_only: str | None = None  # why this user cannot write, when it cannot
    marker: Path | None = None  # present while the file is known to be damaged
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        marker = damage_marker(path)
        if path.exists() and not path.is_file() and not path.is_dir():
            raise DatabaseError(f"{database!r} is not a regular file (a device or a pipe?)")
        if not path.exists():
            if not create:
                raise schema.no_database(database, "the file does not exist")
            create_private_file(path)
        elif path.is_file():
            access = sqlite_access(path)
            if access.mode != "rw":
                read_only = access.reason
                url = read_only_url(path, access.mode)
                connect_args["uri"] = True
    engine = sa.create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Damaged pages are reported when read instead of being trusted.
        cursor.execute("PRAGMA cell_size_check = ON")
        if database and database != ":memory:" and read_only is None:
            # WAL itself is switched on by Store.ensure_schema, once the file is
            # known to be rentcal's: changing the journal mode writes the file.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        if write and read_only is not None:
            raise DatabaseError(f"cannot write to {database}: {read_only}; reading works")
        if write and marker is not None and marker.exists():
            raise DamagedDatabase(
                f"{database} was found damaged (see {marker}): rentcal refuses to write to "
                f"it; run 'rentcal db check' for what is damaged and how to recover "
                f"(writes resume once it passes)"
            )
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: sa.URL, busy_timeout: float) -> Engine:
    """READ COMMITTED pinned; lock waits bounded like SQLite's busy timeout."""
    models.add_postgres_guards()
    engine = sa.create_engine(
        url,
        isolation_level="READ COMMITTED",
        pool_pre_ping=True,
        connect_args={"connect_timeout": max(1, int(busy_timeout))},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # A writer waiting for a machine's row lock longer than this gets Busy
        # (SQLSTATE 55P03), never an endless wait.
        with dbapi_conn.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
        dbapi_conn.commit()

    return engine


def make_engine(
    url: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, *, create: bool = True
) -> Engine:
    """An engine configured with rentcal's locking recipe for its backend.

    ``create=False``: a SQLite file that does not exist is a DatabaseError, and
    neither it nor its directory is created.
    """
    try:
        parsed = sa.make_url(url)
    except exc.ArgumentError:
        raise InvalidRequest(f"database URL {url!r} is not a valid URL") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, busy_timeout, create=create)
        if backend == "postgresql":
            return _postgres_engine(parsed, busy_timeout)
    except ImportError as err:
        raise DatabaseError(
            f"database URL {parsed.render_as_string(hide_password=True)!r} needs a driver "
            f"that is not installed ({err.name}); for PostgreSQL: pip install 'rentcal[postgres]'"
        ) from None
    raise InvalidRequest(
        f"database URL {parsed.render_as_string(hide_password=True)!r}: unsupported backend "
        f"{backend!r} (use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)"
    )


def _sqlstate(err: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error (psycopg), or None."""
    return getattr(getattr(err, "orig", None), "sqlstate", None)


def describe_db_error(err: exc.DBAPIError | exc.SQLAlchemyError) -> str:
    """One line of the driver's complaint, without SQL or parameters."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    first = text[0] if text else type(orig).__name__
    if is_corrupt(err):
        return (
            f"the database file is damaged ({first}); rentcal changed nothing and refuses "
            f"further writes; run 'rentcal db check' for what is damaged and how to recover"
        )
    return first


def is_corrupt(err: BaseException) -> bool:
    """Whether SQLite reported a damaged file (SQLITE_CORRUPT, any extended code)."""
    code = getattr(getattr(err, "orig", err), "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_CORRUPT


def is_locked(err: BaseException) -> bool:
    """Whether a driver error means another writer kept the lock too long."""
    if _sqlstate(err) == LOCK_NOT_AVAILABLE:
        return True
    text = str(getattr(err, "orig", err)).lower()
    return "database is locked" in text or "database table is locked" in text


class Store:
    """One database: its engine, schema check and transactions."""

    def __init__(
        self,
        url: str | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        create: bool = True,
        check: bool = True,
    ) -> None:
        """Open ``url``; with ``check``, make sure it holds rentcal's schema at head.

        ``create``: whether an empty (or, for SQLite, missing) database may be
        given rentcal's schema; without it such a database is a DatabaseError
        and nothing is created. ``check=False`` opens without looking at the
        schema (``rentcal db status`` and friends look for themselves).
        """
        self.url = resolve_url(url)
        self.busy_timeout = busy_timeout
        self.create = create
        self.engine = make_engine(self.url, busy_timeout, create=create)
        self.dialect = self.engine.dialect.name
        self._ready = False
        self._file_journal: str | None = None  # SQLite file's journal mode, once read
        if check:
            self.ensure_schema()

    def close(self) -> None:
        """Release pooled connections (files stay closed between commands)."""
        self.engine.dispose()

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """BEGIN ... COMMIT, or ROLLBACK on any exception.

        ``write=True`` takes the database write lock up front on SQLite
        (BEGIN IMMEDIATE); on PostgreSQL, writers lock rows with
        :meth:`lock_machine`. Driver errors become :class:`DatabaseError`
        (or :class:`Busy` when the lock wait timed out); rentcal's own errors
        pass through after the rollback.
        """
        try:
            with self.engine.connect() as conn:
                if write:
                    conn = conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
        except exc.OperationalError as err:
            if _sqlstate(err) in RETRYABLE_SQLSTATES:
                raise
            if is_locked(err):
                raise self._busy() from None
            raise self._database_error(err) from None
        except exc.DBAPIError as err:
            if isinstance(err, exc.IntegrityError) or _sqlstate(err) in RETRYABLE_SQLSTATES:
                raise
            if is_locked(err):
                raise self._busy() from None
            raise self._database_error(err) from None

    def _database_error(self, err: exc.DBAPIError) -> DatabaseError:
        """A driver error as rentcal's: DamagedDatabase when SQLite reports damage
        (and the file is marked, so that no later write goes ahead either)."""
        message = f"database error ({self.display_url}): {describe_db_error(err)}"
        if not is_corrupt(err):
            return DatabaseError(message)
        detail = str(getattr(err, "orig", err)).strip().splitlines()[0]
        if self.file_path is not None:
            mark_damaged(self.file_path, detail)
        return DamagedDatabase(message, detail)

    def _busy(self) -> Busy:
        return Busy(
            f"the database stayed locked by another writer for more than "
            f"{self.busy_timeout:g}s; try again"
        )

    def run(self, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        """``fn(conn)`` in one transaction; retried when PostgreSQL reports a
        serialization failure or deadlock (40001 / 40P01), a bounded number of times."""
        for attempt in range(1, RETRIES + 1):
            try:
                with self.transaction(write=write) as conn:
                    return fn(conn)
            except exc.DBAPIError as err:
                state = _sqlstate(err)
                if state not in RETRYABLE_SQLSTATES:
                    raise
                if attempt == RETRIES:
                    raise Busy(
                        f"the database aborted the transaction {RETRIES} times to resolve "
                        f"conflicts with concurrent writers (SQLSTATE {state}); try again"
                    ) from None
                time.sleep(random.uniform(0, 0.01 * attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def is_overlap(err: exc.IntegrityError) -> bool:
        """Whether the database itself refused an overlapping blocking rental."""
        text = str(err.orig)
        return _sqlstate(err) == "23P01" or any(
            message in text
            for message in (models.OVERLAP_TRIGGER_MESSAGE, models.MAINTENANCE_TRIGGER_MESSAGE)
        )

    def lock_machine(self, conn: Connection, machine_id: int) -> None:
        """Hold the machine's lock until commit (a no-op beyond BEGIN IMMEDIATE on SQLite)."""
        if self.dialect != "sqlite":
            conn.execute(
                sa.select(models.machine_t.c.id)
                .where(models.machine_t.c.id == machine_id)
                .with_for_update()
            )

    @property
    def read_only(self) -> bool:
        """Whether this SQLite file was opened read-only (this user cannot write it)."""
        return self.engine.url.query.get("mode") == "ro"

    @property
    def where(self) -> str:
        """The database for messages: a SQLite file's path, else the URL (password hidden)."""
        database = sa.make_url(self.url).database or ""
        if self.dialect == "sqlite" and database not in ("", ":memory:"):
            return database
        return self.display_url

    @property
    def file_path(self) -> Path | None:
        """The SQLite file, when the database is one given by its path (not in memory,
        not a ``file:`` URI): where its -wal, -shm and -damaged companions live."""
        database = sa.make_url(self.url).database or ""
        if self.dialect != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
            return None
        return Path(database)

    def schema_version(self, conn: Connection) -> int | None:
        """The stored ``rentcal_meta`` schema version, or None for a database without one."""
        return schema.read_state(conn).version

    def state(self) -> schema.SchemaState:
        """What the database holds (tables, schema version, revision); reads only."""
        with self.transaction() as conn:
            if self._file_journal is None and self._is_file():  # SQLite: WAL yet?
                self._file_journal = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())
            return schema.read_state(conn)

    def _is_file(self) -> bool:
        database = self.engine.url.database or ""
        return self.dialect == "sqlite" and database not in ("", ":memory:")

    def ensure_schema(self) -> None:
        """Create the schema in an empty database (if allowed), upgrade an older one,
        refuse a newer or a foreign one.

        The fast path — a database at head — reads the state in one short read
        transaction and never imports Alembic. Creating or upgrading happens in
        one write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL also holds
        an advisory lock), re-reading the state under the lock, so many hosts
        opening a new or old database at once are serialised and all or nothing.
        """
        if self._ready:
            return
        state = self.state()
        self._refuse(state)
        if not state.ready:
            if self.read_only:
                raise DatabaseError(
                    f"database {self.where} needs an upgrade to schema revision "
                    f"{schema.HEAD!r}, which needs write access: run 'rentcal db upgrade' "
                    f"as a user who may write it"
                )
            with self.transaction(write=True) as conn:
                if self.dialect == "postgresql":  # first use by many hosts at once
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
                state = schema.read_state(conn)  # re-read under the write lock
                self._refuse(state)
                if state.empty:
                    schema.create(conn)
                elif not state.ready:
                    self._upgrade(conn, state)
        self._use_wal()
        self._ready = True

    def _refuse(self, state: schema.SchemaState) -> None:
        refusal = schema.refusal(state, self.where, create=self.create)
        if refusal is not None:
            raise refusal

    def _upgrade(self, conn: Connection, state: schema.SchemaState) -> None:
        """Alembic's upgrade to head, inside the caller's write transaction."""
        from alembic.util import CommandError

        from rentcal.migrations import runner

        try:
            runner.upgrade(conn, state)
        except CommandError as err:
            raise DatabaseError(f"cannot upgrade database {self.where}: {err}") from None

    def _use_wal(self) -> None:
        """SQLite files: WAL (readers never block the writer), once they are known to be
        rentcal's. A no-op for a file already in WAL mode; never on a read-only file."""
        if not self._is_file() or self.read_only or self._file_journal == "wal":
            return
        try:
            with self.engine.connect() as conn:
                driver: Any = conn.connection.driver_connection  # no BEGIN around the pragma
                driver.execute("PRAGMA journal_mode = WAL").close()
            self._file_journal = "wal"
        except (sqlite3.Error, exc.DBAPIError) as err:
            if is_locked(err):
                raise self._busy() from None
            raise DatabaseError(
                f"database error ({self.display_url}): {err}".splitlines()[0]
            ) from None


__all__ = [
    "CONFLICTS_STATEMENT",
    "DEFAULT_BUSY_TIMEOUT",
    "MACHINE_BY_NAME",
    "Store",
    "default_sqlite_path",
    "make_engine",
    "overlap_clause",
    "resolve_url",
]
