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
import re
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from rentcal import models
from rentcal.core.wording import shorten
from rentcal.errors import Busy, DatabaseError, InvalidRequest

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


#: Query options a database URL may carry, by backend, each with a check of its
#: value (None: any non-empty text). Anything else is refused, naming the option
#: (docs/cli.md, "Database URLs"). SQLite: ``mode=ro`` opens the file read-only
#: (and never creates it). PostgreSQL: libpq connection parameters.
URL_OPTIONS: dict[str, dict[str, Callable[[str], str | None] | None]] = {}


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of: {', '.join(choices)}"

    return check


def _whole_number(value: str) -> str | None:
    return None if value.isascii() and value.isdigit() else "must be a whole number of seconds"


def _ports(value: str) -> str | None:
    parts = value.split(",")
    if all(p.isascii() and p.isdigit() and 1 <= int(p) <= 65535 for p in parts):
        return None
    return "must be a port number from 1 to 65535 (or a comma-separated list)"


URL_OPTIONS["sqlite"] = {"mode": _one_of("ro")}
URL_OPTIONS["postgresql"] = {
    "host": None,
    "port": _ports,
    "user": None,
    "password": None,
    "passfile": None,
    "sslmode": _one_of("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "sslrootcert": None,
    "sslcert": None,
    "sslkey": None,
    "sslcrl": None,
    "channel_binding": _one_of("disable", "prefer", "require"),
    "gssencmode": _one_of("disable", "prefer", "require"),
    "connect_timeout": _whole_number,
    "keepalives": _one_of("0", "1"),
    "keepalives_idle": _whole_number,
    "keepalives_interval": _whole_number,
    "keepalives_count": _whole_number,
    "tcp_user_timeout": _whole_number,
    "application_name": None,
    "options": None,
    "target_session_attrs": _one_of(
        "any", "read-write", "read-only", "primary", "standby", "prefer-standby"
    ),
}
#: Query options whose values are secrets: never shown in a message.
SECRET_OPTIONS = frozenset({"password", "sslpassword"})
#: Longest URL quoted in a message (the rest is cut with "...").
MAX_URL_SHOWN = 100
_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
}
_USERINFO_SECRET = re.compile(r"(://[^/?#@]*?:)[^/?#@]*@")
_QUERY_SECRET = re.compile(rf"([?&](?:{'|'.join(sorted(SECRET_OPTIONS))})=)[^&#]*", re.I)


def safe_url(url: str, limit: int | None = MAX_URL_SHOWN) -> str:
    """``url`` fit for a message: every password replaced by ``***``, at most
    ``limit`` characters (None: all). Works on text that is not a valid URL too."""
    masked = _QUERY_SECRET.sub(r"\1***", _USERINFO_SECRET.sub(r"\1***@", url))
    return masked if limit is None else shorten(masked, limit)


def url_secrets(url: str) -> list[str]:
    """The passwords a URL carries (user:PASSWORD@ and ``?password=``), for scrubbing."""
    try:
        parsed = sa.make_url(url)
    except (exc.ArgumentError, ValueError):
        return []
    found = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if key.lower() in SECRET_OPTIONS:
            found += [value] if isinstance(value, str) else list(value)
    return [str(s) for s in found if s]


def _bad_url(url: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"database URL {safe_url(url)!r}: {reason}")


def default_url() -> str:
    """$RENTCAL_DATABASE_URL, else the embedded SQLite file."""
    return os.environ.get("RENTCAL_DATABASE_URL") or _sqlite_url(str(default_sqlite_path()))


def _sqlite_url(path: str) -> str:
    """The ``sqlite:///`` URL of a file path, taken literally (``?`` and ``#`` escaped)."""
    return sa.URL.create("sqlite", database=path).render_as_string(hide_password=False)


