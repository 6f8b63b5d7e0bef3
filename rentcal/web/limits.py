"""How many connections and ``/api/changes`` streams one worker holds, at most.

Every open connection holds a file descriptor, and a worker has few (1,024
under systemd's default ``ulimit -n``). Without a bound, a thousand SSE
streams or trickling clients take them all and the worker stops answering
everyone, ``/healthz`` included. So each worker bounds:

* connections: :func:`connection_cap`, enforced by
  the bounded protocols (:mod:`rentcal.web.bounded_protocol`, h11 and httptools);
* streams, in total (503) and per member (429): :class:`StreamSlots`, which
  ``GET /api/changes`` takes a slot of for as long as the stream is open.

Streams get at most half the connections by default, so they never crowd out
ordinary requests.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rentcal.web.error_responses import WebError
from rentcal.web.server_settings import Settings

#: The connection cap when the descriptor limit allows more (or is unknown).
DEFAULT_MAX_CONNECTIONS = 1000
#: Connections the event loop accepts in one go (uvicorn's ``backlog``): each
#: holds a descriptor before the connection cap can see it.
ACCEPT_BACKLOG = 128
#: Descriptors left for the database, log files, pipes and the listening socket
#: (128), and for connections accepted but not yet counted or closed (two
#: bursts of :data:`ACCEPT_BACKLOG`): at the cap, ``accept()`` never fails.
DESCRIPTOR_RESERVE = 128 + 2 * ACCEPT_BACKLOG
#: The smallest default cap, however low the descriptor limit.
MIN_CONNECTIONS = 16
#: Seconds a refused client is told to wait (``Retry-After``).
RETRY_AFTER_SECONDS = 5


def descriptor_limit() -> int | None:
    """This process's soft limit of open files (None: unknown or unlimited)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not Unix
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def connection_cap(settings: Settings, limit: int | None = None) -> int:
    """The connections one worker keeps open: the setting, else what its descriptors allow."""
    if settings.max_connections is not None:
        return settings.max_connections
    limit = descriptor_limit() if limit is None else limit
    if limit is None:
        return DEFAULT_MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(DEFAULT_MAX_CONNECTIONS, limit - DESCRIPTOR_RESERVE))


def stream_cap(settings: Settings, limit: int | None = None) -> int:
    """The streams one worker keeps open: the setting, else half of its connections."""
    if settings.max_streams is not None:
        return settings.max_streams
    return max(1, connection_cap(settings, limit) // 2)


class StreamSlots:
    """Counts the open streams of one worker, in total and per member."""

    def __init__(self, total: int, per_member: int) -> None:
        self.total = total
        self.per_member = per_member
        self.open: Counter[int] = Counter()

    @classmethod
    def of(cls, settings: Settings) -> StreamSlots:
        """The slots a worker serving with ``settings`` has."""
        return cls(stream_cap(settings), settings.max_streams_per_member)

    def acquire(self, member_id: int) -> None:
        """Take a slot for ``member_id``, or refuse: 429 over the member's cap, 503 when full."""
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if self.open[member_id] >= self.per_member:
            raise WebError(
                429,
                "too_many_streams",
                f"you already have {self.per_member} open /api/changes streams "
                "(the most per member); close one first",
                headers=retry,
            )
        if sum(self.open.values()) >= self.total:
            raise WebError(
                503,
                "unavailable",
                f"this server holds its most open /api/changes streams ({self.total}); "
                "try again shortly",
                headers=retry,
            )
        self.open[member_id] += 1

    def release(self, member_id: int) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        self.open[member_id] -= 1
        if self.open[member_id] <= 0:
            del self.open[member_id]


def stream_slots(state: Any) -> StreamSlots:
    """The app's :class:`StreamSlots`, made on first use from ``state.settings``."""
    slots = getattr(state, "stream_slots", None)
    if slots is None:
        slots = StreamSlots.of(state.settings)
        state.stream_slots = slots
    return slots


__all__ = [
    "ACCEPT_BACKLOG",
    "DEFAULT_MAX_CONNECTIONS",
    "DESCRIPTOR_RESERVE",
    "RETRY_AFTER_SECONDS",
    "StreamSlots",
    "connection_cap",
    "descriptor_limit",
    "stream_cap",
    "stream_slots",
]
