"""Schema migrations with Alembic: the baseline, stamping rentcal 0.1's databases,
upgrades in place, refusals of newer schemas, and the SQL for a DBA.

``tests/fixtures/v1.db`` (SQLite) and ``tests/fixtures/v1_postgres.sql`` were
written by rentcal 0.1 itself (``tests/fixtures/make_v1_db.py``, run before
Alembic existed): schema version 1, rows in every table, no ``alembic_version``.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.types import RentalStatus
from rentcal.db import schema
from rentcal.db.migrations import runner
from tests.cli_support import cli
from tests.conftest import BOTH, TODAY, _pg_schema_url, d
from tests.processes import Start, in_processes
from tests.schema_fingerprint import fingerprint

pytestmark = BOTH

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA_TABLES = ("member", "machine", "rental", "rental_history", "maintenance", "notification")


def load_v1(url: str) -> None:
    """Put rentcal 0.1's database (the committed fixture) at ``url``."""
    if url.startswith("sqlite"):
        shutil.copy(FIXTURES / "v1.db", sa.make_url(url).database or "")
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql((FIXTURES / "v1_postgres.sql").read_text(encoding="utf-8"))
    engine.dispose()


def raw(url: str, fn: Callable[[sa.Connection], Any]) -> Any:
    """``fn(conn)`` on a plain SQLAlchemy connection: rentcal's code stays out of it."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return fn(conn)
    finally:
        engine.dispose()


#: Columns later revisions added (0004 with defaults, 0005, 0015, 0016 and 0018 NULL): left out
#: when comparing old rows; :func:`added` checks their values.
ADDED_COLUMNS = frozenset(
    {
        "request_policy",
        "request_expiry_hours",
        "queued",
        "deactivated_at",
        "meter_unit",
        "unit_price",
        "minimum_charge",
        "pay_by",
    }
)


def rows(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, as the driver returns them (columns of 0.1)."""
    found = {}
    for table in DATA_TABLES:
        result = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
        keep = [i for i, name in enumerate(result.keys()) if name not in ADDED_COLUMNS]
        found[table] = [tuple(r[i] for i in keep) for r in result]
    return found


def added(conn: sa.Connection) -> set[tuple[Any, ...]]:
    """The distinct values of the columns revisions 0004, 0005, 0015 and 0016 added, per table."""
    machine = conn.exec_driver_sql(
        "SELECT DISTINCT 'machine', request_policy, request_expiry_hours, meter_unit, "
        "unit_price, minimum_charge FROM machine"
    ).all()
    rental = conn.exec_driver_sql(
        "SELECT DISTINCT 'rental', queued, unit_price, minimum_charge, pay_by FROM rental"
    ).all()
    member = conn.exec_driver_sql("SELECT DISTINCT 'member', deactivated_at FROM member").all()
    return {tuple(r) for r in [*machine, *rental, *member]}


def table_ids(conn: sa.Connection) -> dict[str, Any]:
    """Each table's storage identity: recreated tables would get new ones."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT name, rootpage FROM sqlite_master WHERE type = 'table'"
    else:
        sql = (
            "SELECT relname, oid FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = current_schema()::regnamespace"
        )
    return dict(conn.exec_driver_sql(sql).all())  # type: ignore[arg-type]


def meta(conn: sa.Connection) -> tuple[str | None, str | None]:
    """(rentcal_meta schema_version, alembic_version) as stored."""
    version = conn.exec_driver_sql(
        "SELECT value FROM rentcal_meta WHERE key = 'schema_version'"
    ).scalar()
    tables = set(sa.inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return version, revision


@pytest.fixture
def new_db(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """More fresh, empty databases on the backend of ``db_url``."""
    count = itertools.count()

    def make() -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path}/extra{next(count)}.db"
        return _pg_schema_url(request.getfixturevalue("pg_database"))

    return make


def apply_sql(url: str, sql: str) -> None:
    """Run a DBA's SQL script as psql would (psycopg / sqlite3, many statements)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sa.make_url(url).database or "", isolation_level=None)
        conn.executescript(sql)
        conn.close()
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql(sql)
    engine.dispose()


