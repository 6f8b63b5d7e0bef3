"""E-mail choices per member and kind, the admins' daily list, the outbox on /admin (#20).

A real SMTP server (aiosmtpd, :mod:`tests.mail_support`) receives. The
organisation is in Europe/Berlin; the reminder hour (17) is 16:00 UTC on
TODAY (Wednesday 9 January 2030). What the backend can change (the queuing
statement's filter, the upsert, the digest's query) runs on both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.mail import DIGEST_LIMIT, REMINDER_KINDS, RESET_KIND, digest_mail, with_base
from rentcal.core.mail_choices import DIGEST_KIND, NOTIFICATION_KINDS
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.errors import ArgumentTypeError, InvalidRequest, PermissionDenied
from rentcal.service.smtp_sender import SmtpSender
from tests.cli_support import cli, ok_json
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, d, seed
from tests.mail_support import MovableClock, smtp_server
from tests.mail_support import SmtpServer as Server
from tests.web_support import Web, error_of

FROM = "rentcal@example.org"
BASE = "https://r.example"
BEFORE = datetime(2030, 1, 9, 15, 0, tzinfo=UTC)
AT_HOUR = datetime(2030, 1, 9, 16, 0, tzinfo=UTC)
PAST = {"today": d(3)}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(BEFORE)


@pytest.fixture
def smtp() -> Iterator[Server]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailcal(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    """Seeded, in Berlin; bob and dan have addresses (ada has one)."""
    with rentcal.connect(
        db_url, clock=clock, busy_timeout=BUSY_TIMEOUT, timezone="Europe/Berlin"
    ) as cal:
        seed(cal)
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        cal.edit_member("dan", email="dan@example.org", acting="ada")
        yield cal


def deliver(cal: rentcal.Rentcal, smtp: Server) -> None:
    report = cal.deliver_mail(SmtpSender(smtp.url, FROM, BASE))
    assert report.retrying == report.failed == 0


def subjects(smtp: Server, address: str) -> list[str]:
    return [str(m.message["Subject"]) for m in smtp.to(address)]


def outbox_rows(db_url: str) -> list[tuple[str, str, str]]:
    """(kind, address, status) of every outbox row, on a second connection."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT kind, address, status FROM mail_outbox ORDER BY id")
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


def test_every_kind_of_notification_can_be_chosen() -> None:
    """Each kind the service notifies with (a literal, or a rental's new status) and each
    reminder is in the catalogue; security mail is not."""
    service = Path(rentcal.__file__).parent / "service"
    literals = {
        kind
        for path in service.glob("*.py")
        if path.name != "password_reset.py"
        for kind in re.findall(r'kind="([a-z-]+)"', path.read_text(encoding="utf-8"))
    }
    statuses = {s.value for s in RentalStatus} - {"pending"}
    assert literals >= {"request", "moved", "maintenance"}  # the scan sees them
    assert literals | statuses | set(REMINDER_KINDS) <= set(NOTIFICATION_KINDS)
    assert RESET_KIND not in NOTIFICATION_KINDS


def _pending(n: int, name: str = "Bob Baker") -> list[Rental]:
    at = datetime(2030, 1, 9, 12, tzinfo=UTC)
    return [
        Rental(
            i, f"u{i}", "saw", "Band saw", "bob", name, d(20), d(20),
            RentalStatus.PENDING, None, Decimal("1.00"), at, at, 0, None, None,
        )
        for i in range(1, n + 1)
    ]  # fmt: skip


def test_the_list_is_bounded_and_names_never_become_links() -> None:
    said = digest_mail(_pending(DIGEST_LIMIT + 3, name="Eve {rentcal-base-url}/x"))
    text, page = with_base(DIGEST_KIND, said.text, said.html, "https://evil.example")
    assert said.subject == f"{DIGEST_LIMIT + 3} booking requests wait for a decision"
    assert text.count("https://evil.example/rentals/") == DIGEST_LIMIT
    assert "... and 3 more." in text and "... and 3 more." in page
    assert "Eve {rentcal base url}/x" in text and "evil.example/x" not in text + page
    assert digest_mail(_pending(1)).subject == "1 booking request waits for a decision"


