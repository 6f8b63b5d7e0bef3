"""The database itself: schema versions, unusable databases, and the overlap
guards the schema holds (raw SQL is refused; the service turns a refusal into
Unavailable)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db import tables as models
from tests.conftest import BOTH, PG_ONLY, TODAY, d
from tests.processes import Start, in_processes

pytestmark = BOTH


def _admin_and_machine(url: str) -> None:
    """Admin 'ada' (member 1) and machine 'm0' (machine 1), for raw-SQL rows."""
    with rentcal.connect(url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_machine("m0", daily_price="10", acting="ada")


def _set_version(url: str, version: int) -> None:
    engine = sa.create_engine(rentcal.connect(url).store.url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE rentcal_meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(version)},
        )
    engine.dispose()


class TestSchemaVersion:
    """Newer schemas are refused (upgrades: tests/test_migrations.py)."""

    def test_version_is_stored(self, cal: rentcal.Rentcal) -> None:
        with cal.store.engine.connect() as conn:
            assert cal.store.schema_version(conn) == models.SCHEMA_VERSION

    def test_newer_schema_is_refused(self, db_url: str) -> None:
        rentcal.connect(db_url).close()
        _set_version(db_url, models.SCHEMA_VERSION + 1)
        with pytest.raises(rentcal.DatabaseError) as info:
            rentcal.connect(db_url)
        message = str(info.value)
        assert f"has schema version {models.SCHEMA_VERSION + 1}, newer than" in message
        assert "upgrade rentcal" in message


class TestDatabaseErrors:
    """Unusable databases are one clear DatabaseError, never a traceback."""

    def test_directory_is_not_a_database(self, tmp_path: Path) -> None:
        with pytest.raises(rentcal.DatabaseError, match="unable to open database file"):
            rentcal.connect(str(tmp_path))

    def test_garbage_file(self, tmp_path: Path) -> None:
        path = tmp_path / "garbage.db"
        path.write_bytes(b"this is not a database" * 100)
        with pytest.raises(rentcal.DatabaseError, match="file is not a database"):
            rentcal.connect(str(path))
        assert path.read_bytes() == b"this is not a database" * 100

    def test_device_is_not_a_database(self) -> None:
        with pytest.raises(rentcal.DatabaseError, match="is not a regular file"):
            rentcal.connect("/dev/null")

    def test_unsupported_url(self) -> None:
        with pytest.raises(rentcal.InvalidRequest, match="unsupported backend 'mysql'"):
            rentcal.connect("mysql://localhost/x")

    def test_default_location_follows_xdg(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("RENTCAL_DATABASE_URL", raising=False)
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        with rentcal.connect() as cal:
            cal.add_member("ada", admin=True)
        assert (tmp_path / "xdg" / "rentcal" / "rentcal.db").is_file()
        monkeypatch.setenv("RENTCAL_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
        with rentcal.connect() as cal:
            assert cal.is_empty()
        assert (tmp_path / "env.db").is_file()


@pytest.mark.postgres
class TestPostgresErrors:
    """Unreachable server, unknown role or database: exit-4 material, one line."""

    @pytest.fixture(autouse=True)
    def _need_pg(self, pg_database: str) -> None:
        self.base = sa.make_url(pg_database)

    @pytest.mark.parametrize(
        ("change", "fragment"),
        [
            pytest.param({"port": 1}, "connection", id="unreachable"),
            pytest.param({"database": "rentcal_no_such_db"}, "does not exist", id="no-database"),
            pytest.param(
                {"username": "rentcal_no_such_role"}, "rentcal_no_such_role", id="no-role"
            ),
        ],
    )
    def test_connection_failures(self, change: dict[str, object], fragment: str) -> None:
        url = self.base.set(**change).render_as_string(hide_password=False)  # type: ignore[arg-type]
        with pytest.raises(rentcal.DatabaseError) as info:
            rentcal.connect(url, busy_timeout=2)
        assert fragment in str(info.value)
        assert "\n" not in str(info.value)


class TestOverlapGuardBecomesUnavailable:
    """If the lock and re-check were bypassed, the database guard still refuses,
    and the caller sees Unavailable with the conflicts — not an IntegrityError."""

    def test_guard(self, seeded: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch) -> None:
        first = seeded.book("tractor", d(10), d(14), member="bob", today=TODAY)
        real = seeded._context.conflicts
        calls: list[int] = []

        def blind_once(*args: object, **kwargs: object) -> object:
            calls.append(1)
            return [] if len(calls) == 1 else real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(seeded._context, "conflicts", blind_once)
        with pytest.raises(rentcal.Unavailable) as info:
            seeded.book("tractor", d(12), d(12), member="dan", today=TODAY)
        assert [c.id for c in info.value.conflicts] == [first.id]
        assert len(seeded.rentals()) == 1


def test_fresh_database_as_a_second_connection_sees_it(db_url: str) -> None:
    """A new database holds every table, empty, and its schema version: nothing else."""
    rentcal.connect(db_url).close()
    engine = sa.create_engine(rentcal.connect(db_url).store.url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        data = {"machine", "member", "rental", "rental_history", "maintenance", "notification"}
        assert data | {"rentcal_meta"} <= tables
        for table in sorted(data):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
        meta = conn.execute(sa.text("SELECT key, value FROM rentcal_meta")).all()
    engine.dispose()
    assert [tuple(row) for row in meta] == [("schema_version", str(models.SCHEMA_VERSION))]


def test_unreadable_schema_version(sqlite_url: str) -> None:
    rentcal.connect(sqlite_url).close()
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE rentcal_meta SET value = 'abc'")
    engine.dispose()
    with pytest.raises(rentcal.DatabaseError, match="unreadable schema version 'abc'"):
        rentcal.connect(sqlite_url)


def _connect_fresh(start: Start, url: str) -> str:
    start()
    try:
        with rentcal.connect(url) as cal:
            cal.machines()
        return "ok"
    except Exception as err:
        return f"{type(err).__name__}: {err}"


@pytest.mark.slow
def test_first_use_by_eight_processes_at_once(db_url: str) -> None:
    """Schema creation is serialised: nobody sees a half-created schema."""
    outcomes = in_processes(_connect_fresh, [(db_url,)] * 8, timeout=60)
    assert outcomes == ["ok"] * 8, outcomes


@PG_ONLY  # terminates a PostgreSQL backend
def test_server_gone_mid_command(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend is terminated inside a booking: one DatabaseError, nothing written."""
    with rentcal.connect(db_url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_machine("m", daily_price="1", acting="ada")
        killer = sa.create_engine(cal.store.url, isolation_level="AUTOCOMMIT")
        real = cal._context.notify

        def notify_then_die(conn: sa.Connection, *args: object, **kwargs: object) -> None:
            real(conn, *args, **kwargs)  # type: ignore[arg-type]
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with killer.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
            conn.exec_driver_sql("SELECT 1")  # the server is gone for this connection

        monkeypatch.setattr(cal._context, "notify", notify_then_die)
        with pytest.raises(rentcal.DatabaseError) as info:
            cal.book("m", d(10), d(10), member="ada", today=TODAY)
        assert "\n" not in str(info.value)
        killer.dispose()
    with rentcal.connect(db_url) as cal:
        assert cal.rentals() == []
        assert cal.notifications("ada") == []


def test_sqlite_never_loads_the_postgresql_dialect(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, rentcal\n"
        f"cal = rentcal.connect({str(tmp_path / 'x.db')!r})\n"
        "cal.add_member('ada', admin=True)\n"
        "assert 'sqlalchemy.dialects.postgresql' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_guards_and_partial_index_exist(cal: rentcal.Rentcal) -> None:
    """The schema really holds the database-level guarantees on each backend."""
    with cal.store.engine.connect() as conn:
        if cal.store.dialect == "postgresql":
            constraints = set(
                conn.exec_driver_sql(
                    "SELECT conname FROM pg_constraint WHERE contype = 'x'"
                    " AND connamespace = current_schema()::regnamespace"
                ).scalars()
            )
            assert constraints == {"ex_rental_overlap", "ex_maintenance_overlap"}
            index = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_rental_blocking'"
                " AND schemaname = current_schema()"
            ).scalar_one()
        else:
            triggers = set(
                conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                ).scalars()
            )
            assert triggers == {
                "trg_rental_no_overlap_insert",
                "trg_rental_no_overlap_update",
                "trg_maintenance_no_overlap_insert",
                "trg_maintenance_no_overlap_update",
                "trg_charge_no_update",  # the ledger is append-only (tests/test_ledger.py)
                "trg_charge_no_delete",
                # invoices and payments are append-only (issue #23)
                *(
                    f"trg_{table}_no_{action}"
                    for table in ("invoice", "invoice_line", "payment", "payment_allocation")
                    for action in ("update", "delete")
                ),
            }
            index = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_rental_blocking'"
            ).scalar_one()
        assert "WHERE" in index and "'approved'" in index and "'pending'" in index


