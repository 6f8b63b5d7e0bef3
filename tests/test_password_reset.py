"""Forgotten passwords (issue #20): a one-time link by e-mail, then a new password.

The service: the same answer for every request, the link stored as a digest,
single use within an hour, a password change that ends every session and
token, the limits per account and per client, and the mail queued in the
request's own transaction, received by a real SMTP server (aiosmtpd). The
statements that find an account and a live link run on both backends (the
SQL differs); what only the Python decides runs on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import InvalidRequest
from rentcal.core.credential_values import secret_digest
from rentcal.service import password_reset
from rentcal.service.password_reset import MAX_ACCOUNT_RESETS, MAX_CLIENT_RESETS
from rentcal.service.smtp_sender import SmtpSender
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, seed
from tests.mail_support import MovableClock, smtp_server

OLD = "old password 1"
NEW = "new password 2"
BASE = "https://rentcal.example.org"
LINK = re.compile(r"https://rentcal\.example\.org/reset/([A-Za-z0-9_-]{43})")


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2030, 1, 9, 12, tzinfo=UTC))


@pytest.fixture
def cal(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    """The seeded members; bob has an address and a password, carol an address only."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as c:
        seed(c)
        c.edit_member("bob", email="Bob@Example.org", acting="ada")
        c.edit_member("carol", email="carol@example.org", acting="ada")
        c.set_password("bob", OLD, acting="ada")
        yield c


def resets(cal: rentcal.Rentcal) -> list[str]:
    """The addresses of the queued reset messages, oldest first."""
    return [i.address for i in cal.outbox(acting="ada") if i.kind == "password-reset"]


def link_secret(cal: rentcal.Rentcal) -> str:
    """Send what is queued through a real SMTP server; the secret in the newest reset mail."""
    with smtp_server() as server:
        cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", BASE))
        got = [r for r in server.received if "password" in str(r.message["Subject"])]
    assert got, "no reset mail arrived"
    found = LINK.search(got[-1].text())
    assert found is not None, got[-1].text()
    assert found.group(0) in got[-1].html()
    return found.group(1)


