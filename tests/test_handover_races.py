"""Real processes handing machines over while others cancel, move or do housekeeping.

A check-out and a check-in take the machine's lock and decide under it, like
every other write, so whatever wins a race, the rental is never half-changed:
never cancelled yet out, never completed while out by anyone but its check-in,
never checked in twice, never flagged as a no-show after it went out, and its
meter readings stay on its machine. Proven with processes released together
(tests/processes.py), on SQLite and PostgreSQL, and checked with SQL written
for the purpose plus the integrity checker.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db import integrity
from tests.conftest import BOTH, TODAY
from tests.processes import Start
from tests.test_locking import _overlaps, _run

pytestmark = [BOTH, pytest.mark.slow]

#: How many rentals each race goes through (one pair of racing calls per rental).
ROUNDS = 6
#: The no-show race's clock: eleven days after the rentals began.
LATER = datetime(2030, 1, 20, 12, 0, tzinfo=UTC)


def first_day(i: int) -> date:
    """Rental ``i``'s first day (two days each, a day apart: none overlaps)."""
    return TODAY + timedelta(days=3 * i)


def _setup(url: str, *, checked_out: bool = False) -> list[int]:
    """Machines m0 (a meter in hours, kim its keeper) and m1; ROUNDS approved rentals of
    bob on m0; with ``checked_out``, each already checked out on its first day."""
    with rentcal.connect(url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("bob", verified=True, acting="ada")
        cal.add_member("kim", verified=True, acting="ada")
        for name in ("m0", "m1"):
            cal.add_machine(name, daily_price="10", auto_approve=True, acting="ada")
        cal.edit_machine("m0", meter="hours", acting="ada")
        cal.add_keeper("m0", "kim", acting="ada")
        ids = []
        for i in range(ROUNDS):
            day = first_day(i)
            rental = cal.book("m0", day, day + timedelta(days=1), member="bob", today=TODAY)
            if checked_out:
                cal.checkout(rental.id, meter=str(100 * i), acting="kim", today=day)
            ids.append(rental.id)
        return ids


def _outcome(call: Any, *args: Any, **kwargs: Any) -> str:
    """ok, refused (the rule said no) or busy; anything else names the error."""
    try:
        call(*args, **kwargs)
    except (rentcal.InvalidTransition, rentcal.Unavailable):
        return "refused"
    except rentcal.Busy:
        return "busy"
    except Exception as err:
        return f"error: {type(err).__name__}: {err}"
    return "ok"


def _worker(start: Start, url: str, role: str, ids: list[int]) -> list[str]:
    """One racer: the same call on each rental in turn (its day as "today")."""
    clock = (lambda: LATER) if role in ("checkout-late", "no-shows") else None
    with rentcal.connect(url, busy_timeout=30, clock=clock) as cal:
        cal.machine("m0")  # connected and warm before the start
        start()
        outcomes = []
        for i, rid in enumerate(ids):
            day = first_day(i)
            if role in ("checkout", "checkout-late"):
                done = _outcome(cal.checkout, rid, meter=str(100 * i), acting="kim", today=day)
            elif role == "cancel":
                done = _outcome(cal.cancel, rid, acting="bob", today=day)
            elif role == "checkin":
                done = _outcome(cal.checkin, rid, meter=str(100 * i + 5), acting="kim", today=day)
            elif role == "checkin-late":
                after = day + timedelta(days=2)
                done = _outcome(cal.checkin, rid, meter=str(100 * i + 9), acting="ada", today=after)
            elif role == "extend":
                done = _outcome(cal.move, rid, end=day + timedelta(days=2), acting="ada", today=day)
            elif role == "elsewhere":
                done = _outcome(cal.move, rid, machine="m1", acting="ada", today=day)
            elif role == "housekeeping":
                done = _outcome(cal.housekeeping, today=day + timedelta(days=2))
            elif role == "no-shows":
                done = _outcome(cal.housekeeping, today=TODAY)
            else:  # pragma: no cover - a typo in a test
                raise ValueError(role)
            outcomes.append(f"{role} {rid}: {done}")
        return outcomes


def _race(url: str, ids: list[int], *roles: str) -> dict[str, list[str]]:
    """The roles released together; each rental's outcomes, by role order."""
    found = _run(_worker, url, [(role, ids) for role in roles])
    by_rental: dict[str, list[str]] = {}
    for line in found:
        head, _, outcome = line.partition(": ")
        role, rid = head.split()
        by_rental.setdefault(rid, []).append(f"{role} {outcome}")
    assert not [o for lines in by_rental.values() for o in lines if "error" in o], by_rental
    return by_rental


#: Each names rentals in a state no sequence of rentcal's writes can leave.
INCONSISTENT = {
    "back but never out": """
        SELECT h.rental_id FROM handover h WHERE h.kind = 'in' AND NOT EXISTS
          (SELECT 1 FROM handover o WHERE o.rental_id = h.rental_id AND o.kind = 'out')""",
    "out but cancelled, rejected or pending": """
        SELECT r.id FROM rental r JOIN handover h ON h.rental_id = r.id AND h.kind = 'out'
         WHERE r.status NOT IN ('approved', 'completed')""",
    "back but not completed": """
        SELECT r.id FROM rental r JOIN handover h ON h.rental_id = r.id AND h.kind = 'in'
         WHERE r.status <> 'completed'""",
    "completed while out, not by its check-in": """
        SELECT r.id FROM rental r JOIN handover h ON h.rental_id = r.id AND h.kind = 'out'
         WHERE r.status = 'completed' AND NOT EXISTS
          (SELECT 1 FROM handover i WHERE i.rental_id = r.id AND i.kind = 'in')""",
    "completed twice": """
        SELECT rental_id FROM rental_history WHERE to_status = 'completed'
         GROUP BY rental_id HAVING count(*) > 1""",
    "completed by the system although handed over": """
        SELECT h.rental_id FROM rental_history h JOIN handover o
            ON o.rental_id = h.rental_id AND o.kind = 'out'
         WHERE h.to_status = 'completed' AND h.changed_by_id IS NULL""",
    "a reading on another machine than the rental's": """
        SELECT m.id FROM meter_reading m JOIN rental r ON r.id = m.rental_id
         WHERE m.machine_id <> r.machine_id""",
    "flagged as a no-show after it went out": """
        SELECT n.rental_id FROM handover n JOIN handover o
            ON o.rental_id = n.rental_id AND o.kind = 'out'
         WHERE n.kind = 'no-show' AND n.id > o.id""",
}


def _check_clean(url: str) -> None:
    engine = sa.create_engine(rentcal.connect(url).store.url)
    try:
        with engine.connect() as conn:
            found = {
                name: list(conn.execute(sa.text(sql)).scalars())
                for name, sql in INCONSISTENT.items()
            }
    finally:
        engine.dispose()
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    assert _overlaps(url) == 0
    with rentcal.connect(url) as cal:
        report = integrity.check(cal.store)
    assert report.ok, report.as_dict()


def _status(url: str, rental_id: str) -> str:
    with rentcal.connect(url) as cal:
        return cal.rental(int(rental_id)).status.value


class TestHandoverRaces:
    """A hand-over released together with what else may happen to the same rental."""

    def test_check_out_against_a_cancellation_one_wins(self, db_url: str) -> None:
        ids = _setup(db_url)
        outcomes = _race(db_url, ids, "checkout", "cancel")
        for rid, (checkout, cancel) in outcomes.items():
            assert sorted([checkout, cancel]) in (
                ["cancel ok", "checkout refused"],
                ["cancel refused", "checkout ok"],
            ), (rid, checkout, cancel)
            won = "cancelled" if cancel == "cancel ok" else "approved"
            assert _status(db_url, rid) == won
        _check_clean(db_url)

    def test_check_in_against_moves(self, db_url: str) -> None:
        """Extending the last day may go first (the return is then early) or come too
        late (completed); a move to another machine is refused either way."""
        ids = _setup(db_url, checked_out=True)
        outcomes = _race(db_url, ids, "checkin", "extend", "elsewhere")
        for rid, (checkin, extend, elsewhere) in outcomes.items():
            assert checkin == "checkin ok", (rid, checkin)
            assert extend in ("extend ok", "extend refused"), (rid, extend)
            assert elsewhere == "elsewhere refused", (rid, elsewhere)
            assert _status(db_url, rid) == "completed"
        with rentcal.connect(db_url) as cal:
            assert {r.machine for r in cal.rentals()} == {"m0"}
        _check_clean(db_url)

    def test_late_check_in_against_housekeeping(self, db_url: str) -> None:
        """Housekeeping never completes a rental that is out; its check-in does, once."""
        ids = _setup(db_url, checked_out=True)
        outcomes = _race(db_url, ids, "checkin-late", "housekeeping", "housekeeping")
        for rid, lines in outcomes.items():
            assert lines[0] == "checkin-late ok", (rid, lines)
        with rentcal.connect(db_url) as cal:
            for rid in ids:
                last = cal.history(rid)[-1]
                assert (last["to"], last["by"]) == ("completed", "ada")
                assert cal.handovers(rid)[-1].late is True
        _check_clean(db_url)

    def test_two_check_ins_one_wins(self, db_url: str) -> None:
        ids = _setup(db_url, checked_out=True)
        outcomes = _race(db_url, ids, "checkin", "checkin")
        for rid, lines in outcomes.items():
            assert sorted(lines) == ["checkin ok", "checkin refused"], (rid, lines)
        _check_clean(db_url)

    def test_check_out_against_no_show_flags(self, db_url: str) -> None:
        """A rental is flagged before it goes out, or goes out unflagged: never flagged
        once out (the flag and the check-out each decide under the machine's lock)."""
        ids = _setup(db_url)
        with rentcal.connect(db_url) as cal:
            cal.set_no_show_hours(1, acting="ada")
        outcomes = _race(db_url, ids, "checkout-late", "no-shows")
        for rid, lines in outcomes.items():
            assert lines[0] == "checkout-late ok", (rid, lines)
            assert lines[1] == "no-shows ok", (rid, lines)
        with rentcal.connect(db_url) as cal:
            assert all(h.kind.value == "out" for r in ids for h in cal.handovers(r)[-1:])
        _check_clean(db_url)
