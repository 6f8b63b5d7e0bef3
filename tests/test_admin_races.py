"""Real processes racing the day-two administration features: every outcome is a serial one.

What is proven, on SQLite and PostgreSQL, with processes released together
(:func:`tests.processes.in_processes`), by the state they leave behind:

- **Deactivation against bookings.** While an admin deactivates a member, an admin
  books for that member, the member books for themselves, an admin approves
  their request and they move it to another machine. Afterwards no request of
  theirs is pending, and every rental of theirs either was seen by the
  deactivation (rejected with ``"member deactivated"``, or approved and
  recorded as standing) or was never made (refused with PermissionDenied). A
  booking that read the member as active before the deactivation committed and
  wrote after it would leave a pending request nobody settled.
- **A move against the rental's own decisions.** A move to another machine races
  approve, reject and cancel of the same rental, an approval of the queued
  request waiting on the destination's days, and housekeeping. Every success
  is recorded once and in SEQUENCE order (the history is one chain: each row's
  ``from`` is the previous row's ``to``), the SEQUENCE only grows, stale
  requests expire once, no two blocking rentals of a machine overlap and no
  queued request waits under an approved rental. On PostgreSQL one case is
  forced: the approver has looked up the rental's machine when the move
  commits, so it must follow the rental to the new machine's lock
  (:meth:`Housekeeping.lock_rental`) — otherwise it decides on a calendar
  whose lock it does not hold, and the queued rival is never rejected.
- **Expiry against approval.** One process may still approve a request (its
  first day is its today; or its machine's expiry hours have not run out on its
  clock) while others, a day or hours later, expire it (housekeeping; a
  booking of the same machine, which settles it first) or try to approve it
  too late. One wins, it is recorded once, and the member is told once.

Two admins demoting or deactivating each other at once are raced in
tests/test_service_edits.py (``test_two_admins_removing_each_other_leave_one``).

SQLite serialises whole write transactions (BEGIN IMMEDIATE), so there these
tests prove that the outcomes reached are the serial ones; PostgreSQL runs the
transactions interleaved (READ COMMITTED), and only the locks make them hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db import integrity
from rentcal.db import sql as q
from rentcal.service.housekeeping import EXPIRED_REASON
from rentcal.service.lifecycle import QUEUE_REASON
from rentcal.service.membership import DEACTIVATED_REASON
from tests.conftest import BOTH, PG_ONLY, TODAY, d
from tests.processes import CTX, Start, in_processes

pytestmark = BOTH

#: One race's bound on every worker's report (from the start of the first), on a starved host.
TIMEOUT = 180
#: How long a worker of the forced interleaving waits for the other's step.
STEP_TIMEOUT = 60
#: The transitions a rental's history may hold (a move records ``from`` = ``to``).
TRANSITIONS = frozenset(
    {
        (None, "pending"),
        (None, "approved"),
        ("pending", "pending"),
        ("approved", "approved"),
        ("pending", "approved"),
        ("pending", "rejected"),
        ("pending", "cancelled"),
        ("approved", "rejected"),
        ("approved", "cancelled"),
        ("approved", "completed"),
    }
)
#: The history reason of an approved rental a deactivation let stand.
STANDS_REASON = f"{DEACTIVATED_REASON}; the rental stands"

#: Pairs of blocking rentals of one machine sharing a day (a queued request blocks nothing).
BLOCKING_OVERLAPS_SQL = """
    SELECT count(*) FROM rental a JOIN rental b
      ON a.machine_id = b.machine_id AND a.id < b.id
     AND a.start_date <= b.end_date AND b.start_date <= a.end_date
    WHERE a.status IN ('pending', 'approved') AND NOT a.queued
      AND b.status IN ('pending', 'approved') AND NOT b.queued
