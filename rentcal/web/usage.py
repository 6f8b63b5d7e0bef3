"""This worker's figures of the current minute, added to the database once a minute.

The admin page's chart shows the last hour of *every* worker on every host, with
or without ``--metrics``: each worker counts in memory (:data:`RECORDER`, a few
dict increments per request) and a background task adds the counts to the
database once a minute (:func:`start_flushing`, in the app's lifespan; the
write runs in the thread pool, never on the event loop). The names form a
closed set (:data:`NAMES`):

* ``requests``, ``queries`` (statements run; per request = queries / requests),
  ``api``, ``api_4xx``, ``api_5xx`` (requests to ``/api/`` routes and their errors),
* ``booked``, ``booking_failed`` (booking requests by outcome),
* ``cache_hit``, ``cache_miss``,
* ``check:I`` and ``events:I``: how many availability checks / calendar loads
  took up to :data:`DURATION_BUCKETS` ``[I]`` seconds (``I`` = its length: longer),
  not cumulative — so a minute's p95 can be read off
  (:func:`rentcal.web.pages.usage_chart.quantile`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from rentcal.errors import RentcalError

if TYPE_CHECKING:  # the type only: importing the service is not needed to count
    from rentcal.service import Rentcal

log = logging.getLogger("rentcal.web")

#: The upper bounds of the duration buckets, seconds (also ``http_request_duration_seconds``').
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: The routes whose durations are kept per bucket: the calendar's loads, the check.
TIMED_ROUTES = {
    "/api/events": "events",
    "/api/machines/{name}/events": "events",
    "/api/check-availability": "check",
}
_BUCKET_NAMES = {
    kind: tuple(f"{kind}:{i}" for i in range(len(DURATION_BUCKETS) + 1))
    for kind in ("check", "events")
}
#: Every name a worker may write.
NAMES = frozenset(
    {
        "requests",
        "queries",
        "api",
        "api_4xx",
        "api_5xx",
        "booked",
        "booking_failed",
        "cache_hit",
        "cache_miss",
        *(name for names in _BUCKET_NAMES.values() for name in names),
    }
)
#: Seconds between flushes.
FLUSH_SECONDS = 60.0


class Recorder:
    """This process's counts since the last flush (thread-safe: the thread pool counts too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._since: float | None = None

    def request(self, route: str | None, status: int, seconds: float, queries: int) -> None:
        """Count one answered request (the request middleware calls this)."""
        kind = TIMED_ROUTES.get(route) if route is not None else None
        api = route is not None and route.startswith("/api/")
        with self._lock:
            counts = self._counts
            counts["requests"] += 1
            counts["queries"] += queries
            if api:
                counts["api"] += 1
                if status >= 500:
                    counts["api_5xx"] += 1
                elif status >= 400:
                    counts["api_4xx"] += 1
            if kind is not None:
                counts[_BUCKET_NAMES[kind][bisect_left(DURATION_BUCKETS, seconds)]] += 1

    def booking(self, ok: bool) -> None:
        """Count one booking request: booked, or refused for any reason."""
        with self._lock:
            self._counts["booked" if ok else "booking_failed"] += 1

    def cache(self, hit: bool) -> None:
        """Count one cache look-up."""
        with self._lock:
            self._counts["cache_hit" if hit else "cache_miss"] += 1

    def take(self) -> tuple[dict[str, int], float | None]:
        """The counts so far and the monotonic time they began; counting starts afresh."""
        now = time.monotonic()
        with self._lock:
            counts, self._counts = self._counts, Counter()
            since, self._since = self._since, now
        return dict(counts), since


#: This process's recorder (one per worker, like the Prometheus metrics).
RECORDER = Recorder()


def flush(cal: Rentcal, recorder: Recorder = RECORDER) -> None:
    """Add what ``recorder`` counted to the database, at the minute in the middle of
    the counting (a flush just after 10:01 counted 10:00). Blocking: call it in a
    thread. A failure is logged and those counts are dropped: figures for a
    chart are never worth failing a worker, nor growing its memory."""
    counts, since = recorder.take()
    if not counts:
        return
    now = cal.now()
    elapsed = 0.0 if since is None else time.monotonic() - since
    minute = now - timedelta(seconds=min(elapsed, FLUSH_SECONDS) / 2)
    try:
        cal.add_usage(minute, counts)
    except RentcalError as err:
        log.warning("usage figures of %s not stored: %s", _minute(minute), err)


def _minute(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


def start_flushing(cal: Rentcal, every: float = FLUSH_SECONDS) -> Callable[[], Awaitable[None]]:
    """Flush :data:`RECORDER` into ``cal`` every ``every`` seconds, just after each
    minute; returns the stop, which flushes what is left (call it before closing ``cal``).

    The app's lifespan calls this in a server worker (``rentcal serve``)."""
    RECORDER.take()  # forget what was counted before this app started serving

    async def loop() -> None:
        while True:
            await asyncio.sleep(every - time.time() % every + 1)
            try:
                await run_in_threadpool(flush, cal)
            except Exception:  # never let the figures stop the flushing for good
                log.exception("usage figures not stored")

    task = asyncio.get_running_loop().create_task(loop(), name="rentcal-usage-flush")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await run_in_threadpool(flush, cal)

    return stop


__all__ = [
    "DURATION_BUCKETS",
    "NAMES",
    "RECORDER",
    "TIMED_ROUTES",
    "Recorder",
    "flush",
    "start_flushing",
]
