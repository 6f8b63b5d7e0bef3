"""PostgreSQL faults: a connection that goes silent, a server that is full.

A stalling proxy (tests/proxy.py) stands between rentcal and the server and
stops forwarding, without closing, at a chosen moment — the network black
hole that TCP itself cannot notice. Every operation must still end within
its bound (the busy timeout plus rentcal's margin) with one line of error,
and the server must not keep the machine locked for a vanished client.
The bounds asserted are correctness bounds (an operation ENDS), with
seconds to spare; none is a performance figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db.engine_postgres import MARGIN
from tests.conftest import PG_ENV, TODAY, _pg_schema_url, d
from tests.proxy import StallingProxy, stalling_proxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
]
TIMEOUT = 2.0
#: An operation must end by then: the busy timeout, rentcal's margin, and slack
#: for a loaded machine (the bug being guarded against is "never").
BOUND = TIMEOUT + MARGIN + 5
UPSTREAM = ("127.0.0.1", 5432)


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """A fresh schema with admin 'ada' and machine 'm0'."""
    url = _pg_schema_url(pg_database)
    with rentcal.connect(url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_machine("m0", daily_price="10", acting="ada")
    return url


def _through(proxy: StallingProxy, url: str) -> str:
    """``url`` with the proxy in place of the server."""
    return sa.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


def _timed(call: Callable[[], Any], limit: float = 120) -> tuple[BaseException | None, float]:
    """Run ``call`` in a thread (the test itself must never hang); its error and duration."""
    box: dict[str, Any] = {}

    def target() -> None:
        started = time.monotonic()
        try:
            call()
        except BaseException as err:
            box["error"] = err
        box["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still waiting after {limit}s: it hangs"
    return box.get("error"), box["seconds"]


def _idle_in_transaction(url: str) -> list[Any]:
    """Sessions of this test's database that sit idle inside a transaction."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT pid, state, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND state LIKE 'idle in transaction%%'"
        ).all()
    engine.dispose()
    return list(rows)


def _one_line_database_error(err: BaseException | None) -> rentcal.DatabaseError:
    assert isinstance(err, rentcal.DatabaseError), repr(err)
    assert "\n" not in str(err)
    return err


class TestSilentConnection:
    """A connection that stops answering mid-booking ends, and unlocks the machine."""

    def test_book_through_a_stalled_proxy_ends_with_a_database_error(self, pg_url: str) -> None:
        with stalling_proxy(UPSTREAM, stall_after=b"FOR UPDATE") as proxy:
            cal = rentcal.connect(_through(proxy, pg_url), busy_timeout=TIMEOUT)
            err, seconds = _timed(lambda: cal.book("m0", d(10), d(12), member="ada", today=TODAY))
            assert proxy.stalled.is_set(), "the proxy never stalled: the test proves nothing"
        error = _one_line_database_error(err)
        assert not isinstance(error, rentcal.Busy)
        assert "no answer from the database server" in str(error)
        assert seconds <= BOUND
        # The server let go of the vanished client's transaction and row lock:
        # the same days of the same machine can be booked at once, and the
        # stalled booking was never committed.
        assert _idle_in_transaction(pg_url) == []
        with rentcal.connect(pg_url, busy_timeout=TIMEOUT) as other:
            err, seconds = _timed(lambda: other.book("m0", d(10), d(12), member="ada", today=TODAY))
            assert err is None and seconds <= BOUND
            assert len(other.rentals()) == 1

    def test_cli_book_through_a_stalled_proxy_exits_4(self, pg_url: str) -> None:
        with stalling_proxy(UPSTREAM, stall_after=b"FOR UPDATE") as proxy:
            env = {
                **os.environ,
                "RENTCAL_DATABASE_URL": _through(proxy, pg_url),
                "RENTCAL_BUSY_TIMEOUT": str(TIMEOUT),
                "RENTCAL_TODAY": TODAY.isoformat(),
            }
            started = time.monotonic()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "rentcal",
                    "--as",
                    "ada",
                    "book",
                    "m0",
                    "2030-01-10",
                    "2030-01-10",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            seconds = time.monotonic() - started
            assert proxy.stalled.is_set()
        assert result.returncode == 4, result.stderr
        assert result.stderr.startswith("Error: no answer from the database server")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert seconds <= BOUND + 5  # plus the interpreter's start-up
        with rentcal.connect(pg_url) as cal:
            assert cal.rentals() == []

    def test_connecting_through_a_stalled_proxy_ends(self, pg_url: str) -> None:
        with stalling_proxy(UPSTREAM) as proxy:
            proxy.stall()  # TCP connects; the server's greeting never arrives
            err, seconds = _timed(
                lambda: rentcal.connect(_through(proxy, pg_url), busy_timeout=TIMEOUT)
            )
        _one_line_database_error(err)
        assert seconds <= BOUND

    def test_pooled_connection_gone_silent_is_noticed_at_checkout(self, pg_url: str) -> None:
        with stalling_proxy(UPSTREAM) as proxy:
            cal = rentcal.connect(_through(proxy, pg_url), busy_timeout=TIMEOUT)
            assert cal.machine("m0").name == "m0"  # a pooled, healthy connection
            proxy.stall()
            err, seconds = _timed(lambda: cal.machine("m0"))
        _one_line_database_error(err)
        assert seconds <= 2 * BOUND  # the ping's bound, then a reconnect's

    def test_healthy_idle_pooled_connection_is_left_alone(self, pg_url: str) -> None:
        """The watchdog watches statements, not idle pooled connections."""
        with rentcal.connect(pg_url, busy_timeout=0.2) as cal:
            cal.machine("m0")
            watchdog = cal.store._watchdog
            assert watchdog is not None
            time.sleep(watchdog.bound + 0.5)
            assert cal.machine("m0").name == "m0"
            assert not watchdog.dropped()


