"""``rentcal serve`` delivers the mail outbox in the background (issue #20).

Every worker of every host runs one delivery pass every
:data:`DELIVERY_SECONDS` when an SMTP server is configured; the outbox's
leases (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite)
make sure each message is sent by one of them. Each pass first queues the
reminders that have come due (:meth:`Rentcal.queue_reminders`: one read when
none is due; each reminder once, whichever worker gets there first). A pass runs in the thread
pool, so the event loop never waits for SMTP; without ``smtp_url`` nothing
starts and mail stays queued (``rentcal mail send`` can send it later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from rentcal.service import Rentcal

if TYPE_CHECKING:
    from rentcal.service.smtp_sender import SmtpSender

log = logging.getLogger("rentcal.web.mail")

#: Seconds between two delivery passes of one worker.
DELIVERY_SECONDS = 60.0
#: Messages one pass sends at most, so that stopping the server never waits long.
PASS_LIMIT = 20


def _pass(cal: Rentcal, sender: SmtpSender) -> None:
    """One delivery pass: queue the reminders due by now, then send what is due."""
    cal.queue_reminders()
    cal.remind_overdue()
    cal.deliver_mail(sender, PASS_LIMIT)


def start_delivering(
    cal: Rentcal,
    smtp_url: str | None,
    mail_from: str | None,
    base_url: str | None,
    every: float = DELIVERY_SECONDS,
) -> Callable[[], Awaitable[None]] | None:
    """Deliver due mail through ``smtp_url`` now and every ``every`` seconds;
    returns the stop (None when no SMTP server is configured)."""
    if not smtp_url or not mail_from:
        return None
    from rentcal.service.smtp_sender import SmtpSender  # smtplib and ssl: only when used

    sender = SmtpSender(smtp_url, mail_from, base_url)

    async def loop() -> None:
        while True:
            try:
                await run_in_threadpool(_pass, cal, sender)
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("mail not delivered this time")
            await asyncio.sleep(every)

    task = asyncio.get_running_loop().create_task(loop(), name="rentcal-mail-delivery")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop


__all__ = ["DELIVERY_SECONDS", "PASS_LIMIT", "start_delivering"]
