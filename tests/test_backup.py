"""``rentcal backup FILE``: a consistent copy of a SQLite database, even mid-write."""

from __future__ import annotations

import sqlite3
import stat
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import rentcal
from tests.cli_support import cli, failed
from tests.conftest import BOTH, PG_ONLY, SQLITE_ONLY, TODAY, make_clock
from tests.processes import CTX, stop

pytestmark = BOTH

#: A hang guard, not a measurement: how long the writer may take to commit 20 more.
PATIENCE = 120.0


def _writer(url: str, committed: Any, halt: Any, errors: Any) -> None:
    """Book one day after another, publishing how many rentals are committed."""
    with rentcal.connect(url, clock=make_clock(), busy_timeout=10) as cal:
        day = TODAY + timedelta(days=1)
        while not halt.is_set():
            try:
                cal.book("saw", day, day, member="ada", today=TODAY)
            except rentcal.RentcalError as err:
                errors.put(f"{type(err).__name__}: {err}")
                return
            with committed.get_lock():
                committed.value += 1
            day += timedelta(days=1)


def _rows(path: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class TestConsistentCopy:
    """The copy holds every rental committed before it started, and passes integrity_check."""

    @pytest.mark.slow
    def test_copy_taken_while_another_process_writes(self, tmp_path: Path) -> None:
        url = str(tmp_path / "live.db")
        with rentcal.connect(url, clock=make_clock()) as cal:
            cal.add_member("ada", admin=True)
            cal.add_machine("saw", daily_price="1", auto_approve=True, acting="ada")
        committed, halt, errors = CTX.Value("i", 0), CTX.Event(), CTX.Queue()
        writer = CTX.Process(target=_writer, args=(url, committed, halt, errors))
        writer.start()
        copies = []
        try:
            for n in range(3):
                deadline = time.monotonic() + PATIENCE
                while committed.value < 20 * (n + 1):
                    assert writer.is_alive(), errors.get(timeout=5)
                    assert time.monotonic() < deadline, f"stuck at {committed.value} rentals"
                    time.sleep(0.01)
                before = committed.value
                target = tmp_path / f"copy{n}.db"
                result = cli(url, "backup", str(target), "--json")
                after = committed.value
                assert result.exit_code == 0, result.output
                copies.append((target, before, after))
        finally:
            halt.set()
            writer.join(30)
            hung = writer.is_alive()
            stop([writer])  # a child left running would hang pytest's exit
        assert not hung, "the writer did not stop within 30 s of being told to"
        assert errors.empty(), errors.get(timeout=5)
        assert committed.value > copies[-1][2], "the writer went on while copies were taken"
        for target, before, after in copies:
            assert _rows(target, "PRAGMA integrity_check") == [("ok",)]
            ids = [r[0] for r in _rows(target, "SELECT id FROM rental ORDER BY id")]
            # The writer counts a booking just after committing it: when ``after``
            # was read, one more may have been committed and not yet counted.
            assert before <= len(ids) <= after + 1, (before, len(ids), after)
            assert ids == list(range(1, len(ids) + 1)), "a prefix of the commits, no gaps"
            history = _rows(target, "SELECT count(*) FROM rental_history")[0][0]
            assert history == len(ids)
            assert sorted(p.name for p in tmp_path.glob(f"{target.name}*")) == [target.name]
            assert stat.S_IMODE(target.stat().st_mode) == 0o600
            assert _rows(target, "PRAGMA journal_mode") == [("delete",)]

    @SQLITE_ONLY  # SQLite files
    def test_copy_is_a_working_database(self, seeded: rentcal.Rentcal, tmp_path: Path) -> None:
        seeded.book(
            "saw", TODAY + timedelta(days=1), TODAY + timedelta(days=2), member="bob", today=TODAY
        )
        target = tmp_path / "copy.db"
        result = cli(seeded.store.where, "backup", str(target))
        assert result.exit_code == 0, result.output
        assert result.stdout == (
            f"Backed up {seeded.url} to {target} ({target.stat().st_size} bytes, "
            f"1 rentals, 4 members; integrity ok).\n"
        )
        with rentcal.connect(str(target), create=False) as copy:
            assert copy.rentals() == seeded.rentals()


class TestRefusals:
    """Nothing is ever overwritten; PostgreSQL is pointed to its own tools."""

    @SQLITE_ONLY  # SQLite files
    def test_existing_target_is_kept(self, cal: rentcal.Rentcal, tmp_path: Path) -> None:
        target = tmp_path / "precious.db"
        target.write_text("keep me")
        before = sorted(p.name for p in tmp_path.iterdir())
        failed(cli(cal.store.where, "backup", str(target)), 2, f"'{target}' already exists")
        assert target.read_text() == "keep me"
        # nothing new: the database (with its -wal/-shm while open) and the target
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        allowed = {"precious.db", "rentcal.db", "rentcal.db-wal", "rentcal.db-shm"}
        assert {"precious.db", "rentcal.db"} <= set(before) <= allowed

    @SQLITE_ONLY  # SQLite files
    def test_missing_directory(self, cal: rentcal.Rentcal, tmp_path: Path) -> None:
        failed(
            cli(cal.store.where, "backup", str(tmp_path / "no" / "x.db")),
            2,
            f"directory '{tmp_path / 'no'}' does not exist",
        )

    @PG_ONLY
    def test_postgresql_points_to_pg_dump(self, db_url: str, tmp_path: Path) -> None:
        rentcal.connect(db_url).close()
        failed(cli(db_url, "backup", str(tmp_path / "x.db")), 2, "use its own tools, e.g. pg_dump")
        assert not (tmp_path / "x.db").exists()
