"""Delivering the outbox, and what admins do with it (list, retry, discard).

:meth:`Outbox.deliver_mail` is one pass over due mail, safe to run from many
processes and hosts at once (``rentcal serve``'s workers, ``rentcal mail
send`` from cron): each batch is claimed with a lease in one short write
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on
SQLite), each message is sent with no transaction open, and each outcome is
recorded in another short one, with the attempt and the server's reply.
Temporary failures are retried after 1, 2, 4 ... minutes (at most an hour
apart) until the message is two days old; permanent ones fail at once.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.mail import MailFailure, MailItem, MailList, MailReport, Outgoing, next_attempt
from rentcal.db.sql import mail as mail_sql
from rentcal.errors import InvalidRequest, NotFound
from rentcal.service.base import Context, int_id

#: Messages claimed at once; their lease covers sending them all, with room to spare.
BATCH = 10
LEASE = timedelta(minutes=15)
#: What ``mail()`` lists: waiting and failed (sent and discarded are done with).
OPEN = ("queued", "failed")
#: The most messages :meth:`Outbox.recent_mail` lists at once.
MAX_LISTED = 500


class MailSender(Protocol):
    """Sends one claimed message, returning the server's reply (``250 ...``); raises
    :class:`~rentcal.core.mail.MailFailure` (temporary or permanent) when it cannot."""

    def send(self, mail: Outgoing, now: datetime) -> str:
        """Send ``mail``; ``now`` is its Date."""
        ...


class Outbox:
    """Use cases about the mail outbox."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def deliver_mail(self, sender: MailSender, limit: int = 100) -> MailReport:
        """Send up to ``limit`` due messages through ``sender``; how many were sent,
        will be retried, failed. Other processes may deliver at the same time."""
        if not callable(getattr(sender, "send", None)):
            raise checks.wrong_type("sender", "a mail sender (with send())", sender)
        most = checks.positive_int(limit, "limit")
        report = MailReport()
        while most > 0:
            batch = self.ctx.write(
                functools.partial(self._claim, size=min(BATCH, most)), calendar=False
            )
            if not batch:
                break
            most -= len(batch)
            for mail in batch:
                report = self._one(sender, mail, report)
        return report

    def _claim(self, conn: Connection, size: int) -> list[Outgoing]:
        """Up to ``size`` due messages, leased to this pass (in a write transaction)."""
        now = self.ctx.now()
        return mail_sql.claim(conn, now, now + LEASE, size)

    def _one(self, sender: MailSender, mail: Outgoing, report: MailReport) -> MailReport:
        """Send one message (no transaction open) and record how it went."""
        try:
            reply = sender.send(mail, self.ctx.now())
        except MailFailure as err:
            return self._failed(mail, err.reply, err.temporary, report)
        self._record(mail.item.id, "sent", reply, status="sent")
        return MailReport(report.sent + 1, report.retrying, report.failed)

    def _failed(
        self, mail: Outgoing, reply: str, temporary: bool, report: MailReport
    ) -> MailReport:
        """Record a failure: retry later (temporary, not too old) or give up."""
        now = self.ctx.now()
        later = next_attempt(mail.item.attempts + 1, now, mail.item.created_at)
        if temporary and later is not None:
            self._record(mail.item.id, "retry", reply, status="queued", next_attempt_at=later)
            return MailReport(report.sent, report.retrying + 1, report.failed)
        self._record(mail.item.id, "failed", reply, status="failed")
        return MailReport(report.sent, report.retrying, report.failed + 1)

    def _record(
        self,
        mail_id: int,
        outcome: str,
        reply: str,
        *,
        status: str,
        next_attempt_at: datetime | None = None,
    ) -> None:
        at = self.ctx.now()
        self.ctx.write(
            lambda conn: mail_sql.record(
                conn,
                mail_id,
                at,
                outcome,
                reply[:2000],
                status=status,
                next_attempt_at=next_attempt_at,
            ),
            calendar=False,
        )

    def outbox(self, failed_only: bool = False, acting: str | None = None) -> list[MailItem]:
        """Queued and failed mail, oldest first (``failed_only``: failed only; admins)."""
        failed = checks.flag(failed_only, "failed_only")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> list[MailItem]:
            self.ctx.admin(conn, acting, "see the mail outbox")
            return mail_sql.items(conn, ("failed",) if failed else OPEN)

        return self.ctx.read(work)

    def recent_mail(self, limit: int = 50, acting: str | None = None) -> MailList:
        """The ``limit`` newest queued or failed messages, newest first, and how many
        are open in all (admins): the outbox at a glance, bounded however long it is."""
        most = checks.positive_int(limit, "limit")
        if most > MAX_LISTED:
            raise InvalidRequest(
                f"limit {most} is more than {MAX_LISTED}",
                field="limit",
                value=most,
                reason="range",
            )
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> MailList:
            self.ctx.admin(conn, acting, "see the mail outbox")
            found, total = mail_sql.newest(conn, OPEN, most)
            return MailList(tuple(found), total)

        return self.ctx.read(work)

    def retry_mail(self, mail_id: int, acting: str | None = None) -> MailItem:
        """Send a failed (or waiting) message again at the next pass (admins)."""
        return self._change(mail_id, acting, "queued", "retry mail")

    def discard_mail(self, mail_id: int, acting: str | None = None) -> MailItem:
        """Never send a queued or failed message (admins)."""
        return self._change(mail_id, acting, "discarded", "discard mail")

    def _change(self, mail_id: int, acting: str | None, status: str, what: str) -> MailItem:
        wanted = int_id(mail_id, "mail")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> MailItem:
            self.ctx.admin(conn, acting, what)
            row = mail_sql.item(conn, wanted)
            if row is None:
                raise NotFound(f"mail {wanted} not found", field="mail", value=wanted)
            found, lease = row
            now = self.ctx.now()
            if lease is not None and lease > now:
                raise InvalidRequest(
                    f"mail {wanted} is being sent right now; try again in a few minutes",
                    field="mail",
                    value=wanted,
                    reason="sending",
                )
            if found.status not in OPEN:
                raise InvalidRequest(
                    f"mail {wanted} was {found.status}: only queued or failed mail can be "
                    f"{'retried' if status == 'queued' else 'discarded'}",
                    field="mail",
                    value=wanted,
                    reason=found.status,
                )
            mail_sql.set_status(conn, wanted, status, now)
            return replace(found, status=status, next_attempt_at=now)

        return self.ctx.write(work, calendar=False)


__all__ = ["BATCH", "LEASE", "MAX_LISTED", "MailSender", "Outbox"]
