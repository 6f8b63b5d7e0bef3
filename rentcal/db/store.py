"""Engines, SQLite pragmas, the locking recipe and THE transaction manager.

All locking lives here so the service has one code path for every backend:

* SQLite: the sqlite3 driver runs with ``isolation_level=None`` (we issue
  BEGIN ourselves), write transactions start with ``BEGIN IMMEDIATE`` so the
  write lock is taken *before* the availability re-check, reads stay deferred;
  WAL, ``foreign_keys=ON`` and a busy timeout. ``FOR UPDATE`` is dropped by
  SQLite's compiler, which is fine: BEGIN IMMEDIATE already serialises writers.
* PostgreSQL: READ COMMITTED pinned explicitly (REPEATABLE READ double-books
  with a row lock) and ``SELECT ... FOR UPDATE`` on the machine row.

Every operation (:meth:`Store.run`) has ONE deadline, the busy timeout: all
its waits — for a connection, for the lock, retries — end by then, and a
PostgreSQL connection that stops answering is dropped soon after
(:data:`MARGIN`), so nothing waits forever, whatever the network does.
"""

from __future__ import annotations

import math
import os
import random
import socket
import sqlite3
import sys
import threading
import time
import urllib.parse
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from rentcal.db import schema, tables
from rentcal.db import sql as queries
from rentcal.db.sqlite_file import (
    create_private_file,
    damage_marker,
    mark_damaged,
    read_only_url,
    sqlite_access,
)
from rentcal.db.urls import (
    default_sqlite_path,
    parse_url,
    resolve_url,
    safe_url,
    url_secrets,
)
from rentcal.errors import Busy, DamagedDatabase, DatabaseError, InvalidRequest

#: Seconds an operation may wait (for locks, connections, retries) before :class:`Busy`.
DEFAULT_BUSY_TIMEOUT = 10.0
#: Environment variables overriding the busy timeout and the connection pool size.
BUSY_TIMEOUT_ENV = "RENTCAL_BUSY_TIMEOUT"
POOL_SIZE_ENV = "RENTCAL_POOL_SIZE"
#: Connections one Store opens at most (threads beyond it wait, within the deadline).
DEFAULT_POOL_SIZE = 5
MAX_BUSY_TIMEOUT = 86_400.0
#: Seconds beyond the busy timeout after which a silent PostgreSQL connection is
#: lost: the server ends an idle transaction then, the client drops the socket.
MARGIN = 2.0
#: statement_timeout exceeds lock_timeout by this much, so a plain lock wait
#: reports itself as one (55P03) and statement_timeout only ends chained waits.
LOCK_SLACK = 0.25
#: SQLite's write-lock wait (see _begin_immediate): each attempt waits one slice
#: inside SQLite's busy handler, from SQLITE_SLICE (a writer that has just
#: started) down to SQLITE_URGENT_SLICE (one between URGENT_FROM and URGENT_AT
#: of its timeout: faster polling, so the oldest waiters win), with a random
#: pause of up to SQLITE_PAUSE between attempts.
SQLITE_SLICE = 0.5
SQLITE_URGENT_SLICE = 0.03
SQLITE_PAUSE = 0.01
URGENT_FROM, URGENT_AT = 0.2, 0.5
#: Longest pause with jitter between retries of a whole transaction.
RETRY_PAUSE = 0.01
#: Pause range between connection attempts a full server refused.
CONNECT_PAUSE = (0.05, 0.25)
#: Seconds a watchdog thread stays with nothing to watch before it ends.
IDLE_EXIT = 5.0
_WRITE = "rentcal_write"
_FRESH = "rentcal_fresh"
#: The monotonic deadline of the operation Store.run is running in this context.
_DEADLINE: ContextVar[float | None] = ContextVar("rentcal_deadline", default=None)
#: Attempts for a transaction PostgreSQL aborted to resolve a conflict.
RETRIES = 5
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: PostgreSQL: statement_timeout expired (also ends chained lock waits).
QUERY_CANCELED = "57014"
#: What PostgreSQL says when it has no connection slot left (SQLSTATE 53300,
#: not exposed by libpq for a failed connection attempt).
TOO_MANY_CLIENTS = (
    "too many clients",
    "too many connections",
    "remaining connection slots are reserved",
)
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


