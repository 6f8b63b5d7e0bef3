"""Many writers at once, real processes: nobody waits past the deadline, nobody
starves, nobody double-books — on SQLite and on PostgreSQL.

The bounds asserted are the busy timeout's contract (a wait ENDS by the
deadline, plus slack for a loaded machine); no test measures speed.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from tests.conftest import BOTH, TODAY, d
from tests.processes import Start, in_processes, in_threads
from tests.test_locking import NO_OVERLAP_SQL, _setup

pytestmark = BOTH


def _overlaps(url: str) -> int:
    with rentcal.connect(url) as cal, cal.store.engine.connect() as conn:
        return int(conn.execute(sa.text(NO_OVERLAP_SQL)).scalar_one())


def _book(cal: rentcal.Rentcal, day: Any) -> tuple[str, float]:
    started = time.monotonic()
    try:
        cal.book("m0", day, day, member="ada", today=TODAY)
        outcome = "booked"
    except rentcal.Unavailable:
        outcome = "unavailable"
    except rentcal.Busy:
        outcome = "busy"
    except rentcal.RentcalError as err:
        outcome = f"error: {type(err).__name__}: {err}"
    return outcome, time.monotonic() - started


def _waiter(start: Start, url: str, timeout: float, offset: int) -> tuple[str, float]:
    with rentcal.connect(url, busy_timeout=timeout) as cal:
        cal.machine("m0")
        start()
        return _book(cal, d(10) + timedelta(days=offset))


def _writers(
    start: Start,
    url: str,
    writers: list[int],
    bookings: int,
    timeout: float,
    pool_size: int | None,
) -> list[tuple[str, float]]:
    """One process: its writers are threads sharing one connect() (and its pool).

    The threads are released by the processes' start signal, not by one of their
    own (hence ``_go``, unused); a thread that does not finish fails this worker.
    """
    with rentcal.connect(url, busy_timeout=timeout, pool_size=pool_size) as cal:
        cal.machine("m0")

        def writer(_go: Start, w: int) -> list[tuple[str, float]]:
            out = []
            for k in range(bookings):  # even k: a day everyone wants; odd k: its own day
                day = d(10) + timedelta(days=k if k % 2 == 0 else 100 + w * bookings + k)
                out.append(_book(cal, day))
            return out

        start()
        done = in_threads(writer, [(w,) for w in writers], timeout=300)
        return [outcome for out in done for outcome in out]


def _hold_machine_lock(url: str) -> Any:
    """Another client holding the machine's lock (SQLite: the write lock); call to release."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return lambda: (holder.execute("ROLLBACK"), holder.close())
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    conn = engine.connect()
    conn.exec_driver_sql("SELECT id FROM machine FOR UPDATE")
    return lambda: (conn.rollback(), conn.close(), engine.dispose())


@pytest.mark.slow
class TestDeadline:
    """The busy timeout is a deadline for the whole operation."""

    def test_waiters_behind_a_held_lock_all_end_by_the_deadline(self, db_url: str) -> None:
        # On PostgreSQL a row-lock waiter queues twice (on the tuple, then on
        # the holder) and lock_timeout restarted: one of six waited 2x.
        timeout, slack = 4.0, 2.0
        _setup(db_url)
        release = _hold_machine_lock(db_url)
        try:
            outcomes = in_processes(_waiter, [(db_url, timeout, i) for i in range(6)], timeout=120)
        finally:
            release()
        assert [o for o, _ in outcomes] == ["busy"] * 6, outcomes
        assert max(s for _, s in outcomes) <= timeout + slack, outcomes
        with rentcal.connect(db_url) as cal:
            assert cal.rentals() == []


