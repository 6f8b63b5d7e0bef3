"""``rentcal machine edit | reactivate``, ``member show | edit | role | deactivate |
reactivate``, ``maintenance edit``: exit codes, messages, JSON, permissions, history."""

from __future__ import annotations

import re

import pytest

import rentcal
from tests.cli_support import (
    MACHINE_KEYS,
    MAINTENANCE_KEYS,
    MEMBER_KEYS,
    cli,
    failed,
    ok_json,
    snapshot,
)
from tests.conftest import TODAY, d

CHANGE_KEYS = {"field", "old", "new", "by", "at"}


class TestMachineEdit:
    """machine edit / reactivate / show's history."""

    def test_edit_json_and_history(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "machine", "edit", "tractor", "--price", "99.50", "--auto-approve")
        assert set(data) == MACHINE_KEYS | {"changed"}
        assert (data["daily_price"], data["auto_approve"]) == ("99.50", True)
        assert [(c["field"], c["old"], c["new"]) for c in data["changed"]] == [
            ("daily_price", "120.00", "99.50"),
            ("auto_approve", "false", "true"),
        ]
        assert set(data["changed"][0]) == CHANGE_KEYS
        shown = ok_json(db_url, "machine", "show", "tractor")
        assert [c["field"] for c in shown["history"]] == ["daily_price", "auto_approve"]
        human = cli(db_url, "machine", "show", "tractor")
        assert "history:" in human.stdout
        assert re.search(r"ada +daily_price +120\.00 +99\.50", human.stdout), human.stdout

    def test_clear_description_and_noop(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        cli(db_url, "machine", "edit", "saw", "--description", "sharp")
        result = cli(db_url, "machine", "edit", "saw", "--clear-description")
        assert result.exit_code == 0, result.output
        assert "description: sharp -> (none)" in result.stdout
        assert seeded.machine("saw").description is None
        again = cli(db_url, "machine", "edit", "saw", "--title", "Band saw")
        assert again.exit_code == 0
        assert again.stdout.startswith("Nothing changed: machine saw already has these values.")
        assert len(seeded.machine_history("saw")) == 2

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            pytest.param(
                [],
                2,
                "nothing to change: give at least one of --title, --description, "
                "--clear-description, --price, --auto-approve/--no-auto-approve, "
                "--request-policy, --request-expiry",
                id="no-option",
            ),
            pytest.param(["--description", "x", "--clear-description"], 2, "not both", id="both"),
            pytest.param(["--price", "-3"], 2, "daily price", id="negative"),
            pytest.param(["--price", "abc"], 2, "daily price", id="not-a-number"),
            pytest.param(["--title", ""], 2, "--title is empty", id="empty-title"),
        ],
    )
    def test_refused(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
    ) -> None:
        before = snapshot(seeded)
        failed(cli(db_url, "machine", "edit", "tractor", *args), code, message)
        assert snapshot(seeded) == before

    def test_admins_only(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "machine", "edit", "tractor", "--price", "1", as_="bob"),
            3,
            "only admins can edit machines",
        )
        failed(
            cli(db_url, "machine", "edit", "nope", "--price", "1"), 2, "machine 'nope' not found"
        )

    def test_reactivate(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "machine", "reactivate", "saw"), 2, "machine 'saw' is not retired")
        cli(db_url, "machine", "retire", "saw")
        failed(cli(db_url, "machine", "reactivate", "saw", as_="bob"), 3, "only admins")
        result = cli(db_url, "machine", "reactivate", "saw")
        assert result.exit_code == 0 and result.stdout.startswith("Reactivated machine saw.")
        assert seeded.machine("saw").status.value == "active"


