"""Rentcal.utilisation: which rentals and blocks count, early ends, zones, retirements,
who may ask, and a fixed number of statements however much there is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import ArgumentTypeError, InvalidRequest, PermissionDenied, RentalStatus
from rentcal.core.utilisation import MonthUse, UtilisationReport
from rentcal.db import query_count
from rentcal.db.sql import utilisation as qu
from rentcal.imports import ImportRow
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, seed

pytestmark = BOTH

DEC, JAN = date(2029, 12, 1), date(2030, 1, 1)


def d(day: int, month: int = 12, year: int = 2029) -> date:
    return date(year, month, day)


class Clock:
    """A clock a test moves from day to day (one second further at each call)."""

    def __init__(self) -> None:
        self.at = datetime(2029, 12, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def set(self, day: date, hour: int = 12, minute: int = 0) -> None:
        self.at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(db_url: str, clock: Clock) -> Iterator[rentcal.Rentcal]:
    """The seeded members and machines, added on 1 December 2029 (UTC)."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT, timezone="UTC") as cal:
        yield seed(cal)


def month_of(found: UtilisationReport, machine: str, first: date = DEC) -> MonthUse:
    (one,) = [m for m in found.machines if m.machine == machine]
    (use,) = [u for u in one.months if u.month == first]
    return use


def counts(use: MonthUse) -> tuple[int, int, int, int, int]:
    """(days, maintenance, out of service, bookable, booked)."""
    return (
        use.days,
        use.maintenance_days,
        use.out_of_service_days,
        use.bookable_days,
        use.booked_days,
    )


def approved(cal: rentcal.Rentcal, machine: str, start: date, end: date, who: str = "bob") -> int:
    rental = cal.book(machine, start, end, member=who)
    if rental.status is RentalStatus.PENDING:
        cal.approve(rental.id, acting="ada")
    return rental.id


class TestWhatCounts:
    """Approved and completed rentals are booked; scheduled and done blocks are down."""

    def test_statuses(self, org: rentcal.Rentcal) -> None:
        approved(org, "tractor", d(3), d(5))
        org.book("tractor", d(10), d(11), member="bob")  # pending
        cancelled = org.book("tractor", d(12), d(13), member="bob")
        org.cancel(cancelled.id, acting="bob")
        rejected = org.book("tractor", d(14), d(14), member="dan")
        org.reject(rejected.id, acting="ada", reason="no")
        approved(org, "saw", d(3), d(4))  # the saw approves its bookings itself
        found = org.utilisation(month=DEC, acting="ada")
        assert counts(month_of(found, "tractor")) == (31, 0, 0, 31, 3)
        assert counts(month_of(found, "saw")) == (31, 0, 0, 31, 2)
        assert (found.total.booked_days, found.total.bookable_days) == (5, 62)
        assert month_of(found, "tractor").share == round(3 / 31, 4)

    def test_completed_early_counts_to_its_completion_day(
        self, org: rentcal.Rentcal, clock: Clock
    ) -> None:
        first = approved(org, "tractor", d(20), d(26))
        approved(org, "tractor", d(3), d(5))
        clock.set(d(22))
        org.complete(first, acting="ada")  # the 23rd to the 26th are free again
        approved(org, "tractor", d(23), d(24), who="dan")
        clock.set(d(5, 1, 2030))
        org.housekeeping()  # completes the rest, after their last day: no change
        assert {r.status for r in org.rentals(machine="tractor")} == {RentalStatus.COMPLETED}
        use = month_of(org.utilisation(month=DEC, acting="ada"), "tractor")
        assert use.booked_days == 3 + 5  # 3-5, 20-24 (20-22 and 23-24)

    def test_maintenance(self, org: rentcal.Rentcal, clock: Clock) -> None:
        org.add_maintenance("tractor", d(15), d(16), acting="ada")
        called_off = org.add_maintenance("tractor", d(17), d(17), acting="ada")
        org.cancel_maintenance(called_off.id, acting="ada")
        early = org.add_maintenance("tractor", d(27), d(31), acting="ada")
        approved(org, "tractor", d(10), d(12))
        clock.set(d(28))
        org.complete_maintenance(early.id, acting="ada")  # the 29th to the 31st are free
        approved(org, "tractor", d(30), d(31))
        use = month_of(org.utilisation(month=DEC, acting="ada"), "tractor")
        assert counts(use) == (31, 4, 0, 27, 5)  # down 15, 16, 27, 28

    def test_spanning_months(self, org: rentcal.Rentcal) -> None:
        approved(org, "tractor", d(29), d(2, 1, 2030))
        found = org.utilisation(month=JAN, months=2, acting="ada")
        assert [u.booked_days for u in found.machines[1].months] == [3, 2]
        assert found.machines[1].machine == "tractor"
        assert [t.booked_days for t in found.totals] == [3, 2]

    def test_imported_history_before_the_machine_was_added(self, org: rentcal.Rentcal) -> None:
        rows = [
            ImportRow(2, "tractor", "bob", d(3, 11), d(6, 11), RentalStatus.COMPLETED, None),
            ImportRow(3, "tractor", "dan", d(5, 11), d(9, 11), RentalStatus.COMPLETED, None),
        ]
        org.import_rentals(rows, acting="ada")
        found = org.utilisation(month=DEC, months=3, acting="ada")
        assert counts(month_of(found, "tractor", d(1, 11))) == (30, 0, 0, 30, 7)
        assert counts(month_of(found, "tractor", d(1, 10))) == (31, 0, 31, 0, 0)
        assert month_of(found, "saw", d(1, 11)).share is None


