"""Queuing e-mail with a notification: in the caller's transaction (the outbox).

:meth:`rentcal.service.base.Context.notify` calls :func:`queue` after writing
the notifications, so the e-mail is recorded in the same transaction as the
change that causes it: a rolled-back booking queues nothing, a committed one
is never forgotten. Members without an e-mail address get the notification
only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from rentcal.core.mail import compose, header_text
from rentcal.db import sql as q
from rentcal.db.sql import mail as mail_sql


def queue(
    conn: Connection,
    member_ids: Sequence[int],
    message: str,
    rental_id: int | None,
    kind: str,
    now: datetime,
) -> int:
    """One outbox row per member of ``member_ids`` with an address; returns how many."""
    found = mail_sql.recipients(conn, member_ids)
    if not found:
        return 0
    rental = q.rental_by_id(conn, rental_id) if rental_id is not None else None
    rows = []
    for member_id, name, address in found:
        said = compose(name, message, rental)
        rows.append(
            {
                "member_id": member_id,
                "address": address,
                "name": header_text(name, 200),
                "subject": said.subject,
                "text_body": said.text,
                "html_body": said.html,
                "kind": kind,
                "rental_id": rental_id,
                "created_at": now,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "lease_until": None,
                "last_error": None,
                "sent_at": None,
            }
        )
    mail_sql.queue(conn, rows)
    return len(rows)


__all__ = ["queue"]
