"""Invitations (issue #20): an admin invites by e-mail, the invitee chooses a password.

The service over a real SMTP server (aiosmtpd): the message, the one-time link
(single use, expiring, revocable, replaced by a re-send), the limits, the
address it confirms, the session it opens. The statements that find a live
link and list the pending invitations run on both backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import InvalidRequest, NotFound, PermissionDenied
from rentcal.core.credential_values import secret_digest
from rentcal.db import schema
from rentcal.service.invitations import MAX_INVITES_PER_HOUR
from rentcal.service.smtp_sender import SmtpSender
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, seed
from tests.mail_support import MovableClock, smtp_server

BASE = "https://rentcal.example.org"
LINK = re.compile(r"https://rentcal\.example\.org/invite/([A-Za-z0-9_-]{43})")
PASSWORD = "chosen password 1"

pytestmark = BOTH


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2030, 1, 9, 12, tzinfo=UTC))


@pytest.fixture
def cal(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as c:
        yield seed(c)


def invite_secret(cal: rentcal.Rentcal, address: str = "eve@example.org") -> str:
    """Send what is queued through a real SMTP server; the secret of the newest
    invitation that arrived for ``address`` (the link in both bodies)."""
    with smtp_server() as server:
        cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", BASE))
        got = [r for r in server.to(address) if "invited" in str(r.message["Subject"])]
    assert got, "no invitation arrived"
    found = LINK.search(got[-1].text())
    assert found is not None, got[-1].text()
    assert found.group(0) in got[-1].html()
    return found.group(1)


class TestInviting:
    """The invitee is a member without a password until they accept."""

    def test_invite_mail_accept_logs_in(self, cal: rentcal.Rentcal) -> None:
        sent = cal.invite_member(
            "Eve", "eve@example.org", name="Eve Example", verified=True, acting="ada"
        )
        assert (sent.handle, sent.address, sent.invited_by, sent.verified) == (
            "eve",
            "eve@example.org",
            "ada",
            True,
        )
        assert sent.expires_at - sent.created_at == timedelta(days=7)
        assert not cal.has_password("eve")
        with pytest.raises(rentcal.AuthFailed):
            cal.login("eve", PASSWORD)
        assert [i.handle for i in cal.invitations(acting="ada")] == ["eve"]
        secret = invite_secret(cal)
        session, session_secret = cal.accept_invitation(secret, PASSWORD)
        assert session.member == "eve"
        assert cal.session_member(session_secret).handle == "eve"  # type: ignore[union-attr]
        assert cal.login("eve", PASSWORD)[0].member == "eve"
        assert cal.invitations(acting="ada") == []
        assert cal.member("eve").email == "eve@example.org"
        with pytest.raises(InvalidRequest) as info:
            cal.accept_invitation(secret, "another password")
        assert (info.value.field, info.value.reason) == ("secret", "unusable")

    def test_the_message_names_inviter_and_lifetime(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        with smtp_server() as server:
            cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", BASE))
            [got] = server.to("eve@example.org")
        assert got.message["Subject"] == "You are invited to rentcal"
        assert "Ada Admin invited you" in got.text()
        assert "within 7 days" in got.text()
        assert "Ada Admin invited you" in got.html()

    def test_an_unverified_invitee_stays_unverified(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        cal.accept_invitation(invite_secret(cal), PASSWORD)
        assert cal.member("eve").verified is False

    def test_expired_link_refused_then_resent(
        self, cal: rentcal.Rentcal, clock: MovableClock
    ) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        old = invite_secret(cal)
        clock.forward(timedelta(days=7))
        with pytest.raises(InvalidRequest, match="unknown, already used, revoked or expired"):
            cal.accept_invitation(old, PASSWORD)
        [pending] = cal.invitations(acting="ada")
        assert pending.expired
        cal.resend_invitation("eve", acting="ada")
        new = invite_secret(cal)
        assert new != old
        assert cal.accept_invitation(new, PASSWORD)[0].member == "eve"

    def test_resend_kills_the_old_link(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        old = invite_secret(cal)
        cal.resend_invitation("eve", acting="ada")
        new = invite_secret(cal)
        with pytest.raises(InvalidRequest, match="unknown, already used"):
            cal.accept_invitation(old, PASSWORD)
        assert cal.accept_invitation(new, PASSWORD)[0].member == "eve"

    def test_revoked_link_refused(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        secret = invite_secret(cal)
        cal.revoke_invitation("eve", acting="ada")
        assert cal.invitations(acting="ada") == []
        with pytest.raises(InvalidRequest, match="revoked"):
            cal.accept_invitation(secret, PASSWORD)
        with pytest.raises(InvalidRequest) as info:
            cal.revoke_invitation("eve", acting="ada")
        assert info.value.reason == "not-invited"
        with pytest.raises(InvalidRequest, match="no open invitation"):
            cal.resend_invitation("eve", acting="ada")

    def test_a_deactivated_invitee_cannot_accept(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        secret = invite_secret(cal)
        cal.deactivate_member("eve", acting="ada")
        assert cal.invitations(acting="ada") == []
        with pytest.raises(InvalidRequest):
            cal.accept_invitation(secret, PASSWORD)


@SQLITE_ONLY
class TestRules:
    """What the Python decides: arguments, permissions, limits, storage."""

    @pytest.mark.parametrize(
        ("handle", "email", "field", "reason"),
        [
            pytest.param("bob", "b@example.org", "handle", "exists", id="taken"),
            pytest.param("eve", "", "email", None, id="empty-address"),
            pytest.param("eve", "not-an-address", "email", None, id="bad-address"),
            pytest.param("no way!", "e@example.org", "handle", None, id="bad-handle"),
        ],
    )
    def test_bad_arguments(
        self, cal: rentcal.Rentcal, handle: str, email: str, field: str, reason: str | None
    ) -> None:
        with pytest.raises(InvalidRequest) as info:
            cal.invite_member(handle, email, acting="ada")
        assert info.value.field == field
        if reason:
            assert info.value.reason == reason
        assert not [i for i in cal.outbox(acting="ada") if i.kind == "invitation"]

    def test_members_cannot_invite(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can invite members"):
            cal.invite_member("eve", "eve@example.org", acting="bob")
        with pytest.raises(PermissionDenied):
            cal.invitations(acting="bob")
        with pytest.raises(NotFound):
            cal.member("eve")

    def test_the_hourly_limit_per_admin(self, cal: rentcal.Rentcal, clock: MovableClock) -> None:
        for n in range(MAX_INVITES_PER_HOUR):
            cal.invite_member(f"m{n}", f"m{n}@example.org", acting="ada")
        with pytest.raises(InvalidRequest) as info:
            cal.invite_member("one-more", "x@example.org", acting="ada")
        assert (info.value.field, info.value.reason) == ("acting", "too-many")
        with pytest.raises(InvalidRequest, match="try again later"):
            cal.resend_invitation("m0", acting="ada")
        clock.forward(timedelta(hours=1))
        cal.invite_member("one-more", "x@example.org", acting="ada")

    def test_only_the_digest_is_stored(self, cal: rentcal.Rentcal, db_url: str) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        secret = invite_secret(cal)
        engine = sa.create_engine(db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT digest, purpose FROM member_link")).all()
        finally:
            engine.dispose()
        assert [tuple(r) for r in rows] == [(secret_digest(secret), "invite")]

    def test_a_short_password_keeps_the_link(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        secret = invite_secret(cal)
        with pytest.raises(InvalidRequest) as info:
            cal.accept_invitation(secret, "short")
        assert info.value.field == "password"
        assert cal.accept_invitation(secret, PASSWORD)[0].member == "eve"

    def test_hostile_name_reaches_no_header(self, cal: rentcal.Rentcal) -> None:
        hostile = "Eve\r\nBcc: victim@example.org"
        with pytest.raises(InvalidRequest):
            cal.invite_member("eve", "eve@example.org", name=hostile, acting="ada")
        cal.edit_member("ada", name="Ada Bcc: victim@example.org", acting="ada")
        cal.invite_member("eve", "eve@example.org", name="Eve <evil@example.org>", acting="ada")
        with smtp_server() as server:
            cal.deliver_mail(SmtpSender(server.url, "rentcal <rentcal@example.org>", BASE))
            assert [r.rcpt_tos for r in server.received] == [["eve@example.org"]]
            [got] = server.received
        assert got.message["Bcc"] is None
        assert "evil@example.org" not in str(got.message["To"]).split("<")[-1]
        assert "&lt;" not in got.text()


@SQLITE_ONLY
def test_a_0012_database_upgrades_with_its_rows(db_url: str, clock: MovableClock) -> None:
    """Revision 0013_member_links (and the ones after it) add the table to a database at
    0012 in place: every member and rental stays, and invitations work at once."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as c:
        seed(c)
        kept = c.book(
            "saw", datetime(2030, 1, 20).date(), datetime(2030, 1, 20).date(), member="bob"
        )
        members = c.members()
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:  # back to 0012: what the later revisions added goes
            for table in (
                "member_billing",
                "invoice_reminder",
                "payment_allocation",
                "payment",
                "invoice_line",
                "invoice",
                "invoice_sequence",
            ):
                conn.exec_driver_sql(f"DROP TABLE {table}")
            conn.exec_driver_sql("DROP INDEX ix_mail_outbox_rental_kind")
            conn.exec_driver_sql("DROP TABLE mail_preference")
            conn.exec_driver_sql("DROP TABLE member_link")
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0012_password_reset'")
    finally:
        engine.dispose()
    with rentcal.connect(db_url, clock=clock, create=False, busy_timeout=BUSY_TIMEOUT) as c:
        assert c.members() == members
        assert c.rental(kept.id) == kept
        c.invite_member("eve", "eve@example.org", acting="ada")
        assert [i.handle for i in c.invitations(acting="ada")] == ["eve"]
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()
    assert version == schema.HEAD


@SQLITE_ONLY
class TestMoot:
    """An invitation stops standing when what it was for changed."""

    def test_a_password_set_another_way(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        secret = invite_secret(cal)
        cal.set_password("eve", "set by the admin", acting="ada")
        assert cal.invitations(acting="ada") == []
        with pytest.raises(InvalidRequest, match="already used, revoked or expired"):
            cal.accept_invitation(secret, PASSWORD)
        assert cal.login("eve", "set by the admin")[0].member == "eve"

    def test_an_address_changed_since(self, cal: rentcal.Rentcal) -> None:
        cal.invite_member("eve", "eve@example.org", acting="ada")
        old = invite_secret(cal)
        cal.edit_member("eve", email="eve@elsewhere.example.org", acting="ada")
        with pytest.raises(InvalidRequest):
            cal.accept_invitation(old, PASSWORD)
        cal.resend_invitation("eve", acting="ada")
        new = invite_secret(cal, "eve@elsewhere.example.org")
        assert cal.accept_invitation(new, PASSWORD)[0].member == "eve"
        assert cal.member("eve").email == "eve@elsewhere.example.org"
