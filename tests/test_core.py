"""The pure core: the overlap rule, conflicts, free windows, prices, transitions."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rentcal.core.availability import Conflict, availability, find_conflicts, free_windows
from rentcal.core.pricing import parse_amount, rental_price
from rentcal.core.ranges import DateRange, day_count, iter_days, overlaps, validate_range
from rentcal.core.transitions import Action, allowed_actions, next_status
from rentcal.core.types import ConflictKind, RentalStatus
from rentcal.errors import InvalidRequest, InvalidTransition
from tests.conftest import d

OVERLAP_CASES = [
    pytest.param(d(10), d(14), d(14), d(20), True, id="touching-last-day"),
    pytest.param(d(10), d(14), d(15), d(20), False, id="adjacent-next-day"),
    pytest.param(d(10), d(14), d(1), d(9), False, id="adjacent-previous-day"),
    pytest.param(d(10), d(14), d(1), d(10), True, id="touching-first-day"),
    pytest.param(d(10), d(20), d(12), d(13), True, id="containment"),
    pytest.param(d(12), d(13), d(10), d(20), True, id="contained"),
    pytest.param(d(10), d(10), d(10), d(10), True, id="same-one-day"),
    pytest.param(d(10), d(10), d(11), d(11), False, id="consecutive-one-day"),
    pytest.param(d(10), d(14), d(10), d(14), True, id="identical"),
    pytest.param(d(1), d(31), d(31), d(31), True, id="one-day-at-end"),
]


class TestOverlapRule:
    """Inclusive ranges overlap when a.start <= b.end and b.start <= a.end."""

    @pytest.mark.parametrize(("a_start", "a_end", "b_start", "b_end", "expected"), OVERLAP_CASES)
    def test_table(
        self, a_start: date, a_end: date, b_start: date, b_end: date, expected: bool
    ) -> None:
        assert overlaps(a_start, a_end, b_start, b_end) is expected
        assert overlaps(b_start, b_end, a_start, a_end) is expected

    @given(
        st.dates(max_value=date(9000, 1, 1)),
        st.integers(0, 60),
        st.dates(max_value=date(9000, 1, 1)),
        st.integers(0, 60),
    )
    def test_symmetric_and_equals_shared_days(
        self, a: date, a_len: int, b: date, b_len: int
    ) -> None:
        a_end = a + timedelta(days=a_len)
        b_end = b + timedelta(days=b_len)
        shared = set(iter_days(a, a_end)) & set(iter_days(b, b_end))
        assert overlaps(a, a_end, b, b_end) == overlaps(b, b_end, a, a_end) == bool(shared)


class TestRanges:
    """Validation and arithmetic of inclusive ranges."""

    def test_one_day_range_has_one_day(self) -> None:
        assert day_count(d(10), d(10)) == 1
        assert DateRange(d(10), d(12)).days == 3
        assert list(DateRange(d(10), d(11))) == [d(10), d(11)]
        assert d(12) in DateRange(d(10), d(12))
        assert d(13) not in DateRange(d(10), d(12))

    @pytest.mark.parametrize(
        ("start", "end", "today", "message"),
        [
            pytest.param(
                d(12), d(10), None, "end date 2030-01-10 is before start date 2030-01-12", id="end"
            ),
            pytest.param(
                d(8),
                d(10),
                d(9),
                "start date 2030-01-08 is in the past (today is 2030-01-09)",
                id="past",
            ),
            pytest.param(
                "2030-01-10", d(10), None, "start date '2030-01-10' is not a date", id="str"
            ),
        ],
    )
    def test_refusals_name_the_value(
        self, start: date, end: date, today: date | None, message: str
    ) -> None:
        with pytest.raises(InvalidRequest) as info:
            validate_range(start, end, today)
        assert str(info.value) == message

    def test_today_itself_is_bookable(self) -> None:
        validate_range(d(9), d(9), d(9))


def _spans(draw_spans: list[tuple[int, int, int]]) -> list[Conflict]:
    base = d(1)
    return [
        Conflict(
            ConflictKind.RENTAL if i % 2 else ConflictKind.MAINTENANCE,
            i,
            base + timedelta(days=s),
            base + timedelta(days=s + n),
            "pending",
        )
        for i, (s, n, _) in enumerate(draw_spans, start=1)
    ]


span_lists = st.lists(st.tuples(st.integers(0, 80), st.integers(0, 15), st.just(0)), max_size=12)


class TestConflicts:
    """find_conflicts and free_windows agree with brute force."""

    @given(span_lists, st.integers(0, 90), st.integers(0, 20))
    def test_conflicts_equal_brute_force(
        self, raw: list[tuple[int, int, int]], offset: int, length: int
    ) -> None:
        spans = _spans(raw)
        start = d(1) + timedelta(days=offset)
        end = start + timedelta(days=length)
        wanted = set(iter_days(start, end))
        brute = {c for c in spans if wanted & set(iter_days(c.start, c.end))}
        assert set(find_conflicts(start, end, spans)) == brute

    @given(span_lists, st.integers(0, 60), st.integers(0, 40), st.integers(1, 5))
    def test_free_windows_and_busy_days_cover_the_window(
        self, raw: list[tuple[int, int, int]], offset: int, length: int, min_days: int
    ) -> None:
        spans = _spans(raw)
        start = d(1) + timedelta(days=offset)
        end = start + timedelta(days=length)
        window = set(iter_days(start, end))
        busy = {day for c in spans for day in iter_days(c.start, c.end)} & window
        all_free = free_windows(start, end, [(c.start, c.end) for c in spans], 1)
        free_days = [day for s, e in all_free for day in iter_days(s, e)]
        assert len(free_days) == len(set(free_days))  # windows never overlap
        assert set(free_days) | busy == window
        assert not set(free_days) & busy
        # windows are maximal: the day before and after each one is busy or outside
        for s, e in all_free:
            assert s == start or s - timedelta(days=1) in busy
            assert e == end or e + timedelta(days=1) in busy
        long_ones = free_windows(start, end, [(c.start, c.end) for c in spans], min_days)
        assert long_ones == [(s, e) for s, e in all_free if day_count(s, e) >= min_days]

    def test_message_lists_conflicts(self) -> None:
        spans = [Conflict(ConflictKind.RENTAL, 7, d(10), d(12), "approved")]
        result = availability("tractor", d(12), d(14), spans)
        assert not result.available
        assert result.message == (
            "tractor is not available 2030-01-12..2030-01-14: "
            "rental 7 (approved) 2030-01-10..2030-01-12"
        )
        assert availability("tractor", d(13), d(14), spans).message == (
            "tractor is available 2030-01-13..2030-01-14 (2 days)"
        )

    def test_min_days_below_one_is_refused(self) -> None:
        with pytest.raises(InvalidRequest, match="minimum length 0 must be at least 1 day"):
            free_windows(d(1), d(2), [], 0)


class TestPrices:
    """Prices are days x daily price in cents; amounts are validated."""

    def test_price_counts_both_ends(self) -> None:
        assert rental_price(Decimal("120.50"), d(10), d(14)) == Decimal("602.50")
        assert rental_price(Decimal("0.00"), d(10), d(10)) == Decimal("0.00")

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            pytest.param("-1", "daily price -1 is negative", id="negative"),
            pytest.param("1.005", "daily price 1.005 has more than 2 decimal places", id="places"),
            pytest.param("ten", "daily price 'ten' is not a number", id="text"),
            pytest.param(1.5, "must be a Decimal or a string", id="float"),
            pytest.param("NaN", "is not a finite number", id="nan"),
            pytest.param("1e12", "is larger than", id="huge"),
            pytest.param("1e400", "is larger than", id="overflow"),
        ],
    )
    def test_bad_amounts(self, value: object, message: str) -> None:
        with pytest.raises(InvalidRequest, match=message):
            parse_amount(value)

    def test_good_amounts(self) -> None:
        assert parse_amount("120.5") == Decimal("120.50")
        assert parse_amount(7) == Decimal("7.00")
        assert str(parse_amount(Decimal("0"))) == "0.00"


#: The whole status table, written out: (status, action) -> new status, or
#: None for a refusal. Every one of the 5 x 4 pairs is listed, so the table
#: under test can neither gain nor lose a transition unnoticed.
EXPECTED_TRANSITIONS: dict[tuple[str, str], str | None] = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "cancel"): "cancelled",
    ("pending", "complete"): None,
    ("approved", "approve"): None,
    ("approved", "reject"): "rejected",
    ("approved", "cancel"): "cancelled",
    ("approved", "complete"): "completed",
    ("rejected", "approve"): None,
    ("rejected", "reject"): None,
    ("rejected", "cancel"): None,
    ("rejected", "complete"): None,
    ("cancelled", "approve"): None,
    ("cancelled", "reject"): None,
    ("cancelled", "cancel"): None,
    ("cancelled", "complete"): None,
    ("completed", "approve"): None,
    ("completed", "reject"): None,
    ("completed", "cancel"): None,
    ("completed", "complete"): None,
}


class TestTransitions:
    """The status table: everything not listed is an InvalidTransition."""

    def test_expected_table_covers_every_pair(self) -> None:
        pairs = {(s.value, a.value) for s in RentalStatus for a in Action}
        assert set(EXPECTED_TRANSITIONS) == pairs

    @pytest.mark.parametrize(
        ("status", "action", "expected"),
        [
            pytest.param(status, action, new, id=f"{status}-{action}")
            for (status, action), new in EXPECTED_TRANSITIONS.items()
        ],
    )
    def test_every_pair(self, status: str, action: str, expected: str | None) -> None:
        current, act = RentalStatus(status), Action(action)
        if expected is not None:
            assert next_status(1, current, act) is RentalStatus(expected)
            assert act in allowed_actions(current)
        else:
            with pytest.raises(InvalidTransition) as info:
                next_status(1, current, act)
            assert str(info.value) == f"cannot {action} rental 1: it is {status}"
            assert act not in allowed_actions(current)

    def test_cannot_cancel_after_the_end(self) -> None:
        with pytest.raises(InvalidTransition, match="it ended on 2030-01-08"):
            next_status(3, RentalStatus.APPROVED, Action.CANCEL, end=d(8), today=d(9))
        assert (
            next_status(3, RentalStatus.APPROVED, Action.CANCEL, end=d(9), today=d(9))
            is RentalStatus.CANCELLED
        )

    def test_terminal_statuses_allow_nothing(self) -> None:
        for status in (RentalStatus.REJECTED, RentalStatus.CANCELLED, RentalStatus.COMPLETED):
            assert allowed_actions(status) == []


def test_enums_compare_equal_to_their_values() -> None:
    assert RentalStatus.APPROVED == "approved"
    assert str(RentalStatus.APPROVED) == "approved"


def test_core_imports_without_sqlalchemy() -> None:
    code = (
        "import sys, rentcal, rentcal.core.availability, rentcal.core.transitions, "
        "rentcal.core.pricing, rentcal.core.values, rentcal.core.validate\n"
        "bad = [m for m in ('sqlalchemy', 'sqlmodel', 'icalendar') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