class TestDatabaseGuard:
    """Even raw SQL cannot store overlapping blocking rentals."""

    INSERT = sa.text(
        "INSERT INTO rental (uid, machine_id, member_id, start_date, end_date, status, price, "
        "created_at, updated_at, sequence) VALUES (:uid, 1, 1, :s, :e, :status, 0, "
        "'2030-01-01 00:00:00', '2030-01-01 00:00:00', 0)"
    )

    def _engine(self, url: str) -> sa.Engine:
        return sa.create_engine(rentcal.connect(url).store.url)

    def test_raw_insert_overlap_refused(self, db_url: str) -> None:
        _admin_and_machine(db_url)
        engine = self._engine(db_url)
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "a", "s": d(10), "e": d(14), "status": "approved"})
            # non-blocking rows may overlap anything
            conn.execute(self.INSERT, {"uid": "b", "s": d(12), "e": d(12), "status": "cancelled"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "c", "s": d(14), "e": d(20), "status": "pending"})
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "d", "s": d(15), "e": d(20), "status": "pending"})
        engine.dispose()

    def test_raw_update_extending_or_reactivating_refused(self, db_url: str) -> None:
        _admin_and_machine(db_url)
        engine = self._engine(db_url)
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "a", "s": d(10), "e": d(12), "status": "approved"})
            conn.execute(self.INSERT, {"uid": "b", "s": d(13), "e": d(15), "status": "pending"})
            conn.execute(self.INSERT, {"uid": "c", "s": d(11), "e": d(11), "status": "cancelled"})
        for sql in (
            "UPDATE rental SET end_date = '2030-01-13' WHERE uid = 'a'",
            "UPDATE rental SET status = 'pending' WHERE uid = 'c'",
        ):
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(sa.text(sql))
        with engine.begin() as conn:  # moving within free days is fine
            conn.execute(sa.text("UPDATE rental SET end_date = '2030-01-20' WHERE uid = 'b'"))
        engine.dispose()


class TestMaintenanceGuard:
    """Scheduled maintenance of one machine cannot overlap, even through raw SQL."""

    INSERT = sa.text(
        "INSERT INTO maintenance (uid, machine_id, start_date, end_date, kind, status, "
        "created_at, updated_at, sequence) VALUES (:uid, 1, :s, :e, 'repair', :status, "
        "'2030-01-01 00:00:00', '2030-01-01 00:00:00', 0)"
    )

    def test_raw_insert_overlap_refused(self, db_url: str) -> None:
        _admin_and_machine(db_url)
        engine = sa.create_engine(rentcal.connect(db_url).store.url)
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "a", "s": d(10), "e": d(14), "status": "scheduled"})
            conn.execute(self.INSERT, {"uid": "b", "s": d(12), "e": d(12), "status": "cancelled"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "c", "s": d(14), "e": d(20), "status": "scheduled"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE maintenance SET status = 'scheduled' WHERE uid = 'b'"))
        with engine.begin() as conn:
            conn.execute(self.INSERT, {"uid": "d", "s": d(15), "e": d(20), "status": "scheduled"})
        engine.dispose()
