"""What a driver error means: locked, damaged, out of connections, or retryable.

Decided by SQLSTATEs and SQLite error codes (message text only where libpq
gives nothing better), in one place, for the Store and the maintenance tools.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc

#: Attempts for a transaction PostgreSQL aborted to resolve a conflict.
RETRIES = 5
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: PostgreSQL: statement_timeout expired (also ends chained lock waits).
QUERY_CANCELED = "57014"
#: What PostgreSQL says when it has no connection slot left (SQLSTATE 53300,
#: not exposed by libpq for a failed connection attempt).
TOO_MANY_CLIENTS = (
    "too many clients",
    "too many connections",
    "remaining connection slots are reserved",
)
#: PostgreSQL: lock_timeout expired while waiting for a row lock.
LOCK_NOT_AVAILABLE = "55P03"


def sqlstate(err: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error (psycopg), or None."""
    return getattr(getattr(err, "orig", None), "sqlstate", None)


def describe_db_error(err: exc.DBAPIError | exc.SQLAlchemyError) -> str:
    """One line of the driver's complaint, without SQL or parameters."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    first = text[0] if text else type(orig).__name__
    if is_corrupt(err):
        return (
            f"the database file is damaged ({first}); rentcal changed nothing and refuses "
            f"further writes; run 'rentcal db check' for what is damaged and how to recover"
        )
    return first


def is_corrupt(err: BaseException) -> bool:
    """Whether SQLite reported a damaged file (SQLITE_CORRUPT, any extended code)."""
    code = getattr(getattr(err, "orig", err), "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_CORRUPT


def is_locked(err: BaseException) -> bool:
    """Whether a driver error means another writer kept the lock too long."""
    if sqlstate(err) == LOCK_NOT_AVAILABLE:
        return True
    text = str(getattr(err, "orig", err)).lower()
    return "database is locked" in text or "database table is locked" in text


def is_out_of_connections(err: BaseException) -> bool:
    """Whether PostgreSQL refused a connection because all its slots are taken."""
    text = str(getattr(err, "orig", err)).lower()
    return any(phrase in text for phrase in TOO_MANY_CLIENTS)
