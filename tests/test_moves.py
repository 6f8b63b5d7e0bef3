"""move (rentcal.service.moves): permissions, conflicts, price, SEQUENCE/UID, history, notices."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import (
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from rentcal.service.base import Context
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

T = {"today": TODAY}


@pytest.fixture
def pending(seeded: rentcal.Rentcal) -> rentcal.Rental:
    """Bob's pending tractor request 2030-01-10..12 (360.00)."""
    return seeded.book("tractor", d(10), d(12), member="bob", purpose="hay", **T)


class TestMoveDays:
    """New days keep the rental's identity, recompute its price, record and tell."""

    def test_member_moves_own_pending_keeping_length(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        moved = seeded.move(pending.id, start=d(20), acting="bob", **T)
        assert (moved.id, moved.uid, moved.machine) == (pending.id, pending.uid, "tractor")
        assert (moved.start, moved.end, moved.days) == (d(20), d(22), 3)
        assert moved.status == "pending" and moved.sequence == pending.sequence + 1
        assert moved.price == Decimal("360.00") and moved.purpose == "hay"
        assert seeded.rental(pending.id) == moved

    def test_end_or_days_change_the_length_and_price(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        assert seeded.move(pending.id, end=d(13), acting="bob", **T).price == Decimal("480.00")
        moved = seeded.move(pending.id, start=d(15), days=2, acting="bob", **T)
        assert (moved.start, moved.end, moved.price) == (d(15), d(16), Decimal("240.00"))
        assert moved.sequence == 2

    def test_history_row_from_equals_to_with_old_and_new(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        seeded.move(pending.id, start=d(20), acting="bob", **T)
        last = seeded.history(pending.id)[-1]
        assert (last["from"], last["to"], last["by"]) == ("pending", "pending", "bob")
        assert last["reason"] == "moved: tractor 2030-01-10..2030-01-12 -> 2030-01-20..2030-01-22"

    def test_member_and_admins_notified(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        seeded.move(pending.id, start=d(20), acting="bob", **T)
        text = (
            "Bob Baker moved their booking of Tractor 6120 from Thu 10 – Sat 12 Jan 2030 "
            f"to Sun 20 – Tue 22 Jan 2030; the price stays 360.00 (rental {pending.id})."
        )
        assert seeded.notifications("bob")[-1].message == text
        assert seeded.notifications("ada")[-1].message == text
        assert seeded.notifications("dan") == []

    def test_overlapping_its_own_old_days_is_fine(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        moved = seeded.move(pending.id, start=d(11), acting="bob", **T)
        assert (moved.start, moved.end) == (d(11), d(13))

    def test_ics_keeps_uid_with_higher_sequence(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        before = seeded.ical(machine="tractor", all_statuses=True).decode()
        seeded.move(pending.id, start=d(20), acting="bob", **T)
        after = seeded.ical(machine="tractor", all_statuses=True).decode()
        uid = f"UID:{pending.uid}"
        assert uid in before and uid in after
        assert "SEQUENCE:0" in before or "SEQUENCE" not in before
        assert "SEQUENCE:1" in after and "DTSTART;VALUE=DATE:20300120" in after
        assert after.count("BEGIN:VEVENT") == before.count("BEGIN:VEVENT") == 1


class TestMoveMachine:
    """Another machine: its price, its availability, both machines locked."""

    def test_admin_moves_to_other_machine_with_its_price(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        moved = seeded.move(pending.id, machine="saw", acting="ada", **T)
        assert (moved.machine, moved.start, moved.end) == ("saw", d(10), d(12))
        assert moved.price == Decimal("46.50") and moved.status == "pending"
        assert seeded.history(pending.id)[-1]["reason"] == (
            "moved: tractor 2030-01-10..2030-01-12 -> saw 2030-01-10..2030-01-12"
        )
        assert seeded.notifications("bob")[-1].message == (
            "Ada Admin moved Bob Baker's booking from Tractor 6120 on Thu 10 – Sat 12 Jan 2030 "
            f"to Band saw on Thu 10 – Sat 12 Jan 2030; new price 46.50 (rental {pending.id})."
        )
        assert seeded.check("tractor", d(10), d(12), **T).available

    def test_locks_both_machines_in_id_order(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        locked: list[int] = []
        monkeypatch.setattr(seeded.store, "lock_machine", lambda _conn, mid: locked.append(mid))
        seeded.move(pending.id, machine="saw", acting="ada", **T)  # tractor 1, saw 2
        assert locked == [1, 2]
        locked.clear()
        seeded.move(pending.id, machine="tractor", acting="ada", **T)
        assert locked == [1, 2]

    def test_retired_machine_refused(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        seeded.add_machine("old", daily_price="1", acting="ada")
        seeded.retire_machine("old", acting="ada", **T)
        with pytest.raises(InvalidRequest) as info:
            seeded.move(pending.id, machine="old", acting="ada", **T)
        assert info.value.reason == "retired"
        with pytest.raises(NotFound):
            seeded.move(pending.id, machine="nope", acting="ada", **T)
        assert seeded.rental(pending.id) == pending


class TestMoveRefusals:
    """Conflicts, permissions, the past, closed rentals, nothing to do."""

    def test_conflict_is_unavailable_and_nothing_changes(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        other = seeded.book("tractor", d(20), d(21), member="dan", **T)
        with pytest.raises(Unavailable) as info:
            seeded.move(pending.id, start=d(19), acting="bob", **T)
        assert [c.id for c in info.value.conflicts] == [other.id]
        assert str(info.value).startswith(
            "cannot move rental 1: tractor is not available 2030-01-19..2030-01-21"
        )
        assert seeded.rental(pending.id) == pending
        assert len(seeded.history(pending.id)) == 1

    def test_maintenance_conflicts(self, seeded: rentcal.Rentcal, pending: rentcal.Rental) -> None:
        seeded.add_maintenance("saw", d(11), d(11), acting="ada", **T)
        with pytest.raises(Unavailable) as info:
            seeded.move(pending.id, machine="saw", acting="ada", **T)
        assert [c.kind.value for c in info.value.conflicts] == ["maintenance"]

    def test_database_guard_refusal_is_unavailable_without_itself(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bug skipping the check still meets the guard: Unavailable, the other rental only."""
        other = seeded.book("tractor", d(13), d(14), member="dan", **T)
        monkeypatch.setattr(Context, "conflicts", lambda *_a, **_k: [])
        with pytest.raises(Unavailable) as info:
            seeded.move(pending.id, start=d(12), acting="bob", **T)
        assert [c.id for c in info.value.conflicts] == [other.id]
        assert seeded.rental(pending.id) == pending

    def test_member_cannot_move_others_or_approved(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        with pytest.raises(PermissionDenied) as info:
            seeded.move(pending.id, start=d(20), acting="dan", **T)
        assert info.value.reason == "not-owner"
        seeded.approve(pending.id, acting="ada", **T)
        with pytest.raises(PermissionDenied) as info:
            seeded.move(pending.id, start=d(20), acting="bob", **T)
        assert info.value.reason == "not-admin"
        moved = seeded.move(pending.id, start=d(20), acting="ada", **T)
        assert moved.status == "approved" and moved.start == d(20)
        with pytest.raises(PermissionDenied):
            seeded.move(pending.id, start=d(25), **T)  # no acting member

    def test_closed_or_ended_rentals_do_not_move(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        seeded.cancel(pending.id, acting="bob", **T)
        with pytest.raises(InvalidTransition) as info:
            seeded.move(pending.id, start=d(20), acting="ada", **T)
        assert str(info.value) == "cannot move rental 1: it is cancelled"
        saw = seeded.book("saw", d(10), d(11), member="bob", **T)
        with pytest.raises(InvalidTransition) as info:
            seeded.move(saw.id, start=d(20), acting="ada", today=d(12))
        assert "it ended on 2030-01-11" in str(info.value)

    def test_past_days_refused_but_begun_rental_may_change_its_end(
        self, seeded: rentcal.Rentcal
    ) -> None:
        saw = seeded.book("saw", d(9), d(11), member="bob", **T)
        with pytest.raises(InvalidRequest, match="is in the past"):
            seeded.move(saw.id, start=d(8), acting="ada", **T)
        longer = seeded.move(saw.id, end=d(13), acting="ada", today=d(10))
        assert (longer.start, longer.end) == (d(9), d(13))
        with pytest.raises(InvalidRequest, match="is in the past"):
            seeded.move(saw.id, end=d(9), acting="ada", today=d(10))

    def test_nothing_to_do(self, seeded: rentcal.Rentcal, pending: rentcal.Rental) -> None:
        with pytest.raises(InvalidRequest) as info:
            seeded.move(pending.id, acting="bob", **T)
        assert info.value.reason == "unchanged"
        with pytest.raises(InvalidRequest, match="already on tractor"):
            seeded.move(pending.id, start=d(10), acting="bob", **T)
        with pytest.raises(InvalidRequest, match="not both"):
            seeded.move(pending.id, end=d(12), days=3, acting="bob", **T)
        with pytest.raises(NotFound):
            seeded.move(99, start=d(20), acting="bob", **T)

    def test_no_overlap_stored_after_any_move(
        self, seeded: rentcal.Rentcal, pending: rentcal.Rental
    ) -> None:
        seeded.book("tractor", d(15), d(16), member="dan", **T)
        for start in (d(13), d(14), d(17)):
            with contextlib.suppress(Unavailable):
                seeded.move(pending.id, start=start, acting="ada", **T)
        with seeded.store.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT start_date, end_date FROM rental")).all()
        assert len(rows) == 2