def parse_url(url: str) -> sa.URL:
    """A checked database URL; every problem is an InvalidRequest naming it.

    Accepts ``sqlite:///PATH`` (``sqlite://`` for memory) and
    ``postgresql://`` / ``postgres://`` / ``postgresql+psycopg://``, with only
    the query options of :data:`URL_OPTIONS`, each given once.
    """
    if not url.strip():
        raise InvalidRequest("the database URL is empty")
    if "\x00" in url:
        raise _bad_url(url, "contains a NUL character")
    scheme = url.partition("://")[0]
    try:
        parsed = sa.make_url(scheme.lower() + url[len(scheme) :])
    except exc.ArgumentError:
        raise _bad_url(
            url, "not a valid URL (expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    except ValueError:  # SQLAlchemy's int() of the port
        raise _bad_url(url, "malformed host or port (a port is a number from 1 to 65535)") from None
    backend = _DRIVERS.get(parsed.drivername)
    if backend is None:
        raise _bad_url(
            url,
            f"unsupported backend {shorten(parsed.drivername)!r} "
            "(use sqlite:///PATH or postgresql://USER@HOST/DB)",
        )
    parts = (parsed.database, parsed.host, parsed.username, parsed.password)
    if any("\x00" in part for part in parts if part):
        raise _bad_url(url, "contains a NUL character")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise _bad_url(url, "the port must be a number from 1 to 65535")
    if backend == "sqlite":
        _check_sqlite(url, parsed)
    _check_options(url, parsed, backend)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed.set(drivername="sqlite")


def _check_sqlite(url: str, parsed: sa.URL) -> None:
    if parsed.host or parsed.username or parsed.password or parsed.port:
        raise _bad_url(
            url,
            "a SQLite URL names no host or user: use sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db",
        )
    database = parsed.database or ""
    if database.startswith("file:"):
        raise _bad_url(url, "give the file as sqlite:///PATH (options: ?mode=ro), not file:")
    if "#" in url.partition("?")[0]:
        raise _bad_url(url, "'#' starts a URL fragment; write it as %23 in a file name")


def _check_options(url: str, parsed: sa.URL, backend: str) -> None:
    allowed = URL_OPTIONS[backend]
    # SQLAlchemy drops "?mode=" and "?mode" silently: look at the text itself.
    for key, text in urllib.parse.parse_qsl(url.partition("?")[2], keep_blank_values=True):
        if not text.strip():
            raise _bad_url(url, f"option {shorten(key)!r} is empty")
    for key, value in parsed.query.items():
        if key not in allowed:
            choices = ", ".join(allowed)
            raise _bad_url(
                url,
                f"unknown option {shorten(key)!r} (a {_NAMES[backend]} URL accepts: {choices})",
            )
        if not isinstance(value, str):
            raise _bad_url(url, f"option {key!r} is given {len(value)} times; give it once")
        shown = "***" if key in SECRET_OPTIONS else shorten(value)
        if not value.strip():
            raise _bad_url(url, f"option {key!r} is empty")
        check = allowed[key]
        reason = check(value) if check is not None else None
        if reason:
            raise _bad_url(url, f"option {key}={shown!r} {reason}")
    if backend == "sqlite" and parsed.query.get("mode") == "ro" and not parsed.database:
        raise _bad_url(url, "mode=ro needs a database file")


_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def resolve_url(url: str | None) -> str:
    """The database URL to use: explicit, else $RENTCAL_DATABASE_URL, else the file.

    A bare filesystem path is taken as a SQLite file, literally: ``?`` in it is
    refused rather than read as options (write ``sqlite:///PATH?mode=ro``).
    ``postgresql://`` is routed to psycopg 3, the only PostgreSQL driver
    rentcal supports. The URL is checked (:func:`parse_url`).

    Raises:
        InvalidRequest: a malformed URL, an unsupported backend or driver, an
            unknown or bad query option (named, password hidden).
    """
    if url is None:
        url = default_url()
    if "://" not in url and url.strip():
        if "?" in url:
            raise InvalidRequest(
                f"database path {safe_url(url)!r} contains '?': for options write "
                f"sqlite:///PATH?mode=ro; for a '?' in the file name write %3F in a sqlite:/// URL"
            )
        if "\x00" in url:
            raise InvalidRequest("the database path contains a NUL character")
        url = _sqlite_url(str(Path(url).expanduser()))
    return parse_url(url).render_as_string(hide_password=False)


def _engine_url(parsed: sa.URL) -> sa.URL:
    """The URL SQLAlchemy gets: rentcal's SQLite options become an SQLite URI."""
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("mode") != "ro":
        return parsed
    path = str(Path(parsed.database or "").absolute())
    uri = "file:" + urllib.parse.quote(path, safe="/")
    return parsed.set(database=uri, query={"mode": "ro", "uri": "true"})


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
    "CONFLICTS_STATEMENT",
    "DEFAULT_BUSY_TIMEOUT",
    "MACHINE_BY_NAME",
    "Store",
    "default_sqlite_path",
    "make_engine",
    "overlap_clause",
    "parse_url",
    "resolve_url",
    "safe_url",
    "url_secrets",
]