class TestRevisions:
    """The revisions shipped are the ones the hot path knows about."""

    def test_constant_matches_the_scripts(self) -> None:
        assert runner.revisions() == list(schema.REVISIONS)
        assert schema.HEAD == schema.REVISIONS[-1] == "0018_online_payments"
        assert schema.BASELINE == "0001_baseline"

    def test_every_path_to_head_gives_the_same_schema(
        self, db_url: str, new_db: Callable[[], str]
    ) -> None:
        """A new database (create_all + stamp), rentcal 0.1's upgraded, Alembic from
        nothing, and the DBA's SQL all end in the same tables, indexes and guards."""
        rentcal.connect(db_url).close()
        upgraded, alembic_made, offline = new_db(), new_db(), new_db()
        load_v1(upgraded)
        rentcal.connect(upgraded, create=False).close()

        def through_alembic(conn: sa.Connection) -> None:
            with conn.begin():
                runner.upgrade(conn, schema.SchemaState((), None, None))

        raw(alembic_made, through_alembic)
        apply_sql(offline, cli(offline, "db", "upgrade", "--sql").stdout)
        expected = raw(db_url, fingerprint)
        assert all(expected.values())
        for url in (upgraded, alembic_made, offline):
            assert raw(url, fingerprint) == expected, url
            assert raw(url, meta) == ("2", schema.HEAD)

    def test_baseline_is_exactly_rentcal_0_1(self, db_url: str, new_db: Callable[[], str]) -> None:
        """Alembic's baseline alone builds the schema rentcal 0.1 built (triggers and
        exclusion constraints included), so stamping a 0.1 database is honest."""
        load_v1(db_url)
        baseline = new_db()

        def only_baseline(conn: sa.Connection) -> None:
            from alembic import command

            cfg = runner.config()
            cfg.attributes["connection"] = conn
            with conn.begin():
                command.upgrade(cfg, schema.BASELINE)
                conn.exec_driver_sql("DROP TABLE alembic_version")

        raw(baseline, only_baseline)
        assert raw(baseline, fingerprint) == raw(db_url, fingerprint)


