"""Reading needs no write access; a write without it says exactly what is missing.

SQLite in WAL mode keeps ``-wal`` and ``-shm`` beside the database and needs
them even to read. These tests run the CLI as an unprivileged user (uid 65534,
"nobody") in a forked child — root ignores file permissions, so a test run as
root would prove nothing — on files and directories with real modes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import rentcal
from rentcal.db.sqlite_file import sqlite_access
from tests.cli_support import cli
from tests.processes import Start, in_processes

NOBODY = 65534
BOOK = ("--as", "bob", "book", "saw", "+30d", "--days", "1")
READS = (
    ["rentals"],
    ["rentals", "--json"],
    ["calendar"],
    ["events", "--ics"],
    ["free", "saw"],
    ["db", "status"],
    ["db", "check"],
    ["notifications"],
    ["member", "list"],
    ["machine", "list"],
    ["report", "utilisation"],
)


def _in_child(_start: Start, uid: int, args: list[str]) -> tuple[int, str, str]:
    """One child, so no start signal: it drops to ``uid`` and runs the command."""
    os.setgid(uid)
    os.setuid(uid)
    result = cli(args[0], *args[1:], as_="ada")
    return result.exit_code, result.stdout, result.stderr


def as_user(uid: int, db: Path, *args: str) -> tuple[int, str, str]:
    """``rentcal --db DB --as ada ARGS`` run by ``uid`` (forked: nothing new is imported)."""
    if os.getuid() != 0:
        if uid != os.getuid():
            pytest.skip("switching users needs root")
        result = cli(str(db), *args, as_="ada")
        return result.exit_code, result.stdout, result.stderr
    [outcome] = in_processes(_in_child, [(uid, [str(db), *args])], timeout=60)
    return outcome


@pytest.fixture
def shared() -> Iterator[Path]:
    """A directory the unprivileged user owns, outside root's private tmp_path."""
    root = Path(tempfile.mkdtemp(prefix="rentcal-ro-"))
    root.chmod(0o755)
    directory = root / "data"
    directory.mkdir()
    uid = NOBODY if os.getuid() == 0 else os.getuid()
    os.chown(directory, uid, uid)
    # Warm up in this process, so the forked children import nothing from root's files.
    warm = root / "warm.db"
    for args in (["demo"], *READS, list(BOOK)):
        cli(None, *args, env={"RENTCAL_DATABASE_URL": str(warm), "RENTCAL_USER": "ada"})
    yield directory
    for path in directory.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    directory.chmod(0o755)
    shutil.rmtree(root)


def _uid() -> int:
    return NOBODY if os.getuid() == 0 else os.getuid()


def _demo(shared: Path) -> Path:
    db = shared / "rentcal.db"
    code, _out, err = as_user(_uid(), db, "demo")
    assert code == 0, err
    return db


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


class TestReadOnlyFile:
    """The reviewer's case: a 0444 file, read, then made writable again."""

    def test_read_leaves_nothing_that_blocks_later_writes(self, shared: Path) -> None:
        db = _demo(shared)
        db.chmod(0o444)
        code, out, err = as_user(_uid(), db, "machine", "list")
        assert code == 0, err
        assert "tractor-6120" in out
        assert _listing(shared) == ["rentcal.db"], "no -wal/-shm left behind"
        code, _out, err = as_user(_uid(), db, *BOOK)
        assert code == 4
        assert err == (
            f"Error: cannot write to {db}: this user may not write the file '{db}'; reading works\n"
        )
        db.chmod(0o644)
        code, out, err = as_user(_uid(), db, *BOOK)
        assert code == 0, err
        assert "Booked rental" in out

    def test_every_read_command_works(self, shared: Path) -> None:
        db = _demo(shared)
        db.chmod(0o444)
        for args in READS:
            code, _out, err = as_user(_uid(), db, *args)
            assert code == 0, (args, err)
        assert _listing(shared) == ["rentcal.db"]


class TestReadOnlyDirectory:
    """A directory nobody may write: reads work, writes name the directory."""

    def test_read_and_refused_write(self, shared: Path) -> None:
        db = _demo(shared)
        shared.chmod(0o555)
        code, out, err = as_user(_uid(), db, "rentals", "--json")
        assert code == 0, err
        assert '"status": "pending"' in out
        code, _out, err = as_user(_uid(), db, *BOOK)
        assert code == 4
        assert f"may not create files in its directory '{shared}'" in err
        assert "-wal and -shm" in err
        assert _listing(shared) == ["rentcal.db"]


@pytest.mark.skipif(os.getuid() != 0, reason="needs a second user")
class TestSomeoneElsesDatabase:
    """Owned and written by another user: read through the files SQLite already keeps,
    and never create a -shm that would lock its owner out."""

    def test_refused_rather_than_lock_the_owner_out(self, shared: Path) -> None:
        db = shared / "owned.db"
        rentcal.connect(str(db)).close()  # root owns it, 0600: make it readable
        db.chmod(0o644)
        shared.chmod(0o777)
        code, _out, err = as_user(NOBODY, db, "rentals")
        assert code == 4
        assert f"reading it would create '{db}-shm'" in err
        assert "keep its owner from writing" in err
        assert _listing(shared) == ["owned.db"]

    def test_reads_through_the_owners_open_wal(self, shared: Path) -> None:
        db = shared / "owned.db"
        with rentcal.connect(str(db)) as cal:
            cal.add_member("ada", admin=True)
        db.chmod(0o644)
        owner = sqlite3.connect(db, isolation_level=None)  # keeps -wal/-shm open, unmerged
        owner.execute("PRAGMA wal_autocheckpoint = 0")
        owner.execute("UPDATE member SET name = 'Ada from the WAL' WHERE handle = 'ada'")
        try:
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").chmod(0o644)
            code, out, err = as_user(NOBODY, db, "member", "list")
            assert code == 0, err
            assert "Ada from the WAL" in out
        finally:
            owner.close()


class TestAccessDecision:
    """The decision itself, for cases the test machine cannot stage."""

    def test_read_only_mount_is_immutable(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        db = tmp_path / "x.db"
        rentcal.connect(str(db)).close()

        class ReadOnlyMount:
            f_flag = os.ST_RDONLY

        monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
        monkeypatch.setattr(os, "statvfs", lambda _p: ReadOnlyMount())
        assert sqlite_access(db).mode == "immutable"

    def test_committed_changes_in_an_unreadable_wal(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        db = tmp_path / "x.db"
        rentcal.connect(str(db)).close()
        Path(f"{db}-wal").write_bytes(b"\0" * 100)
        monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
        with pytest.raises(rentcal.DatabaseError, match=r"-wal' holds committed changes"):
            sqlite_access(db)
