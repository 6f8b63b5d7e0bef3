"""The figures of the design's metrics dashboard: statements per request, cache hits
and misses, the per-minute figures every worker stores, the admin page's chart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event
from starlette.concurrency import run_in_threadpool

import rentcal
from rentcal.db import query_count
from rentcal.errors import DatabaseError
from rentcal.web import metrics, usage
from rentcal.web.pages.usage_chart import chart, quantile
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, TODAY, make_clock
from tests.web_support import Web

NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)


class Statements:
    """Every statement one engine runs, counted by a listener of the test's own."""

    def __init__(self, cal: rentcal.Rentcal) -> None:
        self.count = 0
        self.engine = cal.store.engine
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def statements(seeded: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    """Statements through SQLAlchemy and through the quick reads' raw cursor alike."""
    from rentcal.db.quick_reads import Reader

    counter = Statements(seeded)
    raw_all = Reader.all

    def counted(self: Reader, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        return raw_all(self, *args, **kwargs)

    monkeypatch.setattr(Reader, "all", counted)
    yield counter
    counter.close()


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestQueryCount:
    """A request's count is the statements it ran, wherever they ran."""

    def test_a_request_counts_the_statements_it_ran(self, web: Web, statements: Statements) -> None:
        client = web.as_("bob")  # the token is made before counting starts
        route = {"route": "/api/machines"}
        before = sample("rentcal_db_queries_per_request_sum", route)
        requests = sample("rentcal_db_queries_per_request_count", route)
        statements.count = 0
        assert client.get("/api/machines").status_code == 200
        assert statements.count > 0
        assert sample("rentcal_db_queries_per_request_sum", route) - before == statements.count
        assert sample("rentcal_db_queries_per_request_count", route) - requests == 1

    def test_raw_statements_are_added(self) -> None:
        counter = query_count.start()
        query_count.add()
        query_count.add(3)
        query_count.stop()
        query_count.add(5)  # outside a request: counted nowhere
        assert counter.value == 4

    def test_thread_pool_work_is_counted(
        self, seeded: rentcal.Rentcal, statements: Statements
    ) -> None:
        async def request() -> int:
            counter = query_count.start()
            await run_in_threadpool(seeded.machines)
            await run_in_threadpool(seeded.members)
            return counter.value

        statements.count = 0
        assert asyncio.run(request()) == statements.count > 0


class TestCacheCounter:
    """Cache look-ups by cache and result: a closed set of series."""

    @pytest.mark.parametrize("cache", metrics.CACHES)
    @pytest.mark.parametrize("hit", [True, False], ids=["hit", "miss"])
    def test_counted(self, cache: str, hit: bool) -> None:
        labels = {"cache": cache, "result": "hit" if hit else "miss"}
        before = sample("rentcal_cache_requests_total", labels)
        metrics.count_cache(cache, hit)
        assert sample("rentcal_cache_requests_total", labels) == before + 1

    def test_an_unknown_cache_is_no_new_series(self) -> None:
        with pytest.raises(KeyError):
            metrics.count_cache("sessions", True)
        found = {
            (s.labels["cache"], s.labels["result"])
            for family in REGISTRY.collect()
            if family.name == "rentcal_cache_requests"
            for s in family.samples
            if s.name == "rentcal_cache_requests_total"
        }
        assert found == {(c, r) for c in metrics.CACHES for r in ("hit", "miss")}


@BOTH
class TestStoredFigures:
    """Each worker adds its minute to one table: the page sees the sum of all."""

    def test_two_workers_add_up(self, db_url: str, cal: rentcal.Rentcal) -> None:
        seen = []
        for _ in range(2):  # two workers: their own connection, recorder and clock
            with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as own:
                recorder = usage.Recorder()
                recorder.request("/api/check-availability", 200, 0.004, 3)
                recorder.request("/api/events", 500, 0.3, 2)
                recorder.booking(True)
                recorder.cache(False)
                usage.flush(own, recorder)
                usage.flush(own, recorder)  # nothing new: nothing added
                seen.append(own.usage(NOON - timedelta(hours=1)))
        assert seen[0] == {
            NOON: {
                "api": 2,
                "api_5xx": 1,
                "booked": 1,
                "cache_miss": 1,
                "check:2": 1,
                "events:8": 1,
                "queries": 5,
                "requests": 2,
            }
        }
        assert seen[1] == {NOON: {name: 2 * n for name, n in seen[0][NOON].items()}}

    def test_old_minutes_are_pruned(self, db_url: str, cal: rentcal.Rentcal) -> None:
        cal.add_usage(NOON, {"requests": 1})
        later = NOON + timedelta(days=2, minutes=1)
        with rentcal.connect(db_url, clock=make_clock(later), busy_timeout=BUSY_TIMEOUT) as own:
            own.add_usage(later, {"requests": 2})
            assert own.usage(NOON) == {later.replace(second=0): {"requests": 2}}

    @SQLITE_ONLY  # the service decides it, not the database
    def test_not_a_calendar_change(self, cal: rentcal.Rentcal) -> None:
        before = cal.revision()
        cal.add_usage(NOON, {"requests": 1})
        assert cal.revision() == before


class TestRecorder:
    """What one worker counts between flushes."""

    def test_requests_through_the_app(self, web: Web) -> None:
        client = web.as_("bob")
        usage.RECORDER.take()
        client.get("/api/events", params={"start": "2030-01-01", "end": "2030-02-01"})
        client.get("/api/rentals/999")
        client.post(
            "/api/check-availability",
            json={"machine": "tractor", "start": "2030-01-20", "end": "2030-01-21"},
        )
        client.get("/healthz")
        counts, _ = usage.RECORDER.take()
        timed = {name: n for name, n in counts.items() if ":" in name}
        assert (counts["requests"], counts["api"], counts["api_4xx"]) == (4, 3, 1)
        assert {name.split(":")[0] for name in timed} == {"events", "check"}
        assert sum(timed.values()) == 2
        assert counts["queries"] > 0

    def test_bookings_count(self, web: Web) -> None:
        client = web.as_("bob")
        usage.RECORDER.take()
        for _ in range(2):  # the second asks for days the first booked
            client.post(
                "/api/rentals", json={"machine": "saw", "start": "2030-01-20", "end": "2030-01-21"}
            )
        counts, _ = usage.RECORDER.take()
        assert (counts["booked"], counts["booking_failed"]) == (1, 1)


class TestFlushing:
    """The lifespan's hook: flush in the background, and what is left when stopping."""

    def test_stop_flushes_what_is_left(self, seeded: rentcal.Rentcal) -> None:
        async def serve() -> None:
            stop = usage.start_flushing(seeded, every=3600)
            usage.RECORDER.request("/api/events", 200, 0.002, 4)
            await stop()

        asyncio.run(serve())
        stored = seeded.usage(seeded.now() - timedelta(minutes=5))
        assert list(stored.values()) == [{"api": 1, "events:1": 1, "queries": 4, "requests": 1}]

    def test_a_failed_write_is_logged_and_dropped(
        self,
        seeded: rentcal.Rentcal,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def down(*_args: object) -> None:
            raise DatabaseError("database error (sqlite): disk I/O error")

        monkeypatch.setattr(seeded, "add_usage", down)
        recorder = usage.Recorder()
        recorder.request(None, 404, 0.001, 0)
        with caplog.at_level(logging.WARNING, logger="rentcal.web"):
            usage.flush(seeded, recorder)
        assert "not stored: database error (sqlite): disk I/O error" in caplog.text
        assert recorder.take()[0] == {}


class TestChart:
    """The admin page's chart of the last hour: admins only, figures and a table."""

    def figures(self, cal: rentcal.Rentcal) -> None:
        now = cal.now().replace(second=0, microsecond=0)
        cal.add_usage(
            now - timedelta(minutes=5),
            {
                "requests": 40,
                "api": 30,
                "api_4xx": 3,
                "queries": 100,
                "check:2": 19,
                "check:4": 1,
                "booked": 3,
                "booking_failed": 1,
                "cache_hit": 9,
                "cache_miss": 1,
            },
        )
        cal.add_usage(now - timedelta(minutes=90), {"requests": 500})  # before the hour

    def test_admins_see_it(self, web: Web) -> None:
        self.figures(web.cal)
        page = web.as_("ada").get("/admin", headers={"Accept": "text/html"}).text
        summary = page[
            page.index('id="usage-summary"') : page.index("</dl>", page.index("usage-summary"))
        ]
        shown_all = (
            "<dd>40</dd>",
            "0.0 % / 10.0 %",
            "3 booked, 1 refused (75.0 %)",
            "2.5",
            "90.0 %",
        )
        for shown in shown_all:
            assert shown in summary
        assert page.count('<rect class="bar"') == 1
        assert page.count('<rect class="bar-error"') == 1
        assert "The minutes as a table (1 with requests)" in page
        assert 'role="img"' in page and "<desc id=" in page

    def test_members_do_not(self, web: Web) -> None:
        self.figures(web.cal)
        answer = web.as_("bob").get("/admin", headers={"Accept": "text/html"})
        assert answer.status_code == 403
        assert "usage" not in answer.text

    def test_empty_hour(self) -> None:
        drawn = chart({}, NOON)
        assert (drawn.hour.requests, drawn.bars, drawn.check_line) == (0, [], [])
        assert drawn.server_error_rate is None

    def test_a_gap_breaks_the_line(self) -> None:
        fast = {"requests": 1, "check:0": 1}
        stored = {NOON - timedelta(minutes=m): fast for m in (0, 1, 5)}
        assert len(chart(stored, NOON).check_line) == 2


class TestQuantile:
    """p95 from per-minute bucket counts, as Prometheus' histogram_quantile reads them."""

    @pytest.mark.parametrize(
        ("counts", "expected"),
        [
            ([0] * 14, None),
            ([100] + [0] * 13, 0.00095),  # in (0, 1 ms]
            ([0] * 9 + [20] + [0] * 4, 0.975),  # in (0.5 s, 1 s]
            ([0] * 13 + [3], 10.0),  # over the last bound: the last bound
            ([50, 0, 0, 0, 0, 0, 0, 0, 50] + [0] * 5, 0.475),  # the slow half decides
        ],
    )
    def test_values(self, counts: list[int], expected: float | None) -> None:
        assert quantile(counts) == expected
