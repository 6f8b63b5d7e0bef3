"""Shared fixtures: a fresh database per test, on the backends that matter, a fixed clock.

Which backends a test runs on
-----------------------------
``db_url`` (and so ``cal``, ``seeded``, ``web``) is SQLite by default. A test runs
on PostgreSQL too only where the backend can change its outcome: locking and
races, the guards (exclusion constraints vs triggers), housekeeping, the
schema and migrations, SQL statements and query plans, time stamps and zones as
stored, faults, revision counters, idempotency under concurrency, the real
server. Such a module sets ``pytestmark = BOTH`` (or a test or class carries
``@BOTH``); a test about PostgreSQL alone carries ``@PG_ONLY``. A test of the
argument checks, the CLI's or the web layer's wording, formats, permissions
decided in Python... runs on SQLite only: no statement reaches the database
before it is decided, so PostgreSQL cannot answer differently. When unsure:
``BOTH``.

When ``RENTCAL_TEST_POSTGRES_URL`` is set, the PostgreSQL variants run (a
fresh database per run and per xdist worker); when the server does not answer
they FAIL rather than skip. Unset, they are left out (a ``PG_ONLY`` test shows
as skipped).

Databases are built once and copied: ``db_url`` is an EMPTY database (no
tables) unless the test also uses ``cal``, which then gets a copy of a
template holding rentcal's fresh schema (SQLite: a copied file; PostgreSQL: a
per-worker pool of schemas emptied between tests, the rows a fresh schema
holds put back: see :class:`PgSchemaPool`).
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import rentcal

# One Chromium for all the browser files, and the hook that stops it after them.
from tests.browser.fixtures import (  # noqa: F401  (pytest finds fixtures and hooks by name)
    browser,
    chromium,
    fresh_servers,
    node_modules,
    pytest_runtest_teardown,
)

#: A fixed "today" (a Wednesday) so tests never depend on the real date.
TODAY = date(2030, 1, 9)
#: The fixtures' operation deadline. Generous: on a starved CI host (load average
#: in the hundreds) a healthy transaction once outlived 5 s and the server ended it
#: as idle in transaction; tests of the deadline itself make their own connections.
BUSY_TIMEOUT = 30.0
PG_ENV = "RENTCAL_TEST_POSTGRES_URL"


def _one_click_command_per_app() -> None:
    """Typer's test runner turns the app into Click commands at every invocation
    (about 35 ms for rentcal's commands, and the suite makes thousands); the real
    ``rentcal`` does it once per process, so the tests do it once per app."""
    import functools

    import typer.testing

    setattr(typer.testing, "_get_command", functools.cache(typer.testing._get_command))  # noqa: B010


_one_click_command_per_app()

#: FastAPI's caches of what each endpoint is (coroutine, generator...), 4,096
#: entries each: they keep the endpoints, and through them the whole app, of the
#: last few dozen apps made. A server makes one app; the suite makes thousands.
_FASTAPI_CALLABLE_CACHES = (
    "_is_gen_callable_cached",
    "_is_async_gen_callable_cached",
    "_is_coroutine_callable_cached",
)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what the imports made out of every later garbage collection.

    Python's full collections walk every object alive; the suite's modules,
    their dependencies and the collected tests are more than half a million,
    and they live until the end. Frozen, they are never walked again.
    """
    import gc

    gc.collect()
    gc.freeze()


def pytest_runtest_logfinish(nodeid: str) -> None:
    """After each test, let the apps it made go: FastAPI's endpoint caches would keep dozens
    of them alive, and every full garbage collection would walk them (with them,
    the suite spent a third of its time collecting garbage)."""
    import sys

    models = sys.modules.get("fastapi.dependencies.models")
    for name in _FASTAPI_CALLABLE_CACHES:
        clear = getattr(getattr(models, name, None), "cache_clear", None)
        if clear is not None:
            clear()


#: Variables of a developer's shell that would change what the tests see.
CONFIG_VARIABLES = (
    "RENTCAL_CONFIG",
    "RENTCAL_TIMEZONE",
    "RENTCAL_HOST",
    "RENTCAL_PORT",
    "RENTCAL_WORKERS",
    "RENTCAL_SMTP_URL",
    "RENTCAL_MAIL_FROM",
    "RENTCAL_BASE_URL",
)


@pytest.fixture(autouse=True)
def _no_user_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's ~/.config/rentcal/config.toml or zone variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-config"))
    for name in CONFIG_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def make_clock(start: datetime | None = None) -> Callable[[], datetime]:
    """A clock starting at noon UTC on TODAY that ticks one second per call."""
    base = start or datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: base + timedelta(seconds=next(ticks))


#: Run on SQLite and PostgreSQL: the backend can change the outcome (see above).
BOTH = pytest.mark.backends("sqlite", "postgresql")
#: About PostgreSQL alone (its locks, its errors, its tools).
PG_ONLY = pytest.mark.backends("postgresql")
#: About SQLite alone (its files, its query plans), in a module marked BOTH.
SQLITE_ONLY = pytest.mark.backends("sqlite")


def _backends() -> list[object]:
    """Every backend; :func:`pytest_collection_modifyitems` keeps those a test asks for."""
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
            ],
        ),
    ]


