"""Hand-over (rentcal.service.handover, .keepers): check-out, check-in, meters, keepers.

What the rules decide is in Python, but every one of them reads and writes
through new statements (the hand-over rows, the UNIQUE guard, NUMERIC
readings, the housekeeping reads that skip a rental that is out), so the
module runs on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import (
    InvalidRequest,
    InvalidTransition,
    PermissionDenied,
    Unavailable,
)
from rentcal.core.handover import HandoverState, units_used
from tests.conftest import BOTH, BUSY_TIMEOUT, TODAY, d, make_clock, seed

pytestmark = BOTH

T = {"today": TODAY}


@pytest.fixture
def shop(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """``seeded`` with a meter on the tractor (hours) and dan as its keeper."""
    seeded.edit_machine("tractor", meter="hours", acting="ada")
    seeded.add_keeper("tractor", "dan", acting="ada")
    return seeded


@pytest.fixture
def rental(shop: rentcal.Rentcal) -> rentcal.Rental:
    """Bob's approved tractor rental, 2030-01-09..12 (4 days, 480.00)."""
    booked = shop.book("tractor", d(9), d(12), member="bob", purpose="hay", **T)
    return shop.approve(booked.id, acting="ada", **T)


def out(cal: rentcal.Rentcal, rental_id: int, meter: str = "1200.5") -> rentcal.Handover:
    """Check ``rental_id`` out as its keeper, today."""
    return cal.checkout(rental_id, meter=meter, acting="dan", **T)


