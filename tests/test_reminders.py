"""Reminders (#20): a pick-up the day before a rental starts, a return on its last day.

The organisation is in Europe/Berlin (UTC+1 in January) and the reminder
hour defaults to 17, i.e. 16:00 UTC. TODAY is Wednesday 9 January 2030.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.mail import PICKUP_REMINDER, RETURN_REMINDER
from rentcal.errors import ArgumentTypeError, InvalidRequest, PermissionDenied
from rentcal.service.smtp_sender import SmtpSender
from rentcal.web.mail_delivery import start_delivering
from tests.cli_support import cli, ok_json
from tests.conftest import BOTH, BUSY_TIMEOUT, SQLITE_ONLY, TODAY, d, seed
from tests.mail_support import MovableClock, smtp_server
from tests.processes import Start, in_processes

pytestmark = SQLITE_ONLY

FROM = "rentcal@example.org"
#: 16:00 in Berlin on TODAY: an hour before the default reminder hour (the clock ticks).
BEFORE = datetime(2030, 1, 9, 15, 0, tzinfo=UTC)
#: 17:00 in Berlin on TODAY.
AT_HOUR = datetime(2030, 1, 9, 16, 0, tzinfo=UTC)
PAST = {"today": d(3)}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(BEFORE)


@pytest.fixture
def booked(db_url: str, clock: MovableClock) -> Iterator[rentcal.Rentcal]:
    """Seeded, in Berlin; bob has an address, dan none. Rentals (booked on the 3rd):

    1 saw bob 8-9 approved (return today), 2 saw bob 10-11 approved (pick-up tomorrow),
    3 tractor bob 9 pending, 4 tractor bob 10 cancelled, 5 drill dan 10 approved
    (no address), 6 drill bob 9 completed early, 7 drill bob 11 approved (not yet).
    """
    with rentcal.connect(
        db_url, clock=clock, busy_timeout=BUSY_TIMEOUT, timezone="Europe/Berlin"
    ) as cal:
        seed(cal)
        cal.add_machine("drill", daily_price="5.00", auto_approve=True, acting="ada")
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        cal.book("saw", d(8), d(9), member="bob", acting="bob", **PAST)
        cal.book("saw", d(10), d(11), member="bob", acting="bob", **PAST)
        cal.book("tractor", d(9), d(9), member="bob", acting="bob", **PAST)
        cal.book("tractor", d(10), d(10), member="bob", acting="bob", **PAST)
        cal.approve(4, acting="ada", **PAST)
        cal.cancel(4, acting="bob", **PAST)
        cal.book("drill", d(10), d(10), member="dan", acting="dan", **PAST)
        cal.book("drill", d(9), d(9), member="bob", acting="bob", **PAST)
        cal.complete(6, acting="ada", today=d(9))
        cal.book("drill", d(11), d(11), member="bob", acting="bob", **PAST)
        yield cal


def reminders(db_url: str) -> list[tuple[int, str, str]]:
    """(rental id, kind, address) of every reminder in the outbox, on a second connection."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT rental_id, kind, address FROM mail_outbox "
                "WHERE kind IN ('pickup-reminder', 'return-reminder') ORDER BY rental_id, kind"
            )
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


DUE_TODAY = [(1, RETURN_REMINDER, "bob@example.org"), (2, PICKUP_REMINDER, "bob@example.org")]


