"""Prometheus metrics (the design's monitoring section), correct across uvicorn workers.

With several workers ``rentcal serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at
a fresh directory *before* any worker imports prometheus-client; each worker
then writes its samples to files there, and ``/metrics`` in any worker
aggregates all of them (prometheus-client's multiprocess mode). The gauge of
SSE clients sums the live processes only.

Metrics are defined once, at import, so building several apps in one process
(tests) never registers a name twice. Every label comes from a closed set, so
no client can grow the registry (each new label value is a series kept for
the life of the process, metrics served or not): route *templates*
(``/api/rentals/{rental_id}``), never raw paths; the standard methods, else
``other``; the status codes HTTP defines, else ``other``.
"""

from __future__ import annotations

import os
from http import HTTPStatus

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from rentcal.web import usage

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The method label's values besides :data:`OTHER` (RFC 9110 and PATCH).
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
STATUSES = frozenset(str(int(status)) for status in HTTPStatus)
BOOKING_OUTCOMES = frozenset({"booked", "unavailable", "invalid", "denied"})
#: The caches whose hits and misses are counted (``rentcal_cache_requests_total``).
CACHES = ("events", "availability", "credentials", "feed")
#: The label of any value outside its closed set.
OTHER = "other"

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from request to the end of the response, by method, route template and status.",
    ["method", "route", "status"],
    buckets=usage.DURATION_BUCKETS,
)
BOOKINGS = Counter(
    "rentcal_bookings",
    "Booking requests by outcome: booked, unavailable, invalid, denied.",
    ["outcome"],
)
AVAILABILITY_CHECKS = Counter(
    "rentcal_availability_checks",
    "Availability checks by result: available, unavailable, invalid.",
    ["result"],
)
FEED_REQUESTS = Counter(
    "rentcal_feed_requests",
    "Secret feed URL requests by kind (ics, json) and status code (304 = cache hit).",
    ["kind", "code"],
)
DB_QUERIES = Histogram(
    "rentcal_db_queries_per_request",
    "Database statements one request ran (thread-pool work included), by route template.",
    ["route"],
    buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64),
)
CACHE_REQUESTS = Counter(
    "rentcal_cache_requests",
    "Cache look-ups by cache (events, availability, credentials, feed) and result (hit, miss).",
    ["cache", "result"],
)
#: The labelled children, made once: ``.labels()`` on every look-up costs more than the count.
_CACHE_CHILDREN = {
    (cache, hit): CACHE_REQUESTS.labels(cache, "hit" if hit else "miss")
    for cache in CACHES
    for hit in (True, False)
}
SSE_CLIENTS = Gauge(
    "rentcal_sse_clients",
    "Open /api/changes streams.",
    multiprocess_mode="livesum",
)


def method_label(method: str) -> str:
    """The method itself when standard, else ``other``: a client picks any method name."""
    return method if method in METHODS else OTHER


def status_label(status: int) -> str:
    """The status code when HTTP defines it, else ``other`` (bounded whatever an app sends)."""
    text = str(status)
    return text if text in STATUSES else OTHER


def count_booking(outcome: str) -> None:
    """Count one booking request by outcome (the one booking path calls this)."""
    BOOKINGS.labels(outcome if outcome in BOOKING_OUTCOMES else OTHER).inc()
    usage.RECORDER.booking(outcome == "booked")


def count_cache(cache: str, hit: bool) -> None:
    """Count one look-up in ``cache`` (one of :data:`CACHES`; any other is a KeyError,
    a programming error caught by the tests, never a new series)."""
    _CACHE_CHILDREN[cache, hit].inc()
    usage.RECORDER.cache(hit)


#: ``DB_QUERIES``' child per route template, made on first use (templates are a closed set).
_QUERY_CHILDREN: dict[str, Histogram] = {}


def observe_queries(route: str, statements: int) -> None:
    """Observe one request's statement count (its child kept: ``.labels()`` costs more)."""
    child = _QUERY_CHILDREN.get(route)
    if child is None:
        child = _QUERY_CHILDREN[route] = DB_QUERIES.labels(route)
    child.observe(statements)


def multiprocess() -> bool:
    """Whether samples are shared between worker processes through files."""
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition() -> tuple[bytes, str]:
    """The text format of every metric (of all workers in multiprocess mode)."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Forget a stopped worker's live gauges (multiprocess mode only)."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]


__all__ = [
    "AVAILABILITY_CHECKS",
    "BOOKINGS",
    "CACHES",
    "CACHE_REQUESTS",
    "DB_QUERIES",
    "FEED_REQUESTS",
    "HTTP_DURATION",
    "HTTP_REQUESTS",
    "METHODS",
    "MULTIPROC_ENV",
    "OTHER",
    "SSE_CLIENTS",
    "count_booking",
    "count_cache",
    "exposition",
    "method_label",
    "multiprocess",
    "observe_queries",
    "process_exited",
    "status_label",
]
