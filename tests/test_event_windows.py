"""One machine's events in a window: check's seek returns exactly what the general finders do.

``rentcal.db.sql.windows`` answers the hot feed (one machine, what occupies it,
a window) from the partial indexes instead of ``find_rentals`` /
``find_maintenance``. These tests hold the two to the same rows in the same
order on random histories, and hold the new statements to a bounded plan.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

import rentcal
from rentcal.core.ranges import overlaps
from rentcal.core.types import (
    BLOCKING_MAINTENANCE_STATUSES,
    BLOCKING_RENTAL_STATUSES,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
)
from rentcal.db import sql as q
from rentcal.db.rows import NewMaintenance, NewRental
from rentcal.db.sql import windows as qw
from rentcal.db.tables import maintenance_t, rental_t
from tests.conftest import BOTH, SQLITE_ONLY, TODAY

# The statements are compiled per dialect (booleans, LIMIT in a union, date binds)
# and the guards that make the seek exact differ (triggers vs exclusion constraints).
pytestmark = BOTH

T = {"today": TODAY}
STAMP = datetime(2030, 1, 1, tzinfo=UTC)

#: (machine 0/1, first day offset, length in days - 1, status, queued, member 0..3)
rental_rows = st.tuples(
    st.integers(0, 1),
    st.integers(-30, 60),
    st.one_of(st.integers(0, 6), st.integers(0, 60)),  # imported history may be long
    st.sampled_from(list(RentalStatus)),
    st.booleans(),
    st.integers(0, 3),
)
#: (machine 0/1, first day offset, length - 1, status)
upkeep_rows = st.tuples(
    st.integers(0, 1),
    st.integers(-30, 60),
    st.one_of(st.integers(0, 4), st.integers(0, 40)),
    st.sampled_from(list(MaintenanceStatus)),
)
#: (first day offset, length - 1, open-ended: the feed without an end day)
windows = st.tuples(st.integers(-40, 80), st.integers(0, 45), st.booleans())


def _blocks(status: Any, queued: bool = False) -> bool:
    return status in BLOCKING_RENTAL_STATUSES and not queued


def _store_history(
    conn: Connection,
    machines: list[int],
    members: list[int],
    rentals: list[tuple[int, int, int, RentalStatus, bool, int]],
    upkeep: list[tuple[int, int, int, MaintenanceStatus]],
) -> None:
    """Replace every rental and maintenance row by these; a blocking row that would
    overlap an earlier blocking one of its machine is stored as history instead
    (the guards refuse what the service never writes)."""
    conn.execute(sa.delete(maintenance_t))
    conn.execute(sa.delete(rental_t))
    taken: dict[tuple[str, int], list[tuple[date, date]]] = {}
    new_rentals: list[NewRental] = []
    for i, (m, offset, length, status, queued, who) in enumerate(rentals):
        first = TODAY + timedelta(days=offset)
        last = first + timedelta(days=length)
        days = taken.setdefault(("rental", m), [])
        if _blocks(status, queued):
            if any(overlaps(first, last, a, b) for a, b in days):
                status = RentalStatus.COMPLETED
            else:
                days.append((first, last))
        new_rentals.append(
            {
                "uid": f"r{i}",
                "machine_id": machines[m],
                "member_id": members[who],
                "start_date": first,
                "end_date": last,
                "status": status,
                "purpose": None,
                "price": Decimal("1.00"),
                "created_at": STAMP,
                "updated_at": STAMP,
                "sequence": 0,
                "status_changed_by_id": None,
                "reason": None,
                "queued": queued,
            }
        )
    new_upkeep: list[NewMaintenance] = []
    for i, (m, offset, length, status) in enumerate(upkeep):
        first = TODAY + timedelta(days=offset)
        last = first + timedelta(days=length)
        days = taken.setdefault(("maintenance", m), [])
        if status in BLOCKING_MAINTENANCE_STATUSES:
            if any(overlaps(first, last, a, b) for a, b in days):
                status = MaintenanceStatus.DONE
            else:
                days.append((first, last))
        new_upkeep.append(
            {
                "uid": f"m{i}",
                "machine_id": machines[m],
                "start_date": first,
                "end_date": last,
                "kind": MaintenanceKind.REPAIR,
                "status": status,
                "notes": None,
                "created_by_id": None,
                "created_at": STAMP,
                "updated_at": STAMP,
                "sequence": 0,
            }
        )
    if new_rentals:
        q.insert_rentals(conn, new_rentals)
    if new_upkeep:
        q.insert_maintenance_rows(conn, new_upkeep)


class TestSameRowsAsTheFinders:
    """On random histories and windows, the bounded statements return the general
    finders' rows for one machine's blocking statuses: same rows, order and values."""

    def test_random_histories_and_windows(self, seeded: rentcal.Rentcal) -> None:
        engine = seeded.store.engine
        with engine.connect() as conn:
            machines = [q.machine_row(conn, n).id for n in ("tractor", "saw")]
            members = [q.member_row(conn, h).id for h in ("ada", "bob", "dan", "carol")]
        seen: Counter[str] = Counter()

        @settings(
            max_examples=60,
            deadline=None,  # no timing in a pass/fail test
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(
            st.lists(rental_rows, max_size=40),
            st.lists(upkeep_rows, max_size=12),
            st.lists(windows, min_size=1, max_size=8),
        )
        # every kind of row the coverage check below asks for, whatever is generated
        @example(
            [
                (0, 0, 9, RentalStatus.APPROVED, False, 1),  # reaches in from before
                (0, 2, 9, RentalStatus.PENDING, True, 2),  # queued, from before
            ],
            [(0, 1, 9, MaintenanceStatus.SCHEDULED)],  # maintenance from before
            [(5, 3, False)],
        )
        def check(
            rentals: list[tuple[int, int, int, RentalStatus, bool, int]],
            upkeep: list[tuple[int, int, int, MaintenanceStatus]],
            spans: list[tuple[int, int, bool]],
        ) -> None:
            with engine.begin() as conn:
                _store_history(conn, machines, members, rentals, upkeep)
            with engine.connect() as conn:
                for machine_id in machines:
                    for offset, length, open_ended in spans:
                        start = TODAY + timedelta(days=offset)
                        end = date.max if open_ended else start + timedelta(days=length)
                        want = q.find_rentals(
                            conn,
                            machine_id=machine_id,
                            member_id=None,
                            statuses=sorted(BLOCKING_RENTAL_STATUSES),
                            start=start,
                            end=end,
                        )
                        got = qw.machine_window_rentals(conn, machine_id, start, end)
                        assert got == want
                        want_upkeep = q.find_maintenance(
                            conn,
                            machine_id=machine_id,
                            statuses=sorted(BLOCKING_MAINTENANCE_STATUSES),
                            start=start,
                            end=end,
                        )
                        got_upkeep = qw.machine_window_maintenance(conn, machine_id, start, end)
                        assert got_upkeep == want_upkeep
                        seen["rentals"] += len(got)
                        seen["before"] += sum(r.start < start for r in got if not r.queued)
                        seen["queued"] += sum(r.queued for r in got)
                        seen["queued before"] += sum(r.start < start for r in got if r.queued)
                        seen["maintenance before"] += sum(m.start < start for m in got_upkeep)

        check()
        # the comparison is not vacuous: every kind of row the seek must find was found
        assert min(seen.values()) > 0 and len(seen) == 5, seen

    def test_the_feed_of_a_machine_reads_through_the_window(self, seeded: rentcal.Rentcal) -> None:
        """``events`` of one machine in a window shows a rental reaching in from before
        it, queued requests beside each other, and maintenance, as the finders do."""
        seeded.add_machine("baler", daily_price="90", request_policy="queue", acting="ada")
        day = TODAY + timedelta(days=10)
        long = seeded.book("tractor", day, day + timedelta(days=5), member="bob", **T)
        seeded.book("baler", day + timedelta(days=3), day + timedelta(days=4), member="bob", **T)
        seeded.book("baler", day + timedelta(days=4), day + timedelta(days=6), member="dan", **T)
        seeded.add_maintenance("saw", day, day + timedelta(days=2), acting="ada", **T)
        first, last = day + timedelta(days=4), day + timedelta(days=20)
        titles = {
            name: [e["id"] for e in seeded.events(name, start=first, end=last)]
            for name in ("tractor", "baler", "saw")
        }
        assert titles["tractor"] == [f"rental-{long.id}"]
        assert len(titles["baler"]) == 2
        assert titles["saw"] == []  # ended before the window
        rentals, upkeep = seeded.feed_items("saw", start=day + timedelta(days=2))
        assert (rentals, [m.start for m in upkeep]) == ([], [day])


# -- the plan: the partial indexes, never a walk ---------------------------------------

#: What a bounded statement may read of rental / maintenance, in SQLite's plan words.
BOUNDED = re.compile(
    r"SEARCH (rental|maintenance) USING (INTEGER PRIMARY KEY \(rowid=\?\)"
    r"|INDEX ix_(rental|maintenance)_blocking \(machine_id=\? AND start_date[<>]"
    r"|INDEX ix_rental_machine \(machine_id=\? AND status=\?\))"
)


def _plans(engine: sa.Engine, call: Callable[[Connection], object]) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN details of the SELECTs ``call`` runs, as they ran."""
    ran: list[tuple[str, Any]] = []

    def grab(_conn: object, _cursor: object, statement: str, params: Any, *_: object) -> None:
        ran.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        with engine.connect() as conn:
            call(conn)
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    with engine.connect() as conn:
        return [
            str(row[-1])
            for statement, params in ran
            if statement.lstrip().startswith("SELECT")
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        ]


