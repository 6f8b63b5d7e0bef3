"""rentcal.db.sql: the O(log n) seek agrees with THE rule; rows map onto values."""

from __future__ import annotations

import rentcal
from rentcal import (
    Unavailable,
)
from tests.conftest import BOTH, TODAY

pytestmark = BOTH

T = {"today": TODAY}


class TestSqlAgreesWithPureRule:
    """The O(log n) seek query finds exactly what the pure overlap rule finds."""

    def test_seek_equals_brute_force(self, seeded: rentcal.Rentcal) -> None:
        import random
        from datetime import timedelta

        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        from rentcal.core.ranges import overlaps

        rng = random.Random(7)
        for _ in range(120):
            start = TODAY + timedelta(days=rng.randrange(200))
            end = start + timedelta(days=rng.randrange(6))
            try:
                r = seeded.book("tractor", start, end, member="bob", **T)
            except Unavailable:
                continue
            if rng.random() < 0.3:
                seeded.cancel(r.id, acting="ada", **T)
        for _ in range(15):
            start = TODAY + timedelta(days=rng.randrange(200))
            try:
                seeded.add_maintenance("tractor", start, start, acting="ada", force=True, **T)
            except Unavailable:
                continue
        blocking = [r for r in seeded.rentals(machine="tractor") if r.blocking]
        upkeep = seeded.maintenance(machine="tractor", status="scheduled")
        assert len(blocking) >= 20 and len(upkeep) >= 5  # the comparison is not vacuous

        @settings(
            max_examples=150,
            deadline=None,  # no timing in a pass/fail test: a loaded machine is not a bug
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(st.integers(-5, 210), st.integers(0, 12))
        def check(offset: int, length: int) -> None:
            start = TODAY + timedelta(days=max(offset, 0))
            end = start + timedelta(days=length)
            got = {(c.kind.value, c.id) for c in seeded.check("tractor", start, end, **T).conflicts}
            want = {("rental", r.id) for r in blocking if overlaps(start, end, r.start, r.end)}
            want |= {("maintenance", m.id) for m in upkeep if overlaps(start, end, m.start, m.end)}
            assert got == want

        check()


def test_rental_select_matches_value_fields() -> None:
    """Rows unpack positionally into Rental: the column order must follow its fields."""
    import dataclasses

    from rentcal.db import sql as queries

    names = [c.name for c in queries.RENTAL_SELECT.selected_columns]
    fields = [f.name for f in dataclasses.fields(rentcal.Rental)]
    renamed = {
        "machine_name": "machine",
        "member_handle": "member",
        "start_date": "start",
        "end_date": "end",
        "changer_handle": "status_changed_by",
    }
    assert [renamed.get(n, n) for n in names] == fields