def _sqlite_engine(
    url: sa.URL, busy_timeout: float, pool_size: int, *, create: bool = True
) -> Engine:
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
    pool: dict[str, Any] = {}
    if database and database != ":memory:":  # a file: a QueuePool, sized like PostgreSQL's
        pool = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": busy_timeout}
    engine = sa.create_engine(url, connect_args=connect_args, **pool)
    full_wait = f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(full_wait)
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
        if not write:
            conn.exec_driver_sql("BEGIN")
            return
        # A bare transaction() (outside run()) waits its full timeout, in slices too.
        deadline = _DEADLINE.get() or time.monotonic() + busy_timeout
        raw: sqlite3.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]
        try:
            _begin_immediate(raw, deadline, busy_timeout)
        except sqlite3.OperationalError as err:  # wrapped like any statement's error
            raise exc.OperationalError("BEGIN IMMEDIATE", None, err) from None
        finally:
            raw.execute(full_wait)

    return engine


def _begin_immediate(raw: sqlite3.Connection, deadline: float, budget: float) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock until ``deadline``, oldest first.

    SQLite's own busy handler backs off to 100 ms sleeps, so a writer that
    has waited long polls least often and newcomers overtake it: at 256
    writers some starved past the timeout while the median wait was 1 ms.
    Here each attempt waits one slice in SQLite's handler (its schedule
    restarts with quick polls), and the slices shorten once a writer has
    used a fifth of its ``budget`` (the whole timeout): the longer it has
    waited, the more often it polls, so the lock tends to pass to whoever
    waited longest. Urgent polling is bounded (30 ms slices): if every
    waiter polled flat out, the lock holder itself would starve of CPU.
    Slices of at most 0.5 s keep Ctrl-C responsive (the handler sleeps in
    C). The loop runs on the raw driver: a retry through SQLAlchemy costs a
    hundred times more CPU, which 256 waiters on two cores cannot spare.
    """
    started = deadline - budget
    while True:
        now = time.monotonic()
        age = (now - started) / max(budget, 1e-3)
        urgency = min(1.0, max(0.0, (age - URGENT_FROM) / (URGENT_AT - URGENT_FROM)))
        slice_ = SQLITE_SLICE - (SQLITE_SLICE - SQLITE_URGENT_SLICE) * urgency
        wait = max(0.0, min(slice_, deadline - now))
        raw.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if not is_locked(err) or time.monotonic() >= deadline:
                raise
        time.sleep(random.uniform(0, SQLITE_PAUSE))


#: The PostgreSQL timeouts rentcal sets, for the session or (``local``) one transaction.
_SET_TIMEOUTS = (
    "SELECT set_config('lock_timeout', %(lock)s, {local}), "
    "set_config('statement_timeout', %(stmt)s, {local}), "
    "set_config('idle_in_transaction_session_timeout', %(idle)s, {local})"
)


def _postgres_engine(url: sa.URL, busy_timeout: float, pool_size: int) -> Engine:
    """READ COMMITTED pinned; every wait bounded by the operation's deadline.

    Server side, each session gets ``lock_timeout`` (Busy, SQLSTATE 55P03),
    ``statement_timeout`` (which also ends a row-lock wait that PostgreSQL
    queues twice, on the tuple and on the holder, where lock_timeout would
    restart) and ``idle_in_transaction_session_timeout`` (a client that
    vanished cannot keep a machine locked); each *write* transaction sets
    them again with ``SET LOCAL`` from the time left in the operation, so
    retries stay within the deadline and the bounds hold behind PgBouncer's
    transaction pooling too. Client side, libpq's ``connect_timeout``, TCP
    keepalives and ``tcp_user_timeout`` notice a dead peer, and a
    :class:`_Watchdog` drops a connection whose statement got no answer in
    time — a stalled proxy or a frozen host that TCP cannot notice.
    """
    tables.add_postgres_guards()
    bound = busy_timeout + MARGIN
    connect_args: dict[str, Any] = {
        "keepalives": 1,
        "keepalives_idle": max(1, math.ceil(busy_timeout / 2)),
        "keepalives_interval": max(1, math.ceil(busy_timeout / 6)),
        "keepalives_count": 3,
        "tcp_user_timeout": int(bound * 1000),
        "application_name": "rentcal",
    }
    for key in url.query:  # what the URL says wins
        connect_args.pop(key, None)
    engine = sa.create_engine(
        url,
        isolation_level="READ COMMITTED",
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=busy_timeout,
    )
    watchdog = _WATCHDOGS[engine] = _Watchdog(bound)

    @event.listens_for(engine, "do_connect")
    def _connect_within_deadline(
        _dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]
    ) -> None:
        left = _remaining(busy_timeout)
        cparams.setdefault("connect_timeout", max(2, math.ceil(left)))

    def _timeouts(left: float) -> dict[str, str]:
        return {
            "lock": f"{max(1, int(left * 1000))}ms",
            "stmt": f"{int((left + LOCK_SLACK) * 1000)}ms",
            "idle": f"{int(bound * 1000)}ms",
        }

    @event.listens_for(engine, "connect")
    def _session(dbapi_conn: Any, record: Any) -> None:
        # The session's own bounds, for reads (one round trip per connection).
        record.info[_FRESH] = True
        with dbapi_conn.cursor() as cursor:
            cursor.execute(_SET_TIMEOUTS.format(local="false"), _timeouts(busy_timeout))
        dbapi_conn.commit()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # pool_pre_ping, but watched: a pooled connection whose peer went
        # silent must not hang the ping (SQLAlchemy's own ping is unbounded).
        if record.info.pop(_FRESH, False):
            return
        watchdog.arm(dbapi_conn)
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:
            watchdog.disarm(dbapi_conn)
            raise exc.DisconnectionError(str(err)) from err

    @event.listens_for(engine, "begin")
    def _deadline(conn: Connection) -> None:
        # Writers lock machines: their waits come out of the operation's
        # deadline, set per transaction (SET LOCAL: PgBouncer-safe).
        if conn.get_execution_options().get(_WRITE, False):
            left = max(0.001, _remaining(busy_timeout))
            conn.exec_driver_sql(_SET_TIMEOUTS.format(local="true"), _timeouts(left))

    def _arm(conn: Connection, *_args: Any) -> None:
        if not conn.invalidated:  # a dropped connection has nothing left to watch
            watchdog.arm(conn.connection.dbapi_connection)

    for name in ("before_cursor_execute", "after_cursor_execute", "commit", "rollback"):
        event.listen(engine, name, _arm)

    def _arm_raw(dbapi_conn: Any, *_args: Any) -> None:
        watchdog.arm(dbapi_conn)

    def _disarm(dbapi_conn: Any, *_args: Any) -> None:
        watchdog.disarm(dbapi_conn)

    event.listen(engine, "reset", _arm_raw)
    for name in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine, name, _disarm)
    return engine


class _Watchdog:
    """Drops the socket of a PostgreSQL connection that got no answer in time.

    Armed (with ``bound`` seconds) at every statement, answer, commit,
    rollback and ping of a checked-out connection; disarmed at check-in.
    ``bound`` exceeds what the server itself allows a statement, so a
    healthy server always answers first; past it the connection is lost, and
    shutting its socket down makes the waiting driver fail at once instead
    of waiting for TCP (hours). A checked-out connection left idle longer
    than ``bound`` is dropped too: the server ends such a transaction at the
    same moment (idle_in_transaction_session_timeout).

    One daemon thread per engine, started on first use. It sleeps until the
    earliest expiry rather than polling (an armed connection is re-armed at
    every statement, so it rarely wakes at all), and it ends after
    ``IDLE_EXIT`` seconds with nothing armed: a process that opens many
    engines (a script, a test suite) must not collect threads that wake
    forever, each costing CPU even when every engine is idle.
    """

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self._armed: dict[int, tuple[float, Any, int]] = {}
        self._dropped: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = False
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_conn: Any) -> None:
        """(Re)start the countdown for ``dbapi_conn``, used by this thread."""
        if dbapi_conn is None:
            return
        entry = (time.monotonic() + self.bound, dbapi_conn, threading.get_ident())
        with self._lock:
            self._armed[id(dbapi_conn)] = entry
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="rentcal-watchdog", daemon=True
                )
                self._thread.start()
            elif self._idle:  # asleep with nothing armed: it has a deadline to keep now
                self._wake.notify()

    def forked(self) -> None:
        """Start afresh in a forked child: the parent's thread did not come along.

        Its lock may have been held by that thread at the fork (then nobody
        would ever release it), and the connections it watched are the
        parent's: their sockets are shared, so shutting one down from here
        would break the parent's connection.
        """
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = False
        self._armed = {}
        self._dropped = set()
        self._thread = None

    def disarm(self, dbapi_conn: Any) -> None:
        """Stop watching ``dbapi_conn`` (checked in, invalidated or closed)."""
        with self._lock:
            self._armed.pop(id(dbapi_conn), None)

    def dropped(self) -> bool:
        """Whether a connection of the calling thread was dropped (and forget it)."""
        ident = threading.get_ident()
        with self._lock:
            if ident in self._dropped:
                self._dropped.discard(ident)
                return True
        return False

    def _watch(self) -> None:
        while True:
            expired = self._wait_for_expiry()
            if expired is None:
                return
            for dbapi_conn, ident in expired:
                if not self._drop(dbapi_conn):
                    with self._lock:
                        self._dropped.discard(ident)

    def _wait_for_expiry(self) -> list[tuple[Any, int]] | None:
        """Sleep until connections expire: those, marked dropped; None: idle, end the thread."""
        with self._lock:
            while True:
                if not self._armed:
                    self._idle = True
                    self._wake.wait(IDLE_EXIT)
                    self._idle = False
                    if not self._armed:
                        self._thread = None
                        return None
                now = time.monotonic()
                first = min(expires for expires, _, _ in self._armed.values())
                if first > now:
                    # New arms of this engine expire later: nobody needs to wake us.
                    self._wake.wait(first - now)
                    continue
                expired = [(k, c, i) for k, (e, c, i) in self._armed.items() if e <= now]
                for key, _, ident in expired:
                    del self._armed[key]
                    self._dropped.add(ident)  # before the drop wakes its thread up
                return [(dbapi_conn, ident) for _, dbapi_conn, ident in expired]

    @staticmethod
    def _drop(dbapi_conn: Any) -> bool:
        try:
            if dbapi_conn.closed:
                return False
            fd = os.dup(dbapi_conn.fileno())
        except Exception:  # closed meanwhile: nothing to drop
            return False
        with socket.socket(fileno=fd) as sock:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                return False
        return True


def _remaining(busy_timeout: float) -> float:
    """Seconds left before the current operation's deadline (a full timeout outside run())."""
    deadline = _DEADLINE.get()
    return busy_timeout if deadline is None else deadline - time.monotonic()


