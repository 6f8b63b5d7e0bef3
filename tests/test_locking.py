"""Real processes racing on a real database: nobody double-books, nobody sees
"database is locked", a killed writer leaves nothing half-written; lock
timeouts are Busy and aborted transactions are retried a bounded number of times."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db import store
from tests.conftest import BOTH, PG_ONLY, TODAY, d
from tests.processes import CTX, Start, in_processes, stop

pytestmark = BOTH

NO_OVERLAP_SQL = """
    SELECT count(*) FROM rental a JOIN rental b
      ON a.machine_id = b.machine_id AND a.id < b.id
     AND a.start_date <= b.end_date AND b.start_date <= a.end_date
    WHERE a.status IN ('pending', 'approved') AND b.status IN ('pending', 'approved')
"""


def _setup(url: str, machines: int = 1) -> None:
    with rentcal.connect(url) as cal:
        cal.add_member("ada", admin=True)
        for i in range(machines):
            cal.add_machine(f"m{i}", daily_price="10", acting="ada")


def _outcome(call: Any, *args: Any, **kwargs: Any) -> str:
    try:
        call(*args, **kwargs)
    except rentcal.Unavailable:
        return "unavailable"
    except rentcal.Busy:
        return "busy"
    except Exception as err:
        return f"error: {type(err).__name__}: {err}"
    return "ok"


def _book_same_days(start: Start, url: str) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")  # connect and warm up before the start signal
        start()
        return [_outcome(cal.book, "m0", d(10), d(14), member="ada", today=TODAY)]


def _book_many(start: Start, url: str, days: list[int]) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        start()
        outcomes = []
        for offset in days:
            day = TODAY + timedelta(days=offset)
            outcomes.append(
                _outcome(lambda day=day: cal.book("m0", day, day, member="ada", today=TODAY))
            )
        return outcomes


def _book_random(start: Start, url: str, seed: int, attempts: int) -> list[str]:
    rng = random.Random(seed)
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        start()
        outcomes = []
        for _ in range(attempts):
            machine = f"m{rng.randrange(2)}"
            first = TODAY + timedelta(days=rng.randrange(60))
            last = first + timedelta(days=rng.randrange(5))
            outcomes.append(_outcome(cal.book, machine, first, last, member="ada", today=TODAY))
        return outcomes


def _book_range(start: Start, url: str, machine: str, first: int, last: int) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine(machine)
        start()
        outcome = _outcome(cal.book, machine, d(first), d(last), member="ada", today=TODAY)
        return [f"{machine} {first}-{last}: {outcome}"]


def _run(target: Any, url: str, jobs: list[tuple[Any, ...]]) -> list[str]:
    """``target(start, url, *job)`` in one process per job, released together: every
    worker's outcomes, one list (each worker returns the outcomes of its attempts)."""
    reports = in_processes(target, [(url, *job) for job in jobs], timeout=120)
    return [outcome for outcomes in reports for outcome in outcomes]


def _overlaps(url: str) -> int:
    engine = sa.create_engine(rentcal.connect(url).store.url)
    with engine.connect() as conn:
        count = int(conn.execute(sa.text(NO_OVERLAP_SQL)).scalar_one())
    engine.dispose()
    return count


@pytest.mark.slow
class TestRaces:
    """Concurrency is proven with processes released together, not argued."""

    def test_eight_processes_same_days_exactly_one_wins(self, db_url: str) -> None:
        _setup(db_url)
        outcomes = _run(_book_same_days, db_url, [()] * 8)
        assert sorted(outcomes) == ["ok"] + ["unavailable"] * 7, outcomes
        with rentcal.connect(db_url) as cal:
            assert len(cal.rentals()) == 1
        assert _overlaps(db_url) == 0

    def test_sixteen_processes_non_overlapping_all_stored(self, db_url: str) -> None:
        _setup(db_url)
        jobs = [([p + 16 * k for k in range(25)],) for p in range(16)]
        outcomes = _run(_book_many, db_url, jobs)
        assert outcomes.count("ok") == 400, sorted(set(outcomes))
        with rentcal.connect(db_url) as cal:
            assert len(cal.rentals()) == 400
        assert _overlaps(db_url) == 0

    def test_random_overlapping_attempts_never_double_book(self, db_url: str) -> None:
        _setup(db_url, machines=2)
        outcomes = _run(_book_random, db_url, [(seed, 50) for seed in range(8)])
        assert len(outcomes) == 400
        assert set(outcomes) <= {"ok", "unavailable"}, sorted(set(outcomes))
        assert outcomes.count("ok") >= 2
        with rentcal.connect(db_url) as cal:
            assert len(cal.rentals()) == outcomes.count("ok")
        assert _overlaps(db_url) == 0

    def test_inclusive_ends_under_contention(self, db_url: str) -> None:
        """Ranges meeting on one day clash; ranges on consecutive days do not."""
        _setup(db_url, machines=2)
        jobs = [("m0", 10, 14), ("m0", 15, 20), ("m1", 10, 14), ("m1", 14, 20)]
        outcomes = dict(o.split(": ", 1) for o in _run(_book_range, db_url, jobs))
        assert outcomes["m0 10-14"] == outcomes["m0 15-20"] == "ok", outcomes
        assert sorted([outcomes["m1 10-14"], outcomes["m1 14-20"]]) == ["ok", "unavailable"]
        winner = next(key for key in ("m1 10-14", "m1 14-20") if outcomes[key] == "ok")
        with rentcal.connect(db_url) as cal:
            stored = sorted(f"{r.machine} {r.start.day}-{r.end.day}" for r in cal.rentals())
        assert stored == sorted(["m0 10-14", "m0 15-20", winner])
        assert _overlaps(db_url) == 0