"""
#: Queued requests still waiting on days an approved rental of their machine holds
#: (approving it, or moving it onto the days, rejects them).
QUEUED_UNDER_APPROVED_SQL = """
    SELECT count(*) FROM rental a JOIN rental b
      ON a.machine_id = b.machine_id AND a.id <> b.id
     AND a.start_date <= b.end_date AND b.start_date <= a.end_date
    WHERE a.status = 'pending' AND a.queued AND b.status = 'approved'
"""

#: A worker of a race, and its arguments after the URL.
Job = tuple[Callable[..., Any], tuple[Any, ...]]


# -- helpers -------------------------------------------------------------------------------


def _dispatch(start: Start, url: str, worker: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """One job of a race of different workers: ``worker(start, url, *args)``."""
    return worker(start, url, *args)


def _race(url: str, jobs: list[Job]) -> list[Any]:
    """Every job in its own process, released together; their reports in job order."""
    return in_processes(_dispatch, [(url, worker, args) for worker, args in jobs], timeout=TIMEOUT)


def _outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """``("ok", result)``, or ``("<Error>", None)`` for a refusal by rentcal (with the
    reason of a PermissionDenied: ``"PermissionDenied deactivated"``).

    Anything else (a bug, a crash) propagates: the worker fails and the test names it.
    """
    try:
        return "ok", call(*args, **kwargs)
    except rentcal.PermissionDenied as err:
        return f"PermissionDenied {err.reason}", None
    except rentcal.RentcalError as err:
        return type(err).__name__, None


def _clock(moment: datetime) -> Callable[[], datetime]:
    """A clock ticking one second per call from ``moment``."""
    ticks = itertools.count()
    return lambda: moment + timedelta(seconds=next(ticks))


@contextmanager
def _sql(url: str) -> Iterator[sa.Connection]:
    """A plain connection to the database, for what no public call answers."""
    with rentcal.connect(url) as cal:
        engine = sa.create_engine(cal.store.url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _count(url: str, sql: str) -> int:
    with _sql(url) as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def _assert_sound(url: str) -> None:
    """No blocking overlap, no queued request under an approved rental, the checker content."""
    assert _count(url, BLOCKING_OVERLAPS_SQL) == 0
    assert _count(url, QUEUED_UNDER_APPROVED_SQL) == 0
    with rentcal.connect(url) as cal:
        report = integrity.check(cal.store)
    assert report.ok, report.as_dict()


def _chain(cal: rentcal.Rentcal, rental: rentcal.Rental) -> list[dict[str, Any]]:
    """The rental's history, checked to be one chain of valid steps ending in its status."""
    rows = cal.history(rental.id)
    steps = [(row["from"], row["to"]) for row in rows]
    assert steps and steps[0][0] is None, (rental.id, steps)
    assert all(step in TRANSITIONS for step in steps), (rental.id, steps)
    for (_, before), (after, _) in itertools.pairwise(steps):
        assert after == before, (rental.id, steps)
    assert steps[-1][1] == rental.status.value, (rental.id, steps, rental.status)
    return rows


def _told(cal: rentcal.Rentcal, member: str, rental_id: int) -> list[str]:
    """What ``member`` was told about one rental."""
    return [n.message for n in cal.notifications(member) if n.rental_id == rental_id]


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


# -- deactivating a member while they (and others for them) book ---------------------------

#: How many bookings each booker makes at most (it stops at its first refusal).
ATTEMPTS = 40


def _deactivate(start: Start, url: str) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("bob")  # connect and warm up before the start signal
        start()
        return [_outcome(cal.deactivate_member, "bob", acting="ada", today=TODAY)[0]]


def _book_until_refused(
    start: Start, url: str, machine: str, acting: str | None, first: date
) -> list[str]:
    """Book ``machine`` for bob on every other day from ``first`` until refused."""
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine(machine)
        start()
        outcomes = []
        for k in range(ATTEMPTS):
            day = first + timedelta(days=2 * k)
            outcome, rental = _outcome(
                cal.book, machine, day, day, member="bob", acting=acting, today=TODAY
            )
            outcomes.append(outcome if rental is None else f"booked {rental.id}")
            if rental is None:
                break
        return outcomes


