"""book, transitions and rental reads (rentcal.service.bookings): rules, history, messages."""

from __future__ import annotations

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
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

T = {"today": TODAY}
#: The days of the rental approved then completed, in words.
DAYS = "Wed 9 – Sat 12 Jan 2030"


class TestBook:
    """book(): verified members, active machines, all or nothing."""

    def test_pending_rental_with_price_and_notifications(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(14), member="bob", purpose="hay", **T)
        assert (r.machine, r.member, r.start, r.end) == ("tractor", "bob", d(10), d(14))
        assert r.status == "pending" and r.price == Decimal("600.00") and r.sequence == 0
        assert r.purpose == "hay" and len(r.uid) == 36 and r.days == 5
        admin_note = seeded.notifications("ada")[-1]
        assert admin_note.rental_id == r.id and admin_note.message == (
            f"Bob Baker asked to book Tractor 6120 for Thu 10 – Mon 14 Jan 2030 (rental {r.id})."
        )
        assert seeded.notifications("bob") == []

    def test_auto_approve(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("saw", d(10), d(10), member="bob", **T)
        assert r.status == "approved" and r.price == Decimal("15.50")
        assert seeded.notifications("bob")[-1].message == (
            f"Your booking of Band saw for Thu 10 Jan 2030 is approved (rental {r.id})."
        )
        assert seeded.notifications("ada")[-1].message.endswith("approved automatically).")

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

        seeded._context.notify = boom  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            seeded.book("tractor", d(10), d(10), member="bob", **T)
        del seeded._context.notify
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
        assert [n.message for n in seeded.notifications("bob")] == [
            f"Your booking of Tractor 6120 for {DAYS} is approved (rental {r.id}).",
            f"Your booking of Tractor 6120 for {DAYS} is completed (rental {r.id}).",
            f"You were charged 480.00 for Tractor 6120 on {DAYS}: 4 days × 120.00 (rental {r.id}).",
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
        assert seeded.notifications("bob")[-1].message.endswith("). Reason: harvest, sorry.")
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


class TestRentalQueries:
    """rentals() filters."""

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
