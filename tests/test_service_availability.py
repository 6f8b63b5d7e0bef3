"""check, check_many and free_windows (rentcal.service.availability)."""

from __future__ import annotations

from datetime import date

import pytest

import rentcal
from rentcal import (
    InvalidRequest,
    NotFound,
)
from tests.conftest import BOTH, TODAY, d, make_clock

pytestmark = BOTH

T = {"today": TODAY}


class TestCheck:
    """check() answers; only bad requests raise."""

    def test_available_then_conflict(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.check("tractor", d(10), d(14), **T).available
        r = seeded.book("tractor", d(10), d(14), member="bob", **T)
        result = seeded.check("tractor", d(14), d(20), **T)
        assert not result
        assert [(c.kind, c.id, c.start, c.end, c.status) for c in result.conflicts] == [
            ("rental", r.id, d(10), d(14), "pending")
        ]
        assert seeded.check("tractor", d(15), d(20), **T).available

    @pytest.mark.parametrize(
        ("start", "end", "error", "message"),
        [
            pytest.param(
                d(12),
                d(10),
                InvalidRequest,
                "end date 2030-01-10 is before start date 2030-01-12",
                id="reversed",
            ),
            pytest.param(
                d(8), d(10), InvalidRequest, "start date 2030-01-08 is in the past", id="past"
            ),
        ],
    )
    def test_bad_requests(
        self, seeded: rentcal.Rentcal, start: date, end: date, error: type, message: str
    ) -> None:
        with pytest.raises(error, match=message):
            seeded.check("tractor", start, end, **T)

    def test_unknown_machine(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(NotFound, match="machine 'tractor-9' not found"):
            seeded.check("tractor-9", d(10), d(10), **T)

    def test_maintenance_blocks_and_cancelled_rentals_do_not(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        seeded.cancel(r.id, acting="bob", **T)
        m = seeded.add_maintenance("tractor", d(12), d(13), acting="ada", **T)
        conflicts = seeded.check("tractor", d(11), d(20), **T).conflicts
        assert [(c.kind, c.id) for c in conflicts] == [("maintenance", m.id)]
        seeded.cancel_maintenance(m.id, acting="ada")
        assert seeded.check("tractor", d(11), d(20), **T).available

    def test_uses_injected_clock_for_today(self, db_url: str) -> None:
        with rentcal.connect(db_url, clock=make_clock()) as cal:
            cal.add_member("ada", admin=True)
            cal.add_machine("t", daily_price="1", acting="ada")
            with pytest.raises(InvalidRequest, match="today is 2030-01-09"):
                cal.check("t", d(8), d(8))


class TestCheckMany:
    """Batch checks answer in order; bad requests yield errors in place."""

    def test_in_order_with_errors(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        passthrough = InvalidRequest("line 3: not JSON")
        requests = [
            ("tractor", d(12), d(13)),
            ("saw", d(12), d(13)),
            passthrough,
            ("nope", d(12), d(13)),
            ("tractor", d(5), d(6)),
            ("tractor", d(13), d(14)),
        ]
        answers = list(seeded.check_many(requests, chunk=2, **T))
        assert len(answers) == 6
        first = answers[0]
        assert isinstance(first, rentcal.Availability) and [c.id for c in first.conflicts] == [r.id]
        assert isinstance(answers[1], rentcal.Availability) and answers[1].available
        assert answers[2] is passthrough
        assert isinstance(answers[3], NotFound)
        assert isinstance(answers[4], InvalidRequest) and "in the past" in str(answers[4])
        assert isinstance(answers[5], rentcal.Availability) and answers[5].available


class TestFreeWindows:
    """free_windows() between blocks."""

    def test_free_windows(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        seeded.add_maintenance("tractor", d(20), d(21), acting="ada", **T)
        assert seeded.free_windows("tractor", d(9), d(25)) == [
            (d(9), d(9)),
            (d(13), d(19)),
            (d(22), d(25)),
        ]
        assert seeded.free_windows("tractor", d(9), d(25), min_days=2) == [
            (d(13), d(19)),
            (d(22), d(25)),
        ]
