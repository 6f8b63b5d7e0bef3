"""uvicorn's HTTP/1.1 protocols with a connection cap and a request-header timeout.

Why a protocol subclass: both bounds act before there is a request, so no
ASGI middleware ever sees them. uvicorn's own options do not cover them:
``limit_concurrency`` answers 503 only once a request header is complete
(a trickling client never completes one) and never frees a descriptor;
``timeout_keep_alive`` starts only after a first response and is cancelled
by any byte received; h11 bounds a header's size, not its duration.

So, per worker (``rentcal serve`` passes a bounded protocol as uvicorn's
``http``: :class:`BoundedH11Protocol` here, or
:class:`~rentcal.web.bounded_httptools.BoundedHttpToolsProtocol` when the C
parser httptools is installed; both share :class:`ConnectionBounds`):

* a connection still sending its request header ``header_timeout`` seconds
  after it connected (or after its previous response) is closed;
* a new connection past ``max_connections`` first closes the longest-idle
  connection (sending a header or kept alive, never one being answered or
  streaming); when none is idle it gets a 503 and is closed. A connection
  that has sent nothing yet is spared for :data:`GRACE_SECONDS`: in a burst,
  its request may be waiting unread in the kernel, and it deserves an answer.

Either way the worker keeps descriptors free and answers ``/healthz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from typing import Any, Protocol

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from rentcal.web.error_responses import error_body
from rentcal.web.limits import RETRY_AFTER_SECONDS, connection_cap
from rentcal.web.server_settings import Settings

#: A new connection that has sent nothing is not closed to make room this soon.
GRACE_SECONDS = 1.0


@functools.cache
def worker_limits() -> tuple[int, float]:
    """This worker's connection cap and header timeout (from ``rentcal serve``'s settings)."""
    settings = Settings.from_env()
    return connection_cap(settings), settings.header_timeout


def busy_response(cap: int) -> bytes:
    """The raw 503 a connection over the cap gets before it is closed."""
    body = json.dumps(
        error_body(
            "unavailable",
            f"this server holds its most open connections ({cap}); try again shortly",
        )
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"retry-after: {RETRY_AFTER_SECONDS}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class Cycle(Protocol):
    """What the bounds read of uvicorn's request-response cycle (either protocol's)."""

    response_complete: bool


class ConnectionBounds(asyncio.Protocol):
    """The cap and the header clock, for any uvicorn HTTP protocol listed after it.

    Mixed in first (``class X(ConnectionBounds, H11Protocol)``), so its
    ``super()`` calls reach uvicorn's protocol. The protocol gives
    ``transport``, ``loop`` and ``connections`` (this worker's, shared by all
    its connections); the subclass says where its request cycle is
    (:meth:`current_cycle`) and restarts the header clock when uvicorn
    finishes a response (:meth:`response_done`).
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    connections: set[Any]
    header_timer: asyncio.TimerHandle | None = None
    waiting_since = 0.0
    received = False
    refused = False

    def current_cycle(self) -> Cycle | None:
        """The request being (or last) answered on this connection; None before the first."""
        raise NotImplementedError

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Make room past the cap (or refuse), then start the header clock."""
        cap, timeout = worker_limits()
        if len(self.connections) >= cap and not self.make_room():
            self.refused = True
            transport.write(busy_response(cap))
            transport.close()
            return
        super().connection_made(transport)
        self.arm_header_timer(timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the header clock; a refused connection was never uvicorn's."""
        self.disarm_header_timer()
        if not self.refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Note that the client has spoken (it may now make room for others)."""
        self.received = True
        super().data_received(data)

    def response_done(self) -> None:
        """The next request header must come within the timeout too (keep-alive trickling)."""
        if not self.transport.is_closing():
            self.arm_header_timer(worker_limits()[1])

    def idle(self) -> bool:
        """Whether no request is being answered: still reading a header, or kept alive."""
        if self.transport is None or self.transport.is_closing():
            return False
        cycle = self.current_cycle()
        return cycle is None or cycle.response_complete

    def evictable(self, now: float) -> bool:
        """Idle, and either heard from or silent past the grace period."""
        return self.idle() and (self.received or now - self.waiting_since >= GRACE_SECONDS)

    def make_room(self) -> bool:
        """Close the longest-idle connection of this worker; False when none may be closed."""
        now = time.monotonic()
        idle = [c for c in self.connections if isinstance(c, ConnectionBounds) and c.evictable(now)]
        if not idle:
            return False
        min(idle, key=lambda c: c.waiting_since).close_quietly()
        return True

    def arm_header_timer(self, timeout: float) -> None:
        """Close this connection unless a new request header is complete within ``timeout``."""
        self.disarm_header_timer()
        self.waiting_since = time.monotonic()
        self.header_timer = self.loop.call_later(timeout, self.header_late, self.current_cycle())

    def disarm_header_timer(self) -> None:
        """Cancel the header clock (the connection is gone)."""
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def header_late(self, cycle_when_armed: object) -> None:
        """The clock ran out: close unless a request began since it was armed."""
        self.header_timer = None
        if self.current_cycle() is cycle_when_armed and self.idle():
            self.close_quietly()

    def close_quietly(self) -> None:
        """Close a connection that is between requests (as uvicorn's keep-alive timeout does)."""
        self.disarm_header_timer()
        if not self.transport.is_closing():
            self.transport.close()


class BoundedH11Protocol(ConnectionBounds, H11Protocol):
    """uvicorn's pure-Python protocol (h11), bounded; used when httptools is not installed."""

    def current_cycle(self) -> Cycle | None:
        """h11's cycle (None before the first request)."""
        return self.cycle

    def on_response_complete(self) -> None:
        """Restart the header clock, then let uvicorn arm keep-alive / start a pipelined request."""
        self.response_done()
        super().on_response_complete()

    def close_quietly(self) -> None:
        """Tell h11 the connection ends (as uvicorn's keep-alive timeout does), then close it."""
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        super().close_quietly()


__all__ = [
    "GRACE_SECONDS",
    "BoundedH11Protocol",
    "ConnectionBounds",
    "Cycle",
    "busy_response",
    "worker_limits",
]
