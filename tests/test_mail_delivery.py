"""Delivery that loses nothing (issue #20): retries with backoff, giving up, leases, and
senders racing on one outbox, on SQLite and PostgreSQL.

Claiming is where the backends differ (``FOR UPDATE SKIP LOCKED`` against
SQLite's write lock), so these tests run on both. The SMTP server is aiosmtpd
on a loopback port; "down" is a port nothing listens on.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.mail import GIVE_UP_AFTER, MailReport, Outgoing, next_attempt
from rentcal.service.smtp_sender import SmtpSender
from rentcal.web.mail_delivery import start_delivering
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, d, seed
from tests.mail_support import MovableClock, free_port, smtp_server
from tests.mail_support import SmtpServer as Server
from tests.processes import Start, in_processes

pytestmark = BOTH

FROM = "rentcal@example.org"
NOON = datetime(2030, 1, 9, 12, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOON)


@pytest.fixture
def outbox(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    """The seeded data and six queued messages: three bookings by bob (bob has an address),
    each a request to ada and an approval to bob (the saw auto-approves)."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        seed(cal)
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        for day in (20, 22, 24):
            cal.book("saw", d(day), d(day), member="bob", acting="bob")
        yield cal


def attempts(db_url: str) -> list[tuple[int, str, str]]:
    """(mail id, outcome, reply) of every attempt, in order, read on a second connection."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT mail_id, outcome, reply FROM mail_attempt ORDER BY id"
            )
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


class TestBackoff:
    """Temporary failures are retried 1, 2, 4 ... minutes later, at most an hour apart."""

    def test_schedule(self) -> None:
        waits = [next_attempt(n, NOON, NOON) for n in range(1, 10)]
        minutes = [(w - NOON) / timedelta(minutes=1) for w in waits if w is not None]
        assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
        assert next_attempt(3, NOON, NOON - GIVE_UP_AFTER) is None
        assert next_attempt(10**6, NOON, NOON) == NOON + timedelta(hours=1)

    def test_smtp_down_then_up_every_message_once(
        self, outbox: rentcal.Rentcal, clock: MovableClock, db_url: str
    ) -> None:
        port = free_port()
        sender = SmtpSender(f"smtp://127.0.0.1:{port}", FROM)
        assert outbox.deliver_mail(sender) == MailReport(0, 6, 0)
        # not due again until its backoff ran out
        assert outbox.deliver_mail(sender) == MailReport()
        clock.forward(timedelta(minutes=1))
        assert outbox.deliver_mail(sender) == MailReport(0, 6, 0)
        queued = outbox.outbox(acting="ada")
        assert {(i.status, i.attempts) for i in queued} == {("queued", 2)}
        assert all("cannot talk to 127.0.0.1" in (i.last_error or "") for i in queued)
        assert [o for _, o, _ in attempts(db_url)] == ["retry"] * 12
        clock.forward(timedelta(minutes=1))
        assert outbox.deliver_mail(sender) == MailReport()  # the second wait is 2 minutes
        with smtp_server(port) as server:
            clock.forward(timedelta(minutes=1))
            assert outbox.deliver_mail(sender) == MailReport(6, 0, 0)
            assert outbox.deliver_mail(sender) == MailReport()
            clock.forward(timedelta(days=3))
            assert outbox.deliver_mail(sender) == MailReport()
            ids = Counter(str(r.message["Message-ID"]) for r in server.received)
            assert len(ids) == 6 and set(ids.values()) == {1}
        assert outbox.outbox(acting="ada") == []
        assert [o for _, o, _ in attempts(db_url)][-6:] == ["sent"] * 6
        assert attempts(db_url)[-1][2] == "250 2.0.0 Ok: queued as 4711"

    @SQLITE_ONLY
    def test_gives_up_after_two_days(self, outbox: rentcal.Rentcal, clock: MovableClock) -> None:
        sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}", FROM)
        passes = 0
        while outbox.outbox(failed_only=True, acting="ada") == []:
            outbox.deliver_mail(sender)
            clock.forward(timedelta(hours=1))
            passes += 1
        assert 40 < passes < 60
        failed = outbox.outbox(failed_only=True, acting="ada")
        assert len(failed) == 6
        assert all(
            i.created_at + GIVE_UP_AFTER - timedelta(hours=2) < i.next_attempt_at for i in failed
        )

    @SQLITE_ONLY
    def test_4xx_is_temporary_5xx_permanent(
        self, outbox: rentcal.Rentcal, clock: MovableClock
    ) -> None:
        with smtp_server() as server:
            sender = SmtpSender(server.url, FROM)
            server.handler.reply = "451 4.3.0 Try again later"
            assert outbox.deliver_mail(sender) == MailReport(0, 6, 0)
            clock.forward(timedelta(minutes=1))
            server.handler.reply = "552 5.3.4 Message too big"
            assert outbox.deliver_mail(sender) == MailReport(0, 0, 6)
            assert {i.last_error for i in outbox.outbox(acting="ada")} == {
                "552 5.3.4 Message too big"
            }


class Crash(BaseException):
    """A sender dying half-way through its batch (not a failure it could record)."""


class CrashAfter:
    def __init__(self, sender: SmtpSender, sends: int) -> None:
        self.sender, self.left = sender, sends

    def send(self, mail: Outgoing, now: datetime) -> str:
        if self.left == 0:
            raise Crash
        self.left -= 1
        return self.sender.send(mail, now)


class TestLeases:
    """A claimed message is nobody else's until its lease runs out."""

    def test_a_dead_senders_messages_wait_for_its_lease(
        self, outbox: rentcal.Rentcal, clock: MovableClock
    ) -> None:
        with smtp_server() as server:
            sender = SmtpSender(server.url, FROM)
            with pytest.raises(Crash):
                outbox.deliver_mail(CrashAfter(sender, 2))
            assert len(server.received) == 2
            assert outbox.deliver_mail(sender) == MailReport()  # leased to the dead one
            with pytest.raises(rentcal.InvalidRequest, match="mail 3 is being sent right now"):
                outbox.retry_mail(3, acting="ada")
            clock.forward(timedelta(minutes=16))
            assert outbox.deliver_mail(sender) == MailReport(4, 0, 0)
            ids = Counter(str(r.message["Message-ID"]) for r in server.received)
            assert len(ids) == 6 and set(ids.values()) == {1}


