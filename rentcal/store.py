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

from rentcal import models, queries
from rentcal.errors import Busy, DatabaseError
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


def _sqlite_engine(url: sa.URL, busy_timeout: float) -> Engine:
    connect_args: dict[str, Any] = {"timeout": busy_timeout, "isolation_level": None}
    if sys.version_info >= (3, 12):  # pragma: no cover - pinned for 3.12+ drivers
        connect_args["autocommit"] = sqlite3.LEGACY_TRANSACTION_CONTROL  # type: ignore[attr-defined]
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        if path.exists() and not path.is_file() and not path.is_dir():
            raise DatabaseError(f"{database!r} is not a regular file (a device or a pipe?)")
        _ensure_parent(path)
    engine = sa.create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE, False):
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


def _ensure_parent(path: Path) -> None:
    """Create the directory of the embedded database file on first use."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatabaseError(
            f"cannot create directory {str(path.parent)!r}: {err.strerror}"
        ) from None


def make_engine(url: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine configured with rentcal's locking recipe for its backend.

    Raises:
        InvalidRequest: the URL is not one rentcal accepts (:func:`parse_url`).
        DatabaseError: its driver is not installed.
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(_engine_url(parsed), busy_timeout)
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
    return text[0] if text else type(orig).__name__


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
    ) -> None:
        self.url = resolve_url(url)
        self.busy_timeout = busy_timeout
        self.engine = make_engine(self.url, busy_timeout)
        self.dialect = self.engine.dialect.name
        self._ready = False
        if create:
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
            raise DatabaseError(
                f"database error ({self.display_url}): {describe_db_error(err)}"
            ) from None
        except exc.DBAPIError as err:
            if isinstance(err, exc.IntegrityError) or _sqlstate(err) in RETRYABLE_SQLSTATES:
                raise
            if is_locked(err):
                raise self._busy() from None
            raise DatabaseError(
                f"database error ({self.display_url}): {describe_db_error(err)}"
            ) from None

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

    def schema_version(self, conn: Connection) -> int | None:
        """The stored schema version, or None for an empty database."""
        if not sa.inspect(conn).has_table(models.meta_t.name):
            return None
        value = conn.execute(
            sa.select(models.meta_t.c.value).where(models.meta_t.c.key == "schema_version")
        ).scalar_one_or_none()
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise DatabaseError(
                f"database {self.display_url} has an unreadable schema version {value!r}; "
                f"it was not created by rentcal"
            ) from None

    def ensure_schema(self) -> None:
        """Create the schema on first use; refuse a newer one; upgrade an older one."""
        if self._ready:
            return
        with self.transaction() as conn:
            version = self.schema_version(conn)
        if version != models.SCHEMA_VERSION:
            with self.transaction(write=True) as conn:
                if self.dialect == "postgresql":  # first use by many hosts at once
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
                version = self.schema_version(conn)  # re-read under the write lock
                if version is None:
                    self._create(conn)
                elif version > models.SCHEMA_VERSION:
                    raise DatabaseError(
                        f"database {self.display_url} has schema version {version}, newer than "
                        f"this rentcal understands ({models.SCHEMA_VERSION}); upgrade rentcal "
                        f"(pip install -U rentcal)"
                    )
                elif version < models.SCHEMA_VERSION:
                    upgrade(conn, version)
        self._ready = True

    def _create(self, conn: Connection) -> None:
        if self.dialect == "postgresql":
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
            except exc.DBAPIError as err:
                raise DatabaseError(
                    f"cannot create the btree_gist extension in {self.display_url} "
                    f"({describe_db_error(err)}); ask a superuser to run "
                    f"'CREATE EXTENSION btree_gist;' in that database"
                ) from None
        models.metadata.create_all(conn)
        conn.execute(
            sa.insert(models.meta_t).values(key="schema_version", value=str(models.SCHEMA_VERSION))
        )


#: version -> function upgrading a database from that version to version + 1.
UPGRADES: dict[int, Any] = {}


def upgrade(conn: Connection, version: int) -> None:
    """Run every upgrade step from ``version`` to the current one, in one transaction."""
    while version < models.SCHEMA_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            raise DatabaseError(f"no upgrade path from schema version {version}")
        step(conn)
        version += 1
    conn.execute(
        sa.update(models.meta_t)
        .where(models.meta_t.c.key == "schema_version")
        .values(value=str(version))
    )


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