class TestUnitsAndCharges:
    """Units used and charges come from the ledger, in the month each was charged."""

    def test_a_check_in_and_a_completion(self, org: rentcal.Rentcal, clock: Clock) -> None:
        org.edit_machine("tractor", meter="hours", unit_price="2.00", acting="ada")
        out = approved(org, "tractor", d(3), d(5))
        late = approved(org, "tractor", d(30), d(31))
        org.checkout(out, meter="100", acting="ada", today=d(3))
        clock.set(d(5))
        org.checkin(out, meter="110.5", acting="ada", today=d(5))
        clock.set(d(2, 1, 2030))
        org.housekeeping()  # completes the second, charged on 2 January
        [first] = org.rental_charges(out, acting="ada")
        [second] = org.rental_charges(late, acting="ada")
        found = org.utilisation(month=JAN, months=2, acting="ada")
        dec, jan = month_of(found, "tractor", DEC), month_of(found, "tractor", JAN)
        assert (dec.units_used, dec.meter_unit, dec.charges) == (
            Decimal("10.50"),
            "hours",
            first.amount,
        )
        assert first.amount == first.days * first.day_rate + Decimal("21.00")
        assert (jan.units_used, jan.charges) == (Decimal(0), second.amount)
        saw = month_of(found, "saw", DEC)
        assert (saw.units_used, saw.meter_unit, saw.charges) == (None, None, Decimal("0.00"))


class TestInService:
    """Days before a machine was added and after it was retired are not bookable."""

    def test_added_mid_month(self, org: rentcal.Rentcal, clock: Clock) -> None:
        clock.set(d(10))
        org.add_machine("drill", daily_price="5", acting="ada")
        found = org.utilisation(month=DEC, acting="ada")
        assert counts(month_of(found, "drill")) == (31, 0, 9, 22, 0)

    def test_retired_mid_month(self, org: rentcal.Rentcal, clock: Clock) -> None:
        approved(org, "saw", d(20), d(21))
        clock.set(d(10))
        org.retire_machine("saw", acting="ada")  # the rental stands
        found = org.utilisation(month=JAN, months=2, acting="ada")
        assert counts(month_of(found, "saw")) == (31, 0, 19, 12, 2)  # 1-10, 20-21
        assert counts(month_of(found, "saw", JAN)) == (31, 0, 31, 0, 0)
        assert [m.machine for m in org.utilisation(month=JAN, months=1, acting="ada").machines] == [
            "tractor"
        ]
        clock.set(d(15, 1, 2030))
        org.reactivate_machine("saw", acting="ada")
        again = org.utilisation(month=JAN, months=1, acting="ada")
        assert counts(month_of(again, "saw", JAN)) == (31, 0, 14, 17, 0)