def _deliver(start: Start, url: str, smtp_url: str) -> int:
    with rentcal.connect(
        url, busy_timeout=BUSY_TIMEOUT, clock=lambda: NOON + timedelta(hours=1)
    ) as cal:
        cal.outbox(acting="ada")  # connected and warm
        start()
        return cal.deliver_mail(SmtpSender(smtp_url, FROM), limit=1000).sent


@pytest.mark.slow
class TestRacingSenders:
    """Several senders on one outbox: each message is delivered exactly once."""

    def test_four_processes(self, db_url: str, clock: MovableClock) -> None:
        with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
            seed(cal)
            cal.edit_member("bob", email="bob@example.org", acting="ada")
            for day in range(10, 30):
                cal.book("saw", d(day), d(day), member="bob", acting="bob")
        with smtp_server() as server:
            sent = in_processes(_deliver, [(db_url, server.url)] * 4, timeout=120)
            assert sum(sent) == 40
            ids = Counter(str(r.message["Message-ID"]) for r in server.received)
            assert len(ids) == 40 and set(ids.values()) == {1}
        assert [o for _, o, _ in attempts(db_url)] == ["sent"] * 40


@SQLITE_ONLY
class TestServerDelivers:
    """rentcal serve's background task delivers without anyone running mail send."""

    def test_background_pass(self, outbox: rentcal.Rentcal) -> None:
        with smtp_server() as server:

            async def serve(server: Server) -> None:
                stop = start_delivering(outbox, server.url, FROM, None, every=0.05)
                assert stop is not None
                for _ in range(400):  # a generous bound; done as soon as all arrived
                    if len(server.received) == 6:
                        break
                    await asyncio.sleep(0.05)
                await stop()

            asyncio.run(serve(server))
            assert len(server.received) == 6

    def test_the_servers_lifespan_starts_and_stops_it(
        self, db_url: str, clock: MovableClock
    ) -> None:
        """What ``rentcal serve`` builds in each worker: the app owns its connection."""
        from fastapi.testclient import TestClient

        from rentcal.web.app import create_app
        from rentcal.web.server_settings import Settings

        cal = rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT)
        seed(cal)
        cal.book("tractor", d(20), d(21), member="bob", acting="bob")
        with smtp_server() as server:
            settings = Settings(smtp_url=server.url, mail_from=FROM, base_url="https://r.example")
            with TestClient(create_app(cal, settings, owns_cal=True)):
                for _ in range(400):  # a generous bound; done as soon as it arrived
                    if server.received:
                        break
                    time.sleep(0.05)
            (got,) = server.received
            assert got.rcpt_tos == ["ada@example.org"]
            assert "See the rental: https://r.example/rentals/1" in got.text()

    def test_nothing_starts_without_smtp(self, outbox: rentcal.Rentcal) -> None:
        assert start_delivering(outbox, None, FROM, None) is None
        assert start_delivering(outbox, "smtp://127.0.0.1:25", None, None) is None