class TestQueueing:
    """queue_reminders(): from the hour in the organisation's zone, once each, approved only."""

    def test_nothing_before_the_hour_then_each_once(
        self, booked: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        assert booked.queue_reminders() == 0
        assert reminders(db_url) == []
        clock.forward(AT_HOUR - BEFORE)
        assert booked.queue_reminders() == 2
        assert reminders(db_url) == DUE_TODAY
        assert booked.queue_reminders() == 0
        assert booked.housekeeping().as_dict() == {
            "expired": 0,
            "completed": 0,
            "no_shows": 0,
            "unpaid": 0,
        }
        assert booked.queue_reminders() == 0
        assert reminders(db_url) == DUE_TODAY

    def test_a_rental_approved_after_a_run_is_reminded_by_the_next(
        self, booked: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        """A run that found nothing more due is not trusted past a calendar change."""
        clock.forward(AT_HOUR - BEFORE)
        assert booked.queue_reminders() == 2
        assert booked.queue_reminders() == 0
        late = booked.book("tractor", d(10), d(10), member="bob", acting="bob")
        assert booked.queue_reminders() == 0  # pending: not yet
        booked.approve(late.id, acting="ada")
        assert booked.queue_reminders() == 1
        assert reminders(db_url)[-1] == (late.id, PICKUP_REMINDER, "bob@example.org")

    def test_a_given_day_does_not_wait_for_the_hour(
        self, booked: rentcal.Rentcal, db_url: str
    ) -> None:
        assert booked.queue_reminders() == 0  # 16:00 in Berlin
        assert booked.queue_reminders(today=TODAY) == 2
        assert reminders(db_url) == DUE_TODAY

    def test_a_missed_day_is_not_caught_up_and_the_next_comes_on_its_day(
        self, booked: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        clock.forward(AT_HOUR - BEFORE + timedelta(days=1))  # the 10th: rental 2 has started
        assert booked.queue_reminders() == 1  # drill bob 11: pick-up tomorrow
        assert reminders(db_url) == [(7, PICKUP_REMINDER, "bob@example.org")]
        clock.forward(timedelta(days=1))  # the 11th: rentals 2 and 7 end
        assert booked.queue_reminders() == 2
        assert booked.queue_reminders() == 0
        assert [(r, k) for r, k, _a in reminders(db_url)] == [
            (2, RETURN_REMINDER),
            (7, PICKUP_REMINDER),
            (7, RETURN_REMINDER),
        ]

    def test_the_hour_is_read_in_the_organisations_zone_and_can_be_off(
        self, booked: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        assert booked.set_reminder_hour(16, acting="ada") == 16  # 15:00 UTC: now
        booked.set_reminder_hour(None, acting="ada")
        assert booked.queue_reminders() == 0
        assert booked.queue_reminders(today=TODAY) == 0  # off stays off on a given day
        booked.set_reminder_hour(16, acting="ada")
        assert booked.queue_reminders() == 2
        assert reminders(db_url) == DUE_TODAY

    def test_the_words_arrive_by_smtp_with_the_link(
        self, booked: rentcal.Rentcal, clock: MovableClock
    ) -> None:
        clock.forward(AT_HOUR - BEFORE)
        booked.queue_reminders()
        with smtp_server() as server:
            booked.deliver_mail(SmtpSender(server.url, FROM, "https://r.example"))
            got = {m.message["Subject"]: m.text() for m in server.to("bob@example.org")}
        pickup = got[
            "Reminder: your booking of Band saw starts tomorrow, Thu 10 Jan 2030:"
            " pick it up then (rental 2)"
        ]
        assert "Days: Thu 10 – Fri 11 Jan 2030 (2 days)" in pickup
        assert "See the rental: https://r.example/rentals/2" in pickup
        back = got[
            "Reminder: your booking of Band saw ends today, Wed 9 Jan 2030:"
            " please return it today (rental 1)"
        ]
        assert "See the rental: https://r.example/rentals/1" in back

    def test_the_servers_passes_queue_them_once(
        self, booked: rentcal.Rentcal, db_url: str, clock: MovableClock
    ) -> None:
        clock.forward(AT_HOUR - BEFORE)
        with smtp_server() as server:

            async def serve() -> None:
                stop = start_delivering(booked, server.url, FROM, None, every=0.02)
                assert stop is not None
                for _ in range(400):  # a bound; done once both arrived and more passes ran
                    if sum("Reminder" in m.message["Subject"] for m in server.received) >= 2:
                        break
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.1)  # a few more passes
                await stop()

            asyncio.run(serve())
            subjects = [
                str(m.message["Subject"])
                for m in server.received
                if str(m.message["Subject"]).startswith("Reminder")
            ]
        assert reminders(db_url) == DUE_TODAY
        assert sum(s.endswith("(rental 1)") for s in subjects) == 1
        assert sum(s.endswith("(rental 2)") for s in subjects) == 1


class TestHour:
    """The reminder hour: an organisation setting, admins only, kept with its history."""

    def test_default_set_history(self, booked: rentcal.Rentcal) -> None:
        assert booked.reminder_hour() == 17
        assert booked.reminder_hour_history() == []
        assert booked.set_reminder_hour(8, acting="ada") == 8
        assert booked.set_reminder_hour(8, acting="ada") == 8  # unchanged: not recorded
        assert booked.set_reminder_hour(None, acting="ada") is None
        assert booked.reminder_hour() is None
        assert [(h, by) for h, by, _at in booked.reminder_hour_history()] == [
            (None, "ada"),
            (8, "ada"),
        ]

    def test_setting_it_is_no_calendar_change(self, booked: rentcal.Rentcal) -> None:
        before = booked.revision()
        booked.set_reminder_hour(6, acting="ada")
        assert booked.revision() == before

    @pytest.mark.parametrize(
        ("hour", "error"),
        [
            pytest.param(24, InvalidRequest, id="24"),
            pytest.param(-1, InvalidRequest, id="negative"),
            pytest.param("8", ArgumentTypeError, id="str"),
            pytest.param(True, ArgumentTypeError, id="bool"),
            pytest.param(8.0, ArgumentTypeError, id="float"),
        ],
    )
    def test_refused(self, booked: rentcal.Rentcal, hour: object, error: type) -> None:
        with pytest.raises(error, match="hour"):
            booked.set_reminder_hour(hour, acting="ada")  # type: ignore[arg-type]
        assert booked.reminder_hour_history() == []

    def test_admins_only(self, booked: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied):
            booked.set_reminder_hour(8, acting="bob")
        assert booked.reminder_hour() == 17


class TestCli:
    """rentcal reminders show|set; housekeeping queues them (the hour 0 has always passed)."""

    def test_show_set_and_housekeeping(self, booked: rentcal.Rentcal, db_url: str) -> None:
        env = {"RENTCAL_TODAY": TODAY.isoformat()}
        assert ok_json(db_url, "reminders", "show") == {"reminder_hour": 17, "enabled": True}
        result = cli(db_url, "reminders", "set", "0")
        assert result.exit_code == 0, result.output
        assert "reminder hour  00:00" in result.stdout
        assert ok_json(db_url, "reminders", "set", "off") == {
            "reminder_hour": None,
            "enabled": False,
        }
        assert ok_json(db_url, "housekeeping")["reminders"] == 0
        cli(db_url, "reminders", "set", "0")
        first = cli(db_url, "housekeeping", env=env)
        assert (
            first.stdout
            == "Housekeeping: 0 requests expired, 0 rentals completed, 2 reminders queued.\n"
        )
        again = cli(db_url, "housekeeping", "--json", env=env)
        assert '"reminders": 0' in again.stdout
        assert reminders(db_url) == DUE_TODAY
        history = ok_json(db_url, "reminders", "show", "--history")["history"]
        assert [h["reminder_hour"] for h in history] == [0, None, 0]

    @pytest.mark.parametrize("hour", ["24", "99", "8am", ""])
    def test_bad_hour(self, booked: rentcal.Rentcal, db_url: str, hour: str) -> None:
        result = cli(db_url, "reminders", "set", hour)
        assert result.exit_code != 0
        assert "must be a whole number from 0 to 23, or 'off'" in result.stderr
        assert result.stdout == ""


def _housekeep(start: Start, url: str) -> int:
    """One cron run on its own connection, after the hour: how many reminders it queued."""
    with rentcal.connect(url, clock=lambda: AT_HOUR, busy_timeout=60) as cal:
        cal.reminder_hour()
        start()
        cal.housekeeping()
        return cal.queue_reminders()


@BOTH
def test_two_processes_at_once_queue_each_reminder_once(
    booked: rentcal.Rentcal, db_url: str
) -> None:
    counts = in_processes(_housekeep, [(db_url,)] * 4, timeout=120)
    assert sum(counts) == 2
    assert reminders(db_url) == DUE_TODAY
