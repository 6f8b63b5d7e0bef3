"""``book(idempotency_key=...)``: the same request sent again, or many times at once, books once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.service import idempotency
from tests.conftest import BOTH, TODAY, d
from tests.processes import Start, in_processes

pytestmark = BOTH

START = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)


@pytest.fixture
def moments() -> dict[str, datetime]:
    return {"now": START}


@pytest.fixture
def cal(db_url: str, moments: dict[str, datetime]) -> Iterator[rentcal.Rentcal]:
    """Admin 'ada', verified 'bob' and 'carol'; machines 'saw' (auto-approves), 'drill'."""
    with rentcal.connect(db_url, clock=lambda: moments["now"]) as c:
        c.add_member("ada", admin=True)
        c.add_member("bob", verified=True, acting="ada")
        c.add_member("carol", verified=True, acting="ada")
        c.add_machine("saw", "10", auto_approve=True, acting="ada")
        c.add_machine("drill", "5", acting="ada")
        yield c


def _book(cal: rentcal.Rentcal, key: str | None, **changes: Any) -> rentcal.Rental:
    request: dict[str, Any] = {
        "machine": "saw",
        "start": d(20),
        "end": d(22),
        "member": "bob",
        "purpose": "shelves",
        "today": TODAY,
    }
    request.update(changes)
    machine, start, end = request.pop("machine"), request.pop("start"), request.pop("end")
    return cal.book(machine, start, end, idempotency_key=key, **request)


class TestReplays:
    """A key seen before returns the same rental: no new one, no error."""

    def test_same_key_same_rental(self, cal: rentcal.Rentcal) -> None:
        first = _book(cal, "order-1")
        again = _book(cal, "order-1")
        assert again == first
        assert len(cal.rentals()) == 1
        assert len(cal.notifications("ada")) == 1  # admins told once

    def test_spelling_of_handles_does_not_matter(self, cal: rentcal.Rentcal) -> None:
        first = _book(cal, "order-1")
        assert _book(cal, "order-1", machine="SAW", member=" Bob") == first

    def test_replay_shows_the_current_state(self, cal: rentcal.Rentcal) -> None:
        first = _book(cal, "order-1", machine="drill")
        cal.approve(first.id, acting="ada", today=TODAY)
        again = _book(cal, "order-1", machine="drill")
        assert (again.id, again.status) == (first.id, rentcal.RentalStatus.APPROVED)

    def test_replay_after_the_machine_was_retired(self, cal: rentcal.Rentcal) -> None:
        first = _book(cal, "order-1")
        cal.retire_machine("saw", acting="ada")
        assert _book(cal, "order-1").id == first.id

    def test_new_key_new_booking(self, cal: rentcal.Rentcal) -> None:
        _book(cal, "order-1")
        with pytest.raises(rentcal.Unavailable):
            _book(cal, "order-2")  # the same days again, but a new request
        assert _book(cal, "order-3", start=d(23), end=d(23)).start == d(23)
        assert len(cal.rentals()) == 2

    def test_no_key_no_idempotency(self, cal: rentcal.Rentcal) -> None:
        _book(cal, None)
        with pytest.raises(rentcal.Unavailable):
            _book(cal, None)

    def test_keys_belong_to_the_acting_member(self, cal: rentcal.Rentcal) -> None:
        bobs = _book(cal, "k")
        carols = _book(cal, "k", member="carol", start=d(24), end=d(24))
        assert bobs.id != carols.id
        for_bob = _book(cal, "k", acting="ada", start=d(26), end=d(26))  # ada's own key 'k'
        assert for_bob.member == "bob"
        assert len(cal.rentals()) == 3

    def test_refusal_stores_nothing(self, cal: rentcal.Rentcal) -> None:
        blocker = _book(cal, None)
        with pytest.raises(rentcal.Unavailable):
            _book(cal, "retry-me", member="carol")
        cal.cancel(blocker.id, acting="bob", today=TODAY)
        booked = _book(cal, "retry-me", member="carol")  # evaluated afresh
        assert booked.member == "carol"

    def test_kept_for_a_day(self, cal: rentcal.Rentcal, moments: dict[str, datetime]) -> None:
        first = _book(cal, "order-1")
        moments["now"] = START + timedelta(hours=23, minutes=59)
        assert _book(cal, "order-1").id == first.id
        moments["now"] = START + timedelta(hours=24, minutes=1)
        with pytest.raises(rentcal.Unavailable):
            _book(cal, "order-1")  # forgotten: a new request for booked days


class TestMismatch:
    """The same key for a different request is refused, and changes nothing."""

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param({"machine": "drill"}, id="machine"),
            pytest.param({"start": d(21)}, id="start"),
            pytest.param({"end": d(23)}, id="end"),
            pytest.param({"purpose": "a table"}, id="purpose"),
            pytest.param({"purpose": None}, id="no-purpose"),
            pytest.param({"member": "carol", "acting": "bob"}, id="member"),
        ],
    )
    def test_refused(self, cal: rentcal.Rentcal, changes: dict[str, Any]) -> None:
        first = _book(cal, "order-1")
        with pytest.raises(rentcal.IdempotencyMismatch) as err:
            _book(cal, "order-1", **changes)
        assert (err.value.field, err.value.value, err.value.reason) == (
            "idempotency_key",
            "order-1",
            "idempotency-mismatch",
        )
        assert isinstance(err.value, rentcal.InvalidRequest)
        assert cal.rentals() == [first]

    @pytest.mark.parametrize(
        "key",
        [
            pytest.param("", id="empty"),
            pytest.param("x" * 256, id="too-long"),
            pytest.param("caf\u00e9", id="not-ascii"),
            pytest.param("a\nb", id="control"),
            pytest.param(42, id="not-text"),
        ],
    )
    def test_bad_keys(self, cal: rentcal.Rentcal, key: Any) -> None:
        with pytest.raises(rentcal.InvalidRequest) as err:
            _book(cal, key)
        assert err.value.field == "idempotency_key"
        assert cal.rentals() == []

    def test_longest_key(self, cal: rentcal.Rentcal) -> None:
        key = "k" * 255
        assert _book(cal, key).id == _book(cal, key).id


class TestConflictPath:
    """When the unique (member, key) constraint fires, the twin's rental is returned."""

    def test_returns_the_twins_rental(self, cal: rentcal.Rentcal) -> None:
        first = _book(cal, "order-1")
        request = idempotency.request_key(
            "order-1",
            actor="bob",
            machine="saw",
            start=d(20),
            end=d(22),
            member="bob",
            purpose="shelves",
        )

        def write() -> rentcal.Rental:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))

        found = idempotency.after_conflict(request, write, cal._context.read, cal.now)
        assert found == first

    def test_other_integrity_errors_pass_through(self, cal: rentcal.Rentcal) -> None:
        def write() -> rentcal.Rental:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("something else"))

        with pytest.raises(sa.exc.IntegrityError):
            idempotency.after_conflict(None, write, cal._context.read, cal.now)
        request = idempotency.request_key(
            "unused", actor="bob", machine="saw", start=d(1), end=d(1), member="bob", purpose=None
        )
        with pytest.raises(sa.exc.IntegrityError):
            idempotency.after_conflict(request, write, cal._context.read, cal.now)


