"""Shared fixtures: a fresh database per test on every backend, a fixed clock.

The ``db_url`` fixture is parametrised over SQLite (a file in tmp_path) and,
when ``RENTCAL_TEST_POSTGRES_URL`` is set, PostgreSQL (a fresh database per
run, a fresh schema per test). When that variable is set and the server does
not answer, the PostgreSQL tests FAIL rather than skip.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

import rentcal

#: A fixed "today" (a Wednesday) so tests never depend on the real date.
TODAY = date(2030, 1, 9)
#: The fixtures' operation deadline. Generous: on a starved CI host (load average
#: in the hundreds) a healthy transaction once outlived 5 s and the server ended it
#: as idle in transaction; tests of the deadline itself make their own connections.
BUSY_TIMEOUT = 30.0
PG_ENV = "RENTCAL_TEST_POSTGRES_URL"


#: Variables of a developer's shell that would change what the tests see.
CONFIG_VARIABLES = (
    "RENTCAL_CONFIG",
    "RENTCAL_TIMEZONE",
    "RENTCAL_HOST",
    "RENTCAL_PORT",
    "RENTCAL_WORKERS",
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


def _backends() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV):
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


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


@pytest.fixture
def without_housekeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows time made stale stay as stored: for tests of the life-cycle rules themselves.

    (What housekeeping does to such rows is tests/test_housekeeping.py's subject.)
    """
    from rentcal.service.housekeeping import Housekeeping, HousekeepingResult

    monkeypatch.setattr(Housekeeping, "_settle", lambda *_a, **_k: HousekeepingResult())
    monkeypatch.setattr(Housekeeping, "_stale_rows", lambda *_a, **_k: False)
    monkeypatch.setattr(Housekeeping, "_stale_conflicts", lambda *_a, **_k: False)


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """The URL of a fresh, empty database on each backend under test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/rentcal.db"
    return _pg_schema_url(request.getfixturevalue("pg_database"))


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A fresh SQLite file, for tests about SQLite itself."""
    return f"sqlite:///{tmp_path}/rentcal.db"


@pytest.fixture
def cal(db_url: str) -> Iterator[rentcal.Rentcal]:
    """A connected, empty rentcal with the fixed ticking clock.

    On PostgreSQL the schema is made first with the default timeout (creating
    it once took longer than a short one on a loaded CI machine).
    """
    if db_url.startswith("postgresql"):
        rentcal.connect(db_url).close()
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
