"""Hot reads through the driver's own cursor, on the Store's pooled connections.

A read transaction through SQLAlchemy's Connection costs ~100 µs of CPU
before the first statement (connection wrapper, events, BEGIN hook, result
objects); the same read through the driver's cursor costs a few. The web
server's hottest routes read a handful of rows per request, so their reads
come here. What stays the same: the connection comes from the Store's pool
through its fair :class:`~rentcal.db.gate.Gate`; SQLite reads are deferred
transactions (a WAL snapshot); PostgreSQL connections keep their session
timeouts and are watched by the Store's watchdog for every statement; driver
errors become rentcal's errors through THE mapping
(:func:`rentcal.db.store_errors.translate`).

Statements stay SQLAlchemy Core statements, written once in
:mod:`rentcal.db.sql`: :class:`RawStatement` compiles one for a dialect at
first use and converts parameters and results with the column types'
own processors, so a date or an aware datetime reads back exactly as it does
through SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Dialect, Engine

from rentcal.db import store_errors
from rentcal.db.deadline import DEADLINE, QUICK_CHECKOUT
from rentcal.db.gate import Gate
from rentcal.db.query_count import add as count_statement
from rentcal.db.watchdog import Watchdog
from rentcal.errors import DatabaseError

T = TypeVar("T")
Row = tuple[Any, ...]
#: What the quick path runs: a SELECT, or a UNION of them (the conflict seek).
Statement = sa.Select[Any] | sa.CompoundSelect[Any]
Processor = Callable[[Any], Any] | None


class RawStatement:
    """One Core statement compiled for one dialect, with its type conversions."""

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("expanding IN parameters are not supported on the quick path")
        self.sql = compiled.string
        self._defaults = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        self._order: Sequence[str] | None = compiled.positiontup
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        self._binds = {name: p for name, p in processors.items() if p is not None}
        self._types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self._dialect = dialect
        self._results: list[Processor] | None = None  # from the first result's description
        self._convert = True

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters: positional (qmark) or a dict (pyformat)."""
        binds = self._binds
        merged = {**self._defaults, **values}
        for name, value in merged.items():
            processor = binds.get(name)
            if processor is not None and value is not None:
                merged[name] = processor(value)
        if self._order is None:
            return merged
        return [merged[name] for name in self._order]

    def converter(self, description: Sequence[Any]) -> Callable[[Row], Row]:
        """How to turn the driver's rows into SQLAlchemy's values (the column types'
        result processors, chosen as SQLAlchemy chooses them: by the driver's type code)."""
        if self._results is None:
            self._results = [
                kind.result_processor(self._dialect, column[1])
                for kind, column in zip(self._types, description, strict=True)
            ]
            self._convert = any(p is not None for p in self._results)
        if not self._convert:
            return tuple
        results = self._results

        def convert(row: Row) -> Row:
            return tuple(
                value if p is None or value is None else p(value)
                for p, value in zip(results, row, strict=True)
            )

        return convert


class Reader:
    """Runs :class:`RawStatement` s on one driver cursor inside one read transaction."""

    def __init__(self, cursor: Any, dialect: Dialect, cache: dict[int, RawStatement]) -> None:
        self._cursor = cursor
        self._dialect = dialect
        self._cache = cache

    def _compiled(self, statement: Statement) -> RawStatement:
        found = self._cache.get(id(statement))
        if found is None:
            found = self._cache[id(statement)] = RawStatement(statement, self._dialect)
        return found

    def all(self, statement: Statement, values: Mapping[str, Any] | None = None) -> list[Row]:
        """Every row of ``statement`` (a module-level constant: compiled once)."""
        raw = self._compiled(statement)
        cursor = self._cursor
        cursor.execute(raw.sql, raw.parameters(values or {}))
        count_statement()
        convert = raw.converter(cursor.description)
        return [convert(row) for row in cursor.fetchall()]

    def first(self, statement: Statement, values: Mapping[str, Any] | None = None) -> Row | None:
        """The first row, or None."""
        rows = self.all(statement, values)
        return rows[0] if rows else None