class TestServerBounds:
    """The server itself enforces the deadline on each transaction."""

    def test_statement_longer_than_the_timeout_is_busy(self, pg_url: str) -> None:
        with rentcal.connect(pg_url, busy_timeout=1) as cal:
            err, seconds = _timed(
                lambda: cal.store.run(lambda conn: conn.exec_driver_sql("SELECT pg_sleep(30)"))
            )
        assert isinstance(err, rentcal.Busy), repr(err)
        assert "did not finish within 1s" in str(err)
        assert seconds <= BOUND

    SETTINGS = (
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('lock_timeout', 'statement_timeout', 'idle_in_transaction_session_timeout')"
    )

    LOCK_TIMEOUT = "SELECT setting::int FROM pg_settings WHERE name = 'lock_timeout'"

    def test_write_transactions_set_their_timeouts_locally(self, pg_url: str) -> None:
        """SET LOCAL from the time left: retries stay within the deadline, and
        the bounds hold behind a transaction-pooling PgBouncer too."""
        with rentcal.connect(pg_url, busy_timeout=3) as cal:

            def late_write(conn: sa.Connection) -> dict[str, str]:
                return dict(conn.exec_driver_sql(self.SETTINGS).all())  # type: ignore[arg-type]

            inside = cal.store.run(late_write, write=True)
            session = dict(cal.store.run(lambda conn: conn.exec_driver_sql(self.SETTINGS).all()))
        assert 2000 < int(inside["lock_timeout"]) <= 3000
        assert int(inside["lock_timeout"]) < int(inside["statement_timeout"]) <= 3250
        assert int(inside["idle_in_transaction_session_timeout"]) == (3 + MARGIN) * 1000
        assert session == {
            "lock_timeout": "3000",
            "statement_timeout": "3250",
            "idle_in_transaction_session_timeout": str(int((3 + MARGIN) * 1000)),
        }

    def test_a_retry_gets_only_the_time_left(self, pg_url: str) -> None:
        seen: list[int] = []
        with rentcal.connect(pg_url, busy_timeout=3) as cal:

            def conflicting(conn: sa.Connection) -> None:
                seen.append(int(conn.exec_driver_sql(self.LOCK_TIMEOUT).scalar_one()))
                if len(seen) == 1:
                    time.sleep(1)
                    conn.exec_driver_sql(  # as PostgreSQL does when it aborts a serialization loser
                        "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$"
                    )

            cal.store.run(conflicting, write=True)
        assert len(seen) == 2 and seen[1] <= 2000 < seen[0]


class TestConnectionSettings:
    """libpq notices a dead peer by itself: keepalives, user timeout, connect timeout."""

    def test_libpq_parameters(self, pg_url: str) -> None:
        with rentcal.connect(pg_url, busy_timeout=10) as cal, cal.store.engine.connect() as conn:
            params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert params["keepalives"] == "1"
        assert params["keepalives_idle"] == "5" and params["keepalives_count"] == "3"
        assert params["tcp_user_timeout"] == str(int((10 + MARGIN) * 1000))
        assert params["application_name"] == "rentcal"
        assert 2 <= int(params["connect_timeout"]) <= 10

    def test_url_parameters_win(self, pg_url: str) -> None:
        url = sa.make_url(pg_url).update_query_dict(
            {"keepalives_idle": "42", "application_name": "mine"}
        )
        with (
            rentcal.connect(url.render_as_string(False)) as cal,
            cal.store.engine.connect() as conn,
        ):
            params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert params["keepalives_idle"] == "42" and params["application_name"] == "mine"


