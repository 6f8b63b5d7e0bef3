"""The admin page's chart: every worker's last hour, minute by minute, as plain numbers
and SVG geometry the template draws (no JavaScript, no chart library).

Two small panels fit a 390 px phone: requests a minute (API errors in red on
top of them), and the 95th percentile of the availability check's and the
calendar load's durations (log scale from 1 ms). A summary of the hour and a table of the minutes
(the text alternative, for screen readers and keyboards) carry the rest:
bookings booked and refused, database statements per request, cache hits.
The figures come from :mod:`rentcal.web.usage` through ``Rentcal.usage``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rentcal.web.usage import DURATION_BUCKETS

#: Minutes shown.
MINUTES = 60
#: The SVG's coordinate box: one slot of :data:`SLOT` units a minute.
SLOT = 6
WIDTH = MINUTES * SLOT
PLOT_TOP = 12
PLOT_HEIGHT = 64
#: The duration panel's floor, ms (log scale).
FLOOR_MS = 1
#: The quantile the chart shows.
Q = 0.95


def quantile(counts: Sequence[int], q: float = Q) -> float | None:
    """The ``q`` quantile, in seconds, of durations counted per bucket of
    :data:`DURATION_BUCKETS` (not cumulative; one more for "longer"), interpolated
    inside its bucket as Prometheus' ``histogram_quantile`` does; None: no data.

    >>> quantile([0, 0, 10] + [0] * 11)  # all ten in (2.5 ms, 5 ms]
    0.004875
    """
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for i, count in enumerate(counts):
        if count and seen + count >= rank:
            if i >= len(DURATION_BUCKETS):  # the open bucket: its lower bound, like Prometheus
                return DURATION_BUCKETS[-1]
            low = DURATION_BUCKETS[i - 1] if i else 0.0
            high = DURATION_BUCKETS[i]
            return round(low + (high - low) * (rank - seen) / count, 6)
        seen += count
    return DURATION_BUCKETS[-1]


def _buckets(figures: Mapping[str, int], kind: str) -> list[int]:
    return [figures.get(f"{kind}:{i}", 0) for i in range(len(DURATION_BUCKETS) + 1)]


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass(frozen=True, slots=True)
class Minute:
    """One minute's figures (of every worker)."""

    at: datetime
    requests: int
    api: int
    api_4xx: int
    api_5xx: int
    check_p95: float | None
    events_p95: float | None
    queries: int
    cache_hits: int
    cache_lookups: int
    booked: int
    booking_failed: int

    @property
    def api_errors(self) -> int:
        """API requests answered 4xx or 5xx."""
        return self.api_4xx + self.api_5xx

    @property
    def queries_per_request(self) -> float | None:
        """Database statements per request."""
        return _share(self.queries, self.requests)

    @property
    def cache_hit_rate(self) -> float | None:
        """Hits per look-up."""
        return _share(self.cache_hits, self.cache_lookups)

    @property
    def busy(self) -> bool:
        """Whether anything was counted (the table lists these minutes only)."""
        return bool(self.requests or self.booked or self.booking_failed or self.cache_lookups)


def minute(at: datetime, figures: Mapping[str, int]) -> Minute:
    """The :class:`Minute` of one minute's stored figures."""
    hits, misses = figures.get("cache_hit", 0), figures.get("cache_miss", 0)
    return Minute(
        at=at,
        requests=figures.get("requests", 0),
        api=figures.get("api", 0),
        api_4xx=figures.get("api_4xx", 0),
        api_5xx=figures.get("api_5xx", 0),
        check_p95=quantile(_buckets(figures, "check")),
        events_p95=quantile(_buckets(figures, "events")),
        queries=figures.get("queries", 0),
        cache_hits=hits,
        cache_lookups=hits + misses,
        booked=figures.get("booked", 0),
        booking_failed=figures.get("booking_failed", 0),
    )


@dataclass(frozen=True, slots=True)
class Bar:
    """One minute's bar: its x, and the heights (from the baseline) of all and of errors."""

    x: int
    height: float
    errors: float