def _wanted_backends(item: pytest.Item) -> tuple[str, ...]:
    marker = item.get_closest_marker("backends")
    return tuple(marker.args) if marker else ("sqlite",)


#: The xdist group of the tests marked ``slow`` (real processes racing, servers):
#: one worker runs them one after another, so two of them never compete for the
#: two cores (their deadlines assume a machine that is merely busy).
#: pytest-xdist 3.8 on pytest 9.2 ignores the groups (pytest-dev/pytest-xdist#1386),
#: so :func:`_one_heavy_test_at_a_time` makes sure of it with a lock as well.
HEAVY = "heavy"
#: Set to 1 to (re)draw the docs' pictures: runs the ``pictures`` tests, and
#: tests/test_browser_pictures.py saves docs/img/page-*.png.
PICTURES_ENV = "RENTCAL_WRITE_PICTURES"
#: The xdist group of the ``slow`` tests of ``test_browser_*`` files (Chromium against
#: a server): one at a time among themselves, but beside a :data:`HEAVY` test, so
#: on two cores the browser tests and the process races run at the same time. They
#: take no lock: their waits are Playwright's, made for a busy machine.
BROWSER = "browser"


def _xdist_group(item: pytest.Item) -> str:
    """:data:`BROWSER` for a ``test_browser_*`` file's tests, else :data:`HEAVY`."""
    return BROWSER if item.path.name.startswith("test_browser_") else HEAVY


def takes_the_heavy_lock(item: pytest.Item) -> bool:
    """Whether ``item`` is a ``slow`` test of group :data:`HEAVY` (a :data:`BROWSER`
    test runs beside those)."""
    if item.get_closest_marker("slow") is None:
        return False
    group = item.get_closest_marker("xdist_group")
    return group is None or HEAVY in (*group.args[:1], group.kwargs.get("name"))


@pytest.fixture(autouse=True)
def _one_heavy_test_at_a_time(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Under xdist, a ``slow`` test of group :data:`HEAVY` holds a lock shared by the
    workers while it runs (a :data:`BROWSER` test does not)."""
    if not takes_the_heavy_lock(request.node) or not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import fcntl

    # the workers' base temp folders share this parent
    lock = tmp_path_factory.getbasetemp().parent / "heavy-tests.lock"
    with open(lock, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)  # before every other plugin: xdist reads the groups
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Iterator[None]:
    """Keep each ``db_url`` test's variants on the backends it runs on (see above);
    put the ``slow`` tests in the :data:`BROWSER` (``test_browser_*`` files) or the
    :data:`HEAVY` xdist group (``--dist loadgroup``); skip the ``pictures`` tests unless
    :data:`PICTURES_ENV` asks for the docs' pictures (they draw, others assert)."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    have_pg = bool(os.environ.get(PG_ENV))
    drawing = os.environ.get(PICTURES_ENV) == "1"
    for item in items:
        if item.get_closest_marker("pictures") and not drawing:
            item.add_marker(pytest.mark.skip(reason=f"draws docs pictures: {PICTURES_ENV}=1"))
        if item.get_closest_marker("slow") and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(_xdist_group(item)))
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("db_url") if callspec is not None else None
        wanted = _wanted_backends(item)
        if backend is None:
            keep.append(item)
        elif backend not in wanted:
            drop.append(item)
        elif backend == "postgresql" and not have_pg and wanted != ("postgresql",):
            drop.append(item)  # shown as skipped only where it is the test's one backend
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    return (yield)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run; dropped afterwards."""
    import sqlalchemy as sa

    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    from rentcal.db.store import resolve_url

    url = sa.make_url(resolve_url(base))
    name = f"rentcal_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as err:  # fail, never skip, when asked for PostgreSQL
        pytest.fail(f"{PG_ENV} is set but PostgreSQL does not answer: {err.orig}")
    fresh = url.set(database=name)
    engine = sa.create_engine(fresh, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
    engine.dispose()
    yield fresh.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _pg_schema_url(database_url: str) -> str:
    """A URL whose connections see only a new, empty schema (plus public)."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    url = sa.make_url(database_url)
    url = url.update_query_dict({"options": f"-csearch_path={schema},public"})
    return url.render_as_string(hide_password=False)