@pytest.fixture
def limited_role(pg_database: str) -> Iterator[tuple[str, str]]:
    """A role allowed one connection, owning a fresh schema; (its URL, admin URL)."""
    name = f"rc_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT 1')
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"')
    url = sa.make_url(pg_database).set(username=name, password=None)
    url = url.update_query_dict({"options": f"-csearch_path={name},public"})
    yield url.render_as_string(hide_password=False), pg_database
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %(n)s",
            {"n": name},
        )
        conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
        conn.exec_driver_sql(f'DROP ROLE "{name}"')
    admin.dispose()


class TestConnectionLimit:
    """A server with no connection slot left: retried within the deadline, then one line."""

    def _hold_the_only_slot(self, url: str) -> sa.Connection:
        return sa.create_engine(url, poolclass=sa.pool.NullPool).connect()

    def test_full_server_is_busy_after_the_deadline(self, limited_role: tuple[str, str]) -> None:
        url, _ = limited_role
        holder = self._hold_the_only_slot(url)
        try:
            err, seconds = _timed(lambda: rentcal.connect(url, busy_timeout=1))
        finally:
            holder.close()
        assert isinstance(err, rentcal.Busy), repr(err)
        assert "refused connections for 1s" in str(err) and "too many connections" in str(err)
        assert "pool_size" in str(err) and "\n" not in str(err)
        assert 1 <= seconds <= BOUND  # it kept asking until the deadline

    def test_slot_freed_within_the_deadline_is_taken(self, limited_role: tuple[str, str]) -> None:
        url, _ = limited_role
        holder = self._hold_the_only_slot(url)
        threading.Timer(1.0, holder.close).start()
        err, _ = _timed(lambda: rentcal.connect(url, busy_timeout=10).close())
        assert err is None, repr(err)


class TestFork:
    """A process forked while a watchdog runs gets a fresh one (multiprocessing, prefork)."""

    def test_child_neither_deadlocks_nor_touches_the_parents_connections(self, pg_url: str) -> None:
        from rentcal.db.watchdog import WATCHDOGS

        with rentcal.connect(pg_url) as cal:
            cal.machines()  # the watchdog thread runs
            watchdog = WATCHDOGS[cal.store.engine]
            assert watchdog._thread is not None and watchdog._thread.is_alive()
            with cal.store.engine.connect() as conn:  # armed while checked out
                conn.exec_driver_sql("SELECT 1")
                assert watchdog._armed
                with watchdog._lock:  # held by another thread at the fork
                    pid = os.fork()
                    if pid == 0:  # the child: arm and watch, then report
                        code = 1
                        try:
                            inherited = bool(watchdog._armed)
                            watchdog.arm(object())
                            code = 0 if not inherited and watchdog._thread.is_alive() else 2
                        finally:
                            os._exit(code)
                deadline = time.monotonic() + 30
                while (done := os.waitpid(pid, os.WNOHANG))[0] == 0:
                    if time.monotonic() > deadline:
                        os.kill(pid, 9)
                        os.waitpid(pid, 0)
                        pytest.fail("the forked child deadlocked on the watchdog's lock")
                    time.sleep(0.05)
                assert os.waitstatus_to_exitcode(done[1]) == 0
                # the parent's connection still works: the child dropped nothing
                assert conn.exec_driver_sql("SELECT 2").scalar_one() == 2


class TestWatchdogThreads:
    """A process that opens many engines does not keep a waking thread for each."""

    def test_threads_end_once_idle(self, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        from rentcal.db import watchdog

        monkeypatch.setattr(watchdog, "IDLE_EXIT", 0.2)
        for _ in range(3):  # each engine its own thread; three show none stays
            with rentcal.connect(pg_url) as cal:
                cal.machines()
        deadline = time.monotonic() + 60
        while any(t.name == "rentcal-watchdog" for t in threading.enumerate()):
            assert time.monotonic() < deadline, "watchdog threads outlived their engines"
            time.sleep(0.05)
        with rentcal.connect(pg_url) as cal:  # and one comes back on the next use
            cal.machines()
            assert any(t.name == "rentcal-watchdog" for t in threading.enumerate())
