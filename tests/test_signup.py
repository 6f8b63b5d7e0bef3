"""Sign-up (issue #20): off by default; when open, an unverified account, its address
confirmed by a link, every admin told (mail through a real SMTP server), limited
per client address; the setting kept with its history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

import rentcal
from rentcal import InvalidRequest, PermissionDenied
from rentcal.errors import Throttled
from rentcal.service.signup import MAX_CLIENT_SIGNUPS
from rentcal.service.smtp_sender import SmtpSender
from tests.conftest import BUSY_TIMEOUT, SQLITE_ONLY, d, seed
from tests.mail_support import MovableClock, smtp_server

pytestmark = SQLITE_ONLY  # the rules are Python; the SQL is the invitations' and the logins'

PASSWORD = "sign-up password"
BASE = "https://rentcal.example.org"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2030, 1, 9, 12, tzinfo=UTC))


@pytest.fixture
def cal(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as c:
        yield seed(c)


class TestSetting:
    """``off`` until an admin opens it; every change kept."""

    def test_default_set_history(self, cal: rentcal.Rentcal) -> None:
        assert cal.signup() == "off"
        assert cal.set_signup("Open", acting="ada") == "open"
        assert cal.set_signup("open", acting="ada") == "open"  # unchanged: not stored again
        assert cal.set_signup("off", acting="ada") == "off"
        assert [(m, by) for m, by, _ in cal.signup_history()] == [("off", "ada"), ("open", "ada")]

    def test_members_cannot_and_bad_values(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="open or close sign-up"):
            cal.set_signup("open", acting="bob")
        with pytest.raises(InvalidRequest) as info:
            cal.set_signup("sometimes", acting="ada")
        assert (info.value.field, info.value.reason) == ("mode", "choice")


class TestSigningUp:
    """An unverified account, logged in; its address confirmed later; admins told."""

    def test_closed_is_refused(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest) as info:
            cal.sign_up("newbie", "new@example.org", PASSWORD)
        assert info.value.reason == "signup-closed"
        assert "ask an admin" in info.value.message
        assert "newbie" not in [m.handle for m in cal.members()]

    def test_open_makes_an_unverified_member(self, cal: rentcal.Rentcal) -> None:
        cal.edit_member("dan", email="dan@example.org", acting="ada")
        cal.set_signup("open", acting="ada")
        session, secret = cal.sign_up(
            "Newbie", "new@example.org", PASSWORD, name="New Bie", client="203.0.113.9"
        )
        assert session.member == "newbie"
        assert cal.session_member(secret).handle == "newbie"  # type: ignore[union-attr]
        member = cal.member("newbie")
        assert (member.verified, member.email, member.name) == (False, None, "New Bie")
        assert cal.pending_email("newbie", acting="newbie").address == "new@example.org"  # type: ignore[union-attr]
        with pytest.raises(PermissionDenied):
            cal.book("saw", d(20), d(20), member="newbie")
        with smtp_server() as server:
            cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", BASE))
            to_admin = server.to("ada@example.org")
            confirm = server.to("new@example.org")
            assert not server.to("dan@example.org")  # admins only
        assert len(to_admin) == 1 and "New Bie signed up as 'newbie'" in to_admin[0].text()
        assert len(confirm) == 1 and "Confirm" in str(confirm[0].message["Subject"])
        assert any("signed up" in n.message for n in cal.notifications("ada"))
        cal.verify_member("newbie", acting="ada")
        assert cal.book("saw", d(20), d(20), member="newbie").member == "newbie"

    @pytest.mark.parametrize(
        ("handle", "email", "password", "field"),
        [
            pytest.param("bob", "b@example.org", PASSWORD, "handle", id="taken"),
            pytest.param("bad handle!", "b@example.org", PASSWORD, "handle", id="bad-handle"),
            pytest.param("newbie", "nope", PASSWORD, "email", id="bad-address"),
            pytest.param("newbie", "", PASSWORD, "email", id="no-address"),
            pytest.param("newbie", "n@example.org", "short", "password", id="short-password"),
        ],
    )
    def test_bad_arguments(
        self, cal: rentcal.Rentcal, handle: str, email: str, password: str, field: str
    ) -> None:
        cal.set_signup("open", acting="ada")
        with pytest.raises(InvalidRequest) as info:
            cal.sign_up(handle, email, password)
        assert info.value.field == field
        assert [m.handle for m in cal.members()] == ["ada", "bob", "carol", "dan"]

    def test_limited_per_client(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        cal.set_signup("open", acting="ada")
        for n in range(MAX_CLIENT_SIGNUPS):
            cal.sign_up(f"n{n}", f"n{n}@example.org", PASSWORD, client="198.51.100.7")
        with pytest.raises(Throttled) as info:
            cal.sign_up("more", "more@example.org", PASSWORD, client="198.51.100.7")
        assert info.value.retry_after >= 1
        cal.sign_up("other", "other@example.org", PASSWORD, client="198.51.100.8")
        clock.forward(timedelta(hours=1))
        cal.sign_up("more", "more@example.org", PASSWORD, client="198.51.100.7")
