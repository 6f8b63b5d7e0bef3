"""The SQLite engine: pragmas, ``BEGIN IMMEDIATE`` for writers, fair lock waits.

The sqlite3 driver runs with ``isolation_level=None`` (rentcal issues BEGIN
itself); write transactions start with ``BEGIN IMMEDIATE`` so the write lock
is taken *before* the availability re-check, reads stay deferred; WAL,
``foreign_keys=ON`` and a busy timeout. ``FOR UPDATE`` is dropped by SQLite's
compiler, which is fine: BEGIN IMMEDIATE already serialises writers.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from rentcal.db import schema
from rentcal.db.deadline import DEADLINE, WRITE
from rentcal.db.driver_errors import is_locked
from rentcal.db.sqlite_file import (
    create_private_file,
    damage_marker,
    read_only_url,
    sqlite_access,
)
from rentcal.errors import DamagedDatabase, DatabaseError

#: SQLite's write-lock wait (see _begin_immediate): each attempt waits one slice
#: inside SQLite's busy handler, from SQLITE_SLICE (a writer that has just
#: started) down to SQLITE_URGENT_SLICE (one between URGENT_FROM and URGENT_AT
#: of its timeout: faster polling, so the oldest waiters win), with a random
#: pause of up to SQLITE_PAUSE between attempts.
SQLITE_SLICE = 0.5
SQLITE_URGENT_SLICE = 0.03
SQLITE_PAUSE = 0.01
URGENT_FROM, URGENT_AT = 0.2, 0.5


def engine_url(parsed: sa.URL) -> sa.URL:
    """The URL SQLAlchemy gets: rentcal's SQLite options become an SQLite URI."""
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("mode") != "ro":
        return parsed
    path = str(Path(parsed.database or "").absolute())
    uri = "file:" + urllib.parse.quote(path, safe="/")
    return parsed.set(database=uri, query={"mode": "ro", "uri": "true"})


def sqlite_engine(
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
        write = conn.get_execution_options().get(WRITE, False)
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
        deadline = DEADLINE.get() or time.monotonic() + busy_timeout
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


#: Seconds an opener waits to switch a SQLite file to WAL before leaving it for later.
WAL_SWITCH_WAIT = 0.2


def switch_to_wal(engine: Engine, busy_timeout: float) -> bool:
    """Put the file in WAL mode (readers never block the writer); whether it is now.

    Switching needs the file to itself for a moment; when other processes
    are using it (several hosts opening an old database at once), the
    switch is left to a later opener (False) instead of making this one wait
    its whole busy timeout: WAL is a speed-up, not a condition of correctness.
    Other driver errors propagate.
    """
    try:
        with engine.connect() as conn:
            driver: Any = conn.connection.driver_connection  # no BEGIN around the pragma
            driver.execute(f"PRAGMA busy_timeout = {int(WAL_SWITCH_WAIT * 1000)}").close()
            try:
                mode = driver.execute("PRAGMA journal_mode = WAL").fetchone()
            finally:
                driver.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    except (sqlite3.Error, exc.DBAPIError) as err:
        if is_locked(err):
            return False  # in use elsewhere right now: a later open switches it
        raise
    return bool(mode) and str(mode[0]).lower() == "wal"