def _approve_request(start: Start, url: str, rental_id: int) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("ada")
        start()
        return [_outcome(cal.approve, rental_id, acting="ada", today=TODAY)[0]]


def _move_own_request(start: Start, url: str, rental_id: int, machine: str) -> list[str]:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("bob")
        start()
        return [_outcome(cal.move, rental_id, machine=machine, acting="bob", today=TODAY)[0]]


@pytest.mark.slow
class TestDeactivationRaces:
    """A deactivation settles every booking that committed before it; the rest are refused."""

    def test_no_booking_outlives_the_deactivation(self, db_url: str) -> None:
        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", verified=True, acting="ada")
            for name in ("m0", "m1", "m2", "m3"):  # m2 approves at once
                cal.add_machine(name, daily_price="10", auto_approve=name == "m2", acting="ada")
        for round_ in range(3):
            first = TODAY + timedelta(days=10 + 200 * round_)
            with rentcal.connect(db_url) as cal:
                request = cal.book("m1", first, first, member="bob", today=TODAY)
                held = cal.book("m2", first, first, member="bob", today=TODAY)
            day = first + timedelta(days=1)
            reports = _race(
                db_url,
                [
                    (_deactivate, ()),
                    (_book_until_refused, ("m0", "ada", day)),  # an admin books for bob
                    (_book_until_refused, ("m0", "bob", day + timedelta(days=1))),  # bob
                    (_book_until_refused, ("m1", None, day)),  # bob, acting by default
                    (_book_until_refused, ("m2", "ada", day)),  # approved at once
                    (_approve_request, (request.id,)),
                    (_move_own_request, (request.id, "m3")),  # the deactivation follows it
                ],
            )
            self._check(db_url, reports, {request.id, held.id}, request.id)
            with rentcal.connect(db_url) as cal:
                cal.reactivate_member("bob", acting="ada")

    @staticmethod
    def _check(url: str, reports: list[list[str]], setup: set[int], first_id: int) -> None:
        """What the deactivation and its rivals leave (see the module docstring)."""
        deactivated, *bookers, approved, moved = reports
        assert deactivated == ["ok"], reports
        booked: set[int] = set()
        for outcomes in bookers:
            *made, last = outcomes
            assert all(o.startswith("booked ") for o in made), outcomes
            assert last.startswith("booked ") or last == "PermissionDenied deactivated", outcomes
            booked |= {int(o.split()[1]) for o in outcomes if o.startswith("booked ")}
        assert approved[0] in ("ok", "InvalidTransition"), reports
        assert moved[0] in ("ok", "PermissionDenied deactivated", "PermissionDenied not-admin")
        with rentcal.connect(url) as cal:
            assert not cal.member("bob").active
            mine = [r for r in cal.rentals(member="bob") if r.id >= first_id]
            assert {r.id for r in mine} == booked | setup, reports
            for rental in mine:
                rows = _chain(cal, rental)
                if rental.status.value == "approved":  # made before; it stands, as recorded
                    stands = [row for row in rows if row["reason"] == STANDS_REASON]
                    assert len(stands) == 1, (rental, rows)
                else:  # pending when the deactivation came, and settled by it
                    assert rental.status.value == "rejected", (rental, rows)
                    assert rows[-1]["from"] == "pending", (rental, rows)
                    assert rental.reason == DEACTIVATED_REASON, (rental, rows)
        _assert_sound(url)


# -- a move racing the rental's own decisions ----------------------------------------------

#: The rental's days, and the days a move takes it to (on the queue machine).
FROM_DAYS, TO_DAYS = (d(20), d(21)), (d(25), d(26))