class TestRentcal01Database:
    """A database written by rentcal 0.1 is recognised and stamped, never recreated."""

    def test_upgraded_to_head_with_every_row_intact(self, db_url: str) -> None:
        load_v1(db_url)
        before, ids = raw(db_url, rows), raw(db_url, table_ids)
        assert raw(db_url, meta) == ("1", None)
        assert all(before[table] for table in DATA_TABLES), "the fixture fills every table"
        with rentcal.connect(db_url, create=False) as cal:
            statuses = {r.status for r in cal.rentals()}
            history = cal.history(2)
            unread = cal.notifications("bob", unread_only=True)
            machines = {m.name: m for m in cal.machines()}
        assert raw(db_url, meta) == ("2", schema.HEAD)
        assert raw(db_url, rows) == before
        assert raw(db_url, added) == {
            ("machine", "block", None, None, None, None),
            ("rental", False, None, None, None),
            ("member", None),
        }
        after_ids = raw(db_url, table_ids)
        assert {t: after_ids[t] for t in ids} == ids  # same tables, not new copies
        assert statuses == set(RentalStatus)
        assert [(h["from"], h["to"]) for h in history] == [
            (None, "pending"),
            ("pending", "approved"),
        ]
        assert len(unread) == 1
        assert machines["old-press"].status.value == "retired"
        assert machines["saw"].description == "Blade 3 mm.\nWear gloves."

    def test_status_before_and_after(self, db_url: str) -> None:
        load_v1(db_url)
        from rentcal.db import upkeep as database

        old = database.status(db_url)
        assert (old.current, old.stamped, old.pending) == (
            schema.BASELINE,
            False,
            schema.REVISIONS[1:],
        )
        assert raw(db_url, meta) == ("1", None), "db status never upgrades"
        rentcal.connect(db_url, create=False).close()
        new = database.status(db_url)
        assert (new.current, new.stamped, new.pending) == (schema.HEAD, True, ())

    def test_guards_hold_after_the_upgrade(self, db_url: str) -> None:
        """Even raw SQL cannot store an overlap of approved rental 2 (tractor, 10-12 Jan)."""
        load_v1(db_url)
        with rentcal.connect(db_url, create=False) as cal:
            engine = cal.store.engine
            with pytest.raises(sa.exc.IntegrityError) as info, engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO rental (uid, machine_id, member_id, start_date, end_date, "
                    "status, price, created_at, updated_at, sequence) VALUES ('x', 1, 2, "
                    "'2030-01-12', '2030-01-13', 'pending', 0, '2030-01-09 12:00:00+00:00', "
                    "'2030-01-09 12:00:00+00:00', 0)"
                )
            assert cal.store.is_overlap(info.value)
            with pytest.raises(rentcal.Unavailable):
                cal.book("tractor", d(11), d(11), member="bob", today=TODAY)

    @pytest.mark.slow
    def test_eight_processes_open_it_at_once(self, db_url: str) -> None:
        """The upgrade is serialised: each process sees the old or the new schema, whole."""
        load_v1(db_url)
        before = raw(db_url, rows)
        assert in_processes(_open, [(db_url,)] * 8, timeout=60) == [7] * 8
        assert raw(db_url, meta) == ("2", schema.HEAD)
        assert raw(db_url, rows) == before


def _open(start: Start, url: str) -> int | str:
    start()
    try:
        with rentcal.connect(url, create=False) as cal:
            return len(cal.rentals())
    except Exception as err:
        return f"{type(err).__name__}: {err}"


LATER_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0003_colour"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("machine", sa.Column("colour", sa.String(20), nullable=True))
    op.execute("UPDATE machine SET colour = 'green'")
    {extra}
"""


@pytest.fixture
def later_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Ship a copy of the migrations with a third revision (``extra``: more of its body)."""

    def ship(extra: str = "") -> None:
        location = tmp_path / "migrations"
        shutil.copytree(runner.LOCATION, location, ignore=shutil.ignore_patterns("__pycache__"))
        script = LATER_REVISION.replace("{extra}", extra).replace("{head}", schema.HEAD)
        (location / "versions" / "r0003_colour.py").write_text(script, encoding="utf-8")
        monkeypatch.setattr(runner, "LOCATION", location)
        monkeypatch.setattr(schema, "REVISIONS", (*schema.REVISIONS, "0003_colour"))
        monkeypatch.setattr(schema, "HEAD", "0003_colour")

    return ship


