"""The calendar's revision: +1 in the same transaction as every calendar change, never else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.types import RentalStatus
from rentcal.db.tables import REVISION_EPOCH
from rentcal.imports import BlockRow, ImportRow
from tests.conftest import BOTH, TODAY, _pg_schema_url, d

pytestmark = BOTH

Action = Callable[[rentcal.Rentcal], object]


def _pending(cal: rentcal.Rentcal) -> int:
    return cal.book("tractor", d(20), d(21), member="bob", today=TODAY).id


def _approved(cal: rentcal.Rentcal) -> int:
    return cal.approve(_pending(cal), acting="ada", today=TODAY).id


def _started(cal: rentcal.Rentcal) -> int:
    rental = cal.book("saw", TODAY, d(10), member="bob", today=TODAY)
    return rental.id


def _maintenance(cal: rentcal.Rentcal) -> int:
    return cal.add_maintenance("saw", d(25), d(26), acting="ada", today=TODAY).id


#: (what, set-up returning an id or None, the write under test)
CALENDAR_WRITES: list[tuple[str, Callable[[rentcal.Rentcal], object], Callable[..., object]]] = [
    ("book", lambda c: None, lambda c, _: _pending(c)),
    ("approve", _pending, lambda c, i: c.approve(i, acting="ada", today=TODAY)),
    ("reject", _pending, lambda c, i: c.reject(i, acting="ada", reason="no", today=TODAY)),
    ("cancel", _approved, lambda c, i: c.cancel(i, acting="bob", today=TODAY)),
    ("complete", _started, lambda c, i: c.complete(i, acting="ada", today=TODAY)),
    ("maintenance add", lambda c: None, lambda c, _: _maintenance(c)),
    ("maintenance cancel", _maintenance, lambda c, i: c.cancel_maintenance(i, acting="ada")),
    (
        "import rentals",
        lambda c: None,
        lambda c, _: c.import_rentals(
            [ImportRow(2, "tractor", "bob", d(1, 3), d(2, 3), RentalStatus.APPROVED, None)],
            acting="ada",
            today=TODAY,
        ),
    ),
    (
        "import maintenance",
        lambda c: None,
        lambda c, _: c.import_maintenance(
            "saw", [BlockRow(1, d(5, 3), d(6, 3), None)], acting="ada"
        ),
    ),
    ("machine add", lambda c: None, lambda c, _: c.add_machine("drill", "5", acting="ada")),
    ("machine retire", lambda c: None, lambda c, _: c.retire_machine("saw", acting="ada")),
    ("member verify", lambda c: None, lambda c, _: c.verify_member("carol", acting="ada")),
    ("machine edit", lambda c: None, lambda c, _: c.edit_machine("saw", acting="ada", title="S")),
    (
        "machine reactivate",
        lambda c: c.retire_machine("saw", acting="ada"),
        lambda c, _: c.reactivate_machine("saw", acting="ada"),
    ),
    ("member edit", lambda c: None, lambda c, _: c.edit_member("bob", acting="bob", name="B")),
    ("member deactivate", lambda c: None, lambda c, _: c.deactivate_member("dan", acting="ada")),
    (
        "maintenance edit",
        _maintenance,
        lambda c, i: c.edit_maintenance(i, acting="ada", notes="moved", today=TODAY),
    ),
]

#: Writes no calendar shows: the revision stays.
OTHER_WRITES: list[tuple[str, Action]] = [
    ("mark_read", lambda c: c.mark_read("ada")),
    ("notifications mark_read=True", lambda c: c.notifications("ada", mark_read=True)),
    ("set_password", lambda c: c.set_password("bob", "long enough", acting="bob")),
    ("create_token", lambda c: c.create_token("bob")),
    ("create_feed", lambda c: c.create_feed("bob")),
    ("revoke_token", lambda c: c.revoke_token(c.create_token("bob")[0].id, "bob")),
    ("revoke_feed", lambda c: c.revoke_feed(c.create_feed("bob")[0].id, "bob")),
    ("login and logout", lambda c: c.logout(c.login("dan", "dans password")[1])),
    ("session use", lambda c: c.session_member(c.login("dan", "dans password")[1])),
    ("member role", lambda c: c.set_role("carol", "admin", acting="ada")),
]


@pytest.fixture
def setup(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    seeded.set_password("dan", "dans password", acting="dan")
    return seeded


class TestBumps:
    """Exactly one bump per calendar-changing write, none for anything else."""

    def test_new_database(self, db_url: str) -> None:
        with rentcal.connect(db_url) as cal:
            assert cal.revision() == (0, REVISION_EPOCH)

    @pytest.mark.parametrize(
        ("prepare", "write"),
        [pytest.param(p, w, id=name) for name, p, w in CALENDAR_WRITES],
    )
    def test_calendar_write_bumps_once(
        self,
        setup: rentcal.Rentcal,
        prepare: Callable[[rentcal.Rentcal], object],
        write: Callable[..., object],
    ) -> None:
        target = prepare(setup)
        before, changed_before = setup.revision()
        write(setup, target)
        after, changed_after = setup.revision()
        assert after == before + 1
        assert changed_after > changed_before

    @pytest.mark.parametrize(("write",), [pytest.param(w, id=name) for name, w in OTHER_WRITES])
    def test_other_writes_do_not_bump(self, setup: rentcal.Rentcal, write: Action) -> None:
        before = setup.revision()
        write(setup)
        assert setup.revision() == before

    def test_refused_write_does_not_bump(self, setup: rentcal.Rentcal) -> None:
        _pending(setup)
        before = setup.revision()
        with pytest.raises(rentcal.Unavailable):
            _pending(setup)
        with pytest.raises(rentcal.PermissionDenied):
            setup.add_machine("drill", "5", acting="bob")
        assert setup.revision() == before

    def test_reads_do_not_bump(self, setup: rentcal.Rentcal) -> None:
        before = setup.revision()
        setup.rentals()
        setup.events()
        setup.check("saw", d(20), d(21))
        assert setup.revision() == before

    def test_bump_is_in_the_writes_transaction(self, setup: rentcal.Rentcal) -> None:
        """The row is updated by the same transaction: a rolled-back write leaves it."""
        before = setup.revision()

        def work(conn: sa.Connection) -> None:
            raise rentcal.InvalidRequest("changed my mind")

        with pytest.raises(rentcal.InvalidRequest):
            setup._context.write(work)
        assert setup.revision() == before
        setup._context.write(lambda conn: None)
        assert setup.revision()[0] == before[0] + 1


class TestChangedAt:
    """``changed_at`` is Last-Modified material: it never moves backwards."""

    def test_clock_stepping_back(self, db_url: str) -> None:
        noon = datetime(2030, 1, 9, 12, 0, tzinfo=UTC)
        moments = {"now": noon}
        with rentcal.connect(db_url, clock=lambda: moments["now"]) as cal:
            cal.add_member("ada", admin=True)
            assert cal.revision() == (1, noon)
            moments["now"] = noon - timedelta(hours=1)  # an NTP step back
            cal.add_machine("saw", "5", acting="ada")
            assert cal.revision() == (2, noon)  # not 11:00
            assert cal.revision()[1].tzinfo is not None

    def test_moves_forward(self, db_url: str) -> None:
        moments = [datetime(2030, 1, 9, tzinfo=UTC) + timedelta(hours=h) for h in range(5)]
        it = iter(moments)
        with rentcal.connect(db_url, clock=lambda: next(it)) as cal:
            cal.add_member("ada", admin=True)
            first = cal.revision()[1]
            cal.add_machine("saw", "5", acting="ada")
            assert cal.revision()[1] > first


@pytest.mark.postgres
class TestNotify:
    """PostgreSQL: every bump is NOTIFYed on commit with the new revision; rollbacks are not."""

    def test_listeners_hear_each_commit(self, pg_database: str) -> None:
        import psycopg

        from rentcal.db.sql.credential_tables import REVISION_CHANNEL

        db_url = _pg_schema_url(pg_database)
        conninfo = sa.make_url(db_url).set(drivername="postgresql")
        with (
            rentcal.connect(db_url) as cal,
            psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as ln,
        ):
            cal.add_member("ada", admin=True)
            cal.add_member("bob", verified=True, acting="ada")
            cal.add_machine("saw", "5", acting="ada")
            ln.execute(f"LISTEN {REVISION_CHANNEL}")
            cal.book("saw", d(20), d(21), member="bob", today=TODAY)
            with pytest.raises(rentcal.Unavailable):
                cal.book("saw", d(20), d(21), member="bob", today=TODAY)  # rolled back
            cal.mark_read("ada")  # not a calendar write
            cal.add_maintenance("saw", d(25), d(25), acting="ada", today=TODAY)
            revision = cal.revision()[0]
            heard = [n.payload for n in ln.notifies(timeout=10, stop_after=2)]
            # In commit order: a NOTIFY of the rolled-back booking would come second.
            assert heard == [str(revision - 1), str(revision)]
