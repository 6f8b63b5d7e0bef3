"""Reminders by e-mail: a pick-up the day before a rental starts, a return on its last day.

At the organisation's reminder hour (an organisation setting,
:data:`REMINDER_HOUR_KEY`, default :data:`DEFAULT_REMINDER_HOUR`, or "off"),
read in the organisation's time zone, :meth:`Reminders.queue_reminders`
queues through the outbox one ``pickup-reminder`` for every *approved*
rental starting the next day and one ``return-reminder`` for every
*approved* rental ending that day, to the rental's member when they have an
e-mail address. ``rentcal housekeeping`` (cron) and ``rentcal serve``'s
delivery pass call it; nothing else runs in the background.

Exactly once, without a table of its own: the outbox is the record. A
reminder is due while no outbox row of its kind names the rental, and the
check and the insert happen in ONE write transaction that first takes the
reminders' lock (SQLite: the write transaction itself; PostgreSQL: an
advisory lock), so two runs at once (two hosts, cron and a server) queue it
once. A rental no longer approved gets none; a day without a run is not
caught up later (a pick-up reminder on the day it started would come late).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.mail import reminder_message
from rentcal.db import sql as q
from rentcal.db.rows import SettingRecord
from rentcal.db.sql import mail as mail_sql
from rentcal.db.sql.revisions import revision as calendar_revision
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.mail_choices import due_digests, queue_digests
from rentcal.service.mail_queue import queue
from rentcal.service.org_zone import local_time

#: The organisation setting holding the reminder hour ("0".."23", or "off").
REMINDER_HOUR_KEY = "reminder_hour"
#: The hour (in the organisation's zone) from which the day's reminders go out.
DEFAULT_REMINDER_HOUR = 17
#: The stored value that turns reminders off.
OFF = "off"


def check_hour(value: object, name: str = "hour") -> int | None:
    """A reminder hour: a whole number from 0 to 23, or None (reminders off)."""
    if value is None:
        return None
    hour = checks.whole_number(value, name)
    if not 0 <= hour <= 23:
        raise InvalidRequest(
            f"{name} {hour} must be an hour from 0 to 23 (or None to turn reminders off)",
            field=name,
            value=hour,
            reason="range",
        )
    return hour


def stored_hour(row: SettingRecord | None) -> int | None:
    """The hour a stored value says (None: off); the default while none is stored
    (a value no rentcal wrote also reads as the default)."""
    if row is None:
        return DEFAULT_REMINDER_HOUR
    if row.value == OFF:
        return None
    if row.value.isdigit() and 0 <= int(row.value) <= 23:
        return int(row.value)
    return DEFAULT_REMINDER_HOUR


def read_hour(conn: Connection) -> int | None:
    """The reminder hour in force, as transaction ``conn`` sees it (None: off)."""
    return stored_hour(q.org_setting(conn, REMINDER_HOUR_KEY))


class Reminders:
    """Queuing the day's reminders, once each, from whichever process gets there first."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        #: (reminder day, list day, calendar revision) of the last run that left
        #: nothing due: until the revision changes (or a day), nothing to look for.
        self._quiet: tuple[date | None, date | None, int] | None = None

    def queue_reminders(self, today: date | None = None) -> int:
        """Queue the reminders due today, and the admins' daily lists of pending
        requests (:mod:`rentcal.service.mail_choices`); how many were queued (0 when
        none is due).

        Until the reminder hour has come in the organisation's time zone (or
        with reminders off) no reminder is queued; the daily lists go out from
        the same hour (from :data:`DEFAULT_REMINDER_HOUR` with reminders off).
        ``today`` names the day instead of the clock (then the hour is not
        waited for; off stays off for reminders). Each reminder and each list
        is queued once however often and from however many hosts this runs;
        a run that finds nothing due writes nothing (one read). Once a run
        found nothing (more) due, the next ones on the same day ask only
        whether the calendar's revision changed (a booking, an approval, a
        move) before looking again.
        """
        given = checks.optional_day(today, "today")
        hour, revision = self.ctx.read(_hour_and_revision)
        day = given if given is not None and hour is not None else self._day(hour)
        digest_day = given if given is not None else self._day(hour, DEFAULT_REMINDER_HOUR)
        quiet = (day, digest_day, revision)
        if day is None and digest_day is None:
            return 0
        if self.ctx.store.read_only or self._quiet == quiet:
            return 0
        if not self.ctx.read(lambda conn: _anything_due(conn, day, digest_day)):
            self._quiet = quiet
            return 0

        def work(conn: Connection) -> int:
            self.ctx.store.lock_reminders(conn)
            now = self.ctx.now()
            due = [] if day is None else mail_sql.due_reminders(conn, day)  # under the lock
            currency = self.ctx.currency_in(conn) if due else None
            for rental_id, member_id, kind in due:
                rental = self.ctx.get_rental(conn, rental_id)
                said = reminder_message(kind, rental)
                queue(conn, [member_id], said, rental, kind, now, currency)
            lists = 0 if digest_day is None else queue_digests(conn, digest_day, now)
            return len(due) + lists

        queued = self.ctx.write(work, calendar=False)
        self._quiet = quiet
        return queued

    def _day(self, hour: int | None, default: int | None = None) -> date | None:
        """The day whose mail is due now, or None: the hour (else ``default``) has not
        come (or both are None: off)."""
        at = hour if hour is not None else default
        if at is None:
            return None
        local: datetime = local_time(self.ctx.timezone(), self.ctx.now())
        return local.date() if local.hour >= at else None


def _anything_due(conn: Connection, day: date | None, digest_day: date | None) -> bool:
    """Whether a reminder (of ``day``) or a daily list (of ``digest_day``) is due."""
    if day is not None and mail_sql.due_reminders(conn, day):
        return True
    return digest_day is not None and bool(due_digests(conn, digest_day))


def _hour_and_revision(conn: Connection) -> tuple[int | None, int]:
    """The reminder hour in force and the calendar's revision, in one read."""
    return read_hour(conn), calendar_revision(conn)[0]


__all__ = [
    "DEFAULT_REMINDER_HOUR",
    "OFF",
    "REMINDER_HOUR_KEY",
    "Reminders",
    "check_hour",
    "read_hour",
    "stored_hour",
]
