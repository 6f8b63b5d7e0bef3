"""``rentcal member passwd``, ``rentcal token ...`` and ``rentcal feed ...``."""

from __future__ import annotations

import json
import re

import pytest

import rentcal
from tests.cli_support import cli, failed

PASSWORD = "correct horse battery"
SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


class TestPasswd:
    """Prompted twice without echo, or one line from stdin; the library's rules apply."""

    def test_prompted_twice(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "member", "passwd", "bob", input=f"{PASSWORD}\n{PASSWORD}\n")
        assert result.exit_code == 0, result.output
        assert "New password" in result.output
        assert "Repeat for confirmation" in result.output
        assert PASSWORD not in result.output  # hidden input
        assert result.stdout.endswith("Password set for bob.\n")
        assert seeded.login("bob", PASSWORD)[0].member == "bob"

    def test_confirmation_must_match(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url,
            "member",
            "passwd",
            "bob",
            input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
        )
        assert result.exit_code == 0, result.output
        assert "do not match" in result.output
        assert seeded.login("bob", PASSWORD)

    def test_password_stdin_reads_one_line(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url,
            "member",
            "passwd",
            "bob",
            "--password-stdin",
            as_="bob",
            input=f"{PASSWORD}\r\nsecond line\n",
        )
        assert result.exit_code == 0, result.output
        assert "New password" not in result.output
        assert seeded.login("bob", PASSWORD)
        with pytest.raises(rentcal.AuthFailed):
            seeded.login("bob", f"{PASSWORD}\r\nsecond line")

    def test_password_stdin_empty(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "member", "passwd", "bob", "--password-stdin", input=""),
            2,
            "no password on standard input",
        )

    def test_too_short(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "member", "passwd", "bob", "--password-stdin", input="short\n")
        failed(result, 2, "the password is too short: use at least 8 characters")
        assert "short\n" not in result.stderr.replace("too short", "")

    def test_other_member_refused(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url, "member", "passwd", "dan", "--password-stdin", as_="bob", input=f"{PASSWORD}\n"
        )
        failed(result, 3, "member 'bob' cannot set the password of 'dan'")
        assert not seeded.has_password("dan")

    def test_unknown_member_before_the_prompt(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "member", "passwd", "zed", input=f"{PASSWORD}\n{PASSWORD}\n")
        failed(result, 2, "member 'zed' not found")
        assert "New password" not in result.output


