"""Queuing e-mail with a notification: in the caller's transaction (the outbox).

:meth:`rentcal.service.base.Context.notify` calls :func:`queue` after writing
the notifications, so the e-mail is recorded in the same transaction as the
change that causes it: a rolled-back booking queues nothing, a committed one
is never forgotten. Members without an e-mail address get the notification
only. One ``INSERT ... SELECT`` per notification: the members' addresses and
names are copied by the database, and the members who chose this kind
"in-app only" (:mod:`rentcal.core.mail_choices`) are left out by the same
statement, so queuing costs one statement (two when the rental must be read
for its facts).

When the news approves, moves or ends a booking, the rental's own member's
message also carries the booking as a calendar invitation
(:mod:`rentcal.feeds.itip`), taken now, with the change: the rental as it is
in this transaction, its SEQUENCE already raised. Admins' copies carry none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from rentcal._version import __version__
from rentcal.core.mail import compose
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.db.sql import mail as mail_sql
from rentcal.feeds.itip import invitation, method_for


def queue(
    conn: Connection,
    member_ids: Sequence[int],
    message: str,
    rental: Rental | int | None,
    kind: str,
    now: datetime,
    currency: str | None = None,
) -> None:
    """One outbox row per member of ``member_ids`` with an address; ``rental`` is the
    rental the news is about (its value, or its id to read it), or None; its price
    is worded in ``currency``."""
    if not member_ids:
        return
    about = q.rental_by_id(conn, rental) if isinstance(rental, int) else rental
    said = compose(message, about, currency)
    method = None if about is None else method_for(kind, about)
    calendar = None
    if about is not None and method is not None:
        calendar = (about.member, invitation(about, method, __version__).decode(), method)
    mail_sql.queue_for(
        conn,
        member_ids,
        subject=said.subject,
        text_body=said.text,
        html_body=said.html,
        kind=kind,
        rental_id=None if about is None else about.id,
        now=now,
        invitation=calendar,
        honour_choices=True,
    )


__all__ = ["queue"]