def _move_round(url: str, k: int) -> tuple[int, int, list[int]]:
    """Machines a{k} (a pending request blocks its days) and q{k} (requests queue).

    On a{k} bob's pending rental R (FROM_DAYS); on q{k} dan's queued request
    (TO_DAYS); on each, a stale request of bob's (its first day has passed). The
    ids of R, of dan's request and of the stale ones.
    """
    with rentcal.connect(url) as cal:
        if k == 0:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", verified=True, acting="ada")
            cal.add_member("dan", verified=True, acting="ada")
        cal.add_machine(f"a{k}", daily_price="10", acting="ada")
        cal.add_machine(f"q{k}", daily_price="20", request_policy="queue", acting="ada")
        rental = cal.book(f"a{k}", *FROM_DAYS, member="bob", today=TODAY)
        rival = cal.book(f"q{k}", *TO_DAYS, member="dan", today=TODAY)
        stale = [
            cal.book(name, d(5), d(5), member="bob", today=d(1)).id for name in (f"a{k}", f"q{k}")
        ]
    return rental.id, rival.id, stale


def _decide(start: Start, url: str, op: str, rental_id: int, machine: str) -> tuple[str, int]:
    """One decision about a rental: its outcome and the SEQUENCE it left (-1: none)."""
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("ada")
        start()
        if op == "move":
            outcome, rental = _outcome(
                cal.move, rental_id, *TO_DAYS, machine=machine, acting="ada", today=TODAY
            )
        elif op == "housekeeping":
            outcome, rental = _outcome(cal.housekeeping, today=TODAY)[0], None
        elif op == "cancel":  # by its member
            outcome, rental = _outcome(cal.cancel, rental_id, acting="bob", today=TODAY)
        else:
            outcome, rental = _outcome(getattr(cal, op), rental_id, acting="ada", today=TODAY)
        return outcome, -1 if rental is None else rental.sequence


def _watch(start: Start, url: str, rental_id: int) -> list[int]:
    """The rental's SEQUENCE, read again and again (each in its own transaction)."""
    query = sa.text("SELECT sequence FROM rental WHERE id = :r")
    with _sql(url) as conn:
        conn.execute(query, {"r": rental_id})
        conn.commit()
        start()
        seen = []
        for _ in range(100):
            seen.append(int(conn.execute(query, {"r": rental_id}).scalar_one()))
            conn.commit()
        return seen


def _records(op: str, row: dict[str, Any]) -> bool:
    """Whether history ``row`` is what a successful ``op`` records."""
    if op == "move":
        return row["from"] == row["to"] and (row["reason"] or "").startswith("moved:")
    wanted = {"approve": "approved", "reject": "rejected", "cancel": "cancelled"}[op]
    return row["to"] == wanted and row["reason"] != QUEUE_REASON


def _approve_held_back(start: Start, url: str, rental_id: int, looked: Any, moved: Any) -> str:
    """Approve, pausing right after the first look-up of the rental's machine (no lock
    held yet) until the move has committed: the approver must follow it."""
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("ada")
        looked_up = q.rental_machine_id
        calls = itertools.count()

        def then_wait(conn: sa.Connection, rid: int) -> int | None:
            found = looked_up(conn, rid)
            if next(calls) == 0:
                looked.set()
                if not moved.wait(STEP_TIMEOUT):
                    raise RuntimeError("the move did not commit")
            return found

        q.rental_machine_id = then_wait  # this process only: it exits after the race
        start()
        return _outcome(cal.approve, rental_id, acting="ada", today=TODAY)[0]


def _move_in_between(
    start: Start, url: str, rental_id: int, machine: str, looked: Any, moved: Any
) -> str:
    """Move the rental once the approver has looked up its machine; then let it go on."""
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member("ada")
        start()
        if not looked.wait(STEP_TIMEOUT):
            raise RuntimeError("the approver did not look the rental up")
        try:
            return _outcome(
                cal.move, rental_id, *TO_DAYS, machine=machine, acting="ada", today=TODAY
            )[0]
        finally:
            moved.set()


#: Who races the move in each round, besides an approval of dan's request and housekeeping
#: (each set three times: one round seldom hits the interleaving a broken lock loses).
RIVALS = (("approve",), ("approve", "reject"), ("approve", "cancel"), ("reject", "cancel")) * 3


