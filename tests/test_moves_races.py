"""Real processes moving rentals while others book the same days: never an overlap.

Moves lock the machine(s) they touch (both, in id order, when the machine
changes) and re-check under the lock, like bookings; the database guards
stand behind both. Proven with processes released together, on SQLite and
PostgreSQL, and checked with the integrity checker.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

import rentcal
from rentcal.db import integrity
from tests.conftest import BOTH, TODAY, d
from tests.processes import Start
from tests.test_locking import _outcome, _overlaps, _run

pytestmark = BOTH


def _setup(url: str, movers: int) -> list[int]:
    """Machines m0, m1; one pending m1 rental per mover (2030-01-20 + 2i); their ids."""
    with rentcal.connect(url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_machine("m0", daily_price="10", acting="ada")
        cal.add_machine("m1", daily_price="20", acting="ada")
        day = d(20)
        return [
            cal.book(
                "m1",
                day + timedelta(days=2 * i),
                day + timedelta(days=2 * i),
                member="ada",
                today=TODAY,
            ).id
            for i in range(movers)
        ]


def _book_or_move(start: Start, url: str, rental_id: int | None) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        start()
        if rental_id is None:
            outcome = _outcome(cal.book, "m0", d(10), d(14), member="ada", today=TODAY)
        else:
            outcome = _outcome(
                cal.move, rental_id, start=d(12), days=2, machine="m0", acting="ada", today=TODAY
            )
        return [outcome]


def _shuffle(start: Start, url: str, seed: int, ids: list[int]) -> list[str]:
    rng = random.Random(seed)
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("m0")
        start()
        outcomes = []
        for _ in range(12):
            machine = f"m{rng.randrange(2)}"
            first = TODAY + timedelta(days=rng.randrange(20))
            days = 1 + rng.randrange(4)
            if rng.random() < 0.5:
                last = first + timedelta(days=days - 1)
                outcome = _outcome(cal.book, machine, first, last, member="ada", today=TODAY)
            else:
                rid = rng.choice(ids)
                outcome = _outcome(
                    cal.move,
                    rid,
                    start=first,
                    days=days,
                    machine=machine,
                    acting="ada",
                    today=TODAY,
                )
            outcomes.append(outcome)
        return outcomes


def _check_clean(url: str) -> None:
    assert _overlaps(url) == 0
    with rentcal.connect(url) as cal:
        report = integrity.check(cal.store)
    assert report.ok, report.as_dict()


@pytest.mark.slow
class TestMoveRaces:
    """Moves and bookings of the same days, released together."""

    def test_moves_and_bookings_of_the_same_days_one_wins(self, db_url: str) -> None:
        ids = _setup(db_url, 4)
        outcomes = _run(_book_or_move, db_url, [(None,)] * 4 + [(i,) for i in ids])
        assert sorted(outcomes) == ["ok"] + ["unavailable"] * 7, outcomes
        _check_clean(db_url)

    def test_random_moves_and_bookings_never_overlap(self, db_url: str) -> None:
        ids = _setup(db_url, 6)
        outcomes = _run(_shuffle, db_url, [(seed, ids) for seed in range(6)])
        assert len(outcomes) == 72
        unexpected = [
            o for o in outcomes if o not in ("ok", "unavailable") and "already on" not in o
        ]
        assert not unexpected, sorted(set(unexpected))
        assert "ok" in outcomes
        _check_clean(db_url)
