"""The deadline of the operation in progress, shared by the Store and both engines.

:meth:`rentcal.db.store.Store.run` sets it once; every wait below it (the
connection gate, SQLite's write lock, PostgreSQL's SET LOCAL timeouts, a
connection attempt) takes what is left instead of a fresh full timeout.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

#: Execution option marking a write transaction (set by Store.transaction(write=True)).
WRITE = "rentcal_write"
#: The monotonic deadline of the operation Store.run is running in this context.
DEADLINE: ContextVar[float | None] = ContextVar("rentcal_deadline", default=None)
#: Set while a quick read takes a pooled connection: it skips the pre-ping round
#: trip and instead retries once, on a new connection, if the pooled one was dead
#: (rentcal.db.quick_reads).
QUICK_CHECKOUT: ContextVar[bool] = ContextVar("rentcal_quick_checkout", default=False)


def remaining(busy_timeout: float) -> float:
    """Seconds left before the current operation's deadline (a full timeout outside run())."""
    deadline = DEADLINE.get()
    return busy_timeout if deadline is None else deadline - time.monotonic()
