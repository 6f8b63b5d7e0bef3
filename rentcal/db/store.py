"""Engines, SQLite pragmas, the locking recipe and THE transaction manager.

All locking lives here so the service has one code path for every backend:

All locking is reached from here so the service has one code path for every
backend; the dialect details live in :mod:`rentcal.db.engine_sqlite` (pragmas,
``BEGIN IMMEDIATE``, fair lock waits) and :mod:`rentcal.db.engine_postgres`
(READ COMMITTED pinned, timeouts, keepalives, the watchdog).

Every operation (:meth:`Store.run`) has ONE deadline, the busy timeout: all
its waits — for a connection, for the lock, retries — end by then, and a
PostgreSQL connection that stops answering is dropped soon after
(:data:`MARGIN`), so nothing waits forever, whatever the network does.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection

from rentcal.db import schema, sql, store_errors
from rentcal.db.connection_limits import (
    DEFAULT_BUSY_TIMEOUT,
    busy_timeout_setting,
    pool_size_setting,
)
from rentcal.db.deadline import DEADLINE, WRITE
from rentcal.db.driver_errors import (
    RETRYABLE_SQLSTATES,
    is_out_of_connections,
    sqlstate,
)
from rentcal.db.engine_postgres import MEMBERS_LOCK_KEY, REMINDERS_LOCK_KEY, SCHEMA_LOCK_KEY
from rentcal.db.engine_sqlite import switch_to_wal
from rentcal.db.engines import make_engine
from rentcal.db.gate import Gate
from rentcal.db.quick_reads import QuickReads
from rentcal.db.revision_watch import ListenWatch, PollWatch, RevisionWatch
from rentcal.db.rows import MemberRecord
from rentcal.db.sql import credential_tables, revisions
from rentcal.db.urls import (
    default_sqlite_path,
    parse_url,
    resolve_url,
    safe_url,
    url_secrets,
)
from rentcal.db.watchdog import WATCHDOGS
from rentcal.errors import Busy, DatabaseError

#: Longest pause with jitter between retries of a whole transaction.
RETRY_PAUSE = 0.01
#: Pause range between connection attempts a full server refused.
CONNECT_PAUSE = (0.05, 0.25)
#: Attempts for a transaction PostgreSQL aborted to resolve a conflict.
RETRIES = 5
T = TypeVar("T")


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
        self._watchdog = WATCHDOGS.get(self.engine)
        self._gate = Gate(self.pool_size)
        self._ready = False
        self._file_journal: str | None = None  # SQLite file's journal mode, once read
        #: Hot reads through the driver's cursor (:mod:`rentcal.db.quick_reads`).
        limits = (self.busy_timeout, self.pool_size)
        self.quick_reads = QuickReads(
            self.engine, self._gate, self._watchdog, self._translate, *limits
        )
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
        deadline = DEADLINE.get() or time.monotonic() + self.busy_timeout
        if self._watchdog is not None:
            self._watchdog.dropped()  # forget a drop an earlier operation already reported
        if not self._gate.enter(deadline - time.monotonic()):
            raise store_errors.no_connection(self.pool_size, self.busy_timeout)
        try:
            with self._connect(deadline) as conn:
                if write:
                    conn = conn.execution_options(**{WRITE: True})
                with conn.begin():
                    yield conn
        except exc.TimeoutError:  # the pool itself, used beside the gate
            raise store_errors.no_connection(self.pool_size, self.busy_timeout) from None
        except exc.DBAPIError as err:
            if isinstance(err, exc.IntegrityError) or sqlstate(err) in RETRYABLE_SQLSTATES:
                raise
            raise self._translate(err) from None
        finally:
            self._gate.leave()

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
        """A driver error as rentcal's one-line error (:func:`store_errors.translate`)."""
        return store_errors.translate(
            err,
            watchdog=self._watchdog,
            display_url=self.display_url,
            busy_timeout=self.busy_timeout,
            file_path=self.file_path,
        )

    def run(self, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        """``fn(conn)`` in one transaction, all waits bounded by ONE deadline.

        The busy timeout is a deadline for the whole operation: a turn at
        this process's connections (:class:`Gate`), connection attempts to a
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
        token = DEADLINE.set(deadline)
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
                    state = sqlstate(err)
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
            DEADLINE.reset(token)

    @staticmethod
    def is_overlap(err: exc.IntegrityError) -> bool:
        """Whether the database itself refused an overlapping blocking row.

        Decided by error codes, never message text: PostgreSQL's exclusion
        violation (23P01) or a RAISE from one of SQLite's triggers (rentcal's
        only triggers are the overlap guards).
        """
        orig = err.orig
        return (
            sqlstate(err) == "23P01"
            or getattr(orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_TRIGGER"
        )

    def lock_machine(self, conn: Connection, machine_id: int) -> None:
        """Hold the machine's lock until commit (a no-op beyond BEGIN IMMEDIATE on SQLite).

        On PostgreSQL the wait is bounded by the transaction's SET LOCAL
        timeouts, i.e. by the operation's deadline.
        """
        if self.dialect != "sqlite":
            sql.lock_machine(conn, machine_id)

    def lock_member(self, conn: Connection, handle: str, *, shared: bool) -> MemberRecord | None:
        """The member's current row, read under their lock where the backend has one:
        ``shared`` by bookings for them, exclusive by their deactivation.

        PostgreSQL: an advisory lock held until commit, not a row lock (it queues
        a shared request behind a waiting exclusive one, so a stream of bookings
        cannot starve the deactivation; ``SELECT ... FOR SHARE`` lockers would
        jump the queue); the wait is bounded by the transaction's SET LOCAL
        timeouts. SQLite: BEGIN IMMEDIATE already serialises writers, so no
        lock. Either way the row is read once, after any lock, so the caller
        never holds a stale row and never asks which database this is.
        None: no such member.
        """
        if self.dialect != "sqlite":
            sql.lock_member(conn, handle, shared=shared)
        return sql.member_row(conn, handle)

    @property
    def serialises_writers(self) -> bool:
        """Whether a write transaction already excludes every other writer (SQLite's
        BEGIN IMMEDIATE): then what it read before taking a lock is still current."""
        return self.dialect == "sqlite"

    def bump_revision(self, conn: Connection, now: datetime) -> int:
        """Raise the calendar's revision in the caller's transaction; on PostgreSQL
        listeners are told on commit (NOTIFY), SQLite's are polled."""
        return revisions.bump_revision(conn, now, notify=self.dialect == "postgresql")

    def lock_login_handle(self, conn: Connection, handle: str) -> None:
        """Serialise sign-in attempts for ``handle`` (PostgreSQL advisory lock; SQLite's
        write lock already does), so they are counted one after another."""
        if self.dialect == "postgresql":
            credential_tables.lock_handle(conn, handle)

    def lock_members(self, conn: Connection) -> None:
        """Serialise writers that decide on "the database has no members yet".

        Needed on PostgreSQL, where READ COMMITTED lets two first ``init`` runs
        both see an empty table; SQLite's BEGIN IMMEDIATE already serialises.
        """
        if self.dialect != "sqlite":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MEMBERS_LOCK_KEY)))

    def lock_reminders(self, conn: Connection) -> None:
        """Serialise the runs that queue reminders: each checks the outbox, then adds to it,
        so two at once (cron and a server, two hosts) must not both see "not sent yet".
        PostgreSQL: an advisory lock until commit; SQLite's BEGIN IMMEDIATE already does."""
        if self.dialect != "sqlite":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(REMINDERS_LOCK_KEY)))

    def watch_revisions(self, *, poll_seconds: float, quiet_seconds: float) -> RevisionWatch:
        """Wake-ups for live streams when the calendar's revision may have changed.

        PostgreSQL: LISTEN/NOTIFY on a connection of its own (not one of this
        Store's pool), built with the same timeouts, keepalives and watchdog;
        a wake-up at least every ``quiet_seconds``. SQLite: a wake-up every
        ``poll_seconds`` to read the counter. See :mod:`rentcal.db.revision_watch`.

        Raises:
            DatabaseError: the LISTEN connection could not be opened.
        """
        if self.dialect == "sqlite":
            return PollWatch(poll_seconds)
        return ListenWatch(self.url, self.busy_timeout, quiet_seconds)

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
        """SQLite files: WAL, once they are known to be rentcal's (see
        :func:`rentcal.db.engine_sqlite.switch_to_wal`); never on a read-only file."""
        if not self._is_file() or self.read_only or self._file_journal == "wal":
            return
        try:
            if switch_to_wal(self.engine, self.busy_timeout):
                self._file_journal = "wal"
        except (sqlite3.Error, exc.DBAPIError) as err:
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
