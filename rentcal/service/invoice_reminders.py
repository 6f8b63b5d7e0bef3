"""Reminders of overdue invoices by e-mail, through the outbox (issue #23).

The organisation sets the days after issue when reminders go out
(``rentcal invoice settings set --reminder-days 21,35``). An invoice still
open past its due date gets, from the first such day on, the reminder of the
latest stage it has reached: stage 1 at 21 days, stage 2 at 35 days. A stage
not reached on a run (no run that day) is not caught up: the next run sends
the stage reached by then. Each (invoice, stage) is sent once: the
``invoice_reminder`` row (UNIQUE invoice and stage) is written in the same
transaction as the outbox row, under the reminders' lock (PostgreSQL: an
advisory lock; SQLite: BEGIN IMMEDIATE), so cron and a server running at once
queue it once. ``rentcal housekeeping`` and ``rentcal serve``'s delivery pass
call :meth:`InvoiceReminders.remind_overdue`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.payments import OpenItem
from rentcal.db import sql as q
from rentcal.db.sql import invoices as docs
from rentcal.db.sql import mail as mail_sql
from rentcal.service.account_state import accounts
from rentcal.service.base import Context
from rentcal.service.invoice_settings import read_invoice_settings

#: The outbox kind of a reminder of an overdue invoice (no member's choice applies:
#: it is about money owed, like a password reset is about access).
INVOICE_REMINDER = "invoice-reminder"


@dataclass(frozen=True, slots=True)
class Due:
    """A reminder to queue: the invoice, its member, the stage reached."""

    invoice_id: int
    member: str
    item: OpenItem
    stage: int


def stage_of(item: OpenItem, day: date, reminder_days: tuple[int, ...]) -> int:
    """The latest reminder stage ``item`` has reached on ``day`` (0: none yet, or not
    overdue: nothing open, or not past its due date)."""
    if item.open <= 0 or day <= item.due_date:
        return 0
    age = (day - item.issue_date).days
    return sum(1 for days in reminder_days if age >= days)


def _due(conn: Connection, day: date) -> list[Due]:
    days = read_invoice_settings(conn).reminder_days
    if not days:
        return []
    sent = docs.reminders_sent(conn)
    found = []
    for handle, state in accounts(conn).items():
        for item in state.items():
            stage = stage_of(item, day, days)
            if stage:
                invoice_id = docs.invoice_ids(conn, [item.number])[item.number]
                if (invoice_id, stage) not in sent:
                    found.append(Due(invoice_id, handle, item, stage))
    return found


def _message(due: Due, currency: str, iban: str | None) -> tuple[str, str, str]:
    """Subject, text and HTML of one reminder."""
    item = due.item
    subject = f"Reminder: invoice {item.number} is overdue"
    lines = [
        f"Invoice {item.number} of {item.issue_date.isoformat()} was due on "
        f"{item.due_date.isoformat()}; {item.open} {currency} of it is still open.",
        f"Please pay it{' to ' + iban if iban else ''}, quoting {item.number}.",
        "If you have paid in the meantime, thank you, and please ignore this reminder.",
    ]
    text = "\n\n".join(lines) + "\n-- \nrentcal\n"
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)
    return subject, text, f"<html><body>\n{body}</body></html>\n"


class InvoiceReminders:
    """Queue the reminders of overdue invoices, once per invoice and stage."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def remind_overdue(self, today: date | None = None) -> int:
        """Queue a reminder for every overdue invoice that reached a reminder stage not
        yet sent (``today``: default today in the organisation's zone); how many.
        A run finding nothing due writes nothing."""
        day = self.ctx.today(checks.optional_day(today, "today"))
        if self.ctx.store.read_only or not self.ctx.read(lambda conn: _due(conn, day)):
            return 0

        def work(conn: Connection) -> int:
            self.ctx.store.lock_reminders(conn)
            found = _due(conn, day)  # again, under the lock
            settings = read_invoice_settings(conn)
            now = self.ctx.now()
            for due in found:
                member = q.member(self.ctx.member_row(conn, due.member))
                head = docs.invoice_head(conn, due.item.number)
                currency = "" if head is None else str(head["currency"])
                subject, text, page = _message(due, currency, settings.iban)
                mail_sql.queue_for(
                    conn, [member.id], subject=subject, text_body=text, html_body=page,
                    kind=INVOICE_REMINDER, rental_id=None, now=now,
                )  # fmt: skip
                docs.insert_reminder(conn, due.invoice_id, due.stage, now)
            return len(found)

        return self.ctx.write(work, calendar=False)


__all__ = ["INVOICE_REMINDER", "InvoiceReminders", "stage_of"]
