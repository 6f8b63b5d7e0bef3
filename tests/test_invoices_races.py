"""Real processes issuing invoices and credit notes at once: numbers 1..N with no gap
and no duplicate, and every charge on exactly one invoice (issue #23).

Each member's invoice is one transaction that first takes the number sequence's
row lock (PostgreSQL ``FOR UPDATE``; SQLite's BEGIN IMMEDIATE). Without that lock,
PostgreSQL lets two issuers read the same last number (checked once by removing it:
the duplicate numbers and doubly billed charges fail this test).
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db.store import resolve_url
from tests.conftest import BOTH, d
from tests.processes import Start
from tests.test_invoices import FEB, ready
from tests.test_locking import _outcome, _run

pytestmark = [BOTH, pytest.mark.slow]
MEMBERS = [f"m{i}" for i in range(8)]


def _setup(url: str) -> None:
    """Eight members with two charges each in January 2030; invoice settings ready."""
    with rentcal.connect(url) as cal:
        cal.add_member("ada", name="Ada Admin", admin=True)
        for handle in MEMBERS:
            cal.add_member(handle, name=f"Member {handle}", verified=True, acting="ada")
            cal.add_charge(handle, "10.00", "Hire", acting="ada", today=d(5))
            cal.add_charge(handle, "2.50", "Fuel", acting="ada", today=d(6))
        ready(cal)


def _issuer(start: Start, url: str, seed: int, every: bool) -> list[str]:
    order = list(MEMBERS)
    random.Random(seed).shuffle(order)
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("ada")
        start()
        if every:
            return [_outcome(cal.issue_invoices, "2030-01", acting="ada", today=FEB)]
        return [
            _outcome(cal.issue_invoices, "2030-01", member=h, acting="ada", today=FEB)
            for h in order
        ]


def _rows(url: str) -> tuple[list[str], list[tuple[int, int]]]:
    engine = sa.create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            numbers = [str(n) for (n,) in conn.exec_driver_sql("SELECT number FROM invoice")]
            lines = conn.exec_driver_sql(
                "SELECT charge_id, count(*) FROM invoice_line GROUP BY charge_id"
            ).all()
    finally:
        engine.dispose()
    return numbers, [(int(c), int(n)) for c, n in lines]


class TestNumbering:
    """Processes issuing for the same and different members, released together."""

    @pytest.mark.parametrize("seed", [1, 2])
    def test_no_gap_no_duplicate_each_charge_once(self, db_url: str, seed: int) -> None:
        _setup(db_url)
        jobs = [(seed * 10 + i, i % 3 == 0) for i in range(5)]
        outcomes = _run(_issuer, db_url, jobs)
        assert set(outcomes) == {"ok"}, outcomes
        numbers, lines = _rows(db_url)
        assert sorted(numbers) == [f"2030-{n:06d}" for n in range(1, len(MEMBERS) + 1)]
        assert len(lines) == 2 * len(MEMBERS) and {n for _, n in lines} == {1}
        with rentcal.connect(db_url) as cal:
            issued = cal.invoices(acting="ada")
        assert sorted(s.member for s in issued) == MEMBERS
        assert {str(s.gross) for s in issued} == {"14.88"}  # 12.50 + 19 % VAT