class TestTokens:
    """The secret alone on stdout, once; the explanation on stderr."""

    def test_create(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "token", "create", "--name", "backup", as_="bob")
        assert result.exit_code == 0, result.output
        secret = result.stdout.strip()
        assert SECRET.fullmatch(secret), result.stdout
        assert "Token 1 acts as bob" in result.stderr
        assert "rentcal token revoke 1" in result.stderr
        member = seeded.token_member(secret)
        assert member is not None
        assert member.handle == "bob"

    def test_create_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "token", "create", "--for", "bob", "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert (data["member"], data["created_by"], data["active"]) == ("bob", "ada", True)
        assert SECRET.fullmatch(data["token"])
        assert seeded.token_member(data["token"]) is not None

    def test_for_someone_else_needs_an_admin(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "token", "create", "--for", "dan", as_="bob"),
            3,
            "member 'bob' is not an admin; only admins can create tokens for 'dan'",
        )

    def test_list_and_revoke(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        secret = cli(db_url, "token", "create", "--name", "laptop", as_="bob").stdout.strip()
        listed = cli(db_url, "token", "list", as_="bob")
        assert listed.exit_code == 0
        assert re.search(r"^1\s+bob\s+laptop\s+.*\bactive$", listed.stdout, re.M), listed.stdout
        assert secret not in listed.stdout
        revoked = cli(db_url, "token", "revoke", "1", as_="bob")
        assert (revoked.exit_code, revoked.stdout) == (0, "Revoked token 1 of bob.\n")
        assert seeded.token_member(secret) is None
        empty = cli(db_url, "token", "list", as_="bob")
        assert empty.stdout.startswith("No API tokens.")
        shown = json.loads(cli(db_url, "token", "list", "--all", "--json", as_="bob").stdout)
        assert [(t["id"], t["active"]) for t in shown] == [(1, False)]
        failed(cli(db_url, "token", "revoke", "1"), 2, "token 1 is already revoked")

    def test_revoke_someone_elses(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        cli(db_url, "token", "create", as_="bob")
        failed(cli(db_url, "token", "revoke", "1", as_="dan"), 3, "cannot revoke token 1")
        failed(cli(db_url, "token", "revoke", "7"), 2, "token 7 not found")
        failed(cli(db_url, "token", "revoke", "0"), 2, "")

    def test_needs_an_acting_member(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "token", "list", as_=None, env={"RENTCAL_USER": "nobody"})
        failed(result, 2, "acting member 'nobody' not found")


class TestFeeds:
    """The full URL on stdout, once; the base URL from the option, the variable or the default."""

    def _secret(self, url: str) -> str:
        found = re.search(r"/feeds/([A-Za-z0-9_-]{43})\.(ics|json)$", url)
        assert found, url
        return found.group(1)

    def test_create_own(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "feed", "create", "--name", "phone", as_="bob")
        assert result.exit_code == 0, result.output
        url = result.stdout.strip()
        assert url.startswith("http://127.0.0.1:8000/feeds/") and url.endswith(".ics")
        feed = seeded.feed_by_secret(self._secret(url))
        assert feed is not None
        assert (feed.scope, feed.member, feed.name) == ("member", "bob", "phone")
        assert "Feed 1 shows bob's rentals" in result.stderr

    def test_base_url_option_and_variable(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        given = cli(db_url, "feed", "create", "--all", "--base-url", "https://cal.example.org/")
        assert given.stdout.startswith("https://cal.example.org/feeds/"), given.output
        env = {"RENTCAL_BASE_URL": "https://rentcal.example.org/sub"}
        from_env = cli(db_url, "feed", "create", "--machine", "saw", "--format", "json", env=env)
        assert from_env.stdout.startswith("https://rentcal.example.org/sub/feeds/")
        assert from_env.stdout.strip().endswith(".json")

    @pytest.mark.parametrize(
        "base",
        [
            "ftp://x.org",
            "example.org",
            "https://x.org/?a=1",
            "http://",
            "https://user@x.org",  # accepted before; `serve` refused it (issue: one rule)
            "http://[::1",
        ],
    )
    def test_bad_base_url(self, seeded: rentcal.Rentcal, db_url: str, base: str) -> None:
        failed(cli(db_url, "feed", "create", "--base-url", base), 2, "base URL")
        assert seeded.feed_tokens("ada") == []

    def test_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "feed", "create", "--machine", "tractor", "--json")
        data = json.loads(result.stdout)
        assert data["scope"] == "machine"
        assert data["machine"] == "tractor"
        assert data["path"] == f"/feeds/{data['token']}.ics"
        assert data["url"] == "http://127.0.0.1:8000" + data["path"]

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            pytest.param(("--member", "dan"), 3, "cannot create a feed of 'dan'", id="other"),
            pytest.param(("--member", "bob", "--all"), 2, "give at most one", id="two"),
            pytest.param(("--format", "pdf"), 2, "feed format 'pdf'", id="format"),
        ],
    )
    def test_refused(
        self, seeded: rentcal.Rentcal, db_url: str, args: tuple[str, ...], code: int, message: str
    ) -> None:
        failed(cli(db_url, "feed", "create", *args, as_="bob"), code, message)
        assert seeded.feed_tokens("ada") == []

    def test_list_and_revoke(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        url = cli(db_url, "feed", "create", "--machine", "saw").stdout.strip()
        listed = cli(db_url, "feed", "list")
        assert re.search(r"^1\s+machine saw\s+ics\s+.*\bada\b.*\bactive$", listed.stdout, re.M)
        assert self._secret(url) not in listed.stdout
        revoked = cli(db_url, "feed", "revoke", "1")
        assert (revoked.exit_code, revoked.stdout) == (0, "Revoked feed 1 (machine saw).\n")
        assert seeded.feed_by_secret(self._secret(url)) is None
        assert cli(db_url, "feed", "list").stdout.startswith("No feed URLs.")
        assert (
            json.loads(cli(db_url, "feed", "list", "--all", "--json").stdout)[0]["active"] is False
        )
        failed(cli(db_url, "feed", "revoke", "1", as_="bob"), 3, "cannot revoke feed 1")