class QuickReads:
    """A Store's quick read transactions (see the module); built by the Store."""

    def __init__(
        self,
        engine: Engine,
        gate: Gate,
        watchdog: Watchdog | None,
        translate: Callable[[exc.DBAPIError], DatabaseError],
        busy_timeout: float,
        pool_size: int,
    ) -> None:
        self._engine = engine
        self._gate = gate
        self._watchdog = watchdog
        self._translate = translate
        self._busy_timeout = busy_timeout
        self._pool_size = pool_size
        self._compiled: dict[int, RawStatement] = {}
        self._sqlite = engine.dialect.name == "sqlite"
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    def run(self, fn: Callable[[Reader], T]) -> T:
        """``fn(reader)`` in one read transaction on a pooled driver connection.

        Bounded like :meth:`Store.run`: the turn at the pool and the
        connection wait end within the busy timeout; PostgreSQL statements
        are bounded by the session's timeouts and the watchdog.
        """
        token = DEADLINE.set(time.monotonic() + self._busy_timeout)
        try:
            if not self._gate.enter(self._busy_timeout):
                raise store_errors.no_connection(self._pool_size, self._busy_timeout)
            try:
                return self._run(fn)
            finally:
                self._gate.leave()
        finally:
            DEADLINE.reset(token)

    def _run(self, fn: Callable[[Reader], T], *, retry: bool = True) -> T:
        pooled = self._checkout()
        driver: Any = pooled.dbapi_connection
        try:
            return self._transaction(driver, fn)
        except self._driver_error as err:
            self._rollback(driver)
            if retry and self._engine.dialect.is_disconnect(cast(Any, err), driver, None):
                pooled.invalidate()  # died while pooled (not pinged): once more, anew
                return self._run(fn, retry=False)
            wrapped = exc.DBAPIError.instance("quick read", None, err, self._driver_error)
            raise self._translate(cast(exc.DBAPIError, wrapped)) from None
        except BaseException:
            self._rollback(driver)
            raise
        finally:
            pooled.close()  # back to the pool (a no-op after invalidate())

    def _checkout(self) -> Any:
        """A pooled connection, without the pre-ping round trip (see :meth:`_run`)."""
        token = QUICK_CHECKOUT.set(True)
        try:
            return self._engine.raw_connection()
        except exc.TimeoutError:
            raise store_errors.no_connection(self._pool_size, self._busy_timeout) from None
        except exc.DBAPIError as err:
            raise self._translate(err) from None
        finally:
            QUICK_CHECKOUT.reset(token)

    def _transaction(self, driver: Any, fn: Callable[[Reader], T]) -> T:
        """SQLite: BEGIN (deferred: one WAL snapshot for every statement) ... COMMIT.

        PostgreSQL: autocommit, each statement on its own, as READ COMMITTED
        would give them anyway (a statement sees what committed before it); it
        saves the BEGIN and COMMIT round trips. Callers read the revisions
        first, so whatever they read after is at least that new. Watched by
        the Store's watchdog throughout.
        """
        cursor = driver.cursor()
        if self._watchdog is not None:
            self._watchdog.arm(driver)
        try:
            if self._sqlite:
                cursor.execute("BEGIN")
                result = fn(Reader(cursor, self._engine.dialect, self._compiled))
                driver.commit()
                return result
            driver.autocommit = True
            try:
                return fn(Reader(cursor, self._engine.dialect, self._compiled))
            finally:
                driver.autocommit = False
        finally:
            cursor.close()
            if self._watchdog is not None:
                self._watchdog.disarm(driver)

    def _rollback(self, driver: Any) -> None:
        """End a failed read; a connection that cannot even roll back is dropped by the pool."""
        with contextlib.suppress(self._driver_error):
            driver.rollback()


__all__ = ["QuickReads", "RawStatement", "Reader"]
