"""Real processes racing on a real database: nobody double-books, nobody sees
"database is locked", a killed writer leaves nothing half-written."""

from __future__ import annotations

import multiprocessing as mp
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
from tests.conftest import TODAY, d

CTX = mp.get_context("fork")
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


def _book_same_days(url: str, barrier: Any, results: Any) -> None:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")  # connect and warm up before the start signal
        barrier.wait()
        results.put(_outcome(cal.book, "m0", d(10), d(14), member="ada", today=TODAY))


def _book_many(url: str, barrier: Any, results: Any, days: list[int]) -> None:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        barrier.wait()
        for offset in days:
            day = TODAY + timedelta(days=offset)
            results.put(
                _outcome(lambda day=day: cal.book("m0", day, day, member="ada", today=TODAY))
            )


def _book_random(url: str, barrier: Any, results: Any, seed: int, attempts: int) -> None:
    rng = random.Random(seed)
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        barrier.wait()
        for _ in range(attempts):
            machine = f"m{rng.randrange(2)}"
            start = TODAY + timedelta(days=rng.randrange(60))
            end = start + timedelta(days=rng.randrange(5))
            results.put(_outcome(cal.book, machine, start, end, member="ada", today=TODAY))


def _book_range(url: str, barrier: Any, results: Any, machine: str, start: int, end: int) -> None:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine(machine)
        barrier.wait()
        outcome = _outcome(cal.book, machine, d(start), d(end), member="ada", today=TODAY)
        results.put(f"{machine} {start}-{end}: {outcome}")


def _run(target: Any, url: str, jobs: list[tuple[Any, ...]]) -> list[str]:
    barrier = CTX.Barrier(len(jobs))
    results = CTX.Queue()
    procs = [CTX.Process(target=target, args=(url, barrier, results, *job)) for job in jobs]
    for p in procs:
        p.start()
    outcomes: list[str] = []
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0, f"worker exited with {p.exitcode}"
    while not results.empty():
        outcomes.append(results.get())
    return outcomes


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


class TestDatabaseGuard:
    """Even raw SQL cannot store overlapping blocking rentals."""

    INSERT = sa.text(
        "INSERT INTO rental (uid, machine_id, member_id, start_date, end_date, status, price, "
        "created_at, updated_at, sequence) VALUES (:uid, 1, 1, :s, :e, :status, 0, "
        "'2030-01-01 00:00:00', '2030-01-01 00:00:00', 0)"
    )

    def _engine(self, url: str) -> sa.Engine:
        return sa.create_engine(rentcal.connect(url).store.url)

    def test_raw_insert_overlap_refused(self, db_url: str) -> None:
        _setup(db_url)
        engine = self._engine(db_url)
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "a", "s": d(10), "e": d(14), "status": "approved"})
            # non-blocking rows may overlap anything
            conn.execute(self.INSERT, {"uid": "b", "s": d(12), "e": d(12), "status": "cancelled"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "c", "s": d(14), "e": d(20), "status": "pending"})
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "d", "s": d(15), "e": d(20), "status": "pending"})
        engine.dispose()

    def test_raw_update_extending_or_reactivating_refused(self, db_url: str) -> None:
        _setup(db_url)
        engine = self._engine(db_url)
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "a", "s": d(10), "e": d(12), "status": "approved"})
            conn.execute(self.INSERT, {"uid": "b", "s": d(13), "e": d(15), "status": "pending"})
            conn.execute(self.INSERT, {"uid": "c", "s": d(11), "e": d(11), "status": "cancelled"})
        for sql in (
            "UPDATE rental SET end_date = '2030-01-13' WHERE uid = 'a'",
            "UPDATE rental SET status = 'pending' WHERE uid = 'c'",
        ):
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(sa.text(sql))
        with engine.begin() as conn:  # moving within free days is fine
            conn.execute(sa.text("UPDATE rental SET end_date = '2030-01-20' WHERE uid = 'b'"))
        engine.dispose()


def _book_and_hang(url: str, ready: Any) -> None:
    with rentcal.connect(url) as cal:
        original = cal._notify

        def notify_then_hang(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)  # the rental and a notification are written...
            ready.set()
            time.sleep(60)  # ...and the transaction is still open when we are killed

        cal._notify = notify_then_hang  # type: ignore[method-assign]
        cal.book("m0", d(10), d(14), member="ada", today=TODAY)


class TestKilledWriter:
    """SIGKILL in the middle of a booking leaves the database consistent."""

    def test_sigkill_mid_transaction(self, db_url: str) -> None:
        _setup(db_url)
        with rentcal.connect(db_url) as cal:
            notes_before = len(cal.notifications("ada"))
        ready = CTX.Event()
        proc = CTX.Process(target=_book_and_hang, args=(db_url, ready))
        proc.start()
        assert ready.wait(30), "the booking never reached its write"
        os.kill(proc.pid or 0, signal.SIGKILL)
        proc.join(10)
        assert proc.exitcode == -signal.SIGKILL
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


class TestMaintenanceGuard:
    """Scheduled maintenance of one machine cannot overlap, even through raw SQL."""

    INSERT = sa.text(
        "INSERT INTO maintenance (uid, machine_id, start_date, end_date, kind, status, "
        "created_at, updated_at, sequence) VALUES (:uid, 1, :s, :e, 'repair', :status, "
        "'2030-01-01 00:00:00', '2030-01-01 00:00:00', 0)"
    )

    def test_raw_insert_overlap_refused(self, db_url: str) -> None:
        _setup(db_url)
        engine = sa.create_engine(rentcal.connect(db_url).store.url)
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "a", "s": d(10), "e": d(14), "status": "scheduled"})
            conn.execute(self.INSERT, {"uid": "b", "s": d(12), "e": d(12), "status": "cancelled"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "c", "s": d(14), "e": d(20), "status": "scheduled"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE maintenance SET status = 'scheduled' WHERE uid = 'b'"))
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "d", "s": d(15), "e": d(20), "status": "scheduled"})
        engine.dispose()