class TestLaterRevisions:
    """A revision after the baseline upgrades older databases in place, all or nothing."""

    def test_applied_in_place(self, db_url: str, later_revision: Callable[[str], None]) -> None:
        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            cal.add_machine("m", daily_price="5", acting="ada")
            kept = cal.book("m", d(10), d(12), member="ada", today=TODAY)
        later_revision("")
        with rentcal.connect(db_url, create=False) as cal:
            assert cal.rental(kept.id) == kept
        assert raw(db_url, meta) == ("2", "0003_colour")
        colour = raw(db_url, lambda c: c.exec_driver_sql("SELECT colour FROM machine").scalar())
        assert colour == "green"

    def test_rentcal_0_1_database_goes_through_every_revision(
        self, db_url: str, later_revision: Callable[[str], None]
    ) -> None:
        load_v1(db_url)
        before = raw(db_url, rows)
        later_revision("")
        rentcal.connect(db_url, create=False).close()
        assert raw(db_url, meta) == ("2", "0003_colour")
        after = raw(db_url, rows)
        assert [r[:-1] for r in after["machine"]] == before["machine"]  # colour added last
        assert {t: after[t] for t in DATA_TABLES if t != "machine"} == {
            t: before[t] for t in DATA_TABLES if t != "machine"
        }

    def test_a_failing_revision_changes_nothing(
        self, db_url: str, later_revision: Callable[[str], None]
    ) -> None:
        """Stamp, 0002 and half of 0003 are all rolled back together."""
        load_v1(db_url)
        before, columns = raw(db_url, rows), raw(db_url, _machine_columns)
        later_revision('op.execute("SELECT no_such_column FROM machine")')
        with pytest.raises(rentcal.DatabaseError, match="no_such_column"):
            rentcal.connect(db_url, create=False)
        assert raw(db_url, meta) == ("1", None)
        assert raw(db_url, rows) == before
        assert raw(db_url, _machine_columns) == columns

    def test_db_upgrade_reports_what_it_applied(
        self, db_url: str, later_revision: Callable[[str], None]
    ) -> None:
        rentcal.connect(db_url).close()
        later_revision("")
        result = cli(db_url, "db", "upgrade", "--json")
        assert result.exit_code == 0, result.output
        assert '"applied": [\n    "0003_colour"\n  ]' in result.stdout
        again = cli(db_url, "db", "upgrade")
        assert again.exit_code == 0
        assert "is at 0003_colour: nothing to upgrade." in again.stdout


def _machine_columns(conn: sa.Connection) -> list[str]:
    return [c["name"] for c in sa.inspect(conn).get_columns("machine")]


class TestNewerSchemas:
    """A database written by a later rentcal is refused with one clear message."""

    def test_unknown_revision(self, db_url: str) -> None:
        rentcal.connect(db_url).close()

        def future(conn: sa.Connection) -> None:
            with conn.begin():
                conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")

        raw(db_url, future)
        with pytest.raises(rentcal.DatabaseError) as info:
            rentcal.connect(db_url)
        assert "has schema revision '0099_future', newer than this rentcal understands" in str(
            info.value
        )
        assert "upgrade rentcal" in str(info.value)
        result = cli(db_url, "db", "status")
        assert result.exit_code == 4
        assert "newer than this rentcal understands" in result.stderr

    def test_revision_table_removed_by_hand(self, db_url: str) -> None:
        rentcal.connect(db_url).close()

        def drop(conn: sa.Connection) -> None:
            with conn.begin():
                conn.exec_driver_sql("DROP TABLE alembic_version")

        raw(db_url, drop)
        with pytest.raises(rentcal.DatabaseError, match="schema version 2 but no record of its"):
            rentcal.connect(db_url)

    def test_rentcal_0_1_refuses_an_upgraded_database(self, db_url: str) -> None:
        """0.1 refuses any schema_version above 1: after the upgrade it reads 2."""
        load_v1(db_url)
        rentcal.connect(db_url, create=False).close()
        version, _ = raw(db_url, meta)
        assert int(version) > schema.PRE_ALEMBIC_VERSION


