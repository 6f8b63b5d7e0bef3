"""Day-two edits (rentcal.service.editing / membership / maintenance): machines, members,
roles, deactivation, maintenance edits, and the change log — on every backend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import rentcal
from rentcal import UNSET, InvalidRequest, PermissionDenied, Unavailable
from rentcal.core.types import MachineStatus, RentalStatus, Role
from tests.conftest import BOTH, TODAY, d
from tests.processes import Start, in_processes

pytestmark = BOTH

T = {"today": TODAY}


def unread(cal: rentcal.Rentcal, handle: str) -> list[str]:
    """The messages of a member's unread notifications, marking them read."""
    return [n.message for n in cal.notifications(handle, unread_only=True, mark_read=True)]


class TestEditMachine:
    """``edit_machine``: only given fields change, each change is recorded."""

    def test_fields_change_and_are_recorded(self, seeded: rentcal.Rentcal) -> None:
        edited = seeded.edit_machine(
            "tractor", acting="ada", title="Big tractor", price="130", auto_approve=True
        )
        assert edited.value.title == "Big tractor"
        assert edited.value.daily_price == Decimal("130.00")
        assert edited.value.auto_approve is True
        assert [(c.field, c.old, c.new, c.by) for c in edited.changes] == [
            ("title", "Tractor 6120", "Big tractor", "ada"),
            ("daily_price", "120.00", "130.00", "ada"),
            ("auto_approve", "false", "true", "ada"),
        ]
        history = seeded.machine_history("tractor")
        assert [(c.field, c.old, c.new) for c in history] == [
            (c.field, c.old, c.new) for c in edited.changes
        ]
        assert history[0].as_dict()["by"] == "ada"

    def test_none_clears_the_description_unset_leaves_it(self, seeded: rentcal.Rentcal) -> None:
        seeded.edit_machine("saw", acting="ada", description="sharp")
        kept = seeded.edit_machine("saw", acting="ada", title="Saw", description=UNSET)
        assert kept.value.description == "sharp"
        cleared = seeded.edit_machine("saw", acting="ada", description=None)
        assert cleared.value.description is None
        assert [(c.field, c.old, c.new) for c in cleared.changes] == [
            ("description", "sharp", None)
        ]

    def test_same_values_record_nothing(self, seeded: rentcal.Rentcal) -> None:
        before = seeded.revision()[0]
        edited = seeded.edit_machine("tractor", acting="ada", price="120", title="Tractor 6120")
        assert edited.changes == ()
        assert seeded.machine_history("tractor") == []
        assert seeded.revision()[0] >= before

    def test_no_field_is_refused(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="nothing to change") as info:
            seeded.edit_machine("tractor", acting="ada")
        assert info.value.reason == "nothing-to-change"

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({"title": ""}, "title cannot be empty", id="empty-title"),
            pytest.param({"title": None}, "title cannot be empty", id="none-title"),
            pytest.param({"price": "-1"}, "daily price", id="negative-price"),
        ],
    )
    def test_bad_values(
        self, seeded: rentcal.Rentcal, kwargs: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(InvalidRequest, match=message):
            seeded.edit_machine("tractor", acting="ada", **kwargs)

    def test_admins_only(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can edit machines"):
            seeded.edit_machine("tractor", acting="bob", price="1")
        with pytest.raises(PermissionDenied, match="needs an acting member"):
            seeded.edit_machine("tractor", acting=None, price="1")
        assert seeded.machine("tractor").daily_price == Decimal("120.00")

    def test_price_change_keeps_the_price_of_existing_rentals(
        self, seeded: rentcal.Rentcal
    ) -> None:
        old = seeded.book("tractor", d(10), d(11), member="bob", **T)
        assert old.price == Decimal("240.00")
        seeded.edit_machine("tractor", acting="ada", price="100")
        assert seeded.rental(old.id).price == Decimal("240.00")
        new = seeded.book("tractor", d(20), d(21), member="bob", **T)
        assert new.price == Decimal("200.00")

    def test_a_title_change_bumps_the_calendar_revision(self, seeded: rentcal.Rentcal) -> None:
        before = seeded.revision()[0]
        seeded.edit_machine("tractor", acting="ada", title="Renamed")
        assert seeded.revision()[0] == before + 1
        seeded.book("tractor", d(10), d(10), member="bob", **T)
        assert b"Renamed" in seeded.ical(machine="tractor")


class TestReactivateMachine:
    """A retired machine comes back; both status changes are recorded."""

    def test_reactivate(self, seeded: rentcal.Rentcal) -> None:
        seeded.retire_machine("tractor", acting="ada", **T)
        with pytest.raises(InvalidRequest, match="retired"):
            seeded.book("tractor", d(10), d(10), member="bob", **T)
        back = seeded.reactivate_machine("tractor", acting="ada")
        assert back.status is MachineStatus.ACTIVE
        assert (
            seeded.book("tractor", d(10), d(10), member="bob", **T).status is RentalStatus.PENDING
        )
        assert [(c.field, c.old, c.new, c.by) for c in seeded.machine_history("tractor")] == [
            ("status", "active", "retired", "ada"),
            ("status", "retired", "active", "ada"),
        ]

    def test_refusals(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="is not retired") as info:
            seeded.reactivate_machine("tractor", acting="ada")
        assert info.value.reason == "active"
        seeded.retire_machine("tractor", acting="ada", **T)
        with pytest.raises(PermissionDenied, match="only admins can reactivate machines"):
            seeded.reactivate_machine("tractor", acting="bob")


class TestEditMember:
    """Members edit their own name and e-mail; admins anyone's."""

    def test_own_and_admin_edits(self, seeded: rentcal.Rentcal) -> None:
        own = seeded.edit_member("bob", acting="bob", name="Bobby")
        assert own.value.name == "Bobby"
        by_admin = seeded.edit_member("bob", acting="ada", email="bob@example.org")
        assert by_admin.value.email == "bob@example.org"
        cleared = seeded.edit_member("bob", acting="bob", email=None)
        assert cleared.value.email is None
        assert [(c.field, c.old, c.new, c.by) for c in seeded.member_history("bob")] == [
            ("name", "Bob Baker", "Bobby", "bob"),
            ("email", None, "bob@example.org", "ada"),
            ("email", "bob@example.org", None, "bob"),
        ]

    def test_own_new_address_needs_confirmation(self, seeded: rentcal.Rentcal) -> None:
        """A member's own new address goes through change_email (a link) first."""
        with pytest.raises(InvalidRequest) as info:
            seeded.edit_member("bob", acting="bob", email="bob@example.org")
        assert (info.value.field, info.value.reason) == ("email", "needs-confirmation")
        assert seeded.member("bob").email is None
        seeded.edit_member("ada", acting="ada", email="ada@elsewhere.example.org")  # an admin
        assert seeded.member("ada").email == "ada@elsewhere.example.org"

    def test_a_new_name_bumps_the_calendar_revision(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(10), member="bob", **T)
        before = seeded.revision()[0]
        seeded.edit_member("bob", acting="bob", name="Bobby")
        assert seeded.revision()[0] == before + 1
        assert any("Bobby" in e["title"] for e in seeded.events(machine="tractor"))

    def test_not_someone_elses(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="members edit their own") as info:
            seeded.edit_member("dan", acting="bob", name="X")
        assert info.value.reason == "not-owner"
        assert seeded.member("dan").name == "Dan Driver"

    def test_noop_empty_and_bad(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.edit_member("bob", acting="bob", name="Bob Baker").changes == ()
        with pytest.raises(InvalidRequest, match="nothing to change"):
            seeded.edit_member("bob", acting="bob")
        with pytest.raises(InvalidRequest, match="e-mail"):
            seeded.edit_member("bob", acting="bob", email="not-an-address")
        assert seeded.member_history("bob") == []


class TestRoles:
    """``set_role``: admins promote and demote; the last admin stays."""

    def test_promote_and_demote(self, seeded: rentcal.Rentcal) -> None:
        promoted = seeded.set_role("carol", "admin", acting="ada")
        assert promoted.value.is_admin and promoted.value.verified  # admins are verified
        assert [c.field for c in promoted.changes] == ["role", "verified"]
        assert "Your role is now admin." in unread(seeded, "carol")
        demoted = seeded.set_role("ada", Role.MEMBER, acting="carol")
        assert demoted.value.role is Role.MEMBER
        assert seeded.set_role("ada", "member", acting="carol").changes == ()

    def test_last_admin_is_never_demoted(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="is the last admin") as info:
            seeded.set_role("ada", "member", acting="ada")
        assert info.value.reason == "last-admin"
        assert seeded.member("ada").is_admin

    def test_admins_only(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can change roles"):
            seeded.set_role("bob", "admin", acting="bob")
        with pytest.raises(InvalidRequest):
            seeded.set_role("bob", "boss", acting="ada")


class TestDeactivation:
    """A deactivated member cannot log in, book or act; open requests are settled."""

    def test_settles_requests_and_refuses_the_member(self, seeded: rentcal.Rentcal) -> None:
        pending = seeded.book("tractor", d(10), d(11), member="bob", **T)
        approved = seeded.book("saw", d(12), d(12), member="bob", **T)
        seeded.set_password("bob", "correct horse battery", acting="ada")
        _session, secret = seeded.login("bob", "correct horse battery")
        _token, token_secret = seeded.create_token(acting="bob")
        unread(seeded, "bob")
        unread(seeded, "ada")

        member = seeded.deactivate_member("bob", acting="ada", **T)
        assert member.active is False and member.as_dict()["active"] is False
        rejected = seeded.rental(pending.id)
        assert rejected.status is RentalStatus.REJECTED
        assert rejected.reason == "member deactivated"
        assert seeded.rental(approved.id).status is RentalStatus.APPROVED
        told = unread(seeded, "bob")
        assert any("Reason: member deactivated." in m for m in told)
        stands = "Bob Baker's membership was deactivated with an approved booking of"
        assert any(m.startswith(stands) and f"(rental {approved.id})" in m for m in told)
        assert any(m.startswith(stands) for m in unread(seeded, "ada"))
        assert seeded.history(approved.id)[-1]["reason"] == "member deactivated; the rental stands"

        for refused in (
            lambda: seeded.book("tractor", d(20), d(20), member="bob", **T),
            lambda: seeded.book("tractor", d(20), d(20), member="bob", acting="ada", **T),
            lambda: seeded.cancel(approved.id, acting="bob", **T),
            lambda: seeded.edit_member("bob", acting="bob", name="B"),
            lambda: seeded.login("bob", "correct horse battery"),
        ):
            with pytest.raises(PermissionDenied) as info:
                refused()
            assert info.value.reason == "deactivated"
        assert seeded.session_member(secret) is None  # sessions revoked
        assert seeded.token_member(token_secret) is None  # tokens revoked for good
        assert [(c.field, c.old, c.new) for c in seeded.member_history("bob")] == [
            ("active", "true", "false")
        ]

        again = seeded.reactivate_member("bob", acting="ada")
        assert again.active
        assert seeded.book("tractor", d(20), d(20), member="bob", **T)
        assert "Your membership was reactivated." in unread(seeded, "bob")
        assert seeded.login("bob", "correct horse battery")
        assert seeded.token_member(token_secret) is None  # reactivation restores none

    def test_refusals(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="last admin") as info:
            seeded.deactivate_member("ada", acting="ada", **T)
        assert info.value.reason == "last-admin"
        with pytest.raises(PermissionDenied, match="only admins can deactivate"):
            seeded.deactivate_member("dan", acting="bob", **T)
        with pytest.raises(InvalidRequest, match="is not deactivated"):
            seeded.reactivate_member("dan", acting="ada")
        seeded.deactivate_member("dan", acting="ada", **T)
        with pytest.raises(InvalidRequest, match="already deactivated"):
            seeded.deactivate_member("dan", acting="ada", **T)
        with pytest.raises(PermissionDenied, match="only admins can reactivate"):
            seeded.reactivate_member("dan", acting="bob")

    def test_a_deactivated_admin_is_no_admin(self, seeded: rentcal.Rentcal) -> None:
        seeded.set_role("bob", "admin", acting="ada")
        seeded.deactivate_member("bob", acting="ada", **T)
        with pytest.raises(InvalidRequest, match="last admin"):
            seeded.set_role("ada", "member", acting="ada")  # bob does not count
        with pytest.raises(PermissionDenied, match="deactivated"):
            seeded.add_machine("x", acting="bob")

    def test_feed_urls_of_a_deactivated_member_stop(self, seeded: rentcal.Rentcal) -> None:
        _feed, secret = seeded.create_feed(acting="bob")
        assert seeded.feed_by_secret(secret) is not None
        seeded.deactivate_member("bob", acting="ada", **T)
        assert seeded.feed_by_secret(secret) is None


class TestEditMaintenance:
    """``edit_maintenance``: the rules of ``add_maintenance``, SEQUENCE bumped, recorded."""

    def test_dates_kind_notes(self, seeded: rentcal.Rentcal) -> None:
        block = seeded.add_maintenance("tractor", d(10), d(11), acting="ada", **T)
        edited = seeded.edit_maintenance(
            block.id, acting="ada", start=d(12), end=d(14), kind="repair", notes="belt", **T
        )
        item = edited.value
        assert (item.start, item.end, item.kind.value, item.notes) == (
            d(12),
            d(14),
            "repair",
            "belt",
        )
        assert item.sequence == block.sequence + 1
        assert [(c.field, c.old, c.new) for c in seeded.maintenance_history(block.id)] == [
            ("start_date", "2030-01-10", "2030-01-12"),
            ("end_date", "2030-01-11", "2030-01-14"),
            ("kind", "preventive", "repair"),
            ("notes", None, "belt"),
        ]
        assert b"SEQUENCE:1" in seeded.ical(machine="tractor")
        assert seeded.check("tractor", d(10), d(11)).available
        noop = seeded.edit_maintenance(block.id, acting="ada", end=d(14), **T)
        assert noop.changes == () and noop.value.sequence == item.sequence

    def test_conflicts_like_add(self, seeded: rentcal.Rentcal) -> None:
        block = seeded.add_maintenance("tractor", d(10), d(11), acting="ada", **T)
        other = seeded.add_maintenance("tractor", d(20), d(21), acting="ada", **T)
        rental = seeded.book("tractor", d(15), d(15), member="bob", **T)
        with pytest.raises(Unavailable, match="overlaps maintenance") as info:
            seeded.edit_maintenance(block.id, acting="ada", end=d(20), force=True, **T)
        assert [c.id for c in info.value.conflicts] == [other.id]
        with pytest.raises(Unavailable, match="overlaps rentals") as info:
            seeded.edit_maintenance(block.id, acting="ada", end=d(15), **T)
        assert info.value.overridable and [c.id for c in info.value.conflicts] == [rental.id]
        assert seeded.maintenance_history(block.id) == []
        unread(seeded, "bob")
        forced = seeded.edit_maintenance(block.id, acting="ada", end=d(15), force=True, **T)
        assert forced.value.end == d(15)
        assert any(
            f"overlaps your booking (rental {rental.id})" in m for m in unread(seeded, "bob")
        )

    def test_refusals(self, seeded: rentcal.Rentcal) -> None:
        block = seeded.add_maintenance("tractor", d(10), d(11), acting="ada", **T)
        with pytest.raises(PermissionDenied, match="only admins can edit maintenance"):
            seeded.edit_maintenance(block.id, acting="bob", notes="x", **T)
        with pytest.raises(InvalidRequest, match="nothing to change"):
            seeded.edit_maintenance(block.id, acting="ada", **T)
        with pytest.raises(InvalidRequest, match="before start date"):
            seeded.edit_maintenance(block.id, acting="ada", end=d(9, 1), start=d(10), **T)
        with pytest.raises(InvalidRequest, match="in the past"):
            seeded.edit_maintenance(block.id, acting="ada", start=d(8), **T)
        seeded.cancel_maintenance(block.id, acting="ada", **T)
        with pytest.raises(InvalidRequest, match="only scheduled blocks") as info:
            seeded.edit_maintenance(block.id, acting="ada", notes="x", **T)
        assert info.value.reason == "cancelled"


# -- the last admin under concurrency (real processes) -----------------------------------


def _demote(start: Start, url: str, target: str, acting: str) -> str:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member(acting)  # connect and warm up before the start signal
        start()
        try:
            cal.set_role(target, "member", acting=acting)
            return "ok"
        except (InvalidRequest, PermissionDenied) as err:
            return err.reason


def _deactivate(start: Start, url: str, target: str, acting: str) -> str:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.member(acting)
        start()
        try:
            cal.deactivate_member(target, acting=acting, today=TODAY)
            return "ok"
        except (InvalidRequest, PermissionDenied) as err:
            return err.reason


@pytest.mark.slow
@pytest.mark.parametrize("worker", [_demote, _deactivate], ids=["demote", "deactivate"])
def test_two_admins_removing_each_other_leave_one(db_url: str, worker: Any) -> None:
    """Two admins demote (or deactivate) each other at the same moment: one wins."""
    with rentcal.connect(db_url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("eve", admin=True, acting="ada")
    for _round in range(3):
        jobs = [(db_url, target, acting) for target, acting in (("ada", "eve"), ("eve", "ada"))]
        outcomes = in_processes(worker, jobs, timeout=120)
        assert outcomes.count("ok") == 1, outcomes
        assert set(outcomes) - {"ok"} <= {"last-admin", "not-admin", "deactivated"}, outcomes
        with rentcal.connect(db_url) as cal:
            admins = [m for m in cal.members() if m.is_admin and m.active]
            assert len(admins) == 1
            winner = admins[0].handle
            loser = "eve" if winner == "ada" else "ada"
            if worker is _demote:
                cal.set_role(loser, "admin", acting=winner)
            else:
                cal.reactivate_member(loser, acting=winner)