class TestMemberEdits:
    """member show / edit / role / deactivate / reactivate."""

    def test_show(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "member", "show", "bob")
        assert set(data) == MEMBER_KEYS | {"history"}
        assert data["history"] == []
        failed(cli(db_url, "member", "show", "zed"), 2, "member 'zed' not found")

    def test_edit_own_and_others(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(  # a member's own new address is confirmed by a link first (/me)
            cli(db_url, "member", "edit", "bob", "--email", "b@example.org", as_="bob"),
            2,
            "cannot set their own e-mail address to 'b@example.org' directly",
        )
        data = ok_json(db_url, "member", "edit", "bob", "--name", "Bobby", as_="bob")
        assert (data["name"], data["changed"][0]["by"]) == ("Bobby", "bob")
        data = ok_json(db_url, "member", "edit", "bob", "--email", "b@example.org")
        assert (data["email"], data["changed"][0]["by"]) == ("b@example.org", "ada")
        failed(
            cli(db_url, "member", "edit", "dan", "--name", "X", as_="bob"),
            3,
            "members edit their own name and e-mail",
        )
        result = cli(db_url, "member", "edit", "bob", "--clear-email")
        assert "email: b@example.org -> (none)" in result.stdout
        failed(
            cli(db_url, "member", "edit", "bob"),
            2,
            "nothing to change: give at least one of --name, --email, --clear-email",
        )
        history = ok_json(db_url, "member", "show", "bob")["history"]
        assert [(c["by"], c["new"]) for c in history] == [
            ("bob", "Bobby"),
            ("ada", "b@example.org"),
            ("ada", None),
        ]

    def test_role(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "member", "role", "ada", "member"), 2, "'ada' is the last admin")
        failed(cli(db_url, "member", "role", "ada", "boss"), 2, "boss")
        failed(cli(db_url, "member", "role", "carol", "admin", as_="bob"), 3, "only admins")
        data = ok_json(db_url, "member", "role", "carol", "ADMIN")
        assert (data["role"], data["verified"]) == ("admin", True)
        result = cli(db_url, "member", "role", "ada", "member", as_="carol")
        assert result.exit_code == 0 and "role: admin -> member" in result.stdout

    def test_deactivate_and_reactivate(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        pending = seeded.book("tractor", d(20), d(21), member="bob", today=TODAY)
        data = ok_json(db_url, "member", "deactivate", "bob")
        assert data["active"] is False
        assert seeded.rental(pending.id).status.value == "rejected"
        failed(cli(db_url, "book", "saw", "2030-01-25", "--days", "1", as_="bob"), 3, "deactivated")
        failed(cli(db_url, "cancel", "1", as_="bob"), 3, "member 'bob' is deactivated")
        human = cli(db_url, "member", "show", "bob")
        assert "active    no (deactivated)" in human.stdout
        listed = cli(db_url, "member", "list").stdout
        assert re.search(r"^bob .* member, deactivated$", listed, re.M), listed
        assert re.search(r"^dan .* member$", listed, re.M), listed
        failed(cli(db_url, "member", "deactivate", "bob"), 2, "already deactivated")
        failed(cli(db_url, "member", "deactivate", "ada"), 2, "last admin")
        failed(cli(db_url, "member", "reactivate", "bob", as_="dan"), 3, "only admins")
        result = cli(db_url, "member", "reactivate", "bob")
        assert result.exit_code == 0 and result.stdout.startswith("Reactivated member bob.")
        assert "Your membership was reactivated." in cli(db_url, "notifications", as_="bob").stdout


class TestMaintenanceEdit:
    """maintenance edit: the rules of maintenance add, a recorded change."""

    def test_edit(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        block = seeded.add_maintenance("tractor", d(20), d(21), acting="ada", today=TODAY)
        data = ok_json(
            db_url, "maintenance", "edit", str(block.id), "--start", "2030-01-22", "--days", "3"
        )
        assert set(data) >= MAINTENANCE_KEYS | {"changed"}
        assert (data["start"], data["end"]) == ("2030-01-22", "2030-01-24")
        result = cli(db_url, "maintenance", "edit", str(block.id), "--notes", "oil")
        assert "notes: (none) -> oil" in result.stdout
        result = cli(db_url, "maintenance", "edit", str(block.id), "--clear-notes")
        assert "notes: oil -> (none)" in result.stdout
        assert seeded.maintenance()[0].sequence == 3

    def test_conflicts_and_refusals(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        block = seeded.add_maintenance("tractor", d(20), d(21), acting="ada", today=TODAY)
        seeded.book("tractor", d(23), d(23), member="bob", today=TODAY)
        mid = str(block.id)
        failed(
            cli(db_url, "maintenance", "edit", mid, "--end", "2030-01-23"),
            1,
            "add --force to schedule it anyway",
        )
        ok = cli(db_url, "maintenance", "edit", mid, "--end", "2030-01-23", "--force")
        assert ok.exit_code == 0, ok.output
        failed(
            cli(db_url, "maintenance", "edit", mid),
            2,
            "give at least one of --start, --end, --kind, --notes, --clear-notes",
        )
        failed(cli(db_url, "maintenance", "edit", mid, "--days", "2"), 2, "--days needs --start")
        failed(cli(db_url, "maintenance", "edit", mid, "--notes", "x", as_="bob"), 3, "only admins")
        failed(
            cli(db_url, "maintenance", "edit", "99", "--notes", "x"), 2, "maintenance 99 not found"
        )