def stored(db_url: str) -> list[tuple[str, str | None]]:
    """(secret_hash, used_at) of every link row, as a second connection sees them."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT secret_hash, used_at FROM password_reset"))
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


@BOTH  # finding the account and the live link are SQL the backends answer
class TestTheLink:
    """Asking by handle or address mails a link that works once, within the hour."""

    @pytest.mark.parametrize("who", ["bob", "BOB ", "bob@example.org", "Bob@Example.ORG"])
    def test_handle_or_address_finds_the_member(self, cal: rentcal.Rentcal, who: str) -> None:
        assert cal.request_password_reset(who, client="203.0.113.5") is None
        assert resets(cal) == ["Bob@Example.org"]

    def test_the_link_sets_the_password_once(self, cal: rentcal.Rentcal) -> None:
        cal.request_password_reset("bob")
        secret = link_secret(cal)
        session, session_secret = cal.reset_password(secret, NEW)
        assert session.member == "bob"
        assert cal.session_member(session_secret).handle == "bob"  # type: ignore[union-attr]
        assert cal.login("bob", NEW)[0].member == "bob"
        with pytest.raises(rentcal.AuthFailed):
            cal.login("bob", OLD)
        with pytest.raises(InvalidRequest) as info:
            cal.reset_password(secret, "third password")
        assert (info.value.field, info.value.reason) == ("secret", "unusable")
        assert cal.login("bob", NEW)[0].member == "bob"

    def test_an_expired_link_is_refused(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        cal.request_password_reset("bob")
        secret = link_secret(cal)
        clock.forward(timedelta(hours=1))
        with pytest.raises(InvalidRequest, match="unknown, already used or expired"):
            cal.reset_password(secret, NEW)
        assert cal.login("bob", OLD)[0].member == "bob"

    def test_a_deactivated_member_gets_no_link(self, cal: rentcal.Rentcal) -> None:
        cal.request_password_reset("bob")
        secret = link_secret(cal)
        cal.deactivate_member("bob", acting="ada")
        cal.request_password_reset("bob")
        assert resets(cal) == []  # the first was sent; no second
        with pytest.raises(InvalidRequest):
            cal.reset_password(secret, NEW)


@SQLITE_ONLY
class TestSameAnswer:
    """Nothing tells whether an account exists, nor whose a refused link was."""

    @pytest.mark.parametrize(
        "who", ["nobody", "dan", "nobody@example.org", "", " ", "x" * 300, "zoé\n"]
    )
    def test_no_mail_and_no_difference(self, cal: rentcal.Rentcal, who: str) -> None:
        assert cal.request_password_reset(who, client="203.0.113.5") is None
        assert resets(cal) == []  # dan has no address: nothing either

    def test_an_unknown_link_says_the_same_as_a_used_one(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest) as unknown:
            cal.reset_password("x" * 43, NEW)
        cal.request_password_reset("bob")
        secret = link_secret(cal)
        cal.reset_password(secret, NEW)
        with pytest.raises(InvalidRequest) as used:
            cal.reset_password(secret, NEW)
        assert str(unknown.value) == str(used.value)
        assert "bob" not in str(used.value)

    def test_a_short_password_keeps_the_link(self, cal: rentcal.Rentcal) -> None:
        cal.request_password_reset("bob")
        secret = link_secret(cal)
        with pytest.raises(InvalidRequest) as info:
            cal.reset_password(secret, "short")
        assert info.value.field == "password"
        assert cal.reset_password(secret, NEW)[0].member == "bob"


@SQLITE_ONLY
class TestWhatTheChangeRevokes:
    """Using the link is a password change: every session and API token ends."""

    def test_sessions_and_tokens_end(self, cal: rentcal.Rentcal) -> None:
        _, before = cal.login("bob", OLD)
        _, token = cal.create_token("bob")
        cal.request_password_reset("bob")
        cal.reset_password(link_secret(cal), NEW)
        assert cal.session_member(before) is None
        assert cal.token_member(token) is None

    def test_every_open_link_is_used_up(self, cal: rentcal.Rentcal) -> None:
        cal.request_password_reset("bob")
        first = link_secret(cal)
        cal.request_password_reset("bob")
        second = link_secret(cal)
        cal.reset_password(second, NEW)
        with pytest.raises(InvalidRequest):
            cal.reset_password(first, "third password")


@SQLITE_ONLY
class TestStorage:
    """The secret is stored as its digest; the mail is queued in the request's transaction."""

    def test_only_the_digest_is_stored(self, cal: rentcal.Rentcal, db_url: str) -> None:
        cal.request_password_reset("bob")
        secret = link_secret(cal)
        assert stored(db_url) == [(secret_digest(secret), None)]
        cal.reset_password(secret, NEW)
        assert stored(db_url)[0][1] is not None

    def test_a_rolled_back_request_queues_nothing(
        self, cal: rentcal.Rentcal, db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise RuntimeError("after the link was written")

        monkeypatch.setattr(password_reset.mail_sql, "queue_for", fail)
        with pytest.raises(RuntimeError):
            cal.request_password_reset("bob")
        assert stored(db_url) == []
        monkeypatch.undo()
        cal.request_password_reset("bob")
        assert resets(cal) == ["Bob@Example.org"] and len(stored(db_url)) == 1


@SQLITE_ONLY
class TestLimits:
    """Three links an hour per account, ten requests per client in 15 minutes."""

    def test_per_account(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        for n in range(MAX_ACCOUNT_RESETS + 2):
            cal.request_password_reset("bob", client=f"203.0.113.{n}")
        assert len(resets(cal)) == MAX_ACCOUNT_RESETS
        clock.forward(timedelta(hours=1))
        cal.request_password_reset("bob", client="198.51.100.1")
        assert len(resets(cal)) == MAX_ACCOUNT_RESETS + 1

    def test_per_client(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        for _ in range(MAX_CLIENT_RESETS):
            cal.request_password_reset("nobody", client="203.0.113.9")
        cal.request_password_reset("bob", client="203.0.113.9")
        assert resets(cal) == []  # over this client's limit: the same answer, no mail
        cal.request_password_reset("bob", client="198.51.100.1")
        assert resets(cal) == ["Bob@Example.org"]  # another client is unaffected
        clock.forward(timedelta(minutes=15))
        cal.request_password_reset("carol", client="203.0.113.9")
        assert resets(cal) == ["Bob@Example.org", "carol@example.org"]


class TestTheBaseUrl:
    """The reset link gets the base URL at send time; no other message is expanded."""

    def test_only_the_reset_kind(self) -> None:
        from rentcal.core.mail import BASE_MARK, RESET_KIND, reset_mail, with_base

        said = reset_mail("/reset/abc", 60)
        text, page = with_base(RESET_KIND, said.text, said.html, BASE + "/")
        assert f"{BASE}/reset/abc\n" in text and f'href="{BASE}/reset/abc"' in page
        assert "/reset/abc\n" in with_base(RESET_KIND, said.text, said.html, None)[0]
        purpose = f"see {BASE_MARK}/x"
        assert with_base("approved", purpose, purpose, BASE) == (purpose, purpose)
