"""The use cases behind rentcal.connect: rules, permissions, history, messages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import (
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RentalStatus,
    Unavailable,
)
from tests.conftest import TODAY, d, make_clock

T = {"today": TODAY}


class TestMembers:
    """Members: the first is an admin, the rest are added by admins."""

    def test_first_member_must_be_admin(self, cal: rentcal.Rentcal) -> None:
        assert cal.is_empty()
        with pytest.raises(InvalidRequest, match=r"the first member \('bob'\) must be an admin"):
            cal.add_member("bob")
        ada = cal.add_member("ada", admin=True)
        assert ada.is_admin and ada.verified
        assert not cal.is_empty()

    def test_later_members_need_an_acting_admin(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="this needs an acting member"):
            seeded.add_member("eve")
        with pytest.raises(PermissionDenied) as info:
            seeded.add_member("eve", acting="bob")
        assert str(info.value) == "member 'bob' is not an admin; only admins can add members"
        with pytest.raises(NotFound, match="acting member 'zed' not found"):
            seeded.add_member("eve", acting="zed")
        assert "eve" not in [m.handle for m in seeded.members()]

    def test_handles_are_case_insensitive_and_unique(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="member 'bob' already exists"):
            seeded.add_member("BOB", acting="ada")
        assert seeded.member("Bob").handle == "bob"

    @pytest.mark.parametrize(
        "handle",
        [
            pytest.param("x'; DROP TABLE rental;--", id="sql"),
            pytest.param("émile", id="unicode"),
            pytest.param("", id="empty"),
            pytest.param("a" * 65, id="long"),
            pytest.param("two words", id="space"),
        ],
    )
    def test_bad_handles(self, seeded: rentcal.Rentcal, handle: str) -> None:
        with pytest.raises(InvalidRequest, match="is not valid: use 1-64 ASCII letters"):
            seeded.add_member(handle, acting="ada")

    def test_bad_email(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="email 'nope' is not an e-mail address"):
            seeded.add_member("eve", email="nope", acting="ada")

    def test_verify(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied):
            seeded.verify_member("carol", acting="bob")
        assert seeded.verify_member("carol", acting="ada").verified
        assert seeded.member("carol").verified
        assert "verified" in seeded.notifications("carol")[-1].message


class TestMachines:
    """Machines: admins add and retire them; retired machines cannot be booked."""

    def test_add_keeps_two_decimal_places(self, seeded: rentcal.Rentcal) -> None:
        m = seeded.machine("tractor")
        assert m.daily_price == Decimal("120.00")
        assert str(m.daily_price) == "120.00"
        assert m.title == "Tractor 6120" and m.status == "active" and not m.auto_approve

    def test_only_admins(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can add machines"):
            seeded.add_machine("drill", daily_price="1", acting="bob")
        with pytest.raises(PermissionDenied, match="only admins can retire machines"):
            seeded.retire_machine("saw", acting="bob")

    def test_duplicate_and_unknown(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="machine 'tractor' already exists"):
            seeded.add_machine("Tractor", daily_price="1", acting="ada")
        with pytest.raises(NotFound) as info:
            seeded.machine("tractor-9")
        assert str(info.value) == "machine 'tractor-9' not found"

    def test_retired_cannot_be_booked_or_checked(self, seeded: rentcal.Rentcal) -> None:
        seeded.retire_machine("saw", acting="ada")
        with pytest.raises(InvalidRequest, match="machine 'saw' is retired and cannot be booked"):
            seeded.book("saw", d(10), d(10), member="bob", **T)
        with pytest.raises(InvalidRequest, match="retired"):
            seeded.check("saw", d(10), d(10), **T)
        with pytest.raises(InvalidRequest, match="already retired"):
            seeded.retire_machine("saw", acting="ada")
        assert [m.name for m in seeded.machines(include_retired=False)] == ["tractor"]


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


class TestBook:
    """book(): verified members, active machines, all or nothing."""

    def test_pending_rental_with_price_and_notifications(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(14), member="bob", purpose="hay", **T)
        assert (r.machine, r.member, r.start, r.end) == ("tractor", "bob", d(10), d(14))
        assert r.status == "pending" and r.price == Decimal("600.00") and r.sequence == 0
        assert r.purpose == "hay" and len(r.uid) == 36 and r.days == 5
        admin_note = seeded.notifications("ada")[-1]
        assert admin_note.rental_id == r.id and admin_note.message.startswith("new request")
        assert seeded.notifications("bob") == []

    def test_auto_approve(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("saw", d(10), d(10), member="bob", **T)
        assert r.status == "approved" and r.price == Decimal("15.50")
        assert seeded.notifications("bob")[-1].message == (
            f"rental {r.id} approved: saw 2030-01-10..2030-01-10"
        )
        assert seeded.notifications("ada")[-1].message.endswith("(auto-approved)")

    def test_overlap_is_unavailable_with_conflicts(self, seeded: rentcal.Rentcal) -> None:
        first = seeded.book("tractor", d(10), d(14), member="bob", **T)
        with pytest.raises(Unavailable) as info:
            seeded.book("tractor", d(14), d(15), member="dan", **T)
        assert [c.id for c in info.value.conflicts] == [first.id]
        assert "tractor is not available 2030-01-14..2030-01-15" in str(info.value)
        # the next day is free: inclusive ends touch, they do not overlap
        assert seeded.book("tractor", d(15), d(15), member="dan", **T).status == "pending"
        assert len(seeded.rentals()) == 2

    def test_unverified_member_refused(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied) as info:
            seeded.book("tractor", d(10), d(10), member="carol", **T)
        assert str(info.value) == (
            "member 'carol' is not verified yet; an admin must verify them first"
        )
        assert seeded.rentals() == []

    def test_booking_for_someone_else_needs_admin(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can book for 'dan'"):
            seeded.book("tractor", d(10), d(10), member="dan", acting="bob", **T)
        r = seeded.book("tractor", d(10), d(10), member="dan", acting="ada", **T)
        assert r.member == "dan" and r.status_changed_by == "ada"

    def test_unknown_member_and_bad_text(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(NotFound, match="member 'zed' not found"):
            seeded.book("tractor", d(10), d(10), member="zed", **T)
        with pytest.raises(
            InvalidRequest, match="purpose is 10000 characters long; the limit is 2000"
        ):
            seeded.book("tractor", d(10), d(10), member="bob", purpose="x" * 10_000, **T)
        with pytest.raises(InvalidRequest, match="purpose contains a NUL character"):
            seeded.book("tractor", d(10), d(10), member="bob", purpose="a\x00b", **T)
        assert seeded.rentals() == []

    def test_unicode_purpose_round_trips(self, seeded: rentcal.Rentcal) -> None:
        text = "Ålesund ☃ — «silage»; 50% \\ done"
        r = seeded.book("tractor", d(10), d(10), member="bob", purpose=text, **T)
        assert seeded.rental(r.id).purpose == text

    def test_failure_leaves_nothing_behind(self, seeded: rentcal.Rentcal) -> None:
        notes_before = len(seeded.notifications("ada"))

        def boom(*_args: object, **_kw: object) -> None:
            raise RuntimeError("disk full")

        seeded._notify = boom  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            seeded.book("tractor", d(10), d(10), member="bob", **T)
        del seeded._notify
        assert seeded.rentals() == []
        assert len(seeded.notifications("ada")) == notes_before


class TestTransitions:
    """approve / reject / cancel / complete with permissions and history."""

    def test_approve_then_complete(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(9), d(12), member="bob", **T)
        with pytest.raises(PermissionDenied, match="only admins can approve rentals"):
            seeded.approve(r.id, acting="bob", **T)
        a = seeded.approve(r.id, acting="ada", **T)
        assert a.status == "approved" and a.sequence == 1 and a.status_changed_by == "ada"
        assert a.updated_at > r.updated_at and a.uid == r.uid
        c = seeded.complete(r.id, acting="ada", **T)
        assert c.status == "completed" and c.sequence == 2
        assert [h["to"] for h in seeded.history(r.id)] == ["pending", "approved", "completed"]
        assert [n.message.split(":")[0] for n in seeded.notifications("bob")] == [
            f"rental {r.id} approved",
            f"rental {r.id} completed",
        ]

    def test_cannot_complete_before_start(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(20), d(22), member="bob", **T)
        seeded.approve(r.id, acting="ada", **T)
        with pytest.raises(InvalidTransition, match="it starts on 2030-01-20"):
            seeded.complete(r.id, acting="ada", **T)

    def test_reject_keeps_reason_and_frees_days(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        x = seeded.reject(r.id, acting="ada", reason="harvest, sorry", **T)
        assert x.status == "rejected" and x.reason == "harvest, sorry"
        assert seeded.notifications("bob")[-1].message.endswith("(harvest, sorry)")
        assert seeded.check("tractor", d(10), d(12), **T).available
        assert seeded.rentals(status="rejected")[0].id == r.id  # nothing is deleted

    def test_cancel_by_owner_or_admin_only(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        with pytest.raises(PermissionDenied) as info:
            seeded.cancel(r.id, acting="dan", **T)
        assert str(info.value) == (
            f"member 'dan' cannot cancel rental {r.id}: it belongs to 'bob' "
            "(only its member or an admin can)"
        )
        assert seeded.cancel(r.id, acting="bob", **T).status == "cancelled"
        with pytest.raises(InvalidTransition) as again:
            seeded.cancel(r.id, acting="ada", **T)
        assert str(again.value) == f"cannot cancel rental {r.id}: it is cancelled"

    @pytest.mark.parametrize(
        ("first", "then", "message"),
        [
            pytest.param(
                "cancel", "approve", "cannot approve rental {id}: it is cancelled", id="ca"
            ),
            pytest.param(
                "reject", "approve", "cannot approve rental {id}: it is rejected", id="ra"
            ),
            pytest.param("reject", "cancel", "cannot cancel rental {id}: it is rejected", id="rc"),
            pytest.param(
                "approve", "approve", "cannot approve rental {id}: it is approved", id="aa"
            ),
        ],
    )
    def test_illegal_transitions(
        self, seeded: rentcal.Rentcal, first: str, then: str, message: str
    ) -> None:
        r = seeded.book("tractor", d(9), d(12), member="bob", **T)
        getattr(seeded, first)(r.id, acting="ada", **T)
        with pytest.raises(InvalidTransition) as info:
            getattr(seeded, then)(r.id, acting="ada", **T)
        assert str(info.value) == message.format(id=r.id)

    def test_complete_pending_is_illegal(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(9), d(12), member="bob", **T)
        with pytest.raises(InvalidTransition, match=r"cannot complete rental \d+: it is pending"):
            seeded.complete(r.id, acting="ada", **T)

    def test_cannot_cancel_after_it_ended(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(9), d(10), member="bob", **T)
        seeded.approve(r.id, acting="ada", **T)  # a pending request may still be closed
        with pytest.raises(InvalidTransition, match="it ended on 2030-01-10"):
            seeded.cancel(r.id, acting="bob", today=d(11))

    def test_approve_rechecks_under_the_lock(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        m = seeded.add_maintenance("tractor", d(11), d(11), acting="ada", force=True, **T)
        with pytest.raises(Unavailable) as info:
            seeded.approve(r.id, acting="ada", **T)
        assert [(c.kind, c.id) for c in info.value.conflicts] == [("maintenance", m.id)]
        assert seeded.rental(r.id).status == "pending"

    def test_unknown_rental(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(NotFound, match="rental 999 not found"):
            seeded.approve(999, acting="ada", **T)
        with pytest.raises(
            InvalidRequest, match="rental id 0 must be a whole number from 1 to 2147483647"
        ):
            seeded.rental(0)


class TestMaintenance:
    """Maintenance blocks days; over rentals only with force."""

    def test_over_rentals_needs_force(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        with pytest.raises(Unavailable) as info:
            seeded.add_maintenance("tractor", d(12), d(13), kind="repair", acting="ada", **T)
        assert [c.id for c in info.value.conflicts] == [r.id]
        assert seeded.maintenance() == []
        m = seeded.add_maintenance(
            "tractor", d(12), d(13), kind="repair", acting="ada", force=True, **T
        )
        assert (m.kind, m.status, m.machine) == ("repair", "scheduled", "tractor")
        assert seeded.rental(r.id).status == "pending"  # left for an admin to move
        assert f"overlaps your rental {r.id}" in seeded.notifications("bob")[-1].message

    def test_permissions_kinds_and_cancel(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can schedule maintenance"):
            seeded.add_maintenance("tractor", d(10), d(10), acting="bob", **T)
        with pytest.raises(InvalidRequest, match="maintenance kind 'oil' is not one of"):
            seeded.add_maintenance("tractor", d(10), d(10), kind="oil", acting="ada", **T)
        m = seeded.add_maintenance("tractor", d(10), d(10), notes="oil", acting="ada", **T)
        with pytest.raises(PermissionDenied):
            seeded.cancel_maintenance(m.id, acting="bob")
        assert seeded.cancel_maintenance(m.id, acting="ada").status == "cancelled"
        with pytest.raises(InvalidTransition, match=f"cannot cancel maintenance {m.id}"):
            seeded.cancel_maintenance(m.id, acting="ada")
        assert [x.status for x in seeded.maintenance(machine="tractor")] == ["cancelled"]
        assert seeded.maintenance(status="scheduled") == []

    def test_maintenance_never_overlaps_maintenance(self, seeded: rentcal.Rentcal) -> None:
        first = seeded.add_maintenance("tractor", d(10), d(12), acting="ada", **T)
        with pytest.raises(Unavailable, match="maintenance overlaps maintenance") as info:
            seeded.add_maintenance("tractor", d(12), d(14), acting="ada", force=True, **T)
        assert [(c.kind, c.id) for c in info.value.conflicts] == [("maintenance", first.id)]
        assert seeded.add_maintenance("saw", d(12), d(14), acting="ada", **T).machine == "saw"

    def test_bookings_cannot_overlap_maintenance(self, seeded: rentcal.Rentcal) -> None:
        seeded.add_maintenance("tractor", d(10), d(11), acting="ada", **T)
        with pytest.raises(Unavailable):
            seeded.book("tractor", d(11), d(12), member="bob", **T)


class TestQueries:
    """rentals(), free_windows(), notifications()."""

    def test_rental_filters(self, seeded: rentcal.Rentcal) -> None:
        a = seeded.book("tractor", d(10), d(12), member="bob", **T)
        b = seeded.book("saw", d(11), d(11), member="dan", **T)
        c = seeded.book("tractor", d(20), d(21), member="dan", **T)
        ids = lambda rs: [r.id for r in rs]  # noqa: E731
        assert ids(seeded.rentals()) == [a.id, b.id, c.id]
        assert ids(seeded.rentals(machine="tractor")) == [a.id, c.id]
        assert ids(seeded.rentals(member="dan")) == [b.id, c.id]
        assert ids(seeded.rentals(status="approved")) == [b.id]
        assert ids(seeded.rentals(status=["pending", RentalStatus.APPROVED])) == [a.id, b.id, c.id]
        assert ids(seeded.rentals(start=d(12), end=d(19))) == [a.id]
        assert ids(seeded.rentals(start=d(21))) == [c.id]
        with pytest.raises(InvalidRequest, match="status 'lost' is not one of"):
            seeded.rentals(status="lost")
        with pytest.raises(NotFound):
            seeded.rentals(machine="nope")

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

    def test_notifications_read_and_marked_together(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        shown = seeded.notifications("ada", unread_only=True, mark_read=True)
        assert shown and all(n.read_at is None for n in shown)  # as they were when shown
        seeded.book("tractor", d(20), d(21), member="bob", **T)  # arrives afterwards
        later = seeded.notifications("ada", unread_only=True)
        assert len(later) == 1 and later[0].id not in {n.id for n in shown}

    def test_notifications_mark_read(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        unread = seeded.notifications("ada", unread_only=True)
        assert unread and all(n.read_at is None for n in unread)
        assert seeded.mark_read("ada") == len(unread)
        assert seeded.notifications("ada", unread_only=True) == []
        assert seeded.mark_read("ada") == 0
        assert all(n.read_at is not None for n in seeded.notifications("ada"))


class TestPersistence:
    """What a call stored is what a second, independent connection reads."""

    def test_second_connection_sees_committed_rows(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        r = seeded.book("tractor", d(10), d(14), member="bob", purpose="hay", **T)
        seeded.approve(r.id, acting="ada", **T)
        engine = sa.create_engine(seeded.store.url)
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT status, price, start_date, end_date, sequence FROM rental")
            ).one()
            assert row.status == "approved"  # stored by value, not by Python name
            assert Decimal(str(row.price)) == Decimal("600.00")
            assert str(row.start_date) == "2030-01-10" and str(row.end_date) == "2030-01-14"
            assert row.sequence == 1
            statuses = conn.execute(
                sa.text("SELECT to_status FROM rental_history ORDER BY id")
            ).scalars()
            assert list(statuses) == ["pending", "approved"]
        engine.dispose()
        with rentcal.connect(db_url) as other:
            again = other.rental(r.id)
            assert (again.status, again.uid, again.price) == ("approved", r.uid, Decimal("600.00"))

    def test_enum_check_constraint(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(14), member="bob", **T)
        engine = sa.create_engine(seeded.store.url)
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE rental SET status = 'APPROVED'"))
        engine.dispose()

    def test_returned_values_are_detached(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(14), member="bob", **T)
        seeded.close()
        assert r.as_dict()["price"] == "600.00" and r.machine_title == "Tractor 6120"


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

        @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.integers(-5, 210), st.integers(0, 12))
        def check(offset: int, length: int) -> None:
            start = TODAY + timedelta(days=max(offset, 0))
            end = start + timedelta(days=length)
            got = {(c.kind.value, c.id) for c in seeded.check("tractor", start, end, **T).conflicts}
            want = {("rental", r.id) for r in blocking if overlaps(start, end, r.start, r.end)}
            want |= {("maintenance", m.id) for m in upkeep if overlaps(start, end, m.start, m.end)}
            assert got == want

        check()


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


def test_rental_select_matches_value_fields() -> None:
    """Rows unpack positionally into Rental: the column order must follow its fields."""
    import dataclasses

    from rentcal import queries

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


class TestTextValidation:
    """Free text is printable Unicode; one-line fields have no line breaks."""

    @pytest.mark.parametrize(
        ("purpose", "message"),
        [
            pytest.param("caf\udce9", "purpose is not valid UTF-8 text", id="surrogate"),
            pytest.param("a\x1b[2Jb", "control character '\\x1b' at position 2", id="escape"),
            pytest.param("bell\x07", "control character '\\x07' at position 5", id="bell"),
        ],
    )
    def test_refused(self, seeded: rentcal.Rentcal, purpose: str, message: str) -> None:
        with pytest.raises(InvalidRequest) as info:
            seeded.book("tractor", d(10), d(10), member="bob", purpose=purpose, **T)
        assert message in str(info.value)
        assert seeded.rentals() == []

    def test_line_breaks(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(10), member="bob", purpose="a\r\nb\rc\td", **T)
        assert r.purpose == "a\nb\nc\td"
        with pytest.raises(InvalidRequest, match="name contains the control character '\\\\n'"):
            seeded.add_member("eve", name="Eve\nEvil", acting="ada")

    def test_emails(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.add_member("eve", email="a@b", acting="ada").email == "a@b"

    def test_datetimes_are_not_dates(self, seeded: rentcal.Rentcal) -> None:
        from datetime import datetime

        with pytest.raises(InvalidRequest, match="is a datetime; pass a date"):
            seeded.check("tractor", datetime(2030, 1, 10, 9), d(11), **T)  # type: ignore[arg-type]

    def test_negative_zero_price(self, seeded: rentcal.Rentcal) -> None:
        assert (
            str(seeded.add_machine("drill", daily_price="-0", acting="ada").daily_price) == "0.00"
        )

    def test_one_day_message(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.check("tractor", d(10), d(10), **T).message.endswith("(1 day)")

    def test_cannot_approve_on_a_retired_machine(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(10), member="bob", **T)
        # Retired by an older rentcal, which left its pending requests pending
        # (retire_machine now rejects them: tests/test_lifecycle.py).
        seeded.store.run(
            lambda conn: conn.execute(sa.text("UPDATE machine SET status = 'retired'")), write=True
        )
        with pytest.raises(InvalidRequest, match="machine 'tractor' is retired"):
            seeded.approve(r.id, acting="ada", **T)
        assert seeded.cancel(r.id, acting="ada", **T).status == "cancelled"
