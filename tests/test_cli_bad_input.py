"""Bad input never changes the database and never shows a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db.store import resolve_url
from rentcal.db.tables import meta_t, rental_t
from tests.cli_support import cli, failed, ok_json, snapshot
from tests.conftest import d

SQL = "x'; DROP TABLE rental;--"
LONG = "p" * 10_000  # a 10 kB purpose


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            ["book", "tractor", "2029-12-01", "2029-12-03"],
            2,
            "start date 2029-12-01 is in the past (today is 2030-01-09)",
            id="past",
        ),
        pytest.param(
            ["book", "tractor", "2030-02-30", "2030-03-02"],
            2,
            "invalid date '2030-02-30': day is out of range for month",
            id="feb-30",
        ),
        pytest.param(
            ["book", "tractor", "2030-02-03", "2030-02-01"],
            2,
            "end date 2030-02-01 is before start date 2030-02-03",
            id="end-first",
        ),
        pytest.param(["book", "tractor", "", "+1d"], 2, "no date given", id="empty-date"),
        pytest.param(
            ["book", "tractor", "+99999999d", "--days", "1"],
            2,
            "outside the supported range",
            id="huge-offset",
        ),
        pytest.param(
            ["book", "tractor", "+1d", "--days", str(10**9)],
            2,
            "outside the supported range",
            id="huge-days",
        ),
        pytest.param(["book", "tractor", "x" * 500, "+1d"], 2, "invalid date 'xxxx", id="junk"),
        pytest.param(["book", "nope", "+1d", "+2d"], 2, "machine 'nope' not found", id="machine"),
        pytest.param(["book", SQL, "+1d", "+2d"], 2, "is not valid", id="sql-machine"),
        pytest.param(["book", "träktor", "+1d", "+2d"], 2, "is not valid", id="unicode-machine"),
        pytest.param(["book", "", "+1d", "+2d"], 2, "is not valid", id="empty-machine"),
        pytest.param(
            ["book", "tractor", "+1d", "+2d", "--for", SQL], 2, "is not valid", id="sql-member"
        ),
        pytest.param(
            ["book", "tractor", "+1d", "+2d", "--for", "ünï"],
            2,
            "is not valid",
            id="unicode-member",
        ),
        pytest.param(
            ["book", "tractor", "+1d", "+2d", "--purpose", LONG],
            2,
            "purpose is 10000 characters long; the limit is 2000",
            id="10kB-purpose",
        ),
        pytest.param(
            ["book", "tractor", "+1d", "+2d", "--purpose", "a\x00b"],
            2,
            "purpose contains a NUL character",
            id="nul",
        ),
        pytest.param(["approve", "999"], 2, "rental 999 not found", id="unknown-rental"),
        pytest.param(["cancel", "999"], 2, "rental 999 not found", id="cancel-unknown"),
        pytest.param(["member", "add", SQL], 2, "is not valid", id="sql-handle"),
        pytest.param(["member", "add", "zoë"], 2, "is not valid", id="unicode-handle"),
        pytest.param(
            ["member", "add", "eve", "--name", LONG], 2, "the limit is 200", id="long-name"
        ),
        pytest.param(["machine", "add", SQL, "--price", "1"], 2, "is not valid", id="sql-name"),
        pytest.param(
            ["machine", "add", "drill", "--price", "1e400"],
            2,
            "larger than",
            id="huge-price",
        ),
        pytest.param(
            ["machine", "add", "drill", "--price", "NaN"], 2, "not a finite", id="nan-price"
        ),
        pytest.param(["rentals", "--member", SQL], 2, "is not valid", id="sql-filter"),
        pytest.param(
            ["events", "--member", "nobody"], 2, "member 'nobody' not found", id="events-member"
        ),
        pytest.param(
            ["--db", "mysql://x/y", "machine", "list"], 2, "unsupported backend", id="backend"
        ),
    ],
)
def test_refused_and_nothing_changes(
    seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
) -> None:
    seeded.book("tractor", d(20), d(21), member="bob", today=d(9))
    before = snapshot(seeded)
    result = cli(db_url, *args)
    failed(result, code, message)
    assert result.stdout == ""
    assert len(result.stderr) < 600  # long input is not echoed back in full
    assert snapshot(seeded) == before


class TestStoredVerbatim:
    """SQL-looking and unicode text is data: stored and shown as given."""

    @pytest.mark.parametrize(
        "purpose",
        [SQL, "Zoë's 🚜 — ünïcødé", "'; DELETE FROM member; --", "p" * 2000],
        ids=["sql", "unicode", "sql-2", "at-the-limit"],
    )
    def test_purpose(self, seeded: rentcal.Rentcal, db_url: str, purpose: str) -> None:
        data = ok_json(db_url, "book", "saw", "+1d", "+2d", "--purpose", purpose, as_="bob")
        assert data["purpose"] == purpose
        [rental] = seeded.rentals()
        assert rental.purpose == purpose
        assert len(seeded.members()) == 4
        shown = cli(db_url, "rentals", as_="bob")
        assert shown.exit_code == 0
        assert purpose[:20] in shown.stdout

    def test_escape_sequences_are_not_printed_raw(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        evil = "\x1b[2J\x1b[31mgotcha"
        refused = cli(db_url, "book", "saw", "+1d", "+2d", "--purpose", evil, as_="bob")
        assert refused.exit_code == 2  # the library refuses control characters in text
        assert refused.stdout == ""
        assert refused.stderr.startswith("Error: purpose contains the control character")
        assert "\x1b" not in refused.stderr
        assert seeded.rentals() == []
        # Text stored before that rule (or by other tools) is still shown safely.
        assert cli(db_url, "book", "saw", "+1d", "+2d", as_="bob").exit_code == 0
        engine = sa.create_engine(resolve_url(db_url))
        with engine.begin() as conn:
            conn.execute(sa.update(rental_t).values(purpose=evil))
        engine.dispose()
        assert seeded.rentals()[0].purpose == evil
        for args in (["rentals"], ["show", "1"]):
            out = cli(db_url, *args).stdout
            assert "\x1b" not in out
            assert "?[31mgotcha" in out
        assert '"\\u001b[2J\\u001b[31mgotcha"' in cli(db_url, "show", "1", "--json").stdout


class TestUnreadableDatabase:
    """A database that cannot be used is exit 4 and is left alone."""

    def test_a_directory(self, tmp_path: Path) -> None:
        result = cli(f"sqlite:///{tmp_path}", "machine", "list")
        failed(result, 4, "unable to open database file")
        assert list(tmp_path.iterdir()) == []

    def test_a_file_of_garbage(self, tmp_path: Path) -> None:
        junk = tmp_path / "junk.db"
        content = bytes(range(256)) * 16
        junk.write_bytes(content)
        for args in (["machine", "list"], ["init", "--admin", "ada"], ["demo"]):
            failed(cli(str(junk), *args), 4, "file is not a database")
        assert junk.read_bytes() == content

    def test_below_a_file(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("x")
        failed(
            cli(str(tmp_path / "file" / "x.db"), "init", "--admin", "ada"),
            4,
            "cannot create directory",
        )
        failed(
            cli(str(tmp_path / "file" / "x.db"), "machine", "list"),
            4,
            "no rentcal database at",  # reading never creates the file or its directory
        )

    def test_unreachable_postgresql(self) -> None:
        result = cli("postgresql://nobody@127.0.0.1:9/rentcal", "machine", "list")
        failed(result, 4, "database error")

    def test_schema_newer_than_this_rentcal(self, sqlite_url: str) -> None:
        with rentcal.connect(sqlite_url) as cal:
            cal.add_member("ada", admin=True)
        path = sqlite_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute(f"UPDATE {meta_t.name} SET value = '999' WHERE key = 'schema_version'")
        failed(cli(sqlite_url, "member", "list"), 4, "schema version 999, newer than")


@pytest.mark.parametrize(
    "args",
    [
        ["book", "tractor", "\x00", "+1d"],
        ["book", "\x00", "+1d", "+1d"],
        ["check", "tractor", "💥", "💥"],
        ["free", "tractor", "--from", "-", "--to", "+"],
        ["free", "tractor", "--days", "99999999999999999999"],
        ["calendar", "--month", "9999-12"],
        ["calendar", "--month", "0000-01"],
        ["events", "--from", "9999-12-31", "--to", "+1d"],
        ["rentals", "--from", "0001-01-01", "--to", "9999-12-31"],
        ["show", "2147483647"],
        ["show", "2147483648"],
        ["show", "9223372036854775807"],
        ["maintenance", "cancel", "2147483647"],
        ["maintenance", "cancel", "9223372036854775807"],
        ["approve", "2147483647"],
        ["member", "verify", "-" * 65],
        ["machine", "show", "a" * 64],
        ["machine", "show", "a" * 65],
        ["notifications"],
    ],
    ids=lambda args: " ".join(args)[:40],
)
def test_never_a_traceback(seeded: rentcal.Rentcal, db_url: str, args: list[str]) -> None:
    result = cli(db_url, *args, as_="ada")
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.stderr.startswith(("Error: ", "Usage: ")), result.stderr


def test_the_last_representable_day_is_refused(seeded: rentcal.Rentcal, db_url: str) -> None:
    """Feeds need the day after a rental's last day, so 9999-12-31 cannot be booked."""
    result = cli(db_url, "book", "saw", "9999-12-31", "--days", "1", as_="bob")
    assert result.exit_code == 2
    assert "after the last bookable day 9999-12-30" in result.stderr
    assert cli(db_url, "events", "--json").exit_code == 0