@pytest.mark.slow
class TestMoveRaces:
    """A move and the decisions about the same rental: one serial outcome, recorded once."""

    def test_move_against_approve_reject_cancel(self, db_url: str) -> None:
        for k, rivals in enumerate(RIVALS):
            rid, rival, stale = _move_round(db_url, k)
            ops = ("move", *rivals)
            jobs: list[Job] = [(_decide, (op, rid, f"q{k}")) for op in ops]
            jobs += [(_decide, ("approve", rival, "")), (_decide, ("housekeeping", rid, ""))]
            *results, (dan, _), (housekept, _), seen = _race(db_url, [*jobs, (_watch, (rid,))])
            assert dan in ("ok", "InvalidTransition", "Unavailable"), results
            assert housekept == "ok", results
            final = self._check(db_url, dict(zip(ops, results, strict=True)), rid, k)
            assert seen == sorted(seen) and seen[-1] <= final, seen  # it only grows
            self._check_expired_once(db_url, stale)
        _assert_sound(db_url)

    @PG_ONLY  # SQLite runs write transactions one at a time: nothing to interleave
    def test_an_approval_follows_a_move_to_the_new_machine(self, db_url: str) -> None:
        rid, rival, _stale = _move_round(db_url, 0)
        looked, moved = CTX.Event(), CTX.Event()
        approved, move = _race(
            db_url,
            [
                (_approve_held_back, (rid, looked, moved)),
                (_move_in_between, (rid, "q0", looked, moved)),
            ],
        )
        assert (approved, move) == ("ok", "ok")
        with rentcal.connect(db_url) as cal:
            rental, queued = cal.rental(rid), cal.rental(rival)
            steps = [(r["from"], r["to"]) for r in _chain(cal, rental)]
            _chain(cal, queued)
        assert (rental.machine, rental.status.value, rental.queued) == ("q0", "approved", False)
        assert steps == [(None, "pending"), ("pending", "pending"), ("pending", "approved")]
        assert (queued.status.value, queued.reason) == ("rejected", QUEUE_REASON)
        _assert_sound(db_url)

    @staticmethod
    def _check(url: str, results: dict[str, tuple[str, int]], rid: int, k: int) -> int:
        """Every success recorded once, in SEQUENCE order; the rental's final SEQUENCE."""
        allowed = {
            "move": {"ok", "InvalidTransition", "Unavailable"},
            "approve": {"ok", "InvalidTransition", "Unavailable"},
            "reject": {"ok", "InvalidTransition"},
            "cancel": {"ok", "InvalidTransition"},
        }
        assert all(outcome in allowed[op] for op, (outcome, _) in results.items()), results
        with rentcal.connect(url) as cal:
            rental = cal.rental(rid)
            rows = _chain(cal, rental)
        assert rental.sequence == len(rows) - 1, (rental, rows)
        won = {seq: op for op, (outcome, seq) in results.items() if outcome == "ok"}
        assert len(won) == [o for o, _ in results.values()].count("ok"), results
        for seq, row in enumerate(rows[1:], start=1):
            if row["reason"] == QUEUE_REASON:  # dan's approval rejected it
                assert seq not in won, (results, rows)
            else:
                assert seq in won and _records(won[seq], row), (results, rows)
        moved = results["move"][0] == "ok"
        assert rental.machine == (f"q{k}" if moved else f"a{k}"), (results, rental)
        return rental.sequence

    @staticmethod
    def _check_expired_once(url: str, stale: list[int]) -> None:
        """Housekeeping and every rival that locked the machine settle a stale request once."""
        with rentcal.connect(url) as cal:
            for rid in stale:
                rows = _chain(cal, cal.rental(rid))
                steps = [(r["from"], r["to"], r["reason"]) for r in rows[1:]]
                assert steps == [("pending", "rejected", EXPIRED_REASON)], steps
                assert len(_told(cal, "bob", rid)) == 1


# -- expiry racing an approval of the same request -----------------------------------------

NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)