def _reads(plan: list[str]) -> list[str]:
    """The plan's reads of the rental and maintenance tables."""
    return [d for d in plan if re.match(r"(SEARCH|SCAN) (rental|maintenance)\b", d)]


@SQLITE_ONLY  # SQLite's plan words; PostgreSQL's planner is asked in docs/performance.md
class TestBoundedPlan:
    """The window statements read the partial indexes (a range and one seek), the
    queued requests by (machine, status), and rows by id: no read of the history."""

    START, END = TODAY, TODAY + timedelta(days=30)
    WINDOW = (START, END)

    def test_rentals_and_maintenance_are_bounded(self, seeded: rentcal.Rentcal) -> None:
        for call, index in (
            (lambda c: qw.machine_window_rentals(c, 1, self.START, self.END), "ix_rental_blocking"),
            (
                lambda c: qw.machine_window_maintenance(c, 1, self.START, self.END),
                "ix_maintenance_blocking",
            ),
        ):
            reads = _reads(_plans(seeded.store.engine, call))
            assert reads and all(BOUNDED.match(d) for d in reads), reads
            assert sum(index in d for d in reads) == 2, reads  # the range and the seek

    def test_a_machines_feed_reads_only_so(self, seeded: rentcal.Rentcal) -> None:
        """The library's hot path (one machine, a window) takes the bounded statements."""
        seeded.book("tractor", self.START, self.START, member="bob", **T)
        reads = _reads(
            _plans(seeded.store.engine, lambda _: seeded.events("tractor", None, *self.WINDOW))
        )
        assert sum("_blocking" in d for d in reads) == 4, reads  # rentals and maintenance
        assert all(BOUNDED.match(d) for d in reads), reads

    def test_the_general_finder_is_not(self, seeded: rentcal.Rentcal) -> None:
        """The check above can fail: the finders' window clause is no bounded read."""

        def finders(conn: Connection) -> None:
            q.find_rentals(
                conn,
                machine_id=1,
                member_id=None,
                statuses=sorted(BLOCKING_RENTAL_STATUSES),
                start=self.START,
                end=self.END,
            )

        reads = _reads(_plans(seeded.store.engine, finders))
        assert reads and not all(BOUNDED.match(d) for d in reads), reads