@dataclass(frozen=True, slots=True)
class Chart:
    """What the admin page draws: the minutes, the hour's totals and the geometry."""

    minutes: list[Minute]
    hour: Minute
    #: The requests a minute the bars' full height stands for.
    requests_max: int
    bars: list[Bar]
    #: The milliseconds the duration panel's full height stands for (a power of ten).
    ms_max: int
    #: Polylines ("x,y x,y ...") of the check's and the calendar load's p95.
    check_line: list[str]
    events_line: list[str]

    @property
    def baseline(self) -> int:
        """The y of both panels' zero line."""
        return PLOT_TOP + PLOT_HEIGHT

    @property
    def ms_ticks(self) -> list[tuple[int, float]]:
        """The duration panel's gridlines: (ms, y) at each power of ten."""
        ticks = []
        ms = FLOOR_MS * 10
        while ms < self.ms_max:
            ticks.append((ms, round(log_y(ms, self.ms_max), 1)))
            ms *= 10
        return ticks

    @property
    def server_error_rate(self) -> float | None:
        """API requests answered 5xx, per API request, over the hour."""
        return _share(self.hour.api_5xx, self.hour.api)

    @property
    def refusal_rate(self) -> float | None:
        """API requests answered 4xx (refused: invalid, unavailable, denied...), over the hour."""
        return _share(self.hour.api_4xx, self.hour.api)

    @property
    def booking_success_rate(self) -> float | None:
        """Booked per booking request, over the hour."""
        return _share(self.hour.booked, self.hour.booked + self.hour.booking_failed)


def nice(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^n at least ``value`` (an axis' top)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def log_y(ms: float, top: float) -> float:
    """The y of ``ms`` on the duration panel's log scale, from :data:`FLOOR_MS` to ``top``:
    one slow outlier would flatten every other minute on a linear one."""
    share = math.log10(max(ms, FLOOR_MS) / FLOOR_MS) / math.log10(top / FLOOR_MS)
    return PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * min(share, 1.0)


def _lines(values: list[float | None], top: float) -> list[str]:
    """Polylines through the minutes that have a value (a gap breaks the line)."""
    lines: list[str] = []
    run: list[str] = []
    for i, value in enumerate(values):
        if value is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        y = log_y(value, top)
        run.append(f"{i * SLOT + SLOT / 2:g},{y:.1f}")
    if run:
        lines.append(" ".join(run))
    return lines


def chart(stored: Mapping[datetime, Mapping[str, int]], now: datetime) -> Chart:
    """The chart of the :data:`MINUTES` minutes up to ``now``'s, from ``Rentcal.usage``."""
    last = now.replace(second=0, microsecond=0)
    first = last - timedelta(minutes=MINUTES - 1)
    slots = [first + timedelta(minutes=i) for i in range(MINUTES)]
    minutes = [minute(at, stored.get(at, {})) for at in slots]
    summed: dict[str, int] = {}
    for at in slots:
        for name, value in stored.get(at, {}).items():
            summed[name] = summed.get(name, 0) + value
    requests_max = nice(max([m.requests for m in minutes] + [1]))
    bars = [
        Bar(
            x=i * SLOT,
            height=round(PLOT_HEIGHT * m.requests / requests_max, 1),
            errors=round(PLOT_HEIGHT * m.api_errors / requests_max, 1),
        )
        for i, m in enumerate(minutes)
        if m.requests
    ]
    checks = [None if m.check_p95 is None else m.check_p95 * 1000 for m in minutes]
    loads = [None if m.events_p95 is None else m.events_p95 * 1000 for m in minutes]
    slowest = max([v for v in checks + loads if v is not None] + [FLOOR_MS * 10])
    ms_max = int(10 ** math.ceil(math.log10(slowest / FLOOR_MS))) * FLOOR_MS
    return Chart(
        minutes=minutes,
        hour=minute(first, summed),
        requests_max=requests_max,
        bars=bars,
        ms_max=ms_max,
        check_line=_lines(checks, ms_max),
        events_line=_lines(loads, ms_max),
    )


__all__ = ["Chart", "Minute", "chart", "minute", "nice", "quantile"]
