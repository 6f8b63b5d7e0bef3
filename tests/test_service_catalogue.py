"""Members and machines (rentcal.service.catalogue): rules, permissions, messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rentcal
from rentcal import (
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from tests.conftest import TODAY, d
from tests.processes import Start, in_processes

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


def _init_racer(start: Start, url: str, handle: str) -> str:
    start()
    try:
        with rentcal.connect(url) as cal:
            made = cal.init(handle, name=handle.title())
        return "created" if made is not None else "unchanged"
    except Exception as err:  # reported to the parent, which fails the test
        return f"{type(err).__name__}: {err}"


class TestInit:
    """cal.init(): the first admin, idempotently, in one write transaction."""

    def test_creates_the_first_verified_admin(self, cal: rentcal.Rentcal) -> None:
        made = cal.init("ada", name="Ada Admin", email="ada@example.org")
        assert made is not None
        assert (made.handle, made.name, made.email) == ("ada", "Ada Admin", "ada@example.org")
        assert made.is_admin and made.verified
        assert cal.members() == [made]

    def test_again_changes_nothing(self, cal: rentcal.Rentcal) -> None:
        first = cal.init("ada")
        assert cal.init("ada", name="Other Name") is None
        assert cal.init("zed") is None
        assert cal.members() == [first]

    def test_refuses_a_bad_handle(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="admin handle"):
            cal.init("not a handle")
        assert cal.is_empty()

    @pytest.mark.slow
    def test_two_processes_at_once_make_one_admin(self, db_url: str) -> None:
        with rentcal.connect(db_url):
            pass  # the schema exists before the race: only init() races
        jobs = [(db_url, f"admin{i}") for i in range(6)]
        outcomes = sorted(in_processes(_init_racer, jobs, timeout=60))
        assert outcomes == ["created"] + ["unchanged"] * 5, outcomes
        with rentcal.connect(db_url) as cal:
            members = cal.members()
        assert len(members) == 1 and members[0].is_admin
