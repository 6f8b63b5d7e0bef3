"""rentcal.core.utilisation: booked over bookable days, counted day by day (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rentcal.core.types import MachineStatus
from rentcal.core.utilisation import (
    MachineUse,
    MonthUse,
    month_end,
    month_key,
    month_use,
    months_ending,
    report,
    retired_ranges,
)

JAN, FEB = date(2030, 1, 1), date(2030, 2, 1)


def d(day: int, month: int = 1, year: int = 2030) -> date:
    return date(year, month, day)


def counts(use: MonthUse) -> tuple[int, int, int, int, int]:
    """(days, maintenance, out of service, bookable, booked)."""
    return (
        use.days,
        use.maintenance_days,
        use.out_of_service_days,
        use.bookable_days,
        use.booked_days,
    )


class TestBookedDays:
    """Each day with a booking counts once; maintenance days count for neither side."""

    def test_overlapping_rentals_count_each_day_once(self) -> None:
        # a rental completed early, its freed days booked again: both cover the 12th-14th
        use = month_use(JAN, [(d(10), d(14)), (d(12), d(16)), (d(14), d(14))])
        assert counts(use) == (31, 0, 0, 31, 7)
        assert use.share == round(7 / 31, 4)

    def test_maintenance_is_excluded_from_both(self) -> None:
        use = month_use(JAN, [(d(1), d(10))], [(d(8), d(12)), (d(11), d(13))])
        assert counts(use) == (31, 6, 0, 25, 7)  # booked 1-7; 8-13 down

    def test_nothing_booked(self) -> None:
        use = month_use(JAN, [])
        assert (use.booked_days, use.bookable_days, use.share) == (0, 31, 0.0)

    def test_whole_month_in_maintenance_has_no_share(self) -> None:
        use = month_use(JAN, [(d(3), d(4))], [(d(31, 12, 2029), d(1, 2))])
        assert counts(use) == (31, 31, 0, 0, 0)
        assert use.share is None


class TestMonthBoundaries:
    """Ranges are clipped to the month; one spanning months is split between them."""

    def test_a_rental_spanning_months_is_split(self) -> None:
        rentals = [(d(28), d(3, 2))]
        assert month_use(JAN, rentals).booked_days == 4  # 28, 29, 30, 31
        assert month_use(FEB, rentals).booked_days == 3  # 1, 2, 3
        assert month_use(date(2029, 12, 1), rentals).booked_days == 0

    def test_first_and_last_days(self) -> None:
        assert month_use(JAN, [(d(25, 12, 2029), d(1))]).booked_days == 1
        assert month_use(JAN, [(d(31), d(5, 2))]).booked_days == 1
        assert month_use(JAN, [(d(1, 2), d(2, 2))]).booked_days == 0
        assert month_use(JAN, [(d(1, 12, 2029), d(31, 12, 2029))]).booked_days == 0

    def test_a_year_long_rental(self) -> None:
        rentals = [(d(15, 6, 2029), d(15, 6, 2030))]
        assert [month_use(m, rentals).booked_days for m in (date(2029, 6, 1), JAN)] == [16, 31]

    @pytest.mark.parametrize(
        ("year", "days"),
        [(2032, 29), (2030, 28), (2000, 29), (2100, 28)],
        ids=["leap", "common", "leap-400", "not-leap-100"],
    )
    def test_february(self, year: int, days: int) -> None:
        feb = date(year, 2, 1)
        use = month_use(feb, [(date(year, 1, 30), date(year, 3, 2))])
        assert (use.days, use.booked_days, use.share) == (days, days, 1.0)
        assert month_end(feb) == date(year, 2, days)

    def test_the_ends_of_the_calendar(self) -> None:
        last = date(9999, 12, 1)
        assert month_use(last, [(date(9999, 12, 30), date.max)]).booked_days == 2
        assert months_ending(date(1, 2, 1), 12) == (date(1, 1, 1), date(1, 2, 1))


class TestInService:
    """Days before a machine was added, and after it was retired, are not bookable."""

    def test_added_mid_month(self) -> None:
        use = month_use(JAN, [(d(20), d(21))], added=d(10))
        assert counts(use) == (31, 0, 9, 22, 2)
        assert month_use(FEB, [], added=d(10)).out_of_service_days == 0
        assert month_use(date(2029, 12, 1), [], added=d(10)).bookable_days == 0

    def test_booked_before_it_was_added_counts_the_whole_month(self) -> None:
        """History imported from elsewhere: the machine was there before rentcal knew it."""
        use = month_use(JAN, [(d(2), d(3))], added=d(10))
        assert counts(use) == (31, 0, 0, 31, 2)

    def test_retired_mid_month(self) -> None:
        retired = retired_ranges([(d(20), MachineStatus.RETIRED)])
        assert retired == [(d(21), date.max)]
        use = month_use(JAN, [(d(5), d(6))], retired=retired)
        assert counts(use) == (31, 0, 11, 20, 2)  # bookable 1-20: the 20th itself still was
        assert month_use(FEB, [], retired=retired).bookable_days == 0

    def test_a_rental_that_stands_after_the_retirement_was_used(self) -> None:
        retired = retired_ranges([(d(20), MachineStatus.RETIRED)])
        use = month_use(JAN, [(d(18), d(24))], retired=retired)
        assert counts(use) == (31, 0, 7, 24, 7)  # 21-24 bookable because booked
        assert use.booked_days <= use.bookable_days

    def test_reactivated(self) -> None:
        changes = [
            (d(10), MachineStatus.RETIRED),
            (d(15), MachineStatus.ACTIVE),
            (d(20), MachineStatus.RETIRED),
            (d(21), MachineStatus.ACTIVE),  # back the next day: never out for a whole day
            (d(25), MachineStatus.RETIRED),
            (d(25), MachineStatus.ACTIVE),
        ]
        assert retired_ranges(changes) == [(d(11), d(14))]
        assert month_use(JAN, [], retired=retired_ranges(changes)).out_of_service_days == 4

    def test_a_reactivation_of_an_unknown_retirement_is_ignored(self) -> None:
        assert retired_ranges([(d(5), MachineStatus.ACTIVE)]) == []


class TestMonths:
    def test_months_ending(self) -> None:
        got = [month_key(m) for m in months_ending(d(1, 2), 12)]
        assert got == ["2029-03", *[f"2029-{m:02d}" for m in range(4, 13)], "2030-01", "2030-02"]
        assert months_ending(JAN, 1) == (JAN,)


class TestReport:
    """Machines without a bookable day are left out; totals sum the machines."""

    def test_totals_and_shape(self) -> None:
        window = months_ending(JAN, 2)
        busy = MachineUse(
            "tractor",
            "Tractor",
            MachineStatus.ACTIVE,
            tuple(
                month_use(m, [(d(30, 12, 2029), d(2))], charges=Decimal("12.50")) for m in window
            ),
        )
        idle = MachineUse(
            "saw", "Saw", MachineStatus.ACTIVE, tuple(month_use(m, [], added=d(10)) for m in window)
        )
        gone = MachineUse(
            "old",
            "Old",
            MachineStatus.RETIRED,
            tuple(month_use(m, [], retired=[(d(1, 11, 2029), date.max)]) for m in window),
        )
        found = report(JAN, window, [busy, gone, idle], timezone="UTC", currency="EUR")
        assert [m.machine for m in found.machines] == ["tractor", "saw"]
        assert counts(found.total) == (62, 0, 9, 53, 2)
        assert found.total.charges == Decimal("12.50")
        assert [t.bookable_days for t in found.totals] == [31, 53]
        shape = found.as_dict()
        assert shape["months"] == ["2029-12", "2030-01"]
        assert (shape["start"], shape["end"], shape["currency"]) == (
            "2030-01-01",
            "2030-01-31",
            "EUR",
        )
        first = shape["machines"][0]
        assert first["machine"] == "tractor" and first["booked_days"] == 2
        assert first["share"] == round(2 / 31, 4)
        assert (first["units_used"], first["meter_unit"], first["charges"]) == (None, None, "12.50")
        assert [m["month"] for m in first["months"]] == ["2029-12", "2030-01"]
        total = shape["total"]
        assert "units_used" not in total and "month" not in total
        assert (total["bookable_days"], total["booked_days"], total["charges"]) == (53, 2, "12.50")
        assert [t["booked_days"] for t in total["months"]] == [2, 2]

    def test_units_pass_through(self) -> None:
        use = month_use(JAN, [], units_used=Decimal("12.5"), meter_unit="h")
        assert use.as_dict()["units_used"] == "12.5" and use.meter_unit == "h"


# -- the counts agree with counting day by day -------------------------------------------

RANGE = st.tuples(st.integers(-40, 70), st.integers(0, 45))


def _ranges(pairs: list[tuple[int, int]]) -> list[tuple[date, date]]:
    return [(JAN + timedelta(days=s), JAN + timedelta(days=s + n)) for s, n in pairs]


@given(
    st.lists(RANGE, max_size=6),
    st.lists(RANGE, max_size=3),
    st.one_of(st.none(), st.integers(-40, 70)),
    st.lists(st.tuples(st.integers(-40, 70), st.booleans()), max_size=4),
    st.sampled_from([JAN, FEB, date(2029, 12, 1)]),
)
def test_agrees_with_counting_day_by_day(
    booked: list[tuple[int, int]],
    down: list[tuple[int, int]],
    added: int | None,
    changes: list[tuple[int, bool]],
    month: date,
) -> None:
    rentals, upkeep = _ranges(booked), _ranges(down)
    added_day = None if added is None else JAN + timedelta(days=added)
    flips = sorted(
        (JAN + timedelta(days=n), MachineStatus.RETIRED if r else MachineStatus.ACTIVE)
        for n, r in changes
    )
    retired = retired_ranges(flips)
    use = month_use(month, rentals, upkeep, added=added_day, retired=retired)

    def within(day: date, ranges: list[tuple[date, date]]) -> bool:
        return any(a <= day <= b for a, b in ranges)

    days = [month + timedelta(days=i) for i in range((month_end(month) - month).days + 1)]
    is_down = {x for x in days if within(x, upkeep)}
    is_booked = {x for x in days if within(x, rentals) and x not in is_down}
    early = added_day is not None and any(x < added_day for x in is_booked)
    away = {
        x
        for x in days
        if within(x, retired) or (added_day is not None and x < added_day and not early)
    }
    bookable = {x for x in days if x not in is_down and x not in away} | is_booked
    assert counts(use) == (
        len(days),
        len(is_down),
        len(days) - len(is_down) - len(bookable),
        len(bookable),
        len(is_booked),
    )
    assert 0 <= use.booked_days <= use.bookable_days