class TestBusy:
    """A writer that cannot get the lock in time gets Busy and writes nothing."""

    def test_locked_database_gives_busy(self, sqlite_url: str) -> None:
        _setup(sqlite_url)
        path = sqlite_url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with rentcal.connect(sqlite_url, busy_timeout=0.3) as cal:
                started = time.monotonic()
                with pytest.raises(rentcal.Busy) as info:
                    cal.book("m0", d(10), d(10), member="ada", today=TODAY)
                assert time.monotonic() - started >= 0.25
                assert "locked by another writer for more than 0.3s" in str(info.value)
                assert not isinstance(info.value, rentcal.Unavailable)
                assert cal.check("m0", d(10), d(10), today=TODAY).available  # reads still work
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        with rentcal.connect(sqlite_url) as cal:
            assert cal.rentals() == []
            assert cal.book("m0", d(10), d(10), member="ada", today=TODAY).status == "pending"


def _book_and_hang(url: str, ready: Any) -> None:
    with rentcal.connect(url) as cal:
        context = cal._context
        original = context.notify

        def notify_then_hang(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)  # the rental and a notification are written...
            ready.set()
            time.sleep(60)  # ...and the transaction is still open when we are killed

        context.notify = notify_then_hang  # type: ignore[method-assign]
        cal.book("m0", d(10), d(14), member="ada", today=TODAY)


class TestKilledWriter:
    """SIGKILL in the middle of a booking leaves the database consistent."""

    @pytest.mark.slow
    def test_sigkill_mid_transaction(self, db_url: str) -> None:
        _setup(db_url)
        with rentcal.connect(db_url) as cal:
            notes_before = len(cal.notifications("ada"))
        ready = CTX.Event()
        proc = CTX.Process(target=_book_and_hang, args=(db_url, ready))
        proc.start()
        try:
            assert ready.wait(30), "the booking never reached its write"
            os.kill(proc.pid or 0, signal.SIGKILL)
            proc.join(10)
            assert proc.exitcode == -signal.SIGKILL
        finally:
            stop([proc])  # a child left behind would hang pytest's exit
        with rentcal.connect(db_url, busy_timeout=10) as cal:
            assert cal.rentals() == []
            assert len(cal.notifications("ada")) == notes_before
            # the lock died with the process: the same days can be booked now
            assert cal.book("m0", d(10), d(14), member="ada", today=TODAY).status == "pending"
            if cal.store.dialect == "sqlite":
                with cal.store.engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_sqlite_connection_settings(sqlite_url: str) -> None:
    with rentcal.connect(sqlite_url, busy_timeout=2) as cal, cal.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


class TestRetries:
    """Serialization failures and deadlocks are retried, a bounded number of times."""

    def test_retried_then_succeeds(self, sqlite_url: str) -> None:
        cal = rentcal.connect(sqlite_url)
        calls: list[int] = []

        def flaky(conn: sa.Connection) -> str:
            calls.append(1)
            if len(calls) < 3:
                raise sa.exc.OperationalError("UPDATE ...", {}, _PgError("40001"))
            return "done"

        assert cal.store.run(flaky, write=True) == "done"
        assert len(calls) == 3

    def test_gives_up_after_the_bound(self, sqlite_url: str) -> None:
        cal = rentcal.connect(sqlite_url)
        calls: list[int] = []

        def deadlocked(conn: sa.Connection) -> None:
            calls.append(1)
            raise sa.exc.OperationalError("UPDATE ...", {}, _PgError("40P01"))

        with pytest.raises(rentcal.Busy, match=r"aborted the transaction 5 times .*40P01"):
            cal.store.run(deadlocked, write=True)
        assert len(calls) == store.RETRIES

    def test_other_errors_are_not_retried(self, sqlite_url: str) -> None:
        cal = rentcal.connect(sqlite_url)
        calls: list[int] = []

        def broken(conn: sa.Connection) -> None:
            calls.append(1)
            raise sa.exc.OperationalError("SELECT", {}, _PgError("42P01"))

        with pytest.raises(rentcal.DatabaseError):
            cal.store.run(broken)
        assert len(calls) == 1


@PG_ONLY
class TestPostgresLocking:
    """A writer waiting on a machine's row lock past the timeout gets Busy."""

    def test_lock_timeout_is_busy(self, db_url: str) -> None:
        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            cal.add_machine("m", daily_price="1", acting="ada")
        holder = sa.create_engine(rentcal.connect(db_url).store.url)
        with holder.connect() as conn, conn.begin():
            conn.exec_driver_sql("SELECT id FROM machine WHERE name = 'm' FOR UPDATE")
            with rentcal.connect(db_url, busy_timeout=0.5) as cal:
                with pytest.raises(rentcal.Busy, match=r"more than 0\.5s"):
                    cal.book("m", d(10), d(10), member="ada", today=TODAY)
                assert cal.check("m", d(10), d(10), today=TODAY).available  # reads go on
        holder.dispose()
        with rentcal.connect(db_url) as cal:
            assert cal.rentals() == []
