"""rentcal writes only into its own database, and reading never creates one.

Only ``init``, ``demo`` and the library's ``connect(create=True)`` (its
default) may give an empty database rentcal's schema; every other command on a
missing file or an empty database is exit 4 and leaves nothing behind. A
database with tables rentcal does not know is refused by everything.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db import schema
from tests.cli_support import cli, failed
from tests.conftest import BOTH

pytestmark = BOTH

#: Commands that must never create a database (a representative of every group).
READ_AND_WRITE_COMMANDS = [
    pytest.param(["machine", "list"], id="machine list"),
    pytest.param(["member", "list"], id="member list"),
    pytest.param(["rentals"], id="rentals"),
    pytest.param(["calendar"], id="calendar"),
    pytest.param(["events", "--ics"], id="events --ics"),
    pytest.param(["check", "tractor", "+1d", "+2d"], id="check"),
    pytest.param(["free", "tractor"], id="free"),
    pytest.param(["notifications"], id="notifications"),
    pytest.param(["show", "1"], id="show"),
    pytest.param(["maintenance", "list"], id="maintenance list"),
    pytest.param(["machine", "add", "m", "--price", "1"], id="machine add"),
    pytest.param(["book", "tractor", "+1d", "--days", "1"], id="book"),
    pytest.param(["db", "status"], id="db status"),
    pytest.param(["db", "upgrade"], id="db upgrade"),
    pytest.param(["db", "check"], id="db check"),
    pytest.param(["backup", "copy.db"], id="backup"),
]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


class TestMissingDatabase:
    """A mistyped path is an error naming it; no file, no directory appears."""

    @pytest.mark.parametrize("args", READ_AND_WRITE_COMMANDS)
    def test_command_on_a_missing_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
    ) -> None:
        monkeypatch.chdir(tmp_path)
        typo = tmp_path / "typo" / "rentcal.db"
        result = cli(str(typo), *args, as_="ada")
        failed(
            result,
            4,
            f"no rentcal database at {typo}: the file does not exist; "
            f"run 'rentcal init' to create one (or choose another database with --db URL",
        )
        assert _files(tmp_path) == []

    def test_default_location_is_not_created_by_reading(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        failed(cli(None, "rentals"), 4, "no rentcal database at")
        assert not (tmp_path / "xdg").exists()

    def test_library_refuses_without_create(self, tmp_path: Path) -> None:
        path = tmp_path / "nope" / "x.db"
        with pytest.raises(rentcal.NoDatabase) as info:
            rentcal.connect(str(path), create=False)
        assert info.value.where == str(path)
        assert info.value.found == "the file does not exist"
        assert "--" not in str(info.value), "library messages name no CLI option"
        assert not path.parent.exists()

    def test_library_creates_by_default(self, tmp_path: Path) -> None:
        """README's example relies on it: connect() on a new path makes the database."""
        with rentcal.connect(str(tmp_path / "new.db")) as cal:
            assert cal.is_empty()
        assert (tmp_path / "new.db").is_file()