def choice_of(cal: rentcal.Rentcal, handle: str, kind: str) -> str:
    return {c.kind: c.choice for c in cal.mail_choices(handle, acting=handle)}[kind]


@BOTH
class TestChoicesHonoured:
    """The queuing statement leaves out who chose in-app only; the in-app line stays."""

    def test_in_app_only_gets_no_mail_default_does(
        self, mailcal: rentcal.Rentcal, smtp: Server
    ) -> None:
        mailcal.set_mail_choices("bob", {"approved": "in-app"}, acting="bob")
        mailcal.book("tractor", d(20), d(21), member="bob", acting="bob")
        mailcal.book("tractor", d(24), d(25), member="dan", acting="dan")
        mailcal.approve(1, acting="ada")
        mailcal.approve(2, acting="ada")
        deliver(mailcal, smtp)
        assert not any("approved" in s for s in subjects(smtp, "bob@example.org"))
        assert [n.message for n in mailcal.notifications("bob")] == [
            "Your booking of Tractor 6120 for Sun 20 – Mon 21 Jan 2030 is approved (rental 1)."
        ]
        assert subjects(smtp, "dan@example.org") == [
            "Your booking of Tractor 6120 for Thu 24 – Fri 25 Jan 2030 is approved (rental 2)"
        ]
        assert sum("asked to book" in s for s in subjects(smtp, "ada@example.org")) == 2

    def test_other_kinds_still_mailed(self, mailcal: rentcal.Rentcal, smtp: Server) -> None:
        mailcal.set_mail_choices("bob", {"approved": "in-app"}, acting="bob")
        mailcal.book("tractor", d(20), d(21), member="bob", acting="bob")
        mailcal.reject(1, acting="ada", reason="in repair")
        deliver(mailcal, smtp)
        assert subjects(smtp, "bob@example.org") == [
            "Your booking of Tractor 6120 for Sun 20 – Mon 21 Jan 2030 was rejected (rental 1). "
            "Reason: in repair"
        ]

    def test_security_mail_is_always_sent(self, mailcal: rentcal.Rentcal, smtp: Server) -> None:
        everything = {kind: "in-app" for kind in NOTIFICATION_KINDS if kind != "request"}
        mailcal.set_mail_choices("bob", everything, acting="bob")
        mailcal.request_password_reset("bob")
        deliver(mailcal, smtp)
        assert subjects(smtp, "bob@example.org") == ["Set a new rentcal password"]

    def test_choices_read_back_change_and_keep_the_rest(self, mailcal: rentcal.Rentcal) -> None:
        first = mailcal.mail_choices("bob", acting="bob")
        assert [c.kind for c in first] == list(NOTIFICATION_KINDS)
        assert {c.choice for c in first} == {"email"}
        mailcal.set_mail_choices("bob", {"approved": "in-app", "moved": "in-app"}, acting="bob")
        after = mailcal.set_mail_choices("bob", {"approved": "email"}, acting="bob")
        chosen = {c.kind: c.choice for c in after}
        assert chosen["approved"] == "email" and chosen["moved"] == "in-app"
        assert mailcal.mail_choices("bob", acting="ada") == after  # admins read anyone's


@SQLITE_ONLY
class TestChoicesRefused:
    """Every choice is checked before any is stored; members choose their own."""

    @pytest.mark.parametrize(
        ("choices", "error", "words"),
        [
            ({"approved": "in-app", "bogus": "email"}, InvalidRequest, "is not a kind"),
            ({"approved": "never"}, InvalidRequest, "must be one of: email, in-app"),
            ({"approved": "digest"}, InvalidRequest, "must be one of: email, in-app"),
            ({"password-reset": "in-app"}, InvalidRequest, "is not a kind"),
            ({"request": "digest"}, InvalidRequest, "is not an admin"),
            (["approved"], ArgumentTypeError, "choices must be a mapping"),
            ({"approved": 1}, ArgumentTypeError, "choices must be a mapping"),
        ],
    )
    def test_refused_and_nothing_stored(
        self, mailcal: rentcal.Rentcal, choices: object, error: type, words: str
    ) -> None:
        with pytest.raises(error, match=words):
            mailcal.set_mail_choices("bob", choices, acting="bob")  # type: ignore[arg-type]
        assert choice_of(mailcal, "bob", "approved") == "email"

    def test_members_choose_their_own_admins_anyones(self, mailcal: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="members choose their own"):
            mailcal.set_mail_choices("dan", {"approved": "in-app"}, acting="bob")
        with pytest.raises(PermissionDenied, match="members choose their own"):
            mailcal.mail_choices("dan", acting="bob")
        with pytest.raises(PermissionDenied, match="needs an acting member"):
            mailcal.mail_choices("dan")
        mailcal.set_mail_choices("dan", {"approved": "in-app"}, acting="ada")
        assert choice_of(mailcal, "dan", "approved") == "in-app"


