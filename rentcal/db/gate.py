"""A fair gate in front of the connection pool: places handed out in arrival order."""

from __future__ import annotations

import threading
from collections import deque


class Gate:
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