class TestCheckout:
    """Who, when and what a check-out records, and what it refuses."""

    def test_the_keeper_checks_it_out_with_the_meter(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        done = shop.checkout(rental.id, meter="1200.5", notes="tank full", acting="dan", **T)
        assert (done.rental_id, done.kind.value, done.by) == (rental.id, "out", "dan")
        assert (done.reading, done.unit, done.notes) == (Decimal("1200.50"), "hours", "tank full")
        assert (done.condition, done.late, done.used, done.repair) == (None, False, None, None)
        assert shop.handovers(rental.id) == [done]
        last = shop.history(rental.id)[-1]
        assert (last["from"], last["to"], last["by"]) == ("approved", "approved", "dan")
        assert last["reason"] == "checked out; meter 1200.5 hours; notes: tank full"
        assert shop.rental(rental.id).status is rentcal.RentalStatus.APPROVED
        assert shop.last_reading("tractor") == Decimal("1200.50")
        [reading] = shop.meter_readings("tractor")
        assert (reading.reading, reading.unit, reading.rental_id, reading.by) == (
            Decimal("1200.50"),
            "hours",
            rental.id,
            "dan",
        )

    def test_an_admin_checks_out_a_machine_without_a_meter(self, shop: rentcal.Rentcal) -> None:
        saw = shop.book("saw", d(9), d(9), member="bob", **T)  # the saw approves itself
        done = shop.checkout(saw.id, acting="ada", **T)
        assert (done.by, done.reading, done.unit) == ("ada", None, None)
        assert shop.meter_readings("saw") == []

    @pytest.mark.parametrize("who", ["bob", "carol"], ids=["its-member", "another-member"])
    def test_only_admins_and_keepers(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental, who: str
    ) -> None:
        with pytest.raises(PermissionDenied) as info:
            shop.checkout(rental.id, meter="1", acting=who, **T)
        assert info.value.reason == "not-keeper"
        assert "only admins and the keepers of 'tractor'" in info.value.message
        assert shop.handovers(rental.id) == []

    def test_a_keeper_of_another_machine_is_refused(self, shop: rentcal.Rentcal) -> None:
        saw = shop.book("saw", d(9), d(9), member="bob", **T)
        with pytest.raises(PermissionDenied):
            shop.checkout(saw.id, acting="dan", **T)

    def test_a_deactivated_keeper_is_refused(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        shop.deactivate_member("dan", acting="ada", **T)
        with pytest.raises(PermissionDenied) as info:
            out(shop, rental.id)
        assert info.value.reason == "deactivated"

    def test_a_machine_with_a_meter_needs_its_reading(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        with pytest.raises(InvalidRequest) as info:
            shop.checkout(rental.id, acting="dan", **T)
        assert (info.value.field, info.value.reason) == ("meter", "missing")
        assert "machine 'tractor' has a meter (hours)" in info.value.message

    def test_a_machine_without_a_meter_takes_none(self, shop: rentcal.Rentcal) -> None:
        saw = shop.book("saw", d(9), d(9), member="bob", **T)
        with pytest.raises(InvalidRequest) as info:
            shop.checkout(saw.id, meter="3", acting="ada", **T)
        assert (info.value.field, info.value.reason) == ("meter", "no-meter")

    @pytest.mark.parametrize(
        ("today", "why"),
        [(d(8), "it starts on 2030-01-09"), (d(13), "it ended on 2030-01-12")],
        ids=["before-its-first-day", "after-its-last-day"],
    )
    def test_on_its_days_only(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental, today: object, why: str
    ) -> None:
        with pytest.raises(InvalidTransition, match=why):
            shop.checkout(rental.id, meter="1", acting="dan", today=today)

    def test_on_its_last_day_too(self, shop: rentcal.Rentcal, rental: rentcal.Rental) -> None:
        assert shop.checkout(rental.id, meter="1", acting="dan", today=d(12)).kind.value == "out"

    def test_a_pending_request_is_not_handed_over(self, shop: rentcal.Rentcal) -> None:
        pending = shop.book("tractor", d(20), d(21), member="bob", **T)
        with pytest.raises(InvalidTransition, match="it is pending"):
            shop.checkout(pending.id, meter="1", acting="ada", today=d(20))

    def test_once(self, shop: rentcal.Rentcal, rental: rentcal.Rental) -> None:
        out(shop, rental.id)
        with pytest.raises(InvalidTransition, match="it was checked out on Wed 9 Jan 2030"):
            out(shop, rental.id)
        assert len(shop.handovers(rental.id)) == 1

    def test_the_database_refuses_a_second_check_out(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        """Even a writer that bypasses the service cannot record two (UNIQUE)."""
        out(shop, rental.id)
        engine = sa.create_engine(shop.store.url)
        try:
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO handover (rental_id, kind, at, late) "
                        "VALUES (:r, 'out', :at, false)"
                    ),
                    {"r": rental.id, "at": datetime(2030, 1, 9, tzinfo=UTC)},
                )
        finally:
            engine.dispose()


class TestWhileOut:
    """A rental that is out gives way to its check-in."""

    @pytest.mark.parametrize(
        ("action", "advice"),
        [
            ("cancel", "check it in first"),
            ("reject", "check it in first"),
            ("complete", "check it in, which completes it"),
        ],
    )
    def test_no_status_change_but_the_check_in(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental, action: str, advice: str
    ) -> None:
        out(shop, rental.id)
        with pytest.raises(InvalidTransition) as info:
            getattr(shop, action)(rental.id, acting="ada", **T)
        assert f"it is checked out (the machine is with its member); {advice}" in str(info.value)
        assert shop.rental(rental.id).status is rentcal.RentalStatus.APPROVED

    def test_no_move_to_another_machine_or_first_day(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        for change in ({"machine": "saw"}, {"start": d(10)}):
            with pytest.raises(InvalidTransition, match="only its last day can change"):
                shop.move(rental.id, acting="ada", **change, **T)
        moved = shop.move(rental.id, end=d(14), acting="ada", **T)
        assert (moved.start, moved.end, moved.machine) == (d(9), d(14), "tractor")

    def test_before_the_check_out_everything_works_as_before(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        assert shop.complete(rental.id, acting="ada", **T).status.value == "completed"


class TestCheckin:
    """The return: completed, early frees days, late recorded, the meter never runs back."""

    def test_on_its_last_day(self, shop: rentcal.Rentcal, rental: rentcal.Rental) -> None:
        out(shop, rental.id)
        back = shop.checkin(rental.id, meter="1212", acting="dan", today=d(12))
        assert (back.kind.value, back.condition.value, back.late) == ("in", "ok", False)
        assert (back.reading, back.used) == (Decimal("1212.00"), Decimal("11.50"))
        done = shop.rental(rental.id)
        assert (done.status.value, done.end, done.price) == ("completed", d(12), rental.price)
        assert HandoverState.of(shop.handovers(rental.id)).used == Decimal("11.50")
        last = shop.history(rental.id)[-1]
        assert (last["from"], last["to"], last["by"]) == ("approved", "completed", "dan")
        assert last["reason"] == (
            "returned on its last day; condition ok; meter 1212 hours (11.5 hours used)"
        )
        told, charged = shop.notifications("bob")[-2:]
        assert charged.message.startswith("You were charged 480.00 for Tractor 6120 ")
        assert told.message.startswith("Your booking of Tractor 6120 for ")
        assert "is completed (rental 1). Reason: returned on its last day" in told.message

    def test_early_frees_the_days_after_it(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        shop.checkin(rental.id, meter="1201", acting="dan", today=d(10))
        done = shop.rental(rental.id)
        assert (done.status.value, done.start, done.end) == ("completed", d(9), d(10))
        assert done.price == rental.price  # the booked price stands; charges come apart
        assert "returned early on 2030-01-10" in shop.history(rental.id)[-1]["reason"]
        assert shop.check("tractor", d(10), d(12), today=d(10)).available
        assert shop.book("tractor", d(11), d(12), member="dan", today=d(10)).status.value

    def test_late_is_recorded_and_housekeeping_waited(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        assert shop.housekeeping(today=d(14)).completed == 0  # out, not back: kept
        assert not shop.housekeeping_due(today=d(14))
        assert shop.rental(rental.id).status.value == "approved"
        back = shop.checkin(rental.id, meter="1300", acting="ada", today=d(14))
        assert back.late is True
        done = shop.rental(rental.id)
        assert (done.status.value, done.end) == ("completed", d(12))
        assert "returned late on 2030-01-14 (its last day was 2030-01-12)" in done.reason

    def test_a_lower_reading_is_refused(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        with pytest.raises(InvalidRequest) as info:
            shop.checkin(rental.id, meter="1200.49", acting="dan", **T)
        assert (info.value.field, info.value.reason) == ("meter", "lower")
        assert info.value.message == (
            "meter reading 1200.49 hours is lower than the check-out's 1200.5 hours "
            f"(rental {rental.id}): a meter never runs backwards"
        )
        assert HandoverState.of(shop.handovers(rental.id)).out_not_back
        same = shop.checkin(rental.id, meter="1200.50", acting="dan", **T)
        assert same.used == Decimal("0.00")

    def test_the_meter_is_required_back_too(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        with pytest.raises(InvalidRequest) as info:
            shop.checkin(rental.id, acting="dan", **T)
        assert info.value.reason == "missing"

    def test_a_meter_taken_away_meanwhile(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        shop.edit_machine("tractor", meter=None, acting="ada")
        back = shop.checkin(rental.id, acting="dan", **T)
        assert (back.reading, back.used) == (None, None)

    def test_not_checked_out_or_back_already(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        with pytest.raises(InvalidTransition, match="it was not checked out"):
            shop.checkin(rental.id, meter="1", acting="dan", **T)
        out(shop, rental.id)
        shop.checkin(rental.id, meter="1201", acting="dan", **T)
        with pytest.raises(InvalidTransition, match="it was checked in on Wed 9 Jan 2030"):
            shop.checkin(rental.id, meter="1202", acting="dan", **T)

    def test_only_admins_and_keepers(self, shop: rentcal.Rentcal, rental: rentcal.Rental) -> None:
        out(shop, rental.id)
        with pytest.raises(PermissionDenied):
            shop.checkin(rental.id, meter="1201", acting="bob", **T)


class TestDamagedReturn:
    """A damaged return tells the member and may open a repair block in the same step."""

    def test_repair_block_and_the_next_bookings_members_told(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        shop.edit_member("bob", email="bob@example.org", acting="ada")
        nxt = shop.book("tractor", d(14), d(15), member="dan", **T)
        shop.approve(nxt.id, acting="ada", **T)
        out(shop, rental.id)
        back = shop.checkin(
            rental.id,
            meter="1210",
            condition="damaged",
            notes="bent loader arm",
            repair_until=d(14),
            acting="dan",
            today=d(10),
        )
        [block] = shop.maintenance(machine="tractor")
        assert back.repair == block.id
        assert (block.start, block.end, block.kind.value, block.status.value) == (
            d(10),
            d(14),
            "repair",
            "scheduled",
        )
        assert block.notes == f"damaged at the return of rental {rental.id}: bent loader arm"
        assert not shop.check("tractor", d(11), d(11), today=d(10)).available
        bob = [n.message for n in shop.notifications("bob")]
        assert bob[-1] == (
            "Your booking of Tractor 6120 for Wed 9 – Thu 10 Jan 2030 was returned damaged "
            f"(rental {rental.id}); Tractor 6120 is in repair until Mon 14 Jan 2030. "
            "Notes: bent loader arm."
        )
        assert not any("is completed" in m for m in bob[-2:])  # one message, the damage
        dan = [n.message for n in shop.notifications("dan")]
        assert "Repair maintenance of Tractor 6120 is planned" in dan[-1]
        mail = [(i.address, i.kind) for i in shop.outbox(acting="ada") if i.rental_id == rental.id]
        assert ("bob@example.org", "damaged") in mail

    def test_over_other_maintenance_nothing_is_recorded(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        shop.add_maintenance("tractor", d(13), d(13), acting="ada", **T)
        out(shop, rental.id)
        before = shop.history(rental.id)
        with pytest.raises(Unavailable):
            shop.checkin(
                rental.id, meter="1201", condition="damaged", repair_until=d(13), acting="dan", **T
            )
        assert shop.history(rental.id) == before
        assert HandoverState.of(shop.handovers(rental.id)).out_not_back
        assert shop.rental(rental.id).end == d(12)

    def test_repair_only_with_damage_and_from_today(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        with pytest.raises(InvalidRequest) as info:
            shop.checkin(rental.id, meter="1201", repair_until=d(13), acting="dan", **T)
        assert (info.value.field, info.value.reason) == ("repair_until", "not-damaged")
        with pytest.raises(InvalidRequest) as info:
            shop.checkin(
                rental.id, meter="1201", condition="damaged", repair_until=d(8), acting="dan", **T
            )
        assert info.value.field == "repair_until"

    def test_damaged_without_a_repair(self, shop: rentcal.Rentcal, rental: rentcal.Rental) -> None:
        out(shop, rental.id)
        back = shop.checkin(rental.id, meter="1201", condition="damaged", acting="dan", **T)
        assert (back.condition.value, back.repair) == ("damaged", None)
        assert shop.maintenance(machine="tractor") == []
        assert "was returned damaged" in shop.notifications("bob")[-1].message


class TestKeepers:
    """Admins add and remove keepers; each change is in the machine's history."""

    def test_add_remove_list_and_history(self, shop: rentcal.Rentcal) -> None:
        assert shop.keepers("tractor") == ["dan"]
        assert shop.add_keeper("tractor", "bob", acting="ada") == ["bob", "dan"]
        assert shop.remove_keeper("tractor", "dan", acting="ada") == ["bob"]
        changes = [(c.field, c.old, c.new, c.by) for c in shop.machine_history("tractor")]
        assert changes[-3:] == [
            ("keeper", None, "dan", "ada"),
            ("keeper", None, "bob", "ada"),
            ("keeper", "dan", None, "ada"),
        ]

    def test_refusals(self, shop: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest) as info:
            shop.add_keeper("tractor", "dan", acting="ada")
        assert info.value.reason == "exists"
        with pytest.raises(InvalidRequest) as info:
            shop.remove_keeper("saw", "dan", acting="ada")
        assert info.value.reason == "not-keeper"
        with pytest.raises(PermissionDenied) as info:
            shop.add_keeper("saw", "bob", acting="dan")
        assert info.value.reason == "not-admin"
        shop.deactivate_member("bob", acting="ada", **T)
        with pytest.raises(PermissionDenied) as info:
            shop.add_keeper("saw", "bob", acting="ada")
        assert info.value.reason == "deactivated"
        assert shop.keepers("saw") == []

    def test_a_removed_keeper_hands_over_no_more(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        shop.remove_keeper("tractor", "dan", acting="ada")
        with pytest.raises(PermissionDenied):
            out(shop, rental.id)


class TestMeter:
    """A machine's meter: its unit, its readings, the reading the next check-out proposes."""

    def test_the_unit_is_an_edit_recorded_like_any(self, seeded: rentcal.Rentcal) -> None:
        edited = seeded.edit_machine("saw", meter="km", acting="ada")
        assert edited.value.meter == "km"
        assert [(c.field, c.old, c.new) for c in edited.changes] == [("meter_unit", None, "km")]
        assert seeded.machine("saw").as_dict()["meter"] == "km"
        assert seeded.edit_machine("saw", meter=None, acting="ada").value.meter is None

    def test_readings_accumulate_and_the_last_is_proposed(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        assert shop.last_reading("tractor") is None
        out(shop, rental.id, "100")
        shop.checkin(rental.id, meter="112.25", acting="dan", **T)
        assert [r.reading for r in shop.meter_readings("tractor")] == [
            Decimal("100.00"),
            Decimal("112.25"),
        ]
        assert shop.last_reading("tractor") == Decimal("112.25")
        shop.edit_machine("tractor", meter="km", acting="ada")  # another meter: no proposal
        assert shop.last_reading("tractor") is None
        assert len(shop.meter_readings("tractor")) == 2  # the history stays

    def test_units_used_is_one_small_function(self) -> None:
        assert units_used(Decimal("10.50"), Decimal("12.00")) == Decimal("1.50")
        assert units_used(None, Decimal("12.00")) is None
        assert units_used(Decimal("1"), None) is None


class TestNoShow:
    """Housekeeping flags, once, an approved rental nobody checked out in time."""

    def test_the_rule_is_an_organisation_setting(self, shop: rentcal.Rentcal) -> None:
        assert shop.no_show_hours() is None
        assert shop.set_no_show_hours(24, acting="ada") == 24
        assert shop.set_no_show_hours(24, acting="ada") == 24  # the same: nothing stored
        assert shop.set_no_show_hours(None, acting="ada") is None
        assert [(h, by) for h, by, _ in shop.no_show_hours_history()] == [
            (None, "ada"),
            (24, "ada"),
        ]
        with pytest.raises(PermissionDenied):
            shop.set_no_show_hours(12, acting="bob")

    def test_flagged_once_kept_and_told(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        shop.set_no_show_hours(6, acting="ada")
        # the clock: noon UTC on the 9th; the rental began at midnight: 12 hours ago
        assert shop.housekeeping_due(**T)
        assert shop.housekeeping(**T).no_shows == 1
        assert shop.housekeeping(**T).no_shows == 0
        assert not shop.housekeeping_due(**T)
        assert shop.rental(rental.id).status.value == "approved"
        last = shop.history(rental.id)[-1]
        assert (last["from"], last["to"], last["by"]) == ("approved", "approved", None)
        assert last["reason"] == "no-show: not checked out within 6 hours of its first day"
        said = (
            "Bob Baker's booking of Tractor 6120 for Wed 9 – Sat 12 Jan 2030 was not picked "
            "up: nobody checked it out within 6 hours of its first day (rental 1); it is kept, "
            "flagged as a no-show."
        )
        for who in ("ada", "dan"):
            assert shop.notifications(who)[-1].message == said
        assert said not in [n.message for n in shop.notifications("bob")]
        [flag] = shop.handovers(rental.id)
        assert (flag.kind.value, flag.by) == ("no-show", None)
        late = out(shop, rental.id)  # a late pick-up is still possible
        assert HandoverState.of(shop.handovers(rental.id)).out == late

    def test_not_yet_not_when_out_not_when_off(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        shop.set_no_show_hours(13, acting="ada")  # 12 hours have gone by
        assert shop.housekeeping(**T).no_shows == 0
        shop.set_no_show_hours(1, acting="ada")
        out(shop, rental.id)
        assert shop.housekeeping(**T).no_shows == 0
        shop.set_no_show_hours(None, acting="ada")
        other = shop.book("saw", d(9), d(9), member="bob", **T)
        assert shop.housekeeping(**T).no_shows == 0
        assert shop.handovers(other.id) == []

    def test_an_ended_no_show_is_flagged_then_completed(self, shop: rentcal.Rentcal) -> None:
        past = shop.book("saw", d(9), d(9), member="bob", **T)
        shop.set_no_show_hours(1, acting="ada")
        done = shop.housekeeping(today=d(10))
        assert (done.no_shows, done.completed) == (1, 1)
        assert [h["reason"][:8] for h in shop.history(past.id)[-2:]] == ["no-show:", "its last"]
        assert done.as_dict() == {
            "expired": 0,
            "completed": 1,
            "no_shows": 1,
            "unpaid": 0,
        }

    def test_the_grace_counts_from_midnight_in_the_organisations_zone(self, db_url: str) -> None:
        """Berlin's midnight of the 10th is 23:00 UTC on the 9th."""
        clock = make_clock(datetime(2030, 1, 10, 0, 30, tzinfo=UTC))  # 01:30 in Berlin
        with rentcal.connect(
            db_url, clock=clock, busy_timeout=BUSY_TIMEOUT, timezone="Europe/Berlin"
        ) as cal:
            seed(cal)
            cal.set_timezone("Europe/Berlin", acting="ada")
            booked = cal.book("saw", d(10), d(10), member="bob")
            cal.set_no_show_hours(1, acting="ada")
            assert cal.housekeeping().no_shows == 1  # 1.5 hours after Berlin's midnight
            assert cal.handovers(booked.id)[0].kind.value == "no-show"


class TestUpgrade:
    """The previous release's database (revision 0014) is upgraded in place."""

    def test_a_0014_database_upgrades_with_its_rows(self, db_url: str) -> None:
        from alembic import command

        from rentcal.db import schema
        from rentcal.db.migrations import runner

        with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as cal:
            seed(cal)
            kept = cal.book("tractor", d(9), d(11), member="bob", **T)
            kept = cal.approve(kept.id, acting="ada", **T)
            machines = cal.machines()
        engine = sa.create_engine(cal.store.url)
        try:
            with engine.begin() as conn:
                cfg = runner.config()
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0014_mail_preferences")
            with engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                columns = {c["name"] for c in sa.inspect(conn).get_columns("machine")}
                version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        finally:
            engine.dispose()
        assert version == "0014_mail_preferences"
        assert not tables & {"handover", "machine_keeper", "meter_reading"}
        assert "meter_unit" not in columns
        with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as again:
            assert again.machines() == machines
            assert again.rental(kept.id) == kept
            again.edit_machine("tractor", meter="hours", acting="ada")
            assert again.checkout(kept.id, meter="5", acting="ada", **T).reading == Decimal("5.00")
            assert again.checkin(kept.id, meter="7", acting="ada", **T).used == Decimal("2.00")
            assert again.store.state().revision == schema.HEAD


def test_history_words(shop: rentcal.Rentcal, rental: rentcal.Rental) -> None:
    """People read the hand-overs in a rental's history as what happened."""
    from rentcal.core.news import history_words

    out(shop, rental.id)
    shop.checkin(rental.id, meter="1201", acting="dan", today=d(9) + timedelta(days=1))
    words = [
        history_words(
            None if h["from"] is None else rentcal.RentalStatus(h["from"]),
            rentcal.RentalStatus(h["to"]),
            h["reason"],
        )
        for h in shop.history(rental.id)
    ]
    assert words == ["requested", "approved", "checked out", "returned"]


class TestCheckinCharges:
    """A check-in charges the rental once: its days up to the return, the units used."""

    def test_days_and_units_at_the_rates_fixed_when_booked(self, shop: rentcal.Rentcal) -> None:
        shop.edit_machine("tractor", unit_price="2.50", acting="ada")
        booked = shop.book("tractor", d(9), d(12), member="bob", **T)
        shop.approve(booked.id, acting="ada", **T)
        shop.edit_machine("tractor", unit_price="9.99", acting="ada")  # later bookings only
        out(shop, booked.id)
        shop.checkin(booked.id, meter="1212", acting="dan", today=d(12))
        [charge] = shop.rental_charges(booked.id, acting="bob")
        assert (charge.days, charge.units, charge.unit_rate) == (
            4,
            Decimal("11.50"),
            Decimal("2.50"),
        )
        assert (charge.charged_on, charge.amount) == (d(12), Decimal("508.75"))  # 480 + 28.75

    def test_early_and_late_returns_charge_the_days_it_was_out(
        self, shop: rentcal.Rentcal, rental: rentcal.Rental
    ) -> None:
        out(shop, rental.id)
        assert shop.housekeeping(today=d(14)).completed == 0  # out: not charged by housekeeping
        assert shop.rental_charges(rental.id, acting="ada") == []
        shop.checkin(rental.id, meter="1300", acting="ada", today=d(14))
        [late] = shop.rental_charges(rental.id, acting="ada")
        assert (late.first_day, late.last_day, late.days, late.amount) == (
            d(9),
            d(14),
            6,
            Decimal("720.00"),
        )
        saw = shop.book("saw", d(9), d(11), member="bob", **T)
        shop.checkout(saw.id, acting="ada", **T)
        shop.checkin(saw.id, acting="ada", **T)  # back on its first day
        [early] = shop.rental_charges(saw.id, acting="ada")
        assert (early.days, early.last_day) == (1, d(9))
        assert shop.housekeeping(today=d(20)).completed == 0
        assert len(shop.rental_charges(rental.id, acting="ada")) == 1