def _same_key(start: Start, url: str, machine: str) -> int | str:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.machine("saw")  # connected before the start signal
        start()
        try:
            rental = cal.book(
                machine, d(20), d(22), member="bob", today=TODAY, idempotency_key="double-click"
            )
        except rentcal.RentcalError as err:
            return type(err).__name__
        return rental.id


def _race(url: str, machines: list[str]) -> list[Any]:
    """One process per machine, released together, booking with the same key."""
    return in_processes(_same_key, [(url, m) for m in machines], timeout=120)


@pytest.mark.slow
class TestConcurrency:
    """Real processes released together on a real database."""

    def test_ten_at_once_one_rental(self, db_url: str) -> None:
        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", verified=True, acting="ada")
            cal.add_machine("saw", "10", acting="ada")
        outcomes = _race(db_url, ["saw"] * 10)
        assert len(set(outcomes)) == 1, outcomes
        assert isinstance(outcomes[0], int)
        with rentcal.connect(db_url) as cal:
            assert [r.id for r in cal.rentals()] == [outcomes[0]]

    def test_same_key_different_machines_at_once(self, db_url: str) -> None:
        """No shared machine lock: the unique constraint decides; one wins, the rest mismatch."""
        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", verified=True, acting="ada")
            for i in range(6):
                cal.add_machine("saw" if i == 0 else f"m{i}", "10", acting="ada")
        outcomes = _race(db_url, ["saw"] + [f"m{i}" for i in range(1, 6)])
        booked = [o for o in outcomes if isinstance(o, int)]
        assert len(booked) == 1, outcomes
        assert sorted(o for o in outcomes if not isinstance(o, int)) == ["IdempotencyMismatch"] * 5
        with rentcal.connect(db_url) as cal:
            assert [r.id for r in cal.rentals()] == booked
