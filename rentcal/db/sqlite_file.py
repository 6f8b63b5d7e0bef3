"""The embedded database's file: made private, opened read-only when it must be,
and marked when SQLite reports it damaged.

In WAL mode SQLite keeps two files beside the database, ``PATH-wal`` and
``PATH-shm``, and needs them even to read; who may create them decides how a
file can be opened (:func:`sqlite_access`). ``PATH-damaged`` is rentcal's own:
while it exists, :mod:`rentcal.db.store` refuses every write.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from rentcal.errors import DatabaseError


def damage_marker(path: Path) -> Path:
    """``PATH-damaged``: written when SQLite reports ``PATH`` damaged; while it exists
    every write is refused. ``rentcal db check`` removes it once the file passes."""
    return Path(f"{path}-damaged")


def mark_damaged(path: Path, detail: str) -> None:
    """Leave the damage marker beside ``path`` (best effort: a read-only directory
    cannot hold it, and then only the writes that meet the damage are refused)."""
    with suppress(OSError):
        fd = os.open(damage_marker(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"SQLite reported this database damaged: {detail}\n")
            out.write("Run 'rentcal db check' for what is damaged and how to recover.\n")


def _ensure_parent(path: Path) -> None:
    """Create the directories of a new embedded database, private (0700) as XDG asks.

    Only directories rentcal creates get that mode; existing ones keep theirs.
    """
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made by a concurrent first use, or a file there (mkdir below says)
        except OSError as err:
            raise DatabaseError(
                f"cannot create directory {str(directory)!r}: {err.strerror}"
            ) from None
    if not path.parent.is_dir():
        raise DatabaseError(f"cannot create directory {str(path.parent)!r}: Not a directory")


def create_private_file(path: Path) -> None:
    """An empty database file readable by its owner only (0600); SQLite gives the
    -wal and -shm files beside it the same mode."""
    _ensure_parent(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return  # a concurrent first use made it: fine, it is just as new
    except OSError as err:
        raise DatabaseError(f"cannot create database file {str(path)!r}: {err.strerror}") from None


@dataclass(frozen=True, slots=True)
class SqliteAccess:
    """How this user can open an existing SQLite file.

    ``mode``: ``"rw"``; ``"ro"`` (read-only through the -wal/-shm files that are
    already there, creating nothing); or ``"immutable"`` (nobody can be writing
    it: read-only mount, or no write permission on the file or its directory
    for anyone, and no -wal content — SQLite then reads the file alone, without
    locks, and leaves no -wal/-shm behind). ``reason`` says why it is not
    ``"rw"``.
    """

    mode: str
    reason: str = ""


def sqlite_access(path: Path) -> SqliteAccess:
    """Decide how to open ``path`` (see :class:`SqliteAccess`); refuse what cannot be read.

    In WAL mode SQLite keeps two files beside the database, ``-wal`` and
    ``-shm``, and needs them even to read: without write access it can only
    use ones that exist. A reader must never create them either when someone
    else writes the database: they would carry the reader's owner and mode and
    keep the writer out.
    """
    directory = path.parent
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    can_write_file = os.access(path, os.W_OK)
    can_write_dir = os.access(directory, os.W_OK | os.X_OK)
    if can_write_file and (
        can_write_dir or all(p.exists() and os.access(p, os.W_OK) for p in (wal, shm))
    ):
        return SqliteAccess("rw")
    reason = (
        f"this user may not write the file {str(path)!r}"
        if not can_write_file
        else f"this user may not create files in its directory {str(directory)!r}, which "
        f"SQLite needs for the -wal and -shm files it keeps beside the database"
    )
    if wal.exists() and shm.exists():
        return SqliteAccess("ro", reason)
    if wal.exists() and wal.stat().st_size > 0:
        raise DatabaseError(
            f"cannot read {str(path)!r}: {str(wal)!r} holds committed changes that SQLite can "
            f"only read through {str(shm)!r}, which {reason.replace('this user may', 'it may')}; "
            f"open it once with write access (as its owner) to merge them into the file"
        )
    if _nobody_writes(path):
        return SqliteAccess("immutable", reason)
    raise DatabaseError(
        f"cannot read {str(path)!r} safely: {reason}, and reading it would create "
        f"{str(shm)!r} beside it as this user, which would keep its owner from writing; "
        f"read it with write access to the file and its directory, or read a copy "
        f"made with 'rentcal backup'"
    )


def _nobody_writes(path: Path) -> bool:
    """Nobody but root can change the database now: read-only mount, or no write bits."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
    except OSError:  # pragma: no cover - statvfs fails only on exotic file systems
        pass
    no_write_bits = 0o222
    return not (path.stat().st_mode & no_write_bits) or not (
        path.parent.stat().st_mode & no_write_bits
    )


def read_only_url(path: Path, mode: str) -> sa.URL:
    """A ``file:`` URI opening ``path`` read-only (``immutable=1`` for "immutable")."""
    query = {"mode": "ro", "uri": "true"}
    if mode == "immutable":
        query["immutable"] = "1"
    return sa.URL.create("sqlite", database="file:" + quote(str(path.resolve())), query=query)


__all__ = [
    "SqliteAccess",
    "create_private_file",
    "damage_marker",
    "mark_damaged",
    "read_only_url",
    "sqlite_access",
]
