"""Where the day-two features meet: housekeeping inside edits, approvals and moves,
the organisation's zone under a pinned day, the admin forms' odd input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest

import rentcal
from rentcal import InvalidRequest, InvalidTransition
from tests.cli_support import cli
from tests.conftest import BOTH, TODAY, d, make_clock, seed
from tests.test_pages import Pages

pytestmark = BOTH

T = {"today": TODAY}


@pytest.fixture
def later(db_url: str, seeded: rentcal.Rentcal) -> Iterator[Callable[..., rentcal.Rentcal]]:
    """Connections to the seeded database whose clock says another day and hour."""
    opened: list[rentcal.Rentcal] = []

    def connect(day: date, hour: int = 12) -> rentcal.Rentcal:
        start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        opened.append(rentcal.connect(db_url, clock=make_clock(start), busy_timeout=5))
        return opened[-1]

    yield connect
    for cal in opened:
        cal.close()


class TestHousekeepingInEdits:
    """Edits that lock a machine settle it first: stale requests never get in the way."""

    def test_maintenance_edit_over_an_expired_request(self, seeded: rentcal.Rentcal) -> None:
        stale = seeded.book("tractor", d(9), d(14), member="bob", **T)
        block = seeded.add_maintenance("tractor", d(20), d(21), acting="ada", **T)
        edited = seeded.edit_maintenance(
            block.id, acting="ada", start=d(12), end=d(13), today=d(10)
        )
        assert (edited.value.start, edited.value.end) == (d(12), d(13))
        assert seeded.rental(stale.id).reason == "expired"
        assert all("maintenance" not in n.message for n in seeded.notifications("bob"))

    def test_notes_of_a_past_block(self, seeded: rentcal.Rentcal) -> None:
        block = seeded.add_maintenance("tractor", d(10), d(11), acting="ada", **T)
        edited = seeded.edit_maintenance(block.id, acting="ada", notes="oil", today=d(15))
        assert edited.value.notes == "oil"
        with pytest.raises(InvalidRequest, match="in the past"):
            seeded.edit_maintenance(block.id, acting="ada", end=d(12), today=d(15))


class TestApproveAfterExpiry:
    """An admin cannot approve a request that expired by age, even if nobody noticed yet."""

    def test_refused(self, seeded: rentcal.Rentcal, later: Callable[..., rentcal.Rentcal]) -> None:
        seeded.add_machine("baler", daily_price="90", request_expiry_hours=24, acting="ada")
        request = seeded.book("baler", d(20), d(21), member="bob", **T)
        two_days_on = later(d(11))
        with pytest.raises(InvalidTransition, match="it expired"):
            two_days_on.approve(request.id, acting="ada")
        assert two_days_on.rental(request.id).reason == "expired"

    def test_in_time(self, seeded: rentcal.Rentcal, later: Callable[..., rentcal.Rentcal]) -> None:
        seeded.add_machine("baler", daily_price="90", request_expiry_hours=48, acting="ada")
        request = seeded.book("baler", d(20), d(21), member="bob", **T)
        assert later(d(10)).approve(request.id, acting="ada").status == "approved"


class TestMoveAfterTheFirstDay:
    """A pending request whose first day has passed cannot be moved: it has expired."""

    def test_pending_refused_approved_allowed(self, seeded: rentcal.Rentcal) -> None:
        pending = seeded.book("tractor", d(12), d(13), member="bob", **T)
        with pytest.raises((InvalidRequest, InvalidTransition)):
            seeded.move(pending.id, end=d(15), acting="bob", today=d(13))
        approved = seeded.book("tractor", d(20), d(22), member="dan", **T)
        seeded.approve(approved.id, acting="ada", **T)
        moved = seeded.move(approved.id, end=d(24), acting="ada", today=d(21))
        assert (moved.start, moved.end) == (d(20), d(24))


class TestZoneStoredByInit:
    """init on a database without a zone (made before zones) stores one."""

    def test_init_again_stores_the_zone(self, db_url: str) -> None:
        with rentcal.connect(db_url, clock=make_clock(), timezone="Asia/Tokyo") as cal:
            seed(cal)
            assert cal.timezone().stored  # the first admin stored it
            with cal.store.engine.begin() as conn:  # as a database made before zones
                conn.exec_driver_sql("DELETE FROM org_setting")
        with rentcal.connect(db_url, clock=make_clock(), timezone="Asia/Tokyo") as cal:
            assert not cal.timezone().stored
            assert cal.init("ada") is None
            assert (cal.timezone().name, cal.timezone().stored) == ("Asia/Tokyo", True)


class TestPinnedDayInTheOrganisationsZone:
    """RENTCAL_TODAY is the organisation's date whatever the host's date is."""

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
    def test_pinned_day_is_today_everywhere(self, sqlite_url: str, zone: str) -> None:
        with rentcal.connect(sqlite_url, clock=make_clock(), timezone=zone) as cal:
            cal.init("ada")
            cal.add_machine("tractor", daily_price="10", acting="ada")
        env = {"RENTCAL_TODAY": "2030-01-09"}
        booked = cli(sqlite_url, "book", "tractor", "today", "--days", "1", "--json", env=env)
        assert booked.exit_code == 0, booked.output
        shown = cli(sqlite_url, "timezone", "show", "--json", env=env, as_=None)
        assert '"today": "2030-01-09"' in shown.stdout, shown.stdout
        listed = cli(sqlite_url, "rentals", "--json", env=env)
        assert '"status": "pending"' in listed.stdout, listed.stdout  # not expired a day early


class TestAdminFormOddInput:
    """Whatever the expiry field holds, the add-machine form is refused (a 303 back to the
    form, which names the field), never a 500."""

    @pytest.mark.parametrize("value", ["²", "1" * 5000, "-3", "2.5", "٣"])
    def test_expiry(self, seeded: rentcal.Rentcal, value: str) -> None:
        client = Pages(seeded).as_("ada")
        answer = client.post(
            "/admin/machines",
            data={"name": "baler", "daily_price": "90", "request_expiry_hours": value},
        )
        assert answer.status_code == 303, answer.text
        shown = client.get(answer.headers["location"])
        assert shown.status_code == 200 and "request expiry" in shown.text
        assert 'id="machine-new-request_expiry_hours-error"' in shown.text
        assert seeded.machines() and "baler" not in {m.name for m in seeded.machines()}