def _three_requests(cal: rentcal.Rentcal) -> None:
    for day in (20, 22, 24):
        cal.book("tractor", d(day), d(day), member="bob", acting="bob")


@BOTH
class TestDigest:
    """An admin who chose the daily list gets one e-mail a day listing the pending requests."""

    def test_one_list_a_day_instead_of_one_mail_per_request(
        self, mailcal: rentcal.Rentcal, db_url: str, clock: MovableClock, smtp: Server
    ) -> None:
        mailcal.set_mail_choices("ada", {"request": "digest"}, acting="ada")
        _three_requests(mailcal)
        assert not any(kind == "request" for kind, _, _ in outbox_rows(db_url))
        assert mailcal.queue_reminders() == 0  # before the hour
        clock.forward(AT_HOUR - BEFORE)
        assert mailcal.queue_reminders() == 1
        assert mailcal.queue_reminders() == 0
        with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as other:
            assert other.queue_reminders() == 0  # another process, the same day
        deliver(mailcal, smtp)
        (got,) = smtp.to("ada@example.org")
        assert got.message["Subject"] == "3 booking requests wait for a decision"
        text = got.text().replace("\r\n", "\n")
        for rental_id, day in ((1, "Sun 20"), (2, "Tue 22"), (3, "Thu 24")):
            assert f"Rental {rental_id}: Tractor 6120, Bob Baker (bob), {day} Jan 2030" in text
            assert f"  {BASE}/rentals/{rental_id}\n" in text
        assert f"Decide on the admin page: {BASE}/admin" in text
        assert f'<a href="{BASE}/rentals/2">' in got.html()
        assert "{rentcal-base-url}" not in text + got.html()
        clock.forward(timedelta(days=1))
        mailcal.approve(1, acting="ada")
        assert mailcal.queue_reminders() == 1  # the next day: still two pending
        deliver(mailcal, smtp)
        assert subjects(smtp, "ada@example.org")[-1] == "2 booking requests wait for a decision"

    def test_none_when_nothing_is_pending_then_on_the_day_one_comes(
        self, mailcal: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        mailcal.set_mail_choices("ada", {"request": "digest"}, acting="ada")
        mailcal.book("saw", d(20), d(20), member="bob", acting="bob")  # auto-approved
        clock.forward(AT_HOUR - BEFORE)
        assert mailcal.queue_reminders() == 0
        assert not any(kind == "request-digest" for kind, _, _ in outbox_rows(db_url))
        mailcal.book("tractor", d(22), d(22), member="bob", acting="bob")
        assert mailcal.queue_reminders() == 1
        assert mailcal.queue_reminders() == 0

    def test_only_digest_admins_others_get_each_request(
        self, mailcal: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        mailcal.add_member("zoe", email="zoe@example.org", admin=True, acting="ada")
        mailcal.set_mail_choices("ada", {"request": "digest"}, acting="ada")
        _three_requests(mailcal)
        clock.forward(AT_HOUR - BEFORE)
        assert mailcal.queue_reminders() == 1
        rows = outbox_rows(db_url)
        assert [a for k, a, _ in rows if k == "request"] == ["zoe@example.org"] * 3
        assert [a for k, a, _ in rows if k == "request-digest"] == ["ada@example.org"]

    def test_a_demoted_admin_gets_none(self, mailcal: rentcal.Rentcal, clock: MovableClock) -> None:
        mailcal.add_member("zoe", email="zoe@example.org", admin=True, acting="ada")
        mailcal.set_mail_choices("zoe", {"request": "digest"}, acting="zoe")
        mailcal.set_role("zoe", "member", acting="ada")
        _three_requests(mailcal)
        clock.forward(AT_HOUR - BEFORE)
        assert mailcal.queue_reminders() == 0


@SQLITE_ONLY
def test_housekeeping_queues_the_list_once(mailcal: rentcal.Rentcal, db_url: str) -> None:
    """``rentcal housekeeping`` from cron, run again and again: one list (the hour 0)."""
    mailcal.set_mail_choices("ada", {"request": "digest"}, acting="ada")
    mailcal.set_reminder_hour(0, acting="ada")
    _three_requests(mailcal)
    assert [ok_json(db_url, "housekeeping")["reminders"] for _ in range(3)] == [1, 0, 0]
    assert [k for k, _, _ in outbox_rows(db_url)].count("request-digest") == 1


# -- the outbox on /admin -------------------------------------------------------------


@pytest.fixture
def failed(mailcal: rentcal.Rentcal, smtp: Server) -> rentcal.Rentcal:
    """Two requests whose mail to ada the server refused for good (mail 1 and 2)."""
    smtp.handler.reply = "550 5.1.1 <ada@example.org>: Recipient address rejected"
    mailcal.book("tractor", d(20), d(20), member="bob", acting="bob")
    mailcal.book("tractor", d(22), d(22), member="bob", acting="bob")
    report = mailcal.deliver_mail(SmtpSender(smtp.url, FROM, BASE))
    assert report.failed == 2
    smtp.handler.reply = "250 2.0.0 Ok"
    return mailcal


@SQLITE_ONLY
class TestOutboxPage:
    """Failed and queued mail on /admin, with Retry and Discard (admins only)."""

    def test_lists_failed_mail(self, failed: rentcal.Rentcal) -> None:
        page = Web(failed).as_("ada").get("/admin", headers={"Accept": "text/html"})
        assert page.status_code == 200
        html = page.text
        assert "Mail outbox (2 queued or failed)" in html
        assert 'id="mail-2"' in html and html.index('id="mail-2"') < html.index('id="mail-1"')
        assert "Ada Admin &lt;ada@example.org&gt;" in html
        assert "550 5.1.1 &lt;ada@example.org&gt;: Recipient address rejected" in html
        assert 'action="/admin/mail/1/retry"' in html and 'action="/admin/mail/1/discard"' in html

    def test_retry_requeues_then_it_is_delivered(
        self, failed: rentcal.Rentcal, smtp: Server
    ) -> None:
        answer = Web(failed).as_("ada").post("/admin/mail/1/retry", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin?done=mail-retry"
        assert [(m.id, m.status) for m in failed.outbox(acting="ada")] == [
            (1, "queued"),
            (2, "failed"),
        ]
        deliver(failed, smtp)
        assert len(smtp.to("ada@example.org")) == 1
        assert [m.id for m in failed.outbox(acting="ada")] == [2]

    def test_discard_removes_from_the_queue_and_keeps_the_record(
        self, failed: rentcal.Rentcal, db_url: str
    ) -> None:
        client = Web(failed).as_("ada")
        answer = client.post("/admin/mail/2/discard", follow_redirects=False)
        assert answer.status_code == 303
        assert [m.id for m in failed.outbox(acting="ada")] == [1]
        assert outbox_rows(db_url)[1][2] == "discarded"
        page = client.get("/admin?done=mail-discard", headers={"Accept": "text/html"}).text
        assert "Mail discarded" in page and 'id="mail-2"' not in page
        again = client.post("/admin/mail/2/discard", headers={"Accept": "text/html"})
        assert again.status_code == 400
        assert "mail 2 was discarded: only queued or failed mail can be discarded" in again.text

    def test_members_are_refused(self, failed: rentcal.Rentcal) -> None:
        client = Web(failed).as_("bob")
        answer = client.post("/admin/mail/1/retry", headers={"Accept": "text/html"})
        assert answer.status_code == 403
        assert [m.status for m in failed.outbox(acting="ada")] == ["failed", "failed"]
        assert Web(failed).as_("ada").post("/admin/mail/1/resend").status_code == 404

    def test_the_list_is_bounded(self, failed: rentcal.Rentcal) -> None:
        newest = failed.recent_mail(1, acting="ada")
        assert [m.id for m in newest.items] == [2] and newest.total == 2
        with pytest.raises(InvalidRequest, match="limit 501 is more than 500"):
            failed.recent_mail(501, acting="ada")
        with pytest.raises(PermissionDenied, match="not an admin"):
            failed.recent_mail(acting="bob")


# -- /me, the API and the CLI ---------------------------------------------------------


@SQLITE_ONLY
class TestFronts:
    """The /me form, GET/PUT /api/me/notifications and rentcal member notifications."""

    def test_me_form_saves_and_shows(self, mailcal: rentcal.Rentcal) -> None:
        client = Web(mailcal).as_("bob")
        page = client.get("/me", headers={"Accept": "text/html"}).text
        assert 'id="choice-approved"' in page and 'id="choice-request"' not in page
        assert 'id="choice-signup"' not in page  # for admins only, as new requests
        admin = Web(mailcal).as_("ada").get("/me", headers={"Accept": "text/html"}).text
        assert 'id="choice-signup"' in admin and 'id="choice-request"' in admin
        answer = client.post(
            "/me/notifications/choices",
            data={"approved": "in-app", "moved": "email"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/me?done=mail-choices"
        assert choice_of(mailcal, "bob", "approved") == "in-app"
        page = client.get("/me?done=mail-choices", headers={"Accept": "text/html"}).text
        assert "E-mail choices saved." in page
        assert '<option value="in-app" selected>In-app only</option>' in page
        bad = client.post("/me/notifications/choices", data={"approved": "never"})
        assert bad.status_code == 400
        assert "choices: &#39;never&#39; for &#39;approved&#39; must be one of" in bad.text
        admin = Web(mailcal).as_("ada").get("/me", headers={"Accept": "text/html"}).text
        assert '<option value="digest">One e-mail a day listing them</option>' in admin

    def test_api(self, mailcal: rentcal.Rentcal) -> None:
        client = Web(mailcal).as_("bob")
        got = client.get("/api/me/notifications").json()
        assert got["member"] == "bob"
        assert got["choices"][1] == {
            "kind": "approved",
            "label": "A booking approved",
            "choice": "email",
        }
        put = client.put("/api/me/notifications", json={"choices": {"approved": "in-app"}})
        assert put.status_code == 200
        assert put.json()["choices"][1]["choice"] == "in-app"
        assert choice_of(mailcal, "bob", "approved") == "in-app"
        bad = client.put("/api/me/notifications", json={"choices": {"request": "digest"}})
        assert bad.status_code == 400
        assert error_of(bad)["code"] == "invalid_request"
        extra = client.put("/api/me/notifications", json={"choices": {}, "member": "dan"})
        assert extra.status_code in (400, 422)
        assert Web(mailcal).anonymous().get("/api/me/notifications").status_code == 401

    def test_cli(self, mailcal: rentcal.Rentcal, db_url: str) -> None:
        shown = ok_json(db_url, "member", "notifications", "bob", as_="bob")
        assert shown["member"] == "bob" and len(shown["choices"]) == len(NOTIFICATION_KINDS)
        result = cli(
            db_url, "member", "notifications", "bob", "--in-app", "approved", "--in-app",
            "moved", as_="bob",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "approved         in-app    A booking approved" in result.stdout
        assert result.stdout.endswith("\nSaved 2 choices.\n") and result.stderr == ""
        assert choice_of(mailcal, "bob", "moved") == "in-app"
        both = cli(
            db_url, "member", "notifications", "bob", "--in-app", "approved", "--email",
            "approved", as_="bob",
        )  # fmt: skip
        assert both.exit_code == 2
        assert both.stderr == ("Error: kind 'approved' is given both as email and as in-app\n")
        digest = cli(db_url, "member", "notifications", "bob", "--digest", as_="bob")
        assert digest.exit_code == 2
        assert "is not an admin" in digest.stderr
        data = json.loads(
            cli(db_url, "member", "notifications", "ada", "--digest", "--json").stdout
        )
        assert data["choices"][0] == {
            "kind": "request",
            "label": "A new booking request (admins)",
            "choice": "digest",
        }
