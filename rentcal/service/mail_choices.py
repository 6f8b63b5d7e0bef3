"""Which notifications each member also gets by e-mail, and the admins' daily list.

A member chooses, kind by kind (:mod:`rentcal.core.mail_choices`), "e-mail"
(the default) or "in-app only"; an admin may take new requests as one daily
list instead. The choices are honoured where mail is queued, by the queuing
statement itself (:func:`rentcal.db.sql.mail.queue_for`), so the booking path
pays nothing for them. Security mail is queued without them.

The daily list is queued by :meth:`rentcal.service.reminders.Reminders.queue_reminders`
(``rentcal housekeeping`` and ``rentcal serve``'s delivery pass), at the
reminder hour in the organisation's zone, under the reminders' lock: each
digest admin gets one a day at most, listing every pending request, and none
on a day nothing is pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.mail import digest_mail
from rentcal.core.mail_choices import (
    DIGEST,
    DIGEST_KIND,
    MailChoice,
    check_choices,
    choices_of,
)
from rentcal.core.types import RentalStatus
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.rows import MemberRecord
from rentcal.db.sql import mail as mail_sql
from rentcal.db.sql import mail_choices as choice_sql
from rentcal.errors import InvalidRequest, PermissionDenied
from rentcal.service.base import Context


def _own_or_admin(actor: Member, row: MemberRecord, what: str) -> None:
    """PermissionDenied unless ``actor`` is the member of ``row`` or an admin."""
    if actor.id != row.id and not actor.is_admin:
        raise PermissionDenied(
            f"member {actor.handle!r} cannot {what} of {row.handle!r}: members choose "
            "their own, admins anyone's",
            field="acting",
            value=actor.handle,
            reason="not-owner",
        )


class MailChoices:
    """Reading and storing the members' e-mail choices."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def mail_choices(self, handle: str, acting: str | None = None) -> list[MailChoice]:
        """Every kind of notification with how ``handle`` gets it (``email``, ``in-app``,
        ``digest``). Members read their own, admins anyone's."""
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> list[MailChoice]:
            actor = self.ctx.actor(conn, acting)
            row = self.ctx.member_row(conn, clean)
            _own_or_admin(actor, row, "see the e-mail choices")
            return choices_of(choice_sql.choices(conn, row.id))

        return self.ctx.read(work)

    def set_mail_choices(
        self, handle: str, choices: Mapping[str, str], acting: str | None = None
    ) -> list[MailChoice]:
        """Store how ``handle`` gets each kind named in ``choices`` (``{"approved":
        "in-app", "request": "digest"}``); the other kinds keep theirs. Every choice is
        checked before any is stored. ``digest`` is for new requests, and admins only.
        Members set their own, admins anyone's. Returns every kind's choice."""
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")
        wanted = check_choices(choices)

        def work(conn: Connection) -> list[MailChoice]:
            actor = self.ctx.actor(conn, acting)
            row = self.ctx.member_row(conn, clean)
            _own_or_admin(actor, row, "change the e-mail choices")
            if any(c == DIGEST for _, c in wanted) and not q.member(row).is_admin:
                raise InvalidRequest(
                    f"member {row.handle!r} is not an admin: only admins hear of new "
                    "requests, so only they can take them as a daily list",
                    field="choices",
                    value=DIGEST,
                    reason="not-admin",
                )
            choice_sql.set_choices(conn, row.id, wanted, self.ctx.now())
            return choices_of(choice_sql.choices(conn, row.id))

        return self.ctx.write(work, calendar=False)


def due_digests(conn: Connection, day: date) -> list[int]:
    """The admins whose daily list of pending requests is due on ``day`` (one read)."""
    return choice_sql.due_digests(conn, day)


def queue_digests(conn: Connection, day: date, now: datetime) -> int:
    """Queue ``day``'s list to every admin it is due for (call under the reminders'
    lock, in a write transaction); how many were queued."""
    due = choice_sql.due_digests(conn, day)
    if not due:
        return 0
    pending = q.find_rentals(
        conn,
        machine_id=None,
        member_id=None,
        statuses=[RentalStatus.PENDING],
        start=None,
        end=None,
    )
    pending.sort(key=lambda r: (r.created_at, r.id))
    said = digest_mail(pending)
    mail_sql.queue_for(
        conn,
        due,
        subject=said.subject,
        text_body=said.text,
        html_body=said.html,
        kind=DIGEST_KIND,
        rental_id=None,
        now=now,
    )
    choice_sql.digested(conn, due, day)
    return len(due)


__all__ = ["MailChoices", "due_digests", "queue_digests"]