def _schema_of(url: str) -> str:
    import sqlalchemy as sa

    options = str(sa.make_url(url).query["options"])
    return options.removeprefix("-csearch_path=").split(",")[0]


#: One text per catalog entry of a schema: its tables, columns, constraints,
#: indexes, triggers and functions, its own name replaced by "~". Equal: the same schema.
_FINGERPRINT = """
SELECT md5(coalesce(string_agg(replace(x, CAST(:schema AS text), '~'), ',' ORDER BY x), ''))
  FROM (
  SELECT 'c:' || relname || ':' || CAST(relkind AS text) FROM pg_class
   WHERE relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT 'a:' || c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
         || ':' || CAST(a.attnotnull AS text)
         || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = CAST(:schema AS regnamespace) AND a.attnum > 0
     AND NOT a.attisdropped
  UNION ALL
  SELECT 'k:' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
   WHERE connamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT 'i:' || c.relname || ':' || pg_get_indexdef(i.indexrelid) FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
   WHERE c.relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT 't:' || t.tgname || ':' || CAST(t.tgenabled AS text) FROM pg_trigger t
    JOIN pg_class c ON t.tgrelid = c.oid
   WHERE c.relnamespace = CAST(:schema AS regnamespace) AND NOT t.tgisinternal
  UNION ALL
  SELECT 'p:' || proname || ':' || md5(prosrc) FROM pg_proc
   WHERE pronamespace = CAST(:schema AS regnamespace)
) AS entries(x)
"""


class PgSchemaPool:
    """PostgreSQL schemas holding rentcal's fresh schema, reused test after test.

    A schema given back is reset before its next use: every table emptied and
    every sequence set back (``TRUNCATE ... RESTART IDENTITY``; as a superuser,
    ``DELETE`` with triggers off, 10-20 ms against TRUNCATE's 200-400 ms here),
    and the rows a fresh schema holds (the schema version, the Alembic
    revision, the calendar revision) put back as they were. A schema whose
    catalog no longer matches a fresh one (a test altered it), or that cannot
    be reset (a lock still held), is dropped and a new one made instead.
    """

    def __init__(self, database_url: str) -> None:
        import sqlalchemy as sa

        self.database_url = database_url
        self.engine = sa.create_engine(database_url)
        self.free: list[str] = []
        self.fingerprint: str | None = None
        self.rows: dict[str, list[dict[str, object]]] = {}
        self.sequences: list[tuple[str, int, bool]] = []
        self.superuser = False

    def take(self) -> str:
        while self.free:
            url = self.free.pop()
            if self._reset(url):
                return url
        url = _pg_schema_url(self.database_url)
        rentcal.connect(url).close()
        if self.fingerprint is None:
            self._remember(_schema_of(url))
        return url

    def give_back(self, url: str) -> None:
        self.free.append(url)

    def close(self) -> None:
        self.engine.dispose()

    def _tables(self, conn: object, schema: str) -> list[str]:
        import sqlalchemy as sa

        assert isinstance(conn, sa.Connection)
        return list(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"),
                {"s": schema},
            ).scalars()
        )

    def _remember(self, schema: str) -> None:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            self.fingerprint = conn.execute(sa.text(_FINGERPRINT), {"schema": schema}).scalar_one()
            for table in self._tables(conn, schema):
                rows = conn.exec_driver_sql(f'SELECT * FROM "{schema}"."{table}"').mappings()
                self.rows[table] = [dict(row) for row in rows]
            for name in conn.execute(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"),
                {"s": schema},
            ).scalars():
                last, called = conn.exec_driver_sql(
                    f'SELECT last_value, is_called FROM "{schema}"."{name}"'
                ).one()
                self.sequences.append((name, last, called))
            self.superuser = bool(
                conn.exec_driver_sql(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                ).scalar()
            )

    def _reset(self, url: str) -> bool:
        import sqlalchemy as sa

        schema = _schema_of(url)
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                found = conn.execute(sa.text(_FINGERPRINT), {"schema": schema}).scalar_one()
                tables = self._tables(conn, schema)
                if found != self.fingerprint or set(tables) != set(self.rows):
                    raise LookupError(schema)
                if self.superuser:  # triggers (foreign keys too) off: any order
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                    for table in tables:
                        conn.exec_driver_sql(f'DELETE FROM "{schema}"."{table}"')
                else:
                    names = ", ".join(f'"{schema}"."{t}"' for t in tables)
                    conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                for table, rows in self.rows.items():
                    if rows:
                        conn.execute(
                            sa.table(table, *map(sa.column, rows[0]), schema=schema).insert(),
                            rows,
                        )
                for name, last, called in self.sequences:
                    conn.execute(
                        sa.text("SELECT setval(CAST(:seq AS regclass), :last, :called)"),
                        {"seq": f'"{schema}"."{name}"', "last": last, "called": called},
                    )
        except (LookupError, sa.exc.DBAPIError):
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            return False
        return True


