"""The watchdog: drops a PostgreSQL connection whose peer stopped answering.

TCP notices a dead peer only after keepalives or hours; a stalled proxy or a
frozen host answers keepalives but never the statement. One thread per
engine closes such a socket once its bound has passed.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import weakref
from typing import Any

from sqlalchemy.engine import Engine

#: Seconds a watchdog thread stays with nothing to watch before it ends.
IDLE_EXIT = 5.0


class Watchdog:
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
        """Stop watching ``dbapi_conn`` (checked in, invalidated or closed).

        The last one out wakes a thread asleep until its expiry, so the thread
        ends ``IDLE_EXIT`` seconds after the engine fell idle, not ``bound``
        seconds later (a closed engine's thread would otherwise linger on).
        """
        with self._lock:
            self._armed.pop(id(dbapi_conn), None)
            if not self._armed and not self._idle and self._thread is not None:
                self._wake.notify()

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


#: The watchdog of each PostgreSQL engine.
WATCHDOGS: weakref.WeakKeyDictionary[Engine, Watchdog] = weakref.WeakKeyDictionary()


def _watchdogs_after_fork() -> None:
    """In a forked child, every watchdog starts afresh (see :meth:`Watchdog.forked`)."""
    for watchdog in list(WATCHDOGS.values()):
        watchdog.forked()


os.register_at_fork(after_in_child=_watchdogs_after_fork)