class TestHotPath:
    """Alembic is imported only when a database needs an upgrade."""

    CODE = (
        "import sys, rentcal\n"
        "from datetime import date\n"
        "cal = rentcal.connect({url!r}, create={create})\n"
        "cal.check('tractor', date(2030, 1, 20), date(2030, 1, 21), today=date(2030, 1, 9))\n"
        "loaded = [m for m in sys.modules if m.startswith('rentcal.db.migrations')]\n"
        "print('alembic' in sys.modules, bool(loaded))\n"
    )

    def _run(self, url: str, *, create: bool = False) -> str:
        code = self.CODE.format(url=url, create=create)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def test_not_loaded_for_a_database_at_head(self, db_url: str) -> None:
        load_v1(db_url)
        assert self._run(db_url) == "True True"  # the upgrade needs it (so the probe works)
        assert self._run(db_url) == "False False"  # at head: never again

    def test_not_loaded_to_create_a_database(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path}/new.db"
        code = (
            "import sys, rentcal\n"
            f"cal = rentcal.connect({url!r})\n"
            "cal.add_member('ada', admin=True)\n"
            "print('alembic' in sys.modules)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.stdout.strip() == "False", done.stderr


class TestUpgradeSql:
    """``db upgrade --sql``: Alembic's offline mode, for a DBA; it writes nothing."""

    def test_applies_cleanly_to_an_empty_database(
        self, db_url: str, new_db: Callable[[], str]
    ) -> None:
        result = cli(db_url, "db", "upgrade", "--sql")
        assert result.exit_code == 0, result.output
        assert raw(db_url, lambda c: schema.read_state(c).empty), "--sql wrote nothing"
        assert "CREATE TABLE rental" in result.stdout
        if db_url.startswith("postgresql"):
            assert "CREATE EXTENSION IF NOT EXISTS btree_gist" in result.stdout
            assert "EXCLUDE USING gist" in result.stdout
        else:
            assert "CREATE TRIGGER trg_rental_no_overlap_insert" in result.stdout
        apply_sql(db_url, result.stdout)
        with rentcal.connect(db_url, create=False) as cal:
            cal.add_member("ada", admin=True)
            cal.add_machine("m", daily_price="1", acting="ada")
            cal.book("m", d(10), d(11), member="ada", today=TODAY)
            with pytest.raises(rentcal.Unavailable):
                cal.book("m", d(11), d(12), member="ada", today=TODAY)
        fresh = new_db()
        rentcal.connect(fresh).close()
        assert raw(db_url, fingerprint) == raw(fresh, fingerprint)

    def test_for_a_rentcal_0_1_database(self, db_url: str) -> None:
        load_v1(db_url)
        before = raw(db_url, rows)
        result = cli(db_url, "db", "upgrade", "--sql")
        assert result.exit_code == 0, result.output
        assert "INSERT INTO alembic_version" in result.stdout
        assert "CREATE TABLE rental" not in result.stdout
        assert raw(db_url, meta) == ("1", None), "--sql wrote nothing"
        apply_sql(db_url, result.stdout)
        assert raw(db_url, meta) == ("2", schema.HEAD)
        assert raw(db_url, rows) == before

    def test_nothing_to_do_at_head(self, db_url: str) -> None:
        rentcal.connect(db_url).close()
        result = cli(db_url, "db", "upgrade", "--sql")
        assert result.exit_code == 0
        assert f"is at {schema.HEAD}: nothing to upgrade" in result.stdout
        assert result.stdout.startswith("-- ")

    def test_refused_for_another_applications_database(self, db_url: str) -> None:
        def foreign(conn: sa.Connection) -> None:
            with conn.begin():
                conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")

        raw(db_url, foreign)
        result = cli(db_url, "db", "upgrade", "--sql")
        assert result.exit_code == 4
        assert "not a rentcal database" in result.stderr
        assert "invoices" in result.stderr


class TestChangeLogRevision:
    """0005_change_log has a working downgrade, keeps the data, and upgrades again."""

    def test_down_and_up(self, db_url: str) -> None:
        from alembic import command

        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", acting="ada")
            cal.edit_member("bob", acting="ada", name="Bobby")
        engine = sa.create_engine(db_url)
        try:
            for target in ("0003_accounts", "head"):
                with engine.begin() as conn:
                    cfg = runner.config()
                    cfg.attributes["connection"] = conn
                    (command.downgrade if target != "head" else command.upgrade)(cfg, target)
                    names = set(sa.inspect(conn).get_table_names())
                    columns = {c["name"] for c in sa.inspect(conn).get_columns("member")}
                    assert ("change_log" in names) is (target == "head")
                    assert ("deactivated_at" in columns) is (target == "head")
        finally:
            engine.dispose()
        with rentcal.connect(db_url, create=False) as cal:
            assert cal.member("bob").name == "Bobby" and cal.member_history("bob") == []