@pytest.fixture(scope="session")
def pg_schema_pool(pg_database: str) -> Iterator[PgSchemaPool]:
    """This session's (and xdist worker's) :class:`PgSchemaPool`."""
    pool = PgSchemaPool(pg_database)
    yield pool
    pool.close()


@pytest.fixture
def without_housekeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows time made stale stay as stored: for tests of the life-cycle rules themselves.

    (What housekeeping does to such rows is tests/test_housekeeping.py's subject.)
    """
    from rentcal.service.housekeeping import Housekeeping, HousekeepingResult

    monkeypatch.setattr(Housekeeping, "settle", lambda *_a, **_k: HousekeepingResult())
    monkeypatch.setattr(Housekeeping, "stale_rows", lambda *_a, **_k: False)
    monkeypatch.setattr(Housekeeping, "stale_conflicts", lambda *_a, **_k: False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding rentcal's fresh schema, made once per session (and worker)."""
    path = tmp_path_factory.mktemp("template") / "rentcal.db"
    rentcal.connect(f"sqlite:///{path}").close()
    return path


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database on each backend the test runs on.

    Empty (no tables) unless the test uses ``cal``: then it already holds the
    fresh schema ``cal`` would create, copied from a template (see above).
    """
    with_schema = "cal" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "rentcal.db"
        if with_schema:
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    database = request.getfixturevalue("pg_database")
    if not with_schema:
        yield _pg_schema_url(database)
        return
    pool: PgSchemaPool = request.getfixturevalue("pg_schema_pool")
    url = pool.take()
    yield url
    pool.give_back(url)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A fresh SQLite file, for tests about SQLite itself."""
    return f"sqlite:///{tmp_path}/rentcal.db"


@pytest.fixture
def cal(db_url: str) -> Iterator[rentcal.Rentcal]:
    """A connected, empty rentcal with the fixed ticking clock (its schema is a
    template's copy: see :func:`db_url`)."""
    with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as c:
        yield c


@pytest.fixture
def seeded(cal: rentcal.Rentcal) -> rentcal.Rentcal:
    """Admin 'ada', verified 'bob' and 'dan', unverified 'carol'; machines:
    'tractor' (120.00/day, needs approval), 'saw' (15.50/day, auto-approves)."""
    return seed(cal)


def seed(cal: rentcal.Rentcal) -> rentcal.Rentcal:
    """The members and machines of :func:`seeded`."""
    cal.add_member("ada", name="Ada Admin", email="ada@example.org", admin=True)
    cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
    cal.add_member("dan", name="Dan Driver", verified=True, acting="ada")
    cal.add_member("carol", name="Carol New", acting="ada")
    cal.add_machine("tractor", daily_price="120.00", title="Tractor 6120", acting="ada")
    cal.add_machine("saw", daily_price="15.50", title="Band saw", auto_approve=True, acting="ada")
    return cal


def d(day: int, month: int = 1, year: int = 2030) -> date:
    """Shorthand for dates in January 2030, around TODAY."""
    return date(year, month, day)


# -- the web server (rentcal serve) -------------------------------------------------------


@pytest.fixture(scope="session")
def two_worker_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Per backend, one ``rentcal serve --workers 2 --proxy-headers`` for the session,
    started by the first test that asks for it (see tests/shared_server.py)."""
    from tests.shared_server import TwoWorkerServers

    servers = TwoWorkerServers(tmp_path_factory)
    yield servers
    servers.close()


@pytest.fixture
def web(seeded: rentcal.Rentcal) -> object:
    """The HTTP API over the seeded database (see tests/web_support.py)."""
    from tests.web_support import Web

    return Web(seeded)


@pytest.fixture
def web_sqlite(sqlite_url: str) -> Iterator[object]:
    """:func:`web` on SQLite only: for what the web layer decides without the database."""
    from tests.web_support import Web

    with rentcal.connect(sqlite_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as c:
        yield Web(seed(c))
