"""Every notification is also an e-mail (issue #20): what each says, how it is built,
that a rolled-back change queues nothing, and the admin's commands.

A real SMTP server (aiosmtpd on a loopback port, :mod:`tests.mail_support`)
receives; the tests parse what arrived with the ``email`` package. What the
backend cannot change (the words, the MIME, the headers) runs on SQLite only;
claiming and leases are in ``tests/test_mail_delivery.py``, on both.
"""

from __future__ import annotations

import html
import json
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import rentcal
from rentcal.core.mail import MailFailure, MailItem, Outgoing, compose, header_text
from rentcal.service import bookings
from rentcal.service.smtp_sender import (
    SmtpSender,
    SmtpServer,
    build_message,
    is_loopback,
    sender_address,
    trial_message,
)
from tests.cli_support import cli
from tests.conftest import BUSY_TIMEOUT, d, make_clock, seed
from tests.mail_support import Received, self_signed, smtp_server
from tests.mail_support import SmtpServer as Server

FROM = "Tool Library <rentcal@example.org>"
BASE = "https://rentcal.example.org"
NOW = datetime(2030, 1, 9, 12, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[Server]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailcal(db_url: str) -> Iterator[rentcal.Rentcal]:
    """The seeded members and machines; bob and dan have addresses too (ada has one).

    Its clock is a day before the CLI's (``RENTCAL_TODAY``), so what it queues is due
    for ``rentcal mail send``."""
    clock = make_clock(datetime(2030, 1, 8, 12, tzinfo=UTC))
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        seed(cal)
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        cal.edit_member("dan", email="dan@example.org", acting="ada")
        yield cal


def deliver(cal: rentcal.Rentcal, smtp: Server) -> rentcal.Rentcal:
    report = cal.deliver_mail(SmtpSender(smtp.url, FROM, BASE))
    assert report.retrying == report.failed == 0
    return cal


def only(found: list[Received], words: str) -> Received:
    """The one message whose subject has ``words`` (spaces as one: the ``email`` package
    folds a long subject next to an encoded en dash with a second space)."""
    hits = [r for r in found if words in " ".join(str(r.message["Subject"]).split())]
    assert len(hits) == 1, [str(r.message["Subject"]) for r in found]
    return hits[0]


# -- each kind: (scenario, recipient, subject words, body words) -------------------------


def _requested(cal: rentcal.Rentcal) -> None:
    cal.book("tractor", d(20), d(21), member="bob", acting="bob", purpose="hay")


def _approved(cal: rentcal.Rentcal) -> None:
    _requested(cal)
    cal.approve(1, acting="ada")


def _rejected(cal: rentcal.Rentcal) -> None:
    _requested(cal)
    cal.reject(1, acting="ada", reason="the tractor is in repair")


def _cancelled(cal: rentcal.Rentcal) -> None:
    _approved(cal)
    cal.cancel(1, acting="ada", reason="storm")


def _moved(cal: rentcal.Rentcal) -> None:
    _approved(cal)
    cal.move(1, start=d(24), acting="ada")


def _expired(cal: rentcal.Rentcal) -> None:
    _requested(cal)
    cal.housekeeping(today=d(22))


def _maintenance(cal: rentcal.Rentcal) -> None:
    _approved(cal)
    cal.add_maintenance("tractor", d(21), d(21), kind="repair", acting="ada", force=True)


def _retired(cal: rentcal.Rentcal) -> None:
    _approved(cal)
    cal.retire_machine("tractor", acting="ada")


def _deactivated(cal: rentcal.Rentcal) -> None:
    _approved(cal)
    cal.deactivate_member("bob", acting="ada")


def _auto_approved(cal: rentcal.Rentcal) -> None:
    cal.book("saw", d(20), d(20), member="bob", acting="bob")


KINDS = [
    pytest.param(
        _requested,
        "ada",
        "Bob Baker asked to book Tractor 6120 for Sun 20 – Mon 21 Jan 2030",
        "request",
        id="request",
    ),
    pytest.param(
        _approved,
        "bob",
        "Your booking of Tractor 6120 for Sun 20 – Mon 21 Jan 2030 is approved",
        "approved",
        id="approved",
    ),
    pytest.param(
        _auto_approved,
        "bob",
        "Your booking of Band saw for Sun 20 Jan 2030 is approved",
        "approved",
        id="auto-approved",
    ),
    pytest.param(
        _rejected,
        "bob",
        "was rejected (rental 1). Reason: the tractor is in repair",
        "rejected",
        id="rejected-with-reason",
    ),
    pytest.param(
        _cancelled,
        "bob",
        "was cancelled (rental 1). Reason: storm",
        "cancelled",
        id="cancelled",
    ),
    pytest.param(
        _moved,
        "bob",
        "Ada Admin moved Bob Baker's booking of Tractor 6120 from Sun 20 – Mon 21 Jan 2030 "
        "to Thu 24 – Fri 25 Jan 2030; the price stays 240.00",
        "moved",
        id="moved",
    ),
    pytest.param(
        _expired,
        "bob",
        "Your request to book Tractor 6120 for Sun 20 – Mon 21 Jan 2030 expired",
        "expired",
        id="expired",
    ),
    pytest.param(
        _maintenance,
        "bob",
        "Repair maintenance of Tractor 6120 is planned on Mon 21 Jan 2030 and overlaps",
        "maintenance",
        id="maintenance",
    ),
    pytest.param(
        _retired,
        "bob",
        "Tractor 6120 was retired; your approved booking of it for Sun 20 – Mon 21 Jan 2030 stands",
        "retired",
        id="retired-member",
    ),
    pytest.param(
        _retired,
        "ada",
        "Tractor 6120 was retired with Bob Baker's approved booking for Sun 20 – Mon 21 Jan 2030",
        "retired",
        id="retired-admins",
    ),
    pytest.param(
        _deactivated,
        "bob",
        "Bob Baker's membership was deactivated with an approved booking of Tractor 6120",
        "deactivated",
        id="deactivated",
    ),
]


class TestEachKind:
    """Each kind rentcal notifies in-app reaches whoever it concerns, in plain words."""

    @pytest.mark.parametrize(("scenario", "who", "subject", "kind"), KINDS)
    def test_arrives_in_plain_words(
        self,
        mailcal: rentcal.Rentcal,
        smtp: Server,
        scenario: Callable[[rentcal.Rentcal], None],
        who: str,
        subject: str,
        kind: str,
    ) -> None:
        scenario(mailcal)
        queued = only_item(mailcal.outbox(acting="ada"), who, subject)
        assert queued.kind == kind
        deliver(mailcal, smtp)
        got = only(smtp.to(f"{who}@example.org"), subject)
        member = mailcal.member(who)
        rental = mailcal.rental(1)
        assert got.message["To"].addresses[0].display_name == member.name
        assert got.message["From"] == FROM
        assert got.message.get_content_type() == "multipart/alternative"
        text, page = got.text(), got.html()
        for words in (
            f"Member: {rental.member_name} ({rental.member})",
            f"({rental.machine})",
            f"Price: {rental.price}",
            f"See the rental: {BASE}/rentals/1",
        ):
            assert words in text
        days = "Days: Sun 20" if kind != "moved" else "Days: Thu 24 – Fri 25 Jan 2030 (2 days)"
        assert days in text
        assert f'<a href="{BASE}/rentals/1">' in page
        assert html.escape(subject.split(" (")[0]) in page

    def test_member_notices_without_a_rental(self, mailcal: rentcal.Rentcal, smtp: Server) -> None:
        """Verified, a new role, reactivated: the news, no rental lines, no link."""
        mailcal.add_member("eve", email="eve@example.org", acting="ada")
        mailcal.verify_member("eve", acting="ada")
        mailcal.set_role("eve", "admin", acting="ada")
        deliver(mailcal, smtp)
        got = smtp.to("eve@example.org")
        assert [str(r.message["Subject"]) for r in got] == [
            "Your membership was verified: you can book machines now",
            "Your role is now admin",
        ]
        assert "Rental" not in got[0].text() and "See the rental" not in got[0].text()

    def test_members_without_an_address_get_the_notification_only(
        self, mailcal: rentcal.Rentcal
    ) -> None:
        mailcal.edit_member("bob", email=None, acting="ada")
        _approved(mailcal)
        assert [i.address for i in mailcal.outbox(acting="ada")] == ["ada@example.org"]
        assert len(mailcal.notifications("bob")) == 1

    def test_no_base_url_no_link(self, mailcal: rentcal.Rentcal, smtp: Server) -> None:
        _requested(mailcal)
        mailcal.deliver_mail(SmtpSender(smtp.url, "rentcal@example.org"))
        (got,) = smtp.received
        assert "See the rental" not in got.text() and "<a " not in got.html()
        assert got.message["From"] == "rentcal@example.org"


def only_item(items: list[MailItem], who: str, subject: str) -> MailItem:
    hits = [i for i in items if i.address == f"{who}@example.org" and subject in i.subject]
    assert len(hits) == 1, [(i.address, i.subject) for i in items]
    return hits[0]


class TestSameTransaction:
    """The e-mail is recorded in the transaction of the change that causes it."""

    def test_a_rolled_back_booking_queues_nothing(
        self, mailcal: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise RuntimeError("after the notifications were written")

        monkeypatch.setattr(bookings.idempotency, "remember", fail)
        with pytest.raises(RuntimeError):
            _requested(mailcal)
        assert mailcal.outbox(acting="ada") == []
        assert mailcal.notifications("ada") == []
        assert mailcal.rentals() == []

    def test_a_committed_booking_is_queued(self, mailcal: rentcal.Rentcal) -> None:
        _requested(mailcal)
        assert [(i.kind, i.status, i.attempts) for i in mailcal.outbox(acting="ada")] == [
            ("request", "queued", 0)
        ]


class TestHeaders:
    """No header can be injected through a name, a purpose, a reason or an address."""

    HOSTILE_NAME = 'Eve "Boss" <mallory@evil.example>, bcc@evil.example; (x'

    def test_hostile_name_purpose_and_reason(self, mailcal: rentcal.Rentcal, smtp: Server) -> None:
        mailcal.add_member(
            "eve", name=self.HOSTILE_NAME, email="eve@example.org", verified=True, acting="ada"
        )
        mailcal.book(
            "tractor", d(20), d(21), member="eve", acting="eve",
            purpose="hay\r\nBcc: bcc@evil.example\r\n\r\n<script>alert(1)</script>",
        )  # fmt: skip
        mailcal.reject(1, acting="ada", reason="no\r\nBcc: bcc@evil.example")
        deliver(mailcal, smtp)
        assert all(r.rcpt_tos in (["eve@example.org"], ["ada@example.org"]) for r in smtp.received)
        got = only(smtp.to("eve@example.org"), "rejected")
        msg = got.message
        assert [a.addr_spec for a in msg["To"].addresses] == ["eve@example.org"]
        assert msg["To"].addresses[0].display_name == self.HOSTILE_NAME
        assert msg["Bcc"] is None and msg["Cc"] is None
        assert "\n" not in str(msg["Subject"]) and "Bcc: bcc" in str(msg["Subject"])
        assert "<script>" not in got.html() and "&lt;script&gt;" in got.html()
        assert "Purpose: hay Bcc: bcc@evil.example <script>" in got.text()

    @pytest.mark.parametrize(
        "address",
        ["eve@example.org\r\nBcc: bcc@evil.example", "eve@example.org, bcc@evil.example", "nobody"],
    )
    def test_an_address_that_is_not_one_fails_for_good(self, address: str) -> None:
        """Addresses are checked when members are added; one that got in anyway is refused."""
        now = datetime(2030, 1, 9, 12, tzinfo=UTC)
        item = MailItem(1, address, "Eve", "Hi", "notice", None, "queued", 0, now, now, None, None)
        with pytest.raises(MailFailure) as info:
            build_message(Outgoing(item, "text", "<p>html</p>"), sender_address(FROM), None, now)
        assert not info.value.temporary

    def test_header_text_takes_out_every_line_break(self) -> None:
        assert header_text("a\r\nb\u2028c\x00d\te  f") == "a b c d e f"
        assert len(header_text("x" * 500)) == 150

    def test_subject_and_body_of_a_notice(self) -> None:
        said = compose("your role is now admin", None)
        assert (said.subject, said.text, said.html) == (
            "Your role is now admin",
            "Your role is now admin.\n",
            "<p>Your role is now admin.</p>\n",
        )


class TestSettings:
    """smtp_url and mail_from: checked, and the password never shown."""

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("smtp://mail.example.org", ("mail.example.org", 587, False, None, None)),
            ("smtps://u%40x:p%2Fw@mail.example.org", ("mail.example.org", 465, True, "u@x", "p/w")),
            ("smtp://127.0.0.1:25", ("127.0.0.1", 25, False, None, None)),
        ],
    )
    def test_urls(self, url: str, expected: tuple[object, ...]) -> None:
        server = SmtpServer.from_url(url)
        assert (server.host, server.port, server.tls, server.user, server.password) == expected

    @pytest.mark.parametrize(
        "url", ["http://u:hunter2@mail.example.org", "smtp://u:hunter2@", "smtp://u:hunter2@h/x"]
    )
    def test_bad_urls_are_refused_with_the_password_hidden(self, url: str) -> None:
        with pytest.raises(rentcal.InvalidRequest) as info:
            SmtpServer.from_url(url)
        assert "smtp_url" in str(info.value) and "hunter2" not in str(info.value)

    def test_config_show_masks_the_password(self) -> None:
        result = cli(
            None, "config", "show", "--json",
            env={"RENTCAL_SMTP_URL": "smtp://rentcal:hunter2@mail.example.org:587",
                 "RENTCAL_MAIL_FROM": FROM},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        settings = json.loads(result.stdout)["settings"]
        assert settings["smtp_url"]["value"] == "smtp://rentcal:***@mail.example.org:587"
        assert settings["mail_from"]["value"] == FROM
        assert "hunter2" not in result.output


class TestCommands:
    """rentcal mail send | list | retry | discard | test."""

    def test_send_without_smtp_says_so(self, mailcal: rentcal.Rentcal, db_url: str) -> None:
        _requested(mailcal)
        result = cli(db_url, "mail", "send")
        assert result.exit_code == 2
        assert "no SMTP server is configured" in result.stderr
        assert [i.status for i in mailcal.outbox(acting="ada")] == ["queued"]

    def test_send_list_retry_discard(
        self, mailcal: rentcal.Rentcal, db_url: str, smtp: Server
    ) -> None:
        _approved(mailcal)  # two messages: the request to ada, the approval to bob
        env = {"RENTCAL_SMTP_URL": smtp.url, "RENTCAL_MAIL_FROM": FROM}
        smtp.handler.reply = "550 5.1.1 <bob@example.org>: Recipient address rejected"
        sent = cli(db_url, "mail", "send", env=env)
        assert sent.exit_code == 1, sent.output
        assert sent.stdout == "Mail: 0 sent, 0 to retry, 2 failed.\n"
        listed = cli(db_url, "mail", "list", "--failed", "--json")
        assert listed.exit_code == 0
        rows = json.loads(listed.stdout)
        assert [(r["id"], r["status"], r["attempts"]) for r in rows] == [
            (1, "failed", 1),
            (2, "failed", 1),
        ]
        assert rows[0]["last_error"].startswith("550 5.1.1")
        assert cli(db_url, "mail", "discard", "1").stdout == (
            "Mail 1 to ada@example.org discarded.\n"
        )
        assert cli(db_url, "mail", "retry", "2").exit_code == 0
        again = cli(db_url, "mail", "retry", "1")
        assert again.exit_code == 2 and "mail 1 was discarded" in again.stderr
        smtp.handler.reply = "250 2.0.0 Ok"
        sent = cli(db_url, "mail", "send", env=env)
        assert (sent.exit_code, sent.stdout) == (0, "Mail: 1 sent, 0 to retry, 0 failed.\n")
        assert [r.rcpt_tos for r in smtp.received] == [["bob@example.org"]]
        assert cli(db_url, "mail", "list").stdout == "No mail waiting.\n"
        denied = cli(db_url, "mail", "list", as_="bob")
        assert denied.exit_code == 3 and "only admins can see the mail outbox" in denied.stderr

    def test_test_reports_the_servers_reply(self, smtp: Server) -> None:
        env = {"RENTCAL_SMTP_URL": smtp.url, "RENTCAL_MAIL_FROM": FROM}
        ok = cli(None, "mail", "test", "ada@example.org", env=env)
        assert ok.exit_code == 0, ok.output
        assert ok.stdout == (
            f"Sent to ada@example.org through 127.0.0.1:{smtp.port}; "
            "the server said: 250 2.0.0 Ok: queued as 4711\n"
        )
        (got,) = smtp.received
        assert str(got.message["Subject"]) == "rentcal test message"
        smtp.handler.reply = "554 5.7.1 Relay access denied"
        refused = cli(None, "mail", "test", "ada@example.org", env=env)
        assert refused.exit_code == 1
        assert refused.stderr == (
            f"Error: 127.0.0.1:{smtp.port} did not take the message (permanent): "
            "554 5.7.1 Relay access denied\n"
        )

    def test_test_with_nothing_listening(self) -> None:
        from tests.mail_support import free_port

        port = free_port()
        env = {"RENTCAL_SMTP_URL": f"smtp://127.0.0.1:{port}", "RENTCAL_MAIL_FROM": FROM}
        result = cli(None, "mail", "test", "ada@example.org", env=env)
        assert result.exit_code == 1
        assert f"127.0.0.1:{port} did not take the message (temporary): cannot talk" in (
            result.stderr
        )

    @pytest.mark.parametrize(
        ("env", "message"),
        [
            ({"RENTCAL_SMTP_URL": "smtp://u:hunter2@"}, "smtp_url 'smtp://u:***@' must be"),
            ({"RENTCAL_SMTP_URL": "smtp://127.0.0.1:25"}, "no From address is configured"),
        ],
    )
    def test_serve_refuses_a_bad_smtp_setting_before_starting(
        self, db_url: str, env: dict[str, str], message: str
    ) -> None:
        result = cli(db_url, "serve", env=env)
        assert result.exit_code == 2 and message in result.stderr
        assert "hunter2" not in result.output

    def test_bad_from_address(self) -> None:
        env = {"RENTCAL_SMTP_URL": "smtp://127.0.0.1:25", "RENTCAL_MAIL_FROM": "x\r\nBcc: y@z"}
        result = cli(None, "mail", "test", "ada@example.org", env=env)
        assert result.exit_code == 2 and "is not an e-mail address" in result.stderr


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return self_signed(tmp_path_factory.mktemp("tls"))


def server_tls(pem: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    return context


def client_tls(pem: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pem).replace("loopback.pem", "cert.pem"))


class TestTls:
    """smtp:// upgrades with STARTTLS when offered; smtps:// is TLS from the first byte;
    certificates are checked (a self-signed one only when its CA is given)."""

    def test_starttls_when_offered(self, certificate: Path) -> None:
        tls = {"tls_context": server_tls(certificate), "require_starttls": True}
        with smtp_server(**tls) as server:
            trusted = SmtpSender(server.url, FROM, tls=client_tls(certificate))
            reply = trusted.send_message(trial_message("ada@example.org", trusted.sender, NOW))
            assert reply == "250 2.0.0 Ok: queued as 4711"
            with pytest.raises(MailFailure) as info:
                SmtpSender(server.url, FROM).send_message(
                    trial_message("ada@example.org", trusted.sender, NOW)
                )
        assert "CERTIFICATE_VERIFY_FAILED" in info.value.reply and info.value.temporary
        assert [r.rcpt_tos for r in server.received] == [["ada@example.org"]]

    def test_implicit_tls(self, certificate: Path) -> None:
        with smtp_server(ssl_context=server_tls(certificate)) as server:
            url = f"smtps://127.0.0.1:{server.port}"
            sender = SmtpSender(url, FROM, tls=client_tls(certificate))
            reply = sender.send_message(trial_message("ada@example.org", sender.sender, NOW))
        assert reply == "250 2.0.0 Ok: queued as 4711"
        assert [r.rcpt_tos for r in server.received] == [["ada@example.org"]]

    def test_plain_only_to_loopback(self) -> None:
        assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "mail.example")] == [
            True,
            True,
            True,
            False,
        ]
