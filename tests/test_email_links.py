"""A member's own new address is used only once confirmed by its link (issue #20).

Through a real SMTP server (aiosmtpd): the link goes to the NEW address, mail
goes on to the old one until the link is used, a new request replaces the
pending address, the limits, who may ask. Finding the live link is SQL both
backends answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

import rentcal
from rentcal import InvalidRequest, PermissionDenied
from rentcal.service.email_links import MAX_CHANGES_PER_HOUR
from rentcal.service.smtp_sender import SmtpSender
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, seed
from tests.mail_support import MovableClock, SmtpServer, smtp_server

BASE = "https://rentcal.example.org"
LINK = re.compile(r"https://rentcal\.example\.org/confirm-email/([A-Za-z0-9_-]{43})")


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2030, 1, 9, 12, tzinfo=UTC))


@pytest.fixture
def cal(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    """bob's confirmed address is old@example.org (set by the admin)."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as c:
        seed(c)
        c.edit_member("bob", email="old@example.org", acting="ada")
        yield c


def delivered(cal: rentcal.Rentcal) -> SmtpServer:
    """Everything queued, sent through a real SMTP server (stopped; its messages kept)."""
    with smtp_server() as server:
        cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", BASE))
    return server


def secret_in(server: SmtpServer, address: str) -> str:
    """The confirmation link's secret in the newest message to ``address``."""
    got = [r for r in server.to(address) if "Confirm" in str(r.message["Subject"])]
    assert got, f"no confirmation arrived for {address}"
    found = LINK.search(got[-1].text())
    assert found is not None, got[-1].text()
    assert found.group(0) in got[-1].html()
    return found.group(1)


@BOTH
class TestConfirming:
    """The link goes to the new address; the old one is used until it is confirmed."""

    def test_old_address_until_confirmed(self, cal: rentcal.Rentcal) -> None:
        pending = cal.change_email("bob", "New@Example.org", acting="bob")
        assert pending.address == "New@Example.org"
        assert cal.member("bob").email == "old@example.org"
        assert cal.pending_email("bob", acting="bob") == pending
        cal.book("saw", datetime(2030, 1, 20).date(), datetime(2030, 1, 20).date(), member="bob")
        server = delivered(cal)
        secret = secret_in(server, "New@Example.org")
        assert server.to("old@example.org"), "the booking news went to the confirmed address"
        assert not [
            r for r in server.to("New@Example.org") if "Confirm" not in str(r.message["Subject"])
        ]
        member = cal.confirm_email(secret)
        assert member.email == "New@Example.org"
        assert cal.pending_email("bob", acting="bob") is None
        assert [c.field for c in cal.member_history("bob")][-1] == "email"
        with pytest.raises(InvalidRequest) as info:
            cal.confirm_email(secret)
        assert (info.value.field, info.value.reason) == ("secret", "unusable")

    def test_a_new_request_replaces_the_pending_address(self, cal: rentcal.Rentcal) -> None:
        cal.change_email("bob", "first@example.org", acting="bob")
        first = secret_in(delivered(cal), "first@example.org")
        cal.change_email("bob", "second@example.org", acting="bob")
        second = secret_in(delivered(cal), "second@example.org")
        with pytest.raises(InvalidRequest, match="replaced"):
            cal.confirm_email(first)
        assert cal.confirm_email(second).email == "second@example.org"

    def test_an_expired_link_is_refused(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        cal.change_email("bob", "new@example.org", acting="bob")
        secret = secret_in(delivered(cal), "new@example.org")
        clock.forward(timedelta(hours=24))
        assert cal.pending_email("bob", acting="bob") is None
        with pytest.raises(InvalidRequest, match="expired"):
            cal.confirm_email(secret)
        assert cal.member("bob").email == "old@example.org"


@SQLITE_ONLY
class TestRules:
    """Who may ask, and how often."""

    def test_only_the_member_themself(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="admins set anyone's with edit_member"):
            cal.change_email("bob", "new@example.org", acting="ada")
        with pytest.raises(PermissionDenied):
            cal.pending_email("bob", acting="dan")
        assert cal.pending_email("bob", acting="ada") is None

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            pytest.param("OLD@example.org", "unchanged", id="same"),
            pytest.param("nope", None, id="malformed"),
            pytest.param("", None, id="empty"),
        ],
    )
    def test_bad_addresses(self, cal: rentcal.Rentcal, value: str, reason: str | None) -> None:
        with pytest.raises(InvalidRequest) as info:
            cal.change_email("bob", value, acting="bob")
        assert info.value.field == "email"
        if reason:
            assert info.value.reason == reason
        assert [i for i in cal.outbox(acting="ada") if i.kind == "email-confirm"] == []

    def test_the_hourly_limit(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        for n in range(MAX_CHANGES_PER_HOUR):
            cal.change_email("bob", f"n{n}@example.org", acting="bob")
        with pytest.raises(InvalidRequest) as info:
            cal.change_email("bob", "more@example.org", acting="bob")
        assert info.value.reason == "too-many"
        clock.forward(timedelta(hours=1))
        cal.change_email("bob", "more@example.org", acting="bob")
