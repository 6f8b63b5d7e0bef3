"""Real processes completing, cancelling, moving and housekeeping the same rentals at once:
every rental ends charged exactly once, or not at all (issue #22).

A completion and its charge are one transaction under the machine's lock, as are a
cancellation and its fee; the database's unique index stands behind them. Released
together on SQLite and PostgreSQL, the outcome is always one of: completed with one
``use`` charge, cancelled with no use (and its late fee, unless a move put it outside
the free period first), or still approved (moved away) with no charge.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.types import RentalStatus
from rentcal.db.store import resolve_url
from tests.conftest import BOTH, TODAY, d
from tests.processes import Start
from tests.test_locking import _outcome, _run

pytestmark = [BOTH, pytest.mark.slow]
MACHINES = 4


def _setup(url: str) -> list[int]:
    """Four machines, one approved rental of bob on each, 12-13 Jan; a late fee policy."""
    with rentcal.connect(url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("bob", verified=True, acting="ada")
        cal.set_cancellation_policy(3, fee="5", acting="ada")
        ids = []
        for i in range(MACHINES):
            cal.add_machine(f"m{i}", daily_price="10", minimum_charge="25", acting="ada")
            rental = cal.book(f"m{i}", d(12), d(13), member="bob", today=TODAY)
            cal.approve(rental.id, acting="ada", today=TODAY)
            ids.append(rental.id)
        return ids


def _worker(start: Start, url: str, role: str, ids: list[int], seed: int) -> list[str]:
    order = list(ids)
    random.Random(seed).shuffle(order)
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        start()
        outcomes = []
        for rid in order:
            if role == "complete":
                outcomes.append(_outcome(cal.complete, rid, acting="ada", today=d(13)))
            elif role == "cancel":
                outcomes.append(_outcome(cal.cancel, rid, acting="bob", today=d(13)))
            elif role == "move":
                outcomes.append(
                    _outcome(cal.move, rid, start=d(20), days=1, acting="ada", today=d(12))
                )
            else:
                outcomes.append(_outcome(cal.housekeeping, today=d(14)))
        return [f"{role}: {o}" for o in outcomes]


def _charges(url: str) -> dict[int, list[str]]:
    engine = sa.create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT rental_id, kind FROM charge ORDER BY id").all()
    finally:
        engine.dispose()
    found: dict[int, list[str]] = {}
    for rental_id, kind in rows:
        found.setdefault(int(rental_id), []).append(str(kind))
    return found


class TestChargeRaces:
    """Completion, cancellation, moves and housekeeping of the same rentals, released together."""

    @pytest.mark.parametrize("seed", [1, 2])
    def test_each_end_is_charged_once(self, db_url: str, seed: int) -> None:
        ids = _setup(db_url)
        roles = ["complete", "cancel", "move", "housekeeping", "complete", "cancel"]
        outcomes = _run(_worker, db_url, [(role, ids, seed + i) for i, role in enumerate(roles)])
        assert not [o for o in outcomes if "error" in o and "Invalid" not in o], outcomes
        charges = _charges(db_url)
        with rentcal.connect(db_url) as cal:
            rentals = {rid: cal.rental(rid) for rid in ids}
        for rid in ids:
            kinds = charges.get(rid, [])
            status = rentals[rid].status
            if status is RentalStatus.COMPLETED:
                assert kinds == ["use"], (rid, status, kinds, outcomes)
            elif status is RentalStatus.CANCELLED:  # late unless moved 7 days ahead first
                late = rentals[rid].start == d(12)
                assert kinds == (["late_cancellation"] if late else []), (rid, kinds, outcomes)
            else:
                assert status is RentalStatus.APPROVED and kinds == [], (rid, status, kinds)
        with rentcal.connect(db_url) as cal:  # and the statements agree with the table
            found = cal.statement("2030", "bob", acting="ada")
        assert len(found.charges) == sum(len(k) for k in charges.values())
