"""One entry point to both dialect engines: the URL decides which recipe applies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from rentcal.db import query_count
from rentcal.db.connection_limits import DEFAULT_BUSY_TIMEOUT, DEFAULT_POOL_SIZE
from rentcal.db.engine_postgres import postgres_engine
from rentcal.db.engine_sqlite import engine_url, sqlite_engine
from rentcal.db.urls import parse_url, safe_url
from rentcal.errors import DatabaseError


def make_engine(
    url: str,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    pool_size: int = DEFAULT_POOL_SIZE,
    *,
    create: bool = True,
) -> Engine:
    """An engine configured with rentcal's locking recipe for its backend.

    ``create=False``: a SQLite file that does not exist is a DatabaseError, and
    neither it nor its directory is created.

    Raises:
        InvalidRequest: the URL is not one rentcal accepts (:func:`parse_url`).
        DatabaseError: its driver is not installed; no such file with ``create=False``.
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sqlite_engine(engine_url(parsed), busy_timeout, pool_size, create=create)
            return query_count.attach(engine)
        engine = postgres_engine(parsed, busy_timeout, pool_size)
    except ImportError as err:
        raise DatabaseError(
            f"database URL {safe_url(url)!r} needs a driver that is not installed "
            f"({err.name}); for PostgreSQL: pip install 'rentcal[postgres]'"
        ) from None
    given = {k: v for k, v in parsed.query.items() if isinstance(v, str)}

    @event.listens_for(engine, "do_connect")
    def _url_wins(_dialect: Any, _record: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        # What the URL says beats rentcal's defaults (e.g. its connect_timeout).
        kwargs.update(given)

    return query_count.attach(engine)
