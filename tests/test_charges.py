"""Charges in the service: a rental's end charged once, late cancellations, corrections,
statements by period and time zone, the ledger's database guards, the upgrade (issue #22).

What the database can change (the guards, the stored days, housekeeping, the upgrade)
runs on both backends; permissions and wording are decided in Python (SQLite only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.charges import CancellationPolicy
from rentcal.core.types import ChargeKind, RentalStatus
from rentcal.db import schema
from rentcal.db.store import resolve_url
from rentcal.errors import InvalidRequest, InvalidTransition, NotFound, PermissionDenied
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, TODAY, d, make_clock, seed

D = Decimal


def _kinds(cal: rentcal.Rentcal, rental_id: int) -> list[str]:
    return [c.kind.value for c in cal.rental_charges(rental_id, acting="ada")]


def _approved(
    cal: rentcal.Rentcal,
    machine: str,
    first: date,
    last: date,
    who: str = "bob",
    today: date = TODAY,
) -> int:
    rental = cal.book(machine, first, last, member=who, today=today)
    if rental.status is RentalStatus.PENDING:
        cal.approve(rental.id, acting="ada", today=today)
    return rental.id


def _engine(cal: rentcal.Rentcal) -> sa.Engine:
    return sa.create_engine(resolve_url(cal.store.url))


@BOTH
class TestUseCharge:
    """A rental ending is charged once, at the rates fixed when it was booked."""

    def test_complete_charges_the_booked_rates(self, seeded: rentcal.Rentcal) -> None:
        seeded.edit_machine("tractor", acting="ada", unit_price="4.50", minimum_charge="500")
        rid = _approved(seeded, "tractor", d(9), d(11))
        seeded.edit_machine("tractor", acting="ada", unit_price=None, minimum_charge=None)
        seeded.edit_machine("tractor", acting="ada", price="1.00")
        seeded.complete(rid, acting="ada", today=d(11))
        [charge] = seeded.rental_charges(rid, acting="bob")
        assert (charge.kind, charge.days, charge.day_rate) == (ChargeKind.USE, 3, D("120.00"))
        assert (charge.unit_rate, charge.minimum_charge) == (D("4.50"), D("500.00"))
        assert charge.amount == D("500.00") and charge.charged_on == d(11)
        assert (charge.first_day, charge.last_day, charge.created_by) == (d(9), d(11), "ada")
        assert charge.member == "bob" and charge.machine == "tractor"

    def test_housekeeping_charges_on_the_day_it_completes(self, seeded: rentcal.Rentcal) -> None:
        rid = _approved(seeded, "saw", d(9), d(10))
        assert seeded.housekeeping(today=d(15)).completed == 1
        [charge] = seeded.rental_charges(rid, acting="ada")
        assert (charge.charged_on, charge.amount, charge.created_by) == (d(15), D("31.00"), None)
        messages = [n.message for n in seeded.notifications("bob")]
        assert messages[-1] == (
            f"You were charged 31.00 for Band saw on Wed 9 – Thu 10 Jan 2030: 2 days × 15.50 "
            f"(rental {rid})."
        )
        assert not any("is completed" in m for m in messages)  # housekeeping tells only this

    def test_charged_exactly_once(self, seeded: rentcal.Rentcal) -> None:
        rid = _approved(seeded, "saw", d(9), d(10))
        seeded.complete(rid, acting="ada", today=d(10))
        assert seeded.housekeeping(today=d(20)).completed == 0
        with pytest.raises(InvalidTransition):
            seeded.complete(rid, acting="ada", today=d(20))
        assert _kinds(seeded, rid) == ["use"]

    def test_a_move_fixes_the_rates_of_its_machine(self, seeded: rentcal.Rentcal) -> None:
        seeded.add_machine("rig", daily_price="10", unit_price="2.00", acting="ada")
        seeded.edit_machine("saw", acting="ada", unit_price="1.00")
        rid = _approved(seeded, "saw", d(12), d(12))
        seeded.move(rid, machine="rig", acting="ada", today=TODAY)
        seeded.complete(rid, acting="ada", today=d(12))
        [charge] = seeded.rental_charges(rid, acting="ada")
        assert (charge.day_rate, charge.unit_rate, charge.machine) == (D("10.00"), D("2.00"), "rig")

    def test_cancelled_and_rejected_rentals_are_never_used(self, seeded: rentcal.Rentcal) -> None:
        cancelled = _approved(seeded, "saw", d(12), d(12))
        seeded.cancel(cancelled, acting="ada", today=TODAY)
        rejected = seeded.book("tractor", d(13), d(13), member="bob", today=TODAY).id
        seeded.reject(rejected, acting="ada", today=TODAY)
        assert seeded.housekeeping(today=d(20)).completed == 0
        assert _kinds(seeded, cancelled) == [] and _kinds(seeded, rejected) == []

    def test_a_free_use_is_written_but_told_to_nobody(self, seeded: rentcal.Rentcal) -> None:
        seeded.add_machine("broom", acting="ada", auto_approve=True)
        rid = _approved(seeded, "broom", d(9), d(9))
        before = len(seeded.notifications("bob"))
        seeded.complete(rid, acting="ada", today=d(9))
        [charge] = seeded.rental_charges(rid, acting="ada")
        assert charge.amount == D("0.00")
        assert len(seeded.notifications("bob")) == before + 1  # "completed", no charge news

    def test_the_member_gets_the_charge_by_email(self, seeded: rentcal.Rentcal) -> None:
        seeded.edit_member("bob", email="bob@example.org", acting="ada")
        seeded.set_currency("EUR", acting="ada")
        rid = _approved(seeded, "saw", d(9), d(9))
        seeded.complete(rid, acting="ada", today=d(9))
        mail = [m for m in seeded.outbox(acting="ada") if m.kind == "charge"]
        assert [(m.address, m.rental_id) for m in mail] == [("bob@example.org", rid)]
        assert mail[0].subject.startswith("You were charged €15.50 for Band saw")
        seeded.set_mail_choices("bob", {"charge": "in-app"}, acting="bob")
        other = _approved(seeded, "saw", d(10), d(10))
        seeded.complete(other, acting="ada", today=d(10))
        assert len([m for m in seeded.outbox(acting="ada") if m.kind == "charge"]) == 1

    def test_imports_fix_rates_and_history_is_not_charged(
        self, seeded: rentcal.Rentcal, tmp_path: Path
    ) -> None:
        from rentcal.imports import read_rentals_csv

        seeded.edit_machine("tractor", acting="ada", minimum_charge="1000")
        path = tmp_path / "rentals.csv"
        path.write_text(
            "machine,member,start,end,status\n"
            "tractor,bob,2020-01-01,2020-01-02,completed\n"
            "tractor,bob,2030-01-09,2030-01-10,approved\n",
            encoding="utf-8",
        )
        rows = read_rentals_csv(path.read_text(encoding="utf-8").splitlines())
        seeded.import_rentals(rows, acting="ada", today=TODAY)
        old, new = (r.id for r in seeded.rentals())
        assert _kinds(seeded, old) == []
        seeded.housekeeping(today=d(11))
        [charge] = seeded.rental_charges(new, acting="ada")
        assert (charge.amount, charge.minimum_charge) == (D("1000.00"), D("1000.00"))


class TestTheHandOverHook:
    """``Lifecycle.record(..., ended_on=, units=)``: what a check-in passes (issue #22)."""

    def _check_in(
        self, cal: rentcal.Rentcal, rid: int, ended_on: date | None, units: Decimal | None
    ) -> None:
        cases = cal._cases  # the hand-over's check-in calls the same method in its write

        def work(conn: sa.Connection) -> None:
            rental = cases.context.get_rental(conn, rid)
            cases.lifecycle.record(
                conn,
                rental,
                RentalStatus.COMPLETED,
                None,
                "checked in",
                today=d(14),
                ended_on=ended_on,
                units=units,
            )

        cal._context.write(work)

    def test_days_to_the_check_in_and_units_used(self, seeded: rentcal.Rentcal) -> None:
        seeded.edit_machine("tractor", acting="ada", unit_price="2.50")
        rid = _approved(seeded, "tractor", d(9), d(11))
        self._check_in(seeded, rid, d(12), D("7.5"))
        [charge] = seeded.rental_charges(rid, acting="ada")
        assert (charge.days, charge.units, charge.last_day) == (4, D("7.500"), d(12))
        assert charge.amount == D("498.75") and charge.charged_on == d(14)

    def test_a_bad_end_changes_nothing(self, seeded: rentcal.Rentcal) -> None:
        rid = _approved(seeded, "tractor", d(9), d(11))
        with pytest.raises(InvalidRequest, match="cannot end on"):
            self._check_in(seeded, rid, d(8), None)
        assert seeded.rental(rid).status is RentalStatus.APPROVED
        assert _kinds(seeded, rid) == []


class TestLateCancellation:
    """A member cancelling their approved booking late pays the organisation's fee."""

    @pytest.fixture
    def late(self, seeded: rentcal.Rentcal) -> rentcal.Rentcal:
        seeded.set_cancellation_policy(7, fee="25", acting="ada")
        return seeded

    def test_inside_the_free_period_is_charged(self, late: rentcal.Rentcal) -> None:
        rid = _approved(late, "tractor", d(14), d(16))  # 5 days after TODAY
        late.cancel(rid, acting="bob", today=TODAY)
        [charge] = late.rental_charges(rid, acting="bob")
        assert (charge.kind, charge.amount, charge.charged_on) == (
            ChargeKind.LATE_CANCELLATION,
            D("25.00"),
            TODAY,
        )
        assert charge.reason == (
            "cancelled 5 days before the start; free until 7 days before the start, "
            "then a fee of 25.00"
        )
        assert late.notifications("bob")[-1].message.startswith(
            "You were charged 25.00 for cancelling your booking of Tractor 6120 on"
        )

    @pytest.mark.parametrize(
        ("who", "days_ahead", "approve", "charged"),
        [
            pytest.param("bob", 7, True, False, id="exactly N days before: free"),
            pytest.param("bob", 6, True, True, id="N-1 days before: late"),
            pytest.param("ada", 1, True, False, id="an admin cancels: free"),
            pytest.param("bob", 1, False, False, id="a pending request: free"),
        ],
    )
    def test_who_and_when(
        self, late: rentcal.Rentcal, who: str, days_ahead: int, approve: bool, charged: bool
    ) -> None:
        start = TODAY + timedelta(days=days_ahead)
        rid = late.book("tractor", start, start, member="bob", today=TODAY).id
        if approve:
            late.approve(rid, acting="ada", today=TODAY)
        late.cancel(rid, acting=who, today=TODAY)
        assert _kinds(late, rid) == (["late_cancellation"] if charged else [])

    def test_a_share_of_the_price(self, late: rentcal.Rentcal) -> None:
        late.set_cancellation_policy(3, share="50", acting="ada")
        rid = _approved(late, "saw", d(10), d(12))  # 46.50
        late.cancel(rid, acting="bob", today=TODAY)
        [charge] = late.rental_charges(rid, acting="ada")
        assert charge.amount == D("23.25")

    def test_the_policy_is_an_admins_and_kept(self, late: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="set the cancellation policy"):
            late.set_cancellation_policy(None, acting="bob")
        assert late.cancellation_policy() == CancellationPolicy(7, fee=D("25.00"))
        late.set_cancellation_policy(None, acting="ada")
        late.set_cancellation_policy(None, acting="ada")  # unchanged: not recorded
        assert [p.free_days for p, _by, _at in late.cancellation_policy_history()] == [None, 7]
        rid = _approved(late, "tractor", d(10), d(10))
        late.cancel(rid, acting="bob", today=TODAY)
        assert _kinds(late, rid) == []


class TestCorrections:
    """Admins credit or debit with a reason; the member is told; nothing is edited."""

    def test_credit_and_debit(self, seeded: rentcal.Rentcal) -> None:
        rid = _approved(seeded, "saw", d(9), d(9))
        credit = seeded.add_charge("bob", "-10.00", "fuel he paid for", acting="ada")
        debit = seeded.add_charge("bob", "5", "cleaning", rental=rid, acting="ada")
        assert (credit.kind, credit.amount, credit.rental_id) == (
            ChargeKind.CORRECTION,
            D("-10.00"),
            None,
        )
        assert (debit.amount, debit.rental_id, debit.machine, debit.created_by) == (
            D("5.00"),
            rid,
            "saw",
            "ada",
        )
        assert credit.charged_on == TODAY
        said = [n.message for n in seeded.notifications("bob")][-2:]
        assert said == [
            "You were credited 10.00: fuel he paid for.",
            f"You were charged 5.00: cleaning (rental {rid}).",
        ]

    @pytest.mark.parametrize(
        ("kwargs", "error", "message"),
        [
            ({"acting": "bob"}, PermissionDenied, "only admins can add charges"),
            ({"member": "nobody"}, NotFound, "member 'nobody' not found"),
            ({"reason": "  "}, InvalidRequest, "a correction needs a reason"),
            ({"amount": "0.00"}, InvalidRequest, "amount is 0"),
            ({"amount": 1.5}, InvalidRequest, "never a float"),
            ({"rental": 999}, NotFound, "rental 999 not found"),
        ],
    )
    def test_refused(
        self,
        seeded: rentcal.Rentcal,
        kwargs: dict[str, object],
        error: type[Exception],
        message: str,
    ) -> None:
        args: dict[str, object] = {
            "member": "bob",
            "amount": "1",
            "reason": "why",
            "acting": "ada",
        }
        args.update(kwargs)
        with pytest.raises(error, match=message):
            seeded.add_charge(**args)  # type: ignore[arg-type]
        assert seeded.charges("2030", acting="ada") == []

    def test_a_rental_of_another_member_is_refused(self, seeded: rentcal.Rentcal) -> None:
        rid = _approved(seeded, "saw", d(9), d(9), who="dan")
        with pytest.raises(InvalidRequest, match=f"rental {rid} is dan's, not bob's"):
            seeded.add_charge("bob", "1", "x", rental=rid, acting="ada")


class TestStatements:
    """Who sees which statement; a charge is in the period of the day it was charged on."""

    def test_members_see_their_own(self, seeded: rentcal.Rentcal) -> None:
        seeded.add_charge("bob", "3", "x", acting="ada")
        assert seeded.statement("2030-01", acting="bob").total == D("3.00")
        assert seeded.statement("2030-01", "bob", acting="ada").member == "bob"
        with pytest.raises(PermissionDenied, match="only admins can see the statement of 'bob'"):
            seeded.statement("2030-01", "bob", acting="dan")
        with pytest.raises(PermissionDenied, match="list every member's charges"):
            seeded.charges("2030-01", acting="bob")
        with pytest.raises(PermissionDenied):
            seeded.rental_charges(_approved(seeded, "saw", d(9), d(9)), acting="dan")
        assert seeded.statement("2030-02", acting="dan").charges == ()

    def test_a_statement_completes_what_ended_first(self, seeded: rentcal.Rentcal) -> None:
        _approved(seeded, "saw", d(9), d(9))
        later = rentcal.connect(
            seeded.store.url,
            clock=make_clock(datetime(2030, 1, 12, 9, tzinfo=UTC)),
            busy_timeout=BUSY_TIMEOUT,
        )
        with later:
            found = later.statement("2030-01", "bob", acting="ada")
        assert [(c.kind, c.charged_on) for c in found.charges] == [(ChargeKind.USE, d(12))]


def _at(url: str, moment: datetime, zone: str = "UTC") -> rentcal.Rentcal:
    return rentcal.connect(url, clock=make_clock(moment), busy_timeout=BUSY_TIMEOUT, timezone=zone)


@BOTH
class TestPeriods:
    """Month, year and time-zone boundaries: each charge in exactly one period."""

    def test_december_ending_charged_in_january_only(self, db_url: str) -> None:
        with _at(db_url, datetime(2029, 12, 20, 12, tzinfo=UTC)) as cal:
            seed(cal)
            rid = _approved(
                cal, "saw", date(2029, 12, 30), date(2029, 12, 31), today=date(2029, 12, 20)
            )
        with _at(db_url, datetime(2030, 1, 1, 8, tzinfo=UTC)) as cal:
            cal.housekeeping()
            assert cal.statement("2029-12", "bob", acting="ada").charges == ()
            assert cal.statement("2029", "bob", acting="ada").total == D("0.00")
            [charge] = cal.statement("2030-01", "bob", acting="ada").charges
            assert (charge.rental_id, charge.charged_on) == (rid, date(2030, 1, 1))
            assert cal.statement("2030", "bob", acting="ada").total == D("31.00")

    @pytest.mark.parametrize(
        ("zone", "moment", "day"),
        [
            ("Europe/Berlin", datetime(2030, 1, 31, 23, 30, tzinfo=UTC), date(2030, 2, 1)),
            ("America/New_York", datetime(2030, 2, 1, 3, 0, tzinfo=UTC), date(2030, 1, 31)),
            ("Pacific/Kiritimati", datetime(2030, 12, 31, 10, 30, tzinfo=UTC), date(2031, 1, 1)),
        ],
    )
    def test_the_day_in_the_organisations_zone(
        self, db_url: str, zone: str, moment: datetime, day: date
    ) -> None:
        with _at(db_url, moment, zone) as cal:
            seed(cal)
            cal.set_timezone(zone, acting="ada")
            charge = cal.add_charge("bob", "7", "late fee", acting="ada")
            assert charge.charged_on == day
            month = f"{day.year:04d}-{day.month:02d}"
            assert [c.id for c in cal.statement(month, "bob", acting="ada").charges] == [charge.id]
            other = f"{moment.year:04d}-{moment.month:02d}"
            if other != month:
                assert cal.statement(other, "bob", acting="ada").charges == ()

    def test_twelve_months_add_up_to_the_year(self, db_url: str) -> None:
        with _at(db_url, datetime(2030, 1, 1, tzinfo=UTC)) as cal:
            seed(cal)
        for month in range(1, 13):
            for day in (1, 28):
                moment = datetime(2030, month, day, 23, 59, tzinfo=UTC)
                with _at(db_url, moment) as cal:
                    cal.add_charge("bob", f"{month}.{day:02d}", "x", acting="ada")
        with _at(db_url, datetime(2031, 1, 2, tzinfo=UTC)) as cal:
            months = [cal.statement(f"2030-{m:02d}", "bob", acting="ada") for m in range(1, 13)]
            year = cal.statement("2030", "bob", acting="ada")
            exported = cal.charges("2030", acting="ada")
        assert all(len(m.charges) == 2 for m in months)
        assert sum(m.total for m in months) == year.total == D("159.48")
        assert [c.id for m in months for c in m.charges] == [c.id for c in exported]


@BOTH
class TestLedgerGuards:
    """The database keeps the ledger append-only and refuses a second charge of an end."""

    def _charged(self, cal: rentcal.Rentcal) -> int:
        rid = _approved(cal, "saw", d(9), d(9))
        cal.complete(rid, acting="ada", today=d(9))
        return rid

    @pytest.mark.parametrize(
        "sql",
        ["UPDATE charge SET amount = 0", "DELETE FROM charge", "UPDATE charge SET reason='x'"],
    )
    def test_no_update_no_delete(self, seeded: rentcal.Rentcal, sql: str) -> None:
        rid = self._charged(seeded)
        engine = _engine(seeded)
        try:
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()
        [charge] = seeded.rental_charges(rid, acting="ada")
        assert charge.amount == D("15.50")

    def test_a_second_charge_of_an_end_is_refused(self, seeded: rentcal.Rentcal) -> None:
        rid = self._charged(seeded)
        insert = sa.text(
            "INSERT INTO charge (member_id, rental_id, kind, charged_at, charged_on, amount) "
            "VALUES (2, :r, :k, '2030-01-09 12:00:00+00', '2030-01-09', 1)"
        )
        engine = _engine(seeded)
        try:
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(insert, {"r": rid, "k": "use"})
            with engine.begin() as conn:  # one late cancellation may stand beside it
                conn.execute(insert, {"r": rid, "k": "late_cancellation"})
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(insert, {"r": rid, "k": "late_cancellation"})
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(insert, {"r": None, "k": "use"})  # a use names its rental
        finally:
            engine.dispose()
        for _ in range(2):  # corrections about the rental: as many as needed
            seeded.add_charge("bob", "1", "again", rental=rid, acting="ada")
        assert sorted(_kinds(seeded, rid)) == [
            "correction",
            "correction",
            "late_cancellation",
            "use",
        ]

    def test_the_service_reports_a_refused_second_charge(self, seeded: rentcal.Rentcal) -> None:
        rid = self._charged(seeded)
        cases = seeded._cases

        def again(conn: sa.Connection) -> None:
            cases.charging.charge_use(
                conn, cases.context.get_rental(conn, rid), today=d(9), actor_id=None
            )

        with pytest.raises(InvalidTransition, match=f"rental {rid} already has a use charge"):
            seeded._context.write(again)
        assert _kinds(seeded, rid) == ["use"]


@BOTH
def test_the_previous_release_upgrades_in_place(db_url: str) -> None:
    """A database at the revision before 0016 (made by the previous release) upgrades:
    its rows stay, its machines and rentals have no unit price or minimum, what
    completed before is not charged, what completes afterwards is."""
    from alembic import command

    from rentcal.db.migrations import runner

    previous = schema.REVISIONS[schema.REVISIONS.index("0016_charges") - 1]
    with _at(db_url, datetime(2030, 1, 9, 12, tzinfo=UTC)) as cal:
        seed(cal)
        done = _approved(cal, "saw", d(9), d(9))
        cal.complete(done, acting="ada", today=d(9))
        open_one = _approved(cal, "tractor", d(10), d(11))
        members = cal.members()
    engine = sa.create_engine(resolve_url(db_url))
    try:
        with engine.begin() as conn:
            cfg = runner.config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, previous)
            names = set(sa.inspect(conn).get_table_names())
            assert "charge" not in names
    finally:
        engine.dispose()
    with _at(db_url, datetime(2030, 1, 15, 12, tzinfo=UTC)) as cal:
        assert cal.members() == members
        assert cal.machine("tractor").unit_price is None
        assert cal.rental(done).status is RentalStatus.COMPLETED
        assert _kinds(cal, done) == []  # history from before the upgrade
        cal.housekeeping()
        [charge] = cal.rental_charges(open_one, acting="ada")
        assert (charge.amount, charge.charged_on) == (D("240.00"), d(15))
    state: Callable[[sa.Connection], object] = lambda conn: conn.exec_driver_sql(  # noqa: E731
        "SELECT version_num FROM alembic_version"
    ).scalar()
    engine = sa.create_engine(resolve_url(db_url))
    try:
        with engine.connect() as conn:
            assert state(conn) == schema.HEAD
    finally:
        engine.dispose()


@SQLITE_ONLY
def test_machines_keep_their_prices(seeded: rentcal.Rentcal) -> None:
    added = seeded.add_machine(
        "rig", daily_price="10", unit_price="0.25", minimum_charge="5", acting="ada"
    )
    assert (added.unit_price, added.minimum_charge) == (D("0.25"), D("5.00"))
    assert seeded.machine("rig").as_dict()["unit_price"] == "0.25"
    edited = seeded.edit_machine("rig", acting="ada", unit_price=None, minimum_charge="7")
    assert [(c.field, c.old, c.new) for c in edited.changes] == [
        ("unit_price", "0.25", None),
        ("minimum_charge", "5.00", "7.00"),
    ]
    with pytest.raises(InvalidRequest, match="unit price -1 is negative"):
        seeded.edit_machine("rig", acting="ada", unit_price="-1")