def _expiry_round(url: str, k: int, hours: bool) -> int:
    """A pending request of bob's on machine e{k}; its id.

    ``hours``: the machine's requests expire after 1 hour, the request made at
    NOON for d(20); otherwise it is for TODAY + 1, when it may still be approved.
    """
    with rentcal.connect(url, clock=_clock(NOON)) as cal:
        if k == 0:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", verified=True, acting="ada")
        cal.add_machine(
            f"e{k}", daily_price="10", request_expiry_hours=1 if hours else None, acting="ada"
        )
        first = d(20) if hours else TODAY + timedelta(days=1)
        return cal.book(f"e{k}", first, first + timedelta(days=1), member="bob", today=TODAY).id


#: When a worker acts: (its clock's first reading, its today).
Moment = tuple[datetime, date]


def _moments(hours: bool) -> tuple[Moment, Moment]:
    """``hours``: the request is 30 minutes old for the approver, 2 hours for the
    others; otherwise its first day is the approver's today, the others' yesterday."""
    if hours:
        return (NOON + timedelta(minutes=30), TODAY), (NOON + timedelta(hours=2), TODAY)
    first = TODAY + timedelta(days=1)
    return (NOON + timedelta(days=1), first), (NOON + timedelta(days=2), first + timedelta(days=1))


def _expire_or_approve(
    start: Start, url: str, op: str, rental_id: int, machine: str, now: datetime, today: date
) -> str:
    """``op`` as of ``now`` / ``today``: approve the request, housekeeping, or book the
    machine's other days (which settles the request first)."""
    with rentcal.connect(url, busy_timeout=30, clock=_clock(now)) as cal:
        cal.member("ada")
        start()
        if op == "approve":
            return _outcome(cal.approve, rental_id, acting="ada", today=today)[0]
        if op == "housekeeping":
            return f"expired {cal.housekeeping(today=today).expired}"
        later = d(28)
        return _outcome(cal.book, machine, later, later, member="ada", today=today)[0]


@pytest.mark.slow
class TestExpiryRaces:
    """A request expiring while another process approves it: one outcome, told once."""

    @pytest.mark.parametrize("hours", [False, True], ids=["first-day", "expiry-hours"])
    def test_expiry_against_approval(self, db_url: str, hours: bool) -> None:
        for k in range(3):
            rid = _expiry_round(db_url, k, hours)
            in_time, late = _moments(hours)
            machine = f"e{k}"
            outcomes = _race(
                db_url,
                [
                    (_expire_or_approve, ("approve", rid, machine, *in_time)),
                    (_expire_or_approve, ("approve", rid, machine, *late)),
                    (_expire_or_approve, ("housekeeping", rid, machine, *late)),
                    (_expire_or_approve, ("book", rid, machine, *late)),
                ],
            )
            self._check(db_url, rid, outcomes)

    @staticmethod
    def _check(url: str, rid: int, outcomes: list[str]) -> None:
        """The approval or the expiry, never both: one history step, one notification."""
        approved, late_approval, housekept, booked = outcomes
        assert approved in ("ok", "InvalidTransition"), outcomes
        assert late_approval == "InvalidTransition", outcomes  # decided, or expired, by then
        assert housekept in ("expired 0", "expired 1") and booked == "ok", outcomes
        with rentcal.connect(url) as cal:
            rental = cal.rental(rid)
            rows = _chain(cal, rental)
            told = _told(cal, "bob", rid)
        steps = [(r["from"], r["to"], r["reason"]) for r in rows[1:]]
        if approved == "ok":
            assert steps == [("pending", "approved", None)], (outcomes, steps)
            assert housekept == "expired 0", outcomes
            assert len(told) == 1 and told[0].endswith(f" is approved (rental {rid})."), told
        else:
            assert steps == [("pending", "rejected", EXPIRED_REASON)], (outcomes, steps)
            expired = f"expired: no admin decided it in time (rental {rid})."
            assert len(told) == 1 and told[0].endswith(expired), told
        assert rental.sequence == 1
        _assert_sound(url)