class TestTimeZone:
    """Days are the organisation's: an early end, a machine's first day, this month."""

    def test_days_in_the_zone(self, org: rentcal.Rentcal, clock: Clock) -> None:
        org.set_timezone("Pacific/Auckland", acting="ada")  # UTC+13 in December
        rental = approved(org, "tractor", d(20), d(26))
        clock.set(d(22), hour=11, minute=30)  # the 23rd, 00:30 in Auckland
        org.complete(rental, acting="ada")
        clock.set(d(31), hour=11, minute=30)  # 1 January in Auckland
        found = org.utilisation(acting="ada")
        assert found.month == JAN and found.timezone == "Pacific/Auckland"
        assert month_of(found, "tractor").booked_days == 4  # 20-23
        org.set_timezone("UTC", acting="ada")
        assert org.utilisation(acting="ada").month == DEC

    def test_today_names_this_month(self, org: rentcal.Rentcal) -> None:
        found = org.utilisation(acting="ada", today=date(2030, 3, 31))
        assert (found.month, len(found.months)) == (date(2030, 3, 1), 12)
        assert found.months[0] == date(2029, 4, 1)


class TestWhoMayAsk:
    """Admins only: the report holds every member's bookings and the charges."""

    @pytest.mark.parametrize(
        ("acting", "reason"), [("bob", "not-admin"), (None, "no-actor")], ids=["member", "nobody"]
    )
    def test_refused(self, org: rentcal.Rentcal, acting: str | None, reason: str) -> None:
        with pytest.raises(PermissionDenied) as info:
            org.utilisation(acting=acting)
        assert info.value.reason == reason

    def test_arguments(self, org: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match=r"month 2030-01-15 is not the first day") as bad:
            org.utilisation(month=date(2030, 1, 15), acting="ada")
        assert (bad.value.field, bad.value.reason) == ("month", "not-first-day")
        with pytest.raises(ArgumentTypeError, match="month must be"):
            org.utilisation(month="2030-01", acting="ada")  # type: ignore[arg-type]
        for months in (0, 37):
            with pytest.raises(InvalidRequest) as info:
                org.utilisation(months=months, acting="ada")
            assert info.value.field == "months"


class TestStatements:
    """A fixed, small number of statements: not one per machine, month or rental."""

    def _count(self, cal: rentcal.Rentcal, months: int) -> int:
        cal.utilisation(month=JAN, months=months, acting="ada")  # the zone and currency cached
        counter = query_count.start()
        try:
            cal.utilisation(month=JAN, months=months, acting="ada")
        finally:
            query_count.stop()
        return counter.value

    def test_fixed(self, org: rentcal.Rentcal, clock: Clock) -> None:
        few = self._count(org, 1)
        assert 4 <= few <= 8, few  # the machines, status changes, rentals, maintenance (+ who asks)
        assert self._count(org, 36) == few
        for n in range(6):
            org.add_machine(f"mower-{n}", daily_price="10", acting="ada")
            for week in range(0, 8, 2):
                approved(org, f"mower-{n}", d(2 + 7 * week // 2), d(3 + 7 * week // 2))
        org.add_maintenance("mower-0", d(25), d(26), acting="ada")
        org.retire_machine("mower-5", acting="ada")
        clock.set(d(6, 1, 2030))
        org.housekeeping()
        assert self._count(org, 12) == few


@SQLITE_ONLY  # SQLite's plan words
def test_the_window_is_a_bounded_read(org: rentcal.Rentcal) -> None:
    """The rentals are sought by (status, end day) from the window's first day: no rental
    ending before it is read; completion days by rental id."""
    engine = org.store.engine
    ran: list[tuple[str, Any]] = []

    def grab(_conn: object, _cursor: object, statement: str, params: Any, *_: object) -> None:
        ran.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        with engine.connect() as conn:
            qu.booked(conn, DEC, d(31))
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    ((statement, params),) = [(s, p) for s, p in ran if "FROM rental" in s]
    with engine.connect() as conn:
        plan = [
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        ]
    reads = [p for p in plan if re.match(r"(SEARCH|SCAN) (rental|rental_history)\b", p)]
    assert reads == [
        "SEARCH rental USING INDEX ix_rental_status_end (status=? AND end_date>?)",
        "SEARCH rental_history USING INDEX ix_rental_history_rental_id (rental_id=?)",
    ], plan
