"""The PostgreSQL engine: READ COMMITTED, timeouts from the deadline, keepalives, a watchdog.

Every wait is bounded: server-side timeouts per session and (SET LOCAL) per
write transaction, libpq's connect timeout and TCP keepalives client side,
and a :class:`rentcal.db.watchdog.Watchdog` for what TCP cannot notice.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from rentcal.db import tables
from rentcal.db.deadline import QUICK_CHECKOUT, WRITE, remaining
from rentcal.db.watchdog import WATCHDOGS, Watchdog

#: Seconds beyond the busy timeout after which a silent PostgreSQL connection is
#: lost: the server ends an idle transaction then, the client drops the socket.
MARGIN = 2.0
#: statement_timeout exceeds lock_timeout by this much, so a plain lock wait
#: reports itself as one (55P03) and statement_timeout only ends chained waits.
LOCK_SLACK = 0.25
_FRESH = "rentcal_fresh"
#: Advisory lock key serialising schema creation/upgrade on PostgreSQL ("rentcal").
SCHEMA_LOCK_KEY = 0x72656E7463616C
#: Advisory lock key serialising the first member's creation on PostgreSQL.
MEMBERS_LOCK_KEY = SCHEMA_LOCK_KEY + 1
#: Advisory lock key serialising the runs that queue reminders (check, then insert).
REMINDERS_LOCK_KEY = SCHEMA_LOCK_KEY + 20


#: The PostgreSQL timeouts rentcal sets, for the session or (``local``) one transaction.
_SET_TIMEOUTS = (
    "SELECT set_config('lock_timeout', %(lock)s, {local}), "
    "set_config('statement_timeout', %(stmt)s, {local}), "
    "set_config('idle_in_transaction_session_timeout', %(idle)s, {local})"
)


def postgres_engine(url: sa.URL, busy_timeout: float, pool_size: int) -> Engine:
    """READ COMMITTED pinned; every wait bounded by the operation's deadline.

    Server side, each session gets ``lock_timeout`` (Busy, SQLSTATE 55P03),
    ``statement_timeout`` (which also ends a row-lock wait that PostgreSQL
    queues twice, on the tuple and on the holder, where lock_timeout would
    restart) and ``idle_in_transaction_session_timeout`` (a client that
    vanished cannot keep a machine locked); each *write* transaction sets
    them again with ``SET LOCAL`` from the time left in the operation, so
    retries stay within the deadline and the bounds hold behind PgBouncer's
    transaction pooling too. Client side, libpq's ``connect_timeout``, TCP
    keepalives and ``tcp_user_timeout`` notice a dead peer, and a
    :class:`Watchdog` drops a connection whose statement got no answer in
    time — a stalled proxy or a frozen host that TCP cannot notice.
    """
    tables.add_postgres_guards()
    bound = busy_timeout + MARGIN
    connect_args: dict[str, Any] = {
        "keepalives": 1,
        "keepalives_idle": max(1, math.ceil(busy_timeout / 2)),
        "keepalives_interval": max(1, math.ceil(busy_timeout / 6)),
        "keepalives_count": 3,
        "tcp_user_timeout": int(bound * 1000),
        "application_name": "rentcal",
    }
    for key in url.query:  # what the URL says wins
        connect_args.pop(key, None)
    engine = sa.create_engine(
        url,
        isolation_level="READ COMMITTED",
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=busy_timeout,
    )
    watchdog = WATCHDOGS[engine] = Watchdog(bound)

    @event.listens_for(engine, "do_connect")
    def _connect_within_deadline(
        _dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]
    ) -> None:
        left = remaining(busy_timeout)
        cparams.setdefault("connect_timeout", max(2, math.ceil(left)))

    def _timeouts(left: float) -> dict[str, str]:
        return {
            "lock": f"{max(1, int(left * 1000))}ms",
            "stmt": f"{int((left + LOCK_SLACK) * 1000)}ms",
            "idle": f"{int(bound * 1000)}ms",
        }

    @event.listens_for(engine, "connect")
    def _session(dbapi_conn: Any, record: Any) -> None:
        # The session's own bounds, for reads (one round trip per connection).
        record.info[_FRESH] = True
        with dbapi_conn.cursor() as cursor:
            cursor.execute(_SET_TIMEOUTS.format(local="false"), _timeouts(busy_timeout))
        dbapi_conn.commit()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # pool_pre_ping, but watched: a pooled connection whose peer went
        # silent must not hang the ping (SQLAlchemy's own ping is unbounded).
        if record.info.pop(_FRESH, False) or QUICK_CHECKOUT.get():
            return
        watchdog.arm(dbapi_conn)
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:
            watchdog.disarm(dbapi_conn)
            raise exc.DisconnectionError(str(err)) from err

    @event.listens_for(engine, "begin")
    def _deadline(conn: Connection) -> None:
        # Writers lock machines: their waits come out of the operation's
        # deadline, set per transaction (SET LOCAL: PgBouncer-safe).
        if conn.get_execution_options().get(WRITE, False):
            left = max(0.001, remaining(busy_timeout))
            conn.exec_driver_sql(_SET_TIMEOUTS.format(local="true"), _timeouts(left))

    def _arm(conn: Connection, *_args: Any) -> None:
        if not conn.invalidated:  # a dropped connection has nothing left to watch
            watchdog.arm(conn.connection.dbapi_connection)

    for name in ("before_cursor_execute", "after_cursor_execute", "commit", "rollback"):
        event.listen(engine, name, _arm)

    def _arm_raw(dbapi_conn: Any, *_args: Any) -> None:
        watchdog.arm(dbapi_conn)

    def _disarm(dbapi_conn: Any, *_args: Any) -> None:
        watchdog.disarm(dbapi_conn)

    event.listen(engine, "reset", _arm_raw)
    for name in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine, name, _disarm)
    return engine