@pytest.mark.slow
class TestManyWriters:
    """64 concurrent writers of short transactions: only 'booked' or 'unavailable'."""

    # The busy timeout leaves room for a browser test running beside this one on the
    # other core (the `browser` xdist group): at 4 s one writer of 768 got Busy then.
    WRITERS, BOOKINGS, TIMEOUT = 64, 12, 15.0

    def test_64_writers_no_busy_no_overlap(self, db_url: str) -> None:
        # SQLite's busy handler let a writer that had just committed overtake
        # those asleep between polls: 14 of 768 got Busy at a 4 s timeout.
        # PostgreSQL: 16 processes x 4 threads sharing pool_size=2 (32 connections).
        _setup(db_url)
        with rentcal.connect(db_url) as cal:  # the own days reach 867 days ahead
            cal.set_limits(horizon_days=36_500, acting="ada")
        processes = self.WRITERS if db_url.startswith("sqlite") else 16
        pool = None if processes == self.WRITERS else 2
        groups = [list(range(p, self.WRITERS, processes)) for p in range(processes)]
        jobs = [(db_url, g, self.BOOKINGS, self.TIMEOUT, pool) for g in groups]
        outcomes = [o for out in in_processes(_writers, jobs, timeout=300) for o, _ in out]
        assert len(outcomes) == self.WRITERS * self.BOOKINGS
        assert set(outcomes) <= {"booked", "unavailable"}, sorted(set(outcomes))
        shared_days = self.BOOKINGS // 2  # exactly one winner each, plus every own day
        assert outcomes.count("booked") == shared_days + self.WRITERS * self.BOOKINGS // 2
        with rentcal.connect(db_url) as cal:
            assert len(cal.rentals()) == outcomes.count("booked")
        assert _overlaps(db_url) == 0


class TestPool:
    """pool_size caps the connections one connect() opens; waiting for one is bounded."""

    def test_pool_size_keyword_and_environment(
        self, db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with rentcal.connect(db_url, pool_size=3) as cal:
            assert cal.store.engine.pool.size() == 3  # type: ignore[attr-defined]
        monkeypatch.setenv("RENTCAL_POOL_SIZE", "2")
        with rentcal.connect(db_url) as cal:
            assert cal.store.engine.pool.size() == 2  # type: ignore[attr-defined]
            assert cal.store.pool_size == 2

    @pytest.mark.parametrize("value", [0, -1, "5", 2.5, True])
    def test_bad_pool_size_refused(self, sqlite_url: str, value: object) -> None:
        refused = r"^pool_size (must be an int|.* whole number)"
        with pytest.raises(rentcal.InvalidRequest, match=refused):
            rentcal.connect(sqlite_url, pool_size=value)  # type: ignore[arg-type]

    def test_bad_pool_size_environment_refused(
        self, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("RENTCAL_POOL_SIZE", "many")
        with pytest.raises(rentcal.InvalidRequest, match=r"^RENTCAL_POOL_SIZE 'many'"):
            rentcal.connect(sqlite_url)

    def test_every_connection_in_use_past_the_deadline_is_busy(self, db_url: str) -> None:
        _setup(db_url)
        with rentcal.connect(db_url, pool_size=1, busy_timeout=0.5) as cal:
            taken = cal.store.engine.connect()  # the only connection
            with pytest.raises(rentcal.Busy, match="all 1 database connections"):
                cal.machine("m0")
            taken.close()
            assert cal.machine("m0").name == "m0"  # given back: usable again


class TestBusyTimeoutSetting:
    """The busy timeout is checked, and can come from the environment."""

    @pytest.mark.parametrize("value", [-1, "10", float("nan"), float("inf"), True])
    def test_bad_busy_timeout_refused(self, sqlite_url: str, value: object) -> None:
        with pytest.raises(rentcal.InvalidRequest, match=r"^busy_timeout "):
            rentcal.connect(sqlite_url, busy_timeout=value)  # type: ignore[arg-type]

    def test_environment(self, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RENTCAL_BUSY_TIMEOUT", "2.5")
        with rentcal.connect(sqlite_url) as cal:
            assert cal.store.busy_timeout == 2.5
        with rentcal.connect(sqlite_url, busy_timeout=1) as cal:  # the keyword wins
            assert cal.store.busy_timeout == 1
        monkeypatch.setenv("RENTCAL_BUSY_TIMEOUT", "soon")
        with pytest.raises(rentcal.InvalidRequest, match=r"^RENTCAL_BUSY_TIMEOUT 'soon'"):
            rentcal.connect(sqlite_url)