#: The watchdog of each PostgreSQL engine.
_WATCHDOGS: weakref.WeakKeyDictionary[Engine, _Watchdog] = weakref.WeakKeyDictionary()


def _watchdogs_after_fork() -> None:
    """In a forked child, every watchdog starts afresh (see :meth:`_Watchdog.forked`)."""
    for watchdog in list(_WATCHDOGS.values()):
        watchdog.forked()


os.register_at_fork(after_in_child=_watchdogs_after_fork)


def make_engine(
    url: str,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    pool_size: int = DEFAULT_POOL_SIZE,
    *,
    create: bool = True,
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
            return _sqlite_engine(_engine_url(parsed), busy_timeout, pool_size, create=create)
        engine = _postgres_engine(parsed, busy_timeout, pool_size)
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


def is_out_of_connections(err: BaseException) -> bool:
    """Whether PostgreSQL refused a connection because all its slots are taken."""
    text = str(getattr(err, "orig", err)).lower()
    return any(phrase in text for phrase in TOO_MANY_CLIENTS)


def _setting_from_env(name: str, default: str) -> str | None:
    """The variable's value, None when unset; set but blank is refused (like the CLI's)."""
    value = os.environ.get(name)
    if value is None:
        return None
    if not value.strip():
        raise InvalidRequest(f"{name} is set but empty; unset it for the default ({default})")
    return value.strip()


def busy_timeout_setting(value: object) -> float:
    """``value`` (seconds), else $RENTCAL_BUSY_TIMEOUT, else the default; checked."""
    label = "busy_timeout"
    if value is None:
        env = _setting_from_env(BUSY_TIMEOUT_ENV, f"{DEFAULT_BUSY_TIMEOUT:g} s")
        if env is None:
            return DEFAULT_BUSY_TIMEOUT
        label = BUSY_TIMEOUT_ENV
        try:
            value = float(env)
        except ValueError:
            value = env
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequest(f"{label} {value!r} must be a number of seconds")
    if not 0 <= value <= MAX_BUSY_TIMEOUT:  # also refuses NaN
        raise InvalidRequest(f"{label} {value!r} must be from 0 to {MAX_BUSY_TIMEOUT:g} seconds")
    return float(value)


def pool_size_setting(value: object) -> int:
    """``value``, else $RENTCAL_POOL_SIZE, else the default; a whole number from 1."""
    label = "pool_size"
    if value is None:
        env = _setting_from_env(POOL_SIZE_ENV, str(DEFAULT_POOL_SIZE))
        if env is None:
            return DEFAULT_POOL_SIZE
        label = POOL_SIZE_ENV
        value = int(env) if env.isdigit() else env
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise InvalidRequest(
            f"{label} {value!r} must be a whole number of connections from 1 to 10000"
        )
    return value


class _Gate:
    """At most ``size`` holders at once, admitted strictly in arrival order.

    SQLAlchemy's pool lets a thread that has just returned a connection take
    it straight back, ahead of threads already waiting for one, so with more
    threads than connections some waited past the deadline. The gate hands a
    released place directly to the longest waiter instead.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def enter(self, timeout: float) -> bool:
        """Take a place within ``timeout`` seconds; whether one was taken."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(max(0.0, timeout)):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._waiters.remove(turn)
            return False

    def leave(self) -> None:
        """Give the place to the next waiter, if any."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._free += 1


class Store:
    """One database: its engine, schema check and transactions."""

    def __init__(
        self,
        url: str | None = None,
        *,
        busy_timeout: float | None = None,
        create: bool = True,
        check: bool = True,
        pool_size: int | None = None,
    ) -> None:
        """Open ``url``; with ``check``, make sure it holds rentcal's schema at head.

        ``create``: whether an empty (or, for SQLite, missing) database may be
        given rentcal's schema; without it such a database is a DatabaseError
        and nothing is created. ``check=False`` opens without looking at the
        schema (``rentcal db status`` and friends look for themselves).
        """
        self.url = resolve_url(url)
        self.busy_timeout = busy_timeout_setting(busy_timeout)
        self.pool_size = pool_size_setting(pool_size)
        self.create = create
        self.engine = make_engine(self.url, self.busy_timeout, self.pool_size, create=create)
        self.dialect = self.engine.dialect.name
        self._watchdog = _WATCHDOGS.get(self.engine)
        self._gate = _Gate(self.pool_size)
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
        (or :class:`Busy` when a wait for a lock or a connection ran out);
        rentcal's own errors pass through after the rollback. Waits end at
        the deadline of the :meth:`run` in progress, else one busy timeout
        from now; the transaction itself is never retried here.
        """
        deadline = _DEADLINE.get() or time.monotonic() + self.busy_timeout
        if self._watchdog is not None:
            self._watchdog.dropped()  # forget a drop an earlier operation already reported
        if not self._gate.enter(deadline - time.monotonic()):
            raise self._no_connection()
        try:
            with self._connect(deadline) as conn:
                if write:
                    conn = conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
        except exc.TimeoutError:  # the pool itself, used beside the gate
            raise self._no_connection() from None
        except exc.DBAPIError as err:
            if isinstance(err, exc.IntegrityError) or _sqlstate(err) in RETRYABLE_SQLSTATES:
                raise
            raise self._translate(err) from None
        finally:
            self._gate.leave()

    def _no_connection(self) -> Busy:
        return Busy(
            f"all {self.pool_size} database connections of this process stayed in use "
            f"for more than {self.busy_timeout:g}s (pool_size={self.pool_size}); try again"
        )

    def _connect(self, deadline: float) -> Connection:
        """A pooled connection; a server out of connection slots is asked again
        (with a random pause) until the deadline, as other clients finish."""
        while True:
            try:
                return self.engine.connect()
            except exc.DBAPIError as err:
                left = deadline - time.monotonic()
                if not is_out_of_connections(err) or left <= 0:
                    raise
            time.sleep(min(left, random.uniform(*CONNECT_PAUSE)))

    def _translate(self, err: exc.DBAPIError) -> DatabaseError:
        """THE mapping of a driver error to rentcal's one-line errors."""
        if self._watchdog is not None and self._watchdog.dropped():
            return DatabaseError(
                f"no answer from the database server ({self.display_url}) for "
                f"{self._watchdog.bound:g}s: the connection was dropped (network or server "
                f"failure?); the transaction was not committed unless the server had "
                f"finished it; try again"
            )
        if is_locked(err):
            return self._busy()
        if _sqlstate(err) == QUERY_CANCELED:
            return Busy(
                f"the database did not finish within {self.busy_timeout:g}s (another writer "
                f"held the lock, or the server is overloaded); try again"
            )
        if is_out_of_connections(err):
            return Busy(
                f"the database server ({self.display_url}) refused connections for "
                f"{self.busy_timeout:g}s: {describe_db_error(err)} (max_connections); use a "
                f"smaller pool_size or a pooler such as PgBouncer (docs/postgres.md)"
            )
        return self._database_error(err)

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
        """``fn(conn)`` in one transaction, all waits bounded by ONE deadline.

        The busy timeout is a deadline for the whole operation: a turn at
        this process's connections (:class:`_Gate`), connection attempts to a
        full server (:meth:`_connect`), the database lock (SQLite:
        :func:`_begin_immediate`; PostgreSQL: SET LOCAL timeouts from the time
        left) and retries all come out of it. Retried here, after a random
        pause and only while time is left: a lock conflict reported mid-way
        (Busy), and — at most :data:`RETRIES` times — transactions PostgreSQL
        aborted to resolve a serialization failure or a deadlock (40001 /
        40P01). ``fn`` may therefore run more than once; each failed attempt
        was rolled back.
        """
        deadline = time.monotonic() + self.busy_timeout
        token = _DEADLINE.set(deadline)
        try:
            aborted = 0
            while True:
                try:
                    with self.transaction(write=write) as conn:
                        return fn(conn)
                except Busy:
                    if time.monotonic() >= deadline:
                        raise
                except exc.DBAPIError as err:
                    state = _sqlstate(err)
                    if state not in RETRYABLE_SQLSTATES:
                        raise
                    aborted += 1
                    if aborted >= RETRIES or time.monotonic() >= deadline:
                        raise Busy(
                            f"the database aborted the transaction {aborted} times to resolve "
                            f"conflicts with concurrent writers (SQLSTATE {state}); try again"
                        ) from None
                left = deadline - time.monotonic()
                time.sleep(max(0.0, min(left, random.uniform(0, RETRY_PAUSE))))
        finally:
            _DEADLINE.reset(token)

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
        """Hold the machine's lock until commit (a no-op beyond BEGIN IMMEDIATE on SQLite).

        On PostgreSQL the wait is bounded by the transaction's SET LOCAL
        timeouts, i.e. by the operation's deadline.
        """
        if self.dialect != "sqlite":
            queries.lock_machine(conn, machine_id)

    def lock_member(self, conn: Connection, member_id: int, *, shared: bool) -> bool:
        """Hold one member's lock until commit: ``shared`` by bookings for them,
        exclusively by their deactivation (a no-op beyond BEGIN IMMEDIATE on SQLite).

        An advisory lock, not a row lock: PostgreSQL queues a shared request behind
        a waiting exclusive one, so a stream of bookings cannot starve the
        deactivation (``SELECT ... FOR SHARE`` lockers would jump the queue).
        Returns whether a lock was taken (what was read before it may be stale).
        """
        if self.dialect == "sqlite":
            return False
        queries.lock_member(conn, member_id, shared=shared)
        return True

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

        from rentcal.db.migrations import runner

        try:
            runner.upgrade(conn, state)
        except CommandError as err:
            raise DatabaseError(f"cannot upgrade database {self.where}: {err}") from None

    def _use_wal(self) -> None:
        """SQLite files: WAL (readers never block the writer), once they are known to be
        rentcal's. A no-op for a file already in WAL mode; never on a read-only file.

        Switching needs the file to itself for a moment; when other processes
        are using it (several hosts opening an old database at once), the
        switch is left to a later opener instead of making this one wait its
        whole busy timeout: WAL is a speed-up, not a condition of correctness.
        """
        if not self._is_file() or self.read_only or self._file_journal == "wal":
            return
        try:
            with self.engine.connect() as conn:
                driver: Any = conn.connection.driver_connection  # no BEGIN around the pragma
                driver.execute(f"PRAGMA busy_timeout = {int(WAL_SWITCH_WAIT * 1000)}").close()
                try:
                    mode = driver.execute("PRAGMA journal_mode = WAL").fetchone()
                finally:
                    driver.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if mode and str(mode[0]).lower() == "wal":
                self._file_journal = "wal"
        except (sqlite3.Error, exc.DBAPIError) as err:
            if is_locked(err):
                return  # in use elsewhere right now: a later open switches it
            raise DatabaseError(
                f"database error ({self.display_url}): {err}".splitlines()[0]
            ) from None


#: Seconds an opener waits to switch a SQLite file to WAL before leaving it for later.
WAL_SWITCH_WAIT = 0.2


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
