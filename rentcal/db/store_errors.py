"""What a failed operation of the :class:`~rentcal.db.store.Store` tells its caller.

THE mapping of a driver error to rentcal's one-line errors (:func:`translate`),
and the :class:`~rentcal.errors.Busy` messages of the waits the Store bounds.
Decided by error codes (:mod:`rentcal.db.driver_errors`), never message text.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import exc

from rentcal.db.driver_errors import (
    QUERY_CANCELED,
    describe_db_error,
    is_corrupt,
    is_locked,
    is_out_of_connections,
    sqlstate,
)
from rentcal.db.sqlite_file import mark_damaged
from rentcal.db.watchdog import Watchdog
from rentcal.errors import Busy, DamagedDatabase, DatabaseError


def no_connection(pool_size: int, busy_timeout: float) -> Busy:
    """Every pooled connection of this process stayed in use past the deadline."""
    return Busy(
        f"all {pool_size} database connections of this process stayed in use "
        f"for more than {busy_timeout:g}s (pool_size={pool_size}); try again"
    )


def locked(busy_timeout: float) -> Busy:
    """Another writer held the database lock past the deadline."""
    return Busy(
        f"the database stayed locked by another writer for more than {busy_timeout:g}s; try again"
    )


def translate(
    err: exc.DBAPIError,
    *,
    watchdog: Watchdog | None,
    display_url: str,
    busy_timeout: float,
    file_path: Path | None,
) -> DatabaseError:
    """THE mapping of a driver error to rentcal's one-line errors."""
    if watchdog is not None and watchdog.dropped():
        return DatabaseError(
            f"no answer from the database server ({display_url}) for "
            f"{watchdog.bound:g}s: the connection was dropped (network or server "
            f"failure?); the transaction was not committed unless the server had "
            f"finished it; try again"
        )
    if is_locked(err):
        return locked(busy_timeout)
    if sqlstate(err) == QUERY_CANCELED:
        return Busy(
            f"the database did not finish within {busy_timeout:g}s (another writer "
            f"held the lock, or the server is overloaded); try again"
        )
    if is_out_of_connections(err):
        return Busy(
            f"the database server ({display_url}) refused connections for "
            f"{busy_timeout:g}s: {describe_db_error(err)} (max_connections); use a "
            f"smaller pool_size or a pooler such as PgBouncer (docs/postgres.md)"
        )
    return database_error(err, display_url, file_path)


def database_error(err: exc.DBAPIError, display_url: str, file_path: Path | None) -> DatabaseError:
    """A driver error as rentcal's: DamagedDatabase when SQLite reports damage
    (and the file is marked, so that no later write goes ahead either)."""
    message = f"database error ({display_url}): {describe_db_error(err)}"
    if not is_corrupt(err):
        return DatabaseError(message)
    detail = str(getattr(err, "orig", err)).strip().splitlines()[0]
    if file_path is not None:
        mark_damaged(file_path, detail)
    return DamagedDatabase(message, detail)


__all__ = ["database_error", "locked", "no_connection", "translate"]
