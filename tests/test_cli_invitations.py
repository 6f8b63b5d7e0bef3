"""``rentcal member invite | reinvite | uninvite | invitations`` and ``rentcal signup``:
exit codes, messages on stderr, data on stdout (issue #20)."""

from __future__ import annotations

import json

import pytest

import rentcal
from tests.cli_support import cli
from tests.conftest import SQLITE_ONLY

pytestmark = SQLITE_ONLY


def test_invite_list_reinvite_uninvite(seeded: rentcal.Rentcal, db_url: str) -> None:
    sent = cli(db_url, "member", "invite", "Eve", "--email", "eve@example.org", "--json")
    assert sent.exit_code == 0, sent.stderr
    assert json.loads(sent.stdout)["handle"] == "eve"
    listed = cli(db_url, "member", "invitations", "--json")
    assert [i["email"] for i in json.loads(listed.stdout)] == ["eve@example.org"]
    table = cli(db_url, "member", "invitations")
    assert "eve@example.org" in table.stdout and "open" in table.stdout
    again = cli(db_url, "member", "reinvite", "eve")
    assert again.exit_code == 0 and "new invitation link" in again.stdout
    gone = cli(db_url, "member", "uninvite", "eve")
    assert gone.exit_code == 0 and "Revoked the invitation of member eve." in gone.stdout
    assert cli(db_url, "member", "invitations").stdout.strip() == "No open invitations."


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            ["member", "invite", "bob", "--email", "b@example.org"],
            2,
            "Error: member 'bob' already exists",
            id="taken",
        ),
        pytest.param(
            ["member", "invite", "eve", "--email", "not-an-address"], 2, "email", id="bad-address"
        ),
        pytest.param(["member", "invite", "eve"], 2, "--email", id="no-address"),
        pytest.param(
            ["member", "uninvite", "bob"], 2, "member 'bob' has no open invitation", id="none"
        ),
        pytest.param(
            ["member", "reinvite", "nobody"], 2, "member 'nobody' not found", id="unknown"
        ),
    ],
)
def test_errors(
    seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
) -> None:
    result = cli(db_url, *args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert result.stdout == ""


def test_members_cannot(seeded: rentcal.Rentcal, db_url: str) -> None:
    result = cli(db_url, "member", "invite", "eve", "--email", "e@example.org", as_="bob")
    assert result.exit_code == 3
    assert "only admins can invite members" in result.stderr
    assert cli(db_url, "member", "invitations", as_="bob").exit_code == 3


def test_signup_show_set(seeded: rentcal.Rentcal, db_url: str) -> None:
    assert "signup  off" in cli(db_url, "signup", "show").stdout
    assert json.loads(cli(db_url, "signup", "set", "open", "--json").stdout) == {"signup": "open"}
    shown = json.loads(cli(db_url, "signup", "show", "--history", "--json").stdout)
    assert shown["signup"] == "open" and shown["history"][0]["changed_by"] == "ada"
    bad = cli(db_url, "signup", "set", "maybe")
    assert bad.exit_code == 2 and "mode 'maybe' must be 'open' or 'off'" in bad.stderr
    assert cli(db_url, "signup", "set", "off", as_="bob").exit_code == 3
