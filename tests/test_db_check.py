"""``rentcal db check``, and writes refused once SQLite reports a damaged file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db import schema
from tests.cli_support import cli, failed
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

PAGE = 4096


class TestHealthy:
    """A sound database: every check ok, exit 0."""

    def test_all_ok(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        result = cli(db_url, "db", "check", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] is True
        checks = [f["check"] for f in report["findings"]]
        assert checks[:1] == ["schema"]
        assert {"integrity", "guards", "rentals", "maintenance"} <= set(checks)
        assert all(f["ok"] for f in report["findings"])

    def test_table_for_people(self, cal: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "db", "check")
        assert result.exit_code == 0
        assert "guards       ok" in result.stdout
        assert "PROBLEM" not in result.stdout

    def test_pending_upgrade_is_reported_not_applied(self, sqlite_url: str) -> None:
        path = sa.make_url(sqlite_url).database or ""
        shutil.copy(Path(__file__).parent / "fixtures" / "v1.db", path)
        result = cli(sqlite_url, "db", "check", "--json")
        assert result.exit_code == 0, result.output
        pending = f"{len(schema.REVISIONS) - 1} pending: " + ", ".join(schema.REVISIONS[1:])
        (found,) = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "schema"]
        assert found["detail"] == f"at revision 0001_baseline; {pending}"
        assert "run 'rentcal db upgrade' to do it now" in found["advice"]
        with sqlite3.connect(path) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "alembic_version" not in tables


def _drop_guards(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("insert", "update"):
                conn.exec_driver_sql(f"DROP TRIGGER trg_rental_no_overlap_{name}")
        else:
            conn.exec_driver_sql("ALTER TABLE rental DROP CONSTRAINT ex_rental_overlap")
        conn.exec_driver_sql(
            "INSERT INTO rental (uid, machine_id, member_id, start_date, end_date, status, "
            "price, created_at, updated_at, sequence) VALUES ('raw', 1, 2, '2030-01-12', "
            "'2030-01-13', 'approved', 0, '2030-01-09 12:00:00+00:00', "
            "'2030-01-09 12:00:00+00:00', 0)"
        )
    engine.dispose()


class TestGuardsAndOverlaps:
    """Missing guards and overlapping blocking rows are problems, with what to do."""

    def test_reported(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        first = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        _drop_guards(db_url)
        result = cli(db_url, "db", "check", "--json")
        failed(result, 4, "2 problems found in")
        findings = {f["check"]: f for f in json.loads(result.stdout)["findings"]}
        assert findings["guards"]["ok"] is False
        assert "ex_rental_overlap" in findings["guards"]["detail"] or (
            "trg_rental_no_overlap_insert" in findings["guards"]["detail"]
        )
        assert findings["rentals"]["ok"] is False
        assert f"{first.id} and {first.id + 1} (tractor)" in findings["rentals"]["detail"]
        assert "reject or cancel one rental of each pair" in findings["rentals"]["advice"]
        assert findings["maintenance"]["ok"] is True


def _corrupt(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(os.urandom(PAGE))


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """A SQLite database of a few hundred kB (2,000 rentals), checkpointed into one file."""
    path = tmp_path / "big.db"
    with rentcal.connect(str(path)) as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("bob", verified=True, acting="ada")
        cal.add_machine("tractor", daily_price="10", acting="ada")
        cal.add_machine("saw", daily_price="10", acting="ada")
        with cal.store.engine.begin() as conn:
            for i in range(2000):
                day = f"{2031 + i // 300}-{1 + i % 300 // 25:02d}-{1 + i % 25:02d}"
                conn.exec_driver_sql(
                    "INSERT INTO rental (uid, machine_id, member_id, start_date, end_date, "
                    "status, price, created_at, updated_at, sequence) VALUES "
                    f"('u{i}', 1, 2, '{day}', '{day}', 'approved', 10, "
                    "'2030-01-09 12:00:00', '2030-01-09 12:00:00', 0)"
                )
        pending = cal.book("saw", d(20), d(21), member="bob", today=TODAY)
        assert pending.id == 2001
        with cal.store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


class TestDamagedFile:
    """4 KiB overwritten in the middle: db check says so, and no write goes ahead."""

    def test_middle_of_the_file(self, big: Path) -> None:
        pristine = big.read_bytes()
        _corrupt(big, len(pristine) // 2 // PAGE * PAGE)
        damaged = big.read_bytes()
        result = cli(str(big), "db", "check")
        failed(result, 4, "found in")
        assert "integrity    PROBLEM" in result.stdout
        assert ".recover" in result.stdout
        assert Path(f"{big}-damaged").is_file()
        for args in (
            ["--as", "bob", "book", "tractor", "2030-02-01", "--days", "1"],
            ["approve", "2001"],
            ["machine", "add", "mower", "--price", "5"],
        ):
            failed(cli(str(big), *args), 4, f"{big} was found damaged (see {big}-damaged)")
        assert big.read_bytes() == damaged, "nothing was written"
        big.write_bytes(pristine)  # restored from a backup
        assert cli(str(big), "db", "check").exit_code == 0
        assert not Path(f"{big}-damaged").exists()
        assert cli(str(big), "approve", "2001").exit_code == 0

    def test_a_write_that_meets_the_damage(self, big: Path) -> None:
        """The member table's page damaged: the booking itself hits it and stops."""
        conn = sqlite3.connect(big)
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'member'"
        ).fetchone()
        conn.close()
        _corrupt(big, (root - 1) * PAGE)
        damaged = big.read_bytes()
        result = cli(str(big), "--as", "bob", "book", "tractor", "2030-02-01", "--days", "1")
        failed(result, 4, "the database file is damaged (database disk image is malformed)")
        assert "run 'rentcal db check'" in result.stderr
        assert big.read_bytes() == damaged
        assert Path(f"{big}-damaged").is_file()
        with rentcal.connect(str(big)) as cal, pytest.raises(rentcal.DamagedDatabase):
            cal.retire_machine("saw", acting="ada")
