"""Wake-ups when the calendar's revision may have changed, for live streams.

PostgreSQL announces every calendar-changing commit (``NOTIFY
rentcal_revision``, sent by :func:`rentcal.db.sql.revisions.bump_revision`);
a :class:`ListenWatch` LISTENs on a connection of its own engine, made with
the Store's recipe (connect timeout, TCP keepalives, session timeouts and a
watchdog), so a silent server or network costs at most the Store's bound,
never a hang. SQLite has no such channel: a :class:`PollWatch` wakes its
reader every ``poll_seconds`` to read the counter itself.

Either way the reader's loop is the same: ``wait()`` returns a revision the
database announced, or None ("nothing heard: read the counter yourself").
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine

from rentcal.db.driver_errors import describe_db_error
from rentcal.db.engines import make_engine
from rentcal.db.sql.revisions import REVISION_CHANNEL
from rentcal.errors import DatabaseError

#: The longest one wait on the socket lasts: closing the watch takes effect this soon.
SLICE = 0.5


class RevisionWatch(Protocol):
    """What a live stream needs from the database: wake-ups, then a clean close."""

    def wait(self) -> int | None:
        """Block until the database announces a revision (returned) or it is time
        to read the counter (None)."""

    def close(self) -> None:
        """Stop watching; a ``wait()`` in progress returns within :data:`SLICE` seconds."""

    def __enter__(self) -> RevisionWatch: ...

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _Closing:
    """Shared by both watches: an interruptible pause and a context manager."""

    def __init__(self) -> None:
        self._closed = threading.Event()

    def close(self) -> None:
        self._closed.set()

    def __enter__(self) -> _Closing:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PollWatch(_Closing):
    """SQLite: a wake-up every ``poll_seconds`` (one cheap read per process, however
    many clients listen); the database announces nothing."""

    def __init__(self, poll_seconds: float) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds

    def wait(self) -> int | None:
        self._closed.wait(self.poll_seconds)
        return None

    def __enter__(self) -> PollWatch:
        return self


class ListenWatch(_Closing):
    """PostgreSQL: ``LISTEN rentcal_revision`` on a connection of a one-connection
    engine built like the Store's, so its timeouts, keepalives and watchdog apply.

    ``wait()`` returns a NOTIFY's revision as soon as one arrives, else None
    after ``quiet_seconds`` of silence. While waiting it pings the server at
    least every ``ping_seconds`` (a third of the watchdog's bound): each ping
    re-arms the watchdog, so a healthy idle connection is never dropped, and a
    server that stops answering makes the ping fail within the bound — a
    :class:`DatabaseError`; open a new watch to listen again.
    """

    def __init__(self, url: str, busy_timeout: float, quiet_seconds: float) -> None:
        super().__init__()
        self.quiet_seconds = quiet_seconds
        self._engine: Engine = make_engine(url, busy_timeout, pool_size=1)
        self._lock = threading.Lock()  # the connection is used by one thread at a time
        self._conn: Connection | None = None
        self.ping_seconds = max(SLICE, busy_timeout / 3)
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql(f"LISTEN {REVISION_CHANNEL}")
            self._conn = conn
        except exc.DBAPIError as err:
            self._engine.dispose()
            raise _listen_failed(err) from None

    def __enter__(self) -> ListenWatch:
        return self

    def wait(self) -> int | None:
        with self._lock:
            conn = self._conn
            if conn is None or self._closed.is_set():
                return None
            try:
                return self._wait_on(conn)
            except exc.DBAPIError as err:
                raise _listen_failed(err) from None
            except Exception as err:  # psycopg's own errors from notifies()
                raise DatabaseError(f"listening for calendar changes failed: {err}") from None

    def _wait_on(self, conn: Connection) -> int | None:
        driver: Any = conn.connection.driver_connection
        until = time.monotonic() + self.quiet_seconds
        pinged = time.monotonic()
        while not self._closed.is_set():
            now = time.monotonic()
            if now >= until:
                return None
            if now - pinged >= self.ping_seconds:
                conn.exec_driver_sql("SELECT 1")  # re-arms the watchdog; fails if gone
                pinged = time.monotonic()
            for note in driver.notifies(timeout=min(SLICE, until - now), stop_after=1):
                try:
                    return int(note.payload)
                except ValueError:
                    continue
        return None

    def close(self) -> None:
        """Stop watching and close the connection, once a ``wait()`` in progress has
        returned (within :data:`SLICE` seconds, or a ping's bound): call it from a
        worker thread, not from an event loop."""
        super().close()
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            finally:
                self._engine.dispose()


def _listen_failed(err: exc.DBAPIError) -> DatabaseError:
    return DatabaseError(f"listening for calendar changes failed: {describe_db_error(err)}")


__all__ = ["SLICE", "ListenWatch", "PollWatch", "RevisionWatch"]
