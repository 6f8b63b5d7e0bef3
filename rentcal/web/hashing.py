"""The login gate: password checks run apart from every other request.

A login costs an Argon2 hash (19 MiB, about a fifth of a second of CPU). Run
in the request thread pool, 200 concurrent logins took all 40 of its threads
and a gigabyte of memory, and a logged-in member's ``GET /api/me`` waited 11
seconds. Here logins get their own small budget instead:

* at most ``Settings.login_hashes`` logins run at once per worker, each on a
  thread of its own (an :class:`anyio.CapacityLimiter` apart from the request
  pool's), so the pool stays free for everything else;
* at most ``Settings.login_queue`` more wait — as coroutines, costing no
  thread and no hash memory;
* any beyond that are refused at once with 503 and ``Retry-After``, before
  their password is looked at.

The service bounds hashing per process too (:data:`rentcal.service.sessions.MAX_HASHES`),
for every caller; this gate is what keeps the web worker's threads free.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from starlette.requests import Request

from rentcal.web.error_responses import WebError
from rentcal.web.server_settings import Settings

T = TypeVar("T")
log = logging.getLogger("rentcal.web")

#: Seconds a refused login is told to wait before trying again.
BUSY_RETRY_AFTER = 2


class LoginGate:
    """At most ``running`` logins at once, ``waiting`` more queued, the rest refused."""

    def __init__(self, running: int, waiting: int) -> None:
        self.limiter = anyio.CapacityLimiter(running)
        self.capacity = running + waiting
        self.admitted = 0

    async def run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """``fn(*args, **kwargs)`` on a thread of the gate's own, once a slot is free.

        Raises:
            WebError: 503 ``busy`` with ``Retry-After`` when the queue is full.
        """
        if self.admitted >= self.capacity:
            log.warning("login refused: %d logins running or queued", self.admitted)
            raise WebError(
                503,
                "busy",
                "too many logins at once: try again in a moment",
                headers={"Retry-After": str(BUSY_RETRY_AFTER)},
            )
        self.admitted += 1
        try:
            call = functools.partial(fn, *args, **kwargs)
            return await anyio.to_thread.run_sync(call, limiter=self.limiter)
        finally:
            self.admitted -= 1


def login_gate(request: Request) -> LoginGate:
    """The worker's one gate, made on first use from the app's settings.

    Made lazily on the event loop's thread, so no two requests make two.
    """
    state = request.app.state
    gate: LoginGate | None = getattr(state, "login_gate", None)
    if gate is None:
        settings: Settings = state.settings
        gate = LoginGate(settings.login_hashes, settings.login_queue)
        state.login_gate = gate
    return gate


__all__ = ["BUSY_RETRY_AFTER", "LoginGate", "login_gate"]
