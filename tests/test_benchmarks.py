"""The web benchmark's own parts: its data, reading the design reference, reading wrk.

Nothing here times anything; the benchmark's figures are in docs/performance.md.
The data day is far ahead of the real clock (which housekeeping and the
connection read), so no rental here is ever settled as past.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import rentcal
from benchmarks import dataset, wrk
from benchmarks.report import ratio_at_least, survives

TODAY = date(2090, 1, 2)
BLOCKING = {"approved", "pending"}


class TestGeneratedData:
    """The seed_data shape: history up to yesterday, bookings ahead, maintenance after them.

    The old generator's history ended years before its "today", so the measured
    month was empty on every machine.
    """

    def test_counts(self) -> None:
        data = dataset.generate(2_050, TODAY)
        assert len(data.rentals) == 2_050
        assert len(data.members) == 100
        assert [m[1] for m in data.machines[:2]] == ["machine-001", "machine-002"]
        assert len(data.blocks) == 100

    def test_every_machine_has_history_to_yesterday_and_bookings_ahead(self) -> None:
        data = dataset.generate(3_000, TODAY)
        past: dict[str, list[date]] = defaultdict(list)
        ahead: dict[str, list[tuple[date, date, str]]] = defaultdict(list)
        for machine, _member, start, end, status, _purpose in data.rentals:
            if status in BLOCKING:
                ahead[machine].append((start, end, status))
            else:
                past[machine].append(end)
        for _, machine, _, _ in data.machines:
            assert TODAY - timedelta(days=3) <= max(past[machine]) < TODAY, machine
            assert sorted(s for *_, s in ahead[machine]) == [
                "approved",
                "approved",
                "pending",
                "pending",
            ]
            assert min(start for start, _, _ in ahead[machine]) >= TODAY
        last_booking = {m: max(end for _, end, _ in rows) for m, rows in ahead.items()}
        for machine, start, end, kind in data.blocks:
            assert last_booking[machine] < start <= end
            assert kind in dataset.KINDS

    def test_same_seed_same_data(self) -> None:
        assert dataset.generate(500, TODAY).rentals == dataset.generate(500, TODAY).rentals


class TestLoad:
    """What rentcal imports is what the benchmark measures: a busy month, a booked day."""

    def test_month_ahead_is_busy(self, tmp_path: Path) -> None:
        data = dataset.generate(1_000, TODAY)
        url = f"sqlite:///{tmp_path}/bench.db"
        loaded = dataset.load(data, url)
        assert (loaded.rentals, loaded.blocks, loaded.members) == (1_000, 100, 100)
        assert loaded.token and loaded.feed_path.startswith("/feeds/")
        first = next(r for r in data.rentals if r[0] == "machine-001" and r[4] in BLOCKING)
        with rentcal.connect(url) as cal:
            month = cal.events("machine-001", None, TODAY, TODAY + timedelta(days=31))
            assert len(month) >= 4  # four bookings and the maintenance after them
            assert not cal.check("machine-001", first[2], first[3], today=TODAY).available
        with sqlite3.connect(tmp_path / "bench.db") as conn:
            indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert "ix_original" not in indexes


def _reference_db(path: Path) -> None:
    """The four tables of the reference's schema that the benchmark reads."""
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE machines_member (id INTEGER PRIMARY KEY, username TEXT);
            CREATE TABLE machines_machine (id INTEGER PRIMARY KEY, name TEXT, daily_price DECIMAL);
            CREATE TABLE machines_rental (id INTEGER PRIMARY KEY, user_id INT, machine_id INT,
                start_date DATE, end_date DATE, status TEXT, purpose TEXT);
            CREATE TABLE machines_maintenance (id INTEGER PRIMARY KEY, machine_id INT,
                start_date DATE, end_date DATE, maintenance_type TEXT, status TEXT);
            INSERT INTO machines_member VALUES (1, 'member000001'), (2, 'member000002');
            INSERT INTO machines_machine VALUES (1, 'Machine 001', 123.4), (2, 'Machine 002', 20);
            INSERT INTO machines_rental VALUES
                (1, 2, 2, '2090-01-03', '2090-01-04', 'approved', ''),
                (2, 1, 1, '2089-12-01', '2089-12-01', 'completed', 'Harvest');
            INSERT INTO machines_maintenance VALUES
                (1, 2, '2090-01-10', '2090-01-10', 'routine', 'scheduled'),
                (2, 2, '2089-11-01', '2089-11-01', 'repair', 'completed');
            """
        )


class TestReadReference:
    """seed_data's rows become rentcal's: handles, prices, dates; scheduled blocks only."""

    def test_sqlite(self, tmp_path: Path) -> None:
        _reference_db(tmp_path / "ref.sqlite3")
        data = dataset.read_reference_sqlite(str(tmp_path / "ref.sqlite3"), TODAY)
        assert data.members == ["member000001", "member000002"]
        assert data.machines == [
            (1, "machine-001", "Machine 001", Decimal("123.40")),
            (2, "machine-002", "Machine 002", Decimal("20.00")),
        ]
        assert data.rentals == [
            ("machine-002", "member000002", date(2090, 1, 3), date(2090, 1, 4), "approved", ""),
            ("machine-001", "member000001", date(2089, 12, 1), date(2089, 12, 1), "completed",
             "Harvest"),
        ]  # fmt: skip
        assert data.blocks == [("machine-002", date(2090, 1, 10), date(2090, 1, 10), "routine")]


SUMMARY = (
    "Running 1s test @ http://127.0.0.1:1/\n"
    "SUMMARY rps=812.5 p50_ms=4.250 p99_ms=31.000 requests=820 socket_errors=3 "
    "bad_status=7 status=200=813,500=7\n"
)


class TestWrk:
    """wrk's SUMMARY line (benchmarks/lua/common.lua): errors are socket errors plus
    statuses outside 2xx/3xx; side-by-side runs add their rates."""

    def test_parse(self) -> None:
        load = wrk.parse(SUMMARY, "check")
        assert (load.rate, load.p50_ms, load.p99_ms, load.requests) == (812.5, 4.25, 31.0, 820)
        assert load.errors == 10
        assert load.statuses == "200=813,500=7"

    def test_no_summary_names_the_scenario(self) -> None:
        with pytest.raises(SystemExit, match="events: wrk printed no SUMMARY"):
            wrk.parse("unable to connect to 127.0.0.1:1 Connection refused", "events")

    def test_combined(self) -> None:
        a = wrk.parse(SUMMARY, "a")
        b = wrk.parse(SUMMARY.replace("p99_ms=31.000", "p99_ms=40.000"), "b")
        both = wrk.Load.combined([a, b])
        assert (both.rate, both.p99_ms, both.errors) == (1625.0, 40.0, 20)


class TestTargets:
    """The verdicts: n/a without a baseline, missed on any error."""

    def test_ratio(self) -> None:
        fast = wrk.parse(SUMMARY.replace("socket_errors=3 bad_status=7", "socket_errors=0 "
                                         "bad_status=0"), "x")  # fmt: skip
        slow = wrk.parse(SUMMARY.replace("rps=812.5", "rps=100.0"), "y")
        assert ratio_at_least(5)(fast, None) is None
        assert ratio_at_least(5)(fast, slow) is True
        assert ratio_at_least(5, p99_ms=30)(fast, slow) is False  # p99 31 ms
        assert ratio_at_least(10)(fast, slow) is False
        assert ratio_at_least(5)(wrk.parse(SUMMARY, "z"), slow) is False  # errors
        assert survives(50)(fast, None) is True
        assert survives(30)(fast, None) is False
