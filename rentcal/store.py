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

import random
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from rentcal import models, queries, schema
from rentcal.errors import Busy, DamagedDatabase, DatabaseError
from rentcal.sqlite_file import (
    create_private_file,
    damage_marker,
    mark_damaged,
    read_only_url,
    sqlite_access,
)
from rentcal.urls import (
    default_sqlite_path,
    parse_url,
    resolve_url,
    safe_url,
    url_secrets,
)

#: Seconds a writer waits for another writer before :class:`Busy`.
DEFAULT_BUSY_TIMEOUT = 10.0
_WRITE = "rentcal_write"
#: Attempts for a transaction PostgreSQL aborted to resolve a conflict.
RETRIES = 5
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: Advisory lock key serialising schema creation/upgrade on PostgreSQL ("rentcal").
SCHEMA_LOCK_KEY = 0x72656E7463616C
#: Advisory lock key serialising the first member's creation on PostgreSQL.
MEMBERS_LOCK_KEY = SCHEMA_LOCK_KEY + 1
#: PostgreSQL: lock_timeout expired while waiting for a row lock.
LOCK_NOT_AVAILABLE = "55P03"
T = TypeVar("T")


def _engine_url(parsed: sa.URL) -> sa.URL:
    """The URL SQLAlchemy gets: rentcal's SQLite options become an SQLite URI."""
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("mode") != "ro":
        return parsed
    path = str(Path(parsed.database or "").absolute())
    uri = "file:" + urllib.parse.quote(path, safe="/")
    return parsed.set(database=uri, query={"mode": "ro", "uri": "true"})


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
        if write:
            _sqlite_busy_retry(conn, busy_timeout)
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


#: SQLite waits for another writer's lock in slices this long (seconds).
BUSY_SLICE = 0.1


def _sqlite_busy_retry(conn: Connection, timeout: float) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``timeout`` seconds for another writer.

    SQLite's busy handler sleeps inside the C library, where Python cannot
    deliver Ctrl-C: one 10-second wait would ignore it for 10 seconds. So the
    wait is cut into :data:`BUSY_SLICE` slices with a Python-level retry loop
    until the deadline; a KeyboardInterrupt arrives between two slices. The
    connection's own busy timeout is restored afterwards (other statements
    keep waiting as before). At the deadline the last "database is locked"
    error is raised, which :meth:`Store.transaction` reports as Busy.
    """
    raw = conn.connection.dbapi_connection
    assert raw is not None  # a checked-out connection always has one
    deadline = time.monotonic() + timeout
    raw.execute(f"PRAGMA busy_timeout = {int(min(BUSY_SLICE, timeout) * 1000)}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except exc.OperationalError as err:
                if not is_locked(err) or time.monotonic() >= deadline:
                    raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")


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

    Raises:
        InvalidRequest: the URL is not one rentcal accepts (:func:`parse_url`).
        DatabaseError: its driver is not installed; no such file with ``create=False``.
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(_engine_url(parsed), busy_timeout, create=create)
        engine = _postgres_engine(parsed, busy_timeout)
    except ImportError as err:
        raise DatabaseError(
            f"database URL {safe_url(url)!r} needs a driver that is not installed "
            f"({err.name}); for PostgreSQL: pip install 'rentcal[postgres]'"
        ) from None
    given = {k: v for k, v in parsed.query.items() if isinstance(v, str)}

    @event.listens_for(engine, "do_connect")
    def _url_wins(_dialect: Any, _record: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        # What the URL says beats rentcal's defaults (e.g. its connect_timeout).
        kwargs.update(given)

    return engine


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
        return safe_url(self.url, limit=None)

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
        """Whether the database itself refused an overlapping blocking row.

        Decided by error codes, never message text: PostgreSQL's exclusion
        violation (23P01) or a RAISE from one of SQLite's triggers (rentcal's
        only triggers are the overlap guards).
        """
        orig = err.orig
        return (
            _sqlstate(err) == "23P01"
            or getattr(orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_TRIGGER"
        )

    def lock_machine(self, conn: Connection, machine_id: int) -> None:
        """Hold the machine's lock until commit (a no-op beyond BEGIN IMMEDIATE on SQLite)."""
        if self.dialect != "sqlite":
            queries.lock_machine(conn, machine_id)

    def lock_members(self, conn: Connection) -> None:
        """Serialise writers that decide on "the database has no members yet".

        Needed on PostgreSQL, where READ COMMITTED lets two first ``init`` runs
        both see an empty table; SQLite's BEGIN IMMEDIATE already serialises.
        """
        if self.dialect != "sqlite":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MEMBERS_LOCK_KEY)))

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
    "DEFAULT_BUSY_TIMEOUT",
    "Store",
    "default_sqlite_path",
    "make_engine",
    "parse_url",
    "resolve_url",
    "safe_url",
    "url_secrets",
]