class TestEmptyDatabase:
    """An existing but empty database: only init and demo fill it."""

    def test_empty_sqlite_file(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.db"
        path.touch()
        failed(
            cli(str(path), "rentals"), 4, f"no rentcal database at {path}: the file has no tables"
        )
        assert path.stat().st_size == 0
        assert _files(tmp_path) == ["empty.db"]

    def test_empty_database_on_each_backend(self, db_url: str) -> None:
        failed(cli(db_url, "machine", "list"), 4, "no rentcal database at")
        if db_url.startswith("postgresql"):
            assert "has no tables" in cli(db_url, "rentals").stderr
        with pytest.raises(rentcal.NoDatabase):
            rentcal.connect(db_url, create=False)
        assert _state(db_url).empty
        result = cli(db_url, "init", "--admin", "ada")
        assert result.exit_code == 0, result.output
        assert cli(db_url, "machine", "list").exit_code == 0

    def test_demo_creates(self, db_url: str) -> None:
        result = cli(None, "demo", "--db", db_url)
        assert result.exit_code == 0, result.output
        assert _state(db_url).ready


def _state(url: str) -> schema.SchemaState:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = schema.read_state(conn)
    engine.dispose()
    return found


def _add_foreign_tables(url: str, names: list[str]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name in names:
            conn.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, note TEXT)")
    engine.dispose()


class TestForeignDatabase:
    """Another application's database gets nothing added, by any command or connect()."""

    @pytest.mark.parametrize(
        "args",
        [
            pytest.param(["init", "--admin", "ada"], id="init"),
            pytest.param(["demo"], id="demo"),
            pytest.param(["machine", "list"], id="machine list"),
            pytest.param(["db", "upgrade"], id="db upgrade"),
            pytest.param(["db", "check"], id="db check"),
            pytest.param(["backup", "copy.db"], id="backup"),
        ],
    )
    def test_every_command_refuses(
        self, db_url: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        _add_foreign_tables(db_url, ["invoices", "customers"])
        before = _state(db_url)
        result = cli(db_url, *args) if args[0] != "demo" else cli(None, "demo", "--db", db_url)
        failed(result, 4, "is not a rentcal database: it has tables rentcal does not know")
        assert "(customers, invoices)" in result.stderr
        assert _state(db_url) == before
        assert not (tmp_path / "copy.db").exists()

    def test_library_refuses_even_with_create(self, db_url: str) -> None:
        _add_foreign_tables(db_url, [f"t{n}" for n in range(8)])
        with pytest.raises(rentcal.ForeignDatabase) as info:
            rentcal.connect(db_url)
        assert info.value.tables == tuple(f"t{n}" for n in range(8))
        assert "(t0, t1, t2, t3, t4 and 3 more)" in str(info.value)
        assert _state(db_url).tables == tuple(f"t{n}" for n in range(8))

    def test_sqlite_file_stays_byte_for_byte(self, tmp_path: Path) -> None:
        """Not even the journal mode changes (switching to WAL would write the header)."""
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE machine (id INTEGER PRIMARY KEY)")  # a name rentcal uses
        content = path.read_bytes()
        for args in (["init", "--admin", "ada"], ["rentals"], ["db", "check"]):
            failed(cli(str(path), *args), 4, "is not a rentcal database")
        with pytest.raises(rentcal.ForeignDatabase, match=r"\(machine\)"):
            rentcal.connect(str(path))
        assert path.read_bytes() == content
        assert _files(tmp_path) == ["other.db"]

    def test_another_alembic_application(self, db_url: str) -> None:
        """Its alembic_version is its own: "not rentcal's", never "newer than rentcal"."""
        _add_foreign_tables(db_url, ["orders"])
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        engine.dispose()
        with pytest.raises(rentcal.ForeignDatabase, match=r"rentcal does not know \(orders\)"):
            rentcal.connect(db_url)
        failed(cli(db_url, "db", "status"), 4, "is not a rentcal database")

    def test_own_database_with_an_extra_table_still_works(self, db_url: str) -> None:
        """A table someone added to rentcal's database is theirs; rentcal leaves it alone."""
        rentcal.connect(db_url).close()
        _add_foreign_tables(db_url, ["reports"])
        with rentcal.connect(db_url, create=False) as cal:
            assert cal.machines() == []
        assert "reports" in _state(db_url).tables


class TestNewFilesArePrivate:
    """The data directory is created 0700 and the database 0600 (as XDG asks)."""

    def test_init_in_a_new_directory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        monkeypatch.delenv("RENTCAL_DATABASE_URL", raising=False)
        old = os.umask(0o022)
        try:
            assert cli(None, "init", "--admin", "ada").exit_code == 0
            assert cli(None, "--as", "ada", "machine", "add", "m", "--price", "1").exit_code == 0
        finally:
            os.umask(old)
        for directory in (tmp_path / "xdg", tmp_path / "xdg" / "rentcal"):
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
        for file in (tmp_path / "xdg" / "rentcal").iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file

    def test_existing_directory_and_file_keep_their_modes(self, tmp_path: Path) -> None:
        shared = tmp_path / "shared"
        shared.mkdir(mode=0o755)
        shared.chmod(0o775)
        path = shared / "rentcal.db"
        path.touch()
        path.chmod(0o660)
        assert cli(str(path), "init", "--admin", "ada").exit_code == 0
        assert stat.S_IMODE(shared.stat().st_mode) == 0o775
        assert stat.S_IMODE(path.stat().st_mode) == 0o660
