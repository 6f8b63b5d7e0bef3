"""``rentcal member add | verify | list`` and ``rentcal notifications``."""

from __future__ import annotations

import json

import rentcal
from tests.cli_support import MEMBER_KEYS, cli, failed, ok_json, snapshot
from tests.conftest import d


class TestMembers:
    """member add / verify / list."""

    def test_add_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(
            db_url,
            "member",
            "add",
            "eve",
            "--name",
            "Ève Ünïcødé",
            "--email",
            "eve@example.org",
            "--verified",
        )
        assert data == {
            "handle": "eve",
            "name": "Ève Ünïcødé",
            "email": "eve@example.org",
            "verified": True,
            "role": "member",
            "active": True,
        }
        assert seeded.member("eve").name == "Ève Ünïcødé"

    def test_add_admin(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "member", "add", "zed", "--admin")
        assert (data["role"], data["verified"]) == ("admin", True)

    def test_add_human(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "member", "add", "eve")
        assert result.exit_code == 0
        assert result.stdout.startswith("Added member eve.\n")

    def test_add_duplicate_and_permission(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        before = snapshot(seeded)
        failed(cli(db_url, "member", "add", "bob"), 2, "member 'bob' already exists")
        failed(cli(db_url, "member", "add", "eve", as_="bob"), 3, "only admins can add members")
        assert snapshot(seeded) == before

    def test_verify(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "book", "saw", "+1d", "+2d", as_="carol"), 3, "is not verified yet")
        data = ok_json(db_url, "member", "verify", "carol")
        assert data["verified"] is True
        assert cli(db_url, "book", "saw", "+1d", "+2d", as_="carol").exit_code == 0

    def test_verify_unknown_and_not_admin(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "member", "verify", "nope"), 2, "member 'nope' not found")
        failed(cli(db_url, "member", "verify", "carol", as_="bob"), 3, "only admins")
        assert seeded.member("carol").verified is False

    def test_list(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "member", "list")
        assert [m["handle"] for m in data] == ["ada", "bob", "carol", "dan"]
        assert all(set(m) == MEMBER_KEYS for m in data)
        human = cli(db_url, "member", "list").stdout
        assert "Carol New" in human


class TestNotifications:
    """The acting member's notifications, optionally marking them read."""

    def test_list_and_mark_read(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(20), d(21), member="bob", today=d(9))
        seeded.approve(rental.id, acting="ada", today=d(9))
        data = ok_json(db_url, "notifications", as_="bob")
        assert [n["rental_id"] for n in data] == [rental.id]
        assert set(data[0]) == {"id", "member", "rental_id", "message", "created_at", "read_at"}
        assert data[0]["read_at"] is None
        assert "approved" in data[0]["message"]

        marked = cli(db_url, "notifications", "--mark-read", "--json", as_="bob")
        assert marked.exit_code == 0
        assert json.loads(marked.stdout) == data  # what was shown, before marking
        assert marked.stderr == "Marked 1 notification read.\n"
        assert ok_json(db_url, "notifications", "--unread", as_="bob") == []
        assert len(ok_json(db_url, "notifications", as_="bob")) == 1

    def test_human(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("tractor", d(20), d(21), member="bob", today=d(9))
        result = cli(db_url, "notifications", "--mark-read", as_="ada")
        assert result.exit_code == 0
        assert (
            "Bob Baker asked to book Tractor 6120 for Sun 20 – Mon 21 Jan 2030 (rental 1)."
            in result.stdout
        )
        assert "Marked 1 notification read." in result.stdout
        empty = cli(db_url, "notifications", "--unread", as_="ada")
        assert empty.stdout == "No notifications.\n"

    def test_unknown_member(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "notifications", as_="nobody"), 2, "member 'nobody' not found")
