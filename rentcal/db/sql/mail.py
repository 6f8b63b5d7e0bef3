"""The mail outbox's statements: queue, claim with a lease, record an attempt, list.

Claiming is ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (rows another
sender is claiming are passed over, not waited for) and the write lock on
SQLite (``BEGIN IMMEDIATE``: one claimer at a time; the clause is not
rendered there); the same transaction sets ``lease_until``, so a claimed row
is due again only when its lease ran out (a sender that died).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.mail import PICKUP_REMINDER, RETURN_REMINDER, MailItem, Outgoing
from rentcal.core.types import RentalStatus
from rentcal.db.sql.mail_choices import not_chosen_away
from rentcal.db.tables import member_t, rental_t
from rentcal.db.tables_mail import mail_attempt_t, mail_outbox_t

_m = mail_outbox_t.c
_ITEM = (
    _m.id,
    _m.address,
    _m.name,
    _m.subject,
    _m.kind,
    _m.rental_id,
    _m.status,
    _m.attempts,
    _m.created_at,
    _m.next_attempt_at,
    _m.last_error,
    _m.sent_at,
)
_QUEUED = ("subject", "text_body", "html_body", "kind", "rental_id")
#: One row per member with an address, their address and name copied by the database;
#: the calendar (and its method) only on the row of the member whose handle is ``invited``.
_QUEUE_SELECT = (
    sa.select(
        member_t.c.id,
        member_t.c.email,
        member_t.c.name,
        *(sa.bindparam(name, type_=mail_outbox_t.c[name].type) for name in _QUEUED),
        sa.bindparam("now", type_=_m.created_at.type),
        sa.literal("queued", mail_outbox_t.c.status.type),
        sa.literal(0, mail_outbox_t.c.attempts.type),
        sa.bindparam("now", type_=_m.next_attempt_at.type),
        *(
            sa.case((member_t.c.handle == sa.bindparam("invited"), sa.bindparam(name, type_=t)))
            for name, t in (("calendar", _m.calendar.type), ("method", _m.calendar_method.type))
        ),
    )
    .where(member_t.c.id.in_(sa.bindparam("ids", expanding=True)))
    .where(member_t.c.email.is_not(None))
    .order_by(member_t.c.id)
)
_QUEUE_COLUMNS = [
    "member_id",
    "address",
    "name",
    *_QUEUED,
    "created_at",
    "status",
    "attempts",
    "next_attempt_at",
    "calendar",
    "calendar_method",
]
#: Every member given (security mail: never optional).
_QUEUE_FOR = sa.insert(mail_outbox_t).from_select(_QUEUE_COLUMNS, _QUEUE_SELECT)
#: The same, without the members who chose not to get this kind by e-mail (in the same
#: statement: honouring the choices costs no round trip).
_QUEUE_CHOSEN = sa.insert(mail_outbox_t).from_select(
    _QUEUE_COLUMNS,
    _QUEUE_SELECT.where(not_chosen_away(member_t.c.id, sa.bindparam("kind", type_=_m.kind.type))),
)
_DUE = (
    sa.select(_m.id)
    .where(_m.status == "queued")
    .where(_m.next_attempt_at <= sa.bindparam("now"))
    .where(sa.or_(_m.lease_until.is_(None), _m.lease_until < sa.bindparam("now")))
    .order_by(_m.next_attempt_at, _m.id)
    .limit(sa.bindparam("n"))
    .with_for_update(skip_locked=True)
)
_LEASE = (
    sa.update(mail_outbox_t)
    .where(_m.id.in_(sa.bindparam("ids", expanding=True)))
    .values(lease_until=sa.bindparam("until"))
)
_CLAIMED = (
    sa.select(*_ITEM, _m.text_body, _m.html_body, _m.calendar, _m.calendar_method)
    .where(_m.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_m.id)
)
_ADD_ATTEMPT = sa.insert(mail_attempt_t)
_r = rental_t.c


def _reminders(kind: str, day_column: Any, day: str) -> sa.Select[Any]:
    """Approved rentals whose ``day_column`` is the bound ``day``, of members with an
    address, without an outbox row of ``kind`` yet: the reminders of ``kind`` due."""
    sent = (
        sa.select(_m.id)
        .where(_m.rental_id == _r.id, _m.kind == sa.literal(kind, _m.kind.type))
        .exists()
    )
    return (
        sa.select(_r.id, _r.member_id, sa.literal(kind, _m.kind.type).label("kind"))
        .join(member_t, member_t.c.id == _r.member_id)
        .where(_r.status == RentalStatus.APPROVED.value)
        .where(day_column == sa.bindparam(day))
        .where(member_t.c.email.is_not(None))
        .where(~sent)
    )


#: Pick-ups tomorrow and returns today not reminded yet (the returns by the
#: (status, end_date) index; the pick-ups among the approved rentals not ended).
_DUE_REMINDERS = sa.union_all(
    _reminders(PICKUP_REMINDER, _r.start_date, "tomorrow").where(
        _r.end_date >= sa.bindparam("tomorrow")
    ),
    _reminders(RETURN_REMINDER, _r.end_date, "today"),
)


def _item(row: Any) -> MailItem:
    """A row of the ``_ITEM`` columns (and maybe more) as a value."""
    return MailItem(*row[: len(_ITEM)])


def queue_for(
    conn: Connection,
    member_ids: Sequence[int],
    *,
    subject: str,
    text_body: str,
    html_body: str,
    kind: str,
    rental_id: int | None,
    now: datetime,
    invitation: tuple[str, str, str] | None = None,
    honour_choices: bool = False,
) -> None:
    """Queue one message for each of ``member_ids`` that has an e-mail address;
    ``invitation`` (member handle, calendar, method): that member's message carries it.
    ``honour_choices``: not to those who chose in-app only (or the daily list) for
    ``kind`` -- notifications do; security mail (a reset link) never does."""
    invited, calendar, method = invitation or (None, None, None)
    conn.execute(
        _QUEUE_CHOSEN if honour_choices else _QUEUE_FOR,
        {
            "invited": invited,
            "calendar": calendar,
            "method": method,
            "ids": list(member_ids),
            "subject": subject,
            "text_body": text_body,
            "html_body": html_body,
            "kind": kind,
            "rental_id": rental_id,
            "now": now,
        },
    )


def due_reminders(conn: Connection, today: date) -> list[tuple[int, int, str]]:
    """(rental id, member id, kind) of every reminder due on ``today`` and not queued yet:
    a pick-up for each approved rental starting the next day, a return for each ending
    ``today``. The outbox is the record: a reminder is due while no row of its kind
    names the rental."""
    found = conn.execute(_DUE_REMINDERS, {"today": today, "tomorrow": today + timedelta(days=1)})
    return sorted((int(r[0]), int(r[1]), str(r[2])) for r in found)


def claim(conn: Connection, now: datetime, until: datetime, limit: int) -> list[Outgoing]:
    """Up to ``limit`` due messages, leased to the caller until ``until``."""
    ids = [r.id for r in conn.execute(_DUE, {"now": now, "n": limit})]
    if not ids:
        return []
    conn.execute(_LEASE, {"ids": ids, "until": until})
    return [
        Outgoing(_item(r), r.text_body, r.html_body, r.calendar, r.calendar_method)
        for r in conn.execute(_CLAIMED, {"ids": ids})
    ]


def record(
    conn: Connection,
    mail_id: int,
    at: datetime,
    outcome: str,
    reply: str,
    *,
    status: str,
    next_attempt_at: datetime | None = None,
) -> None:
    """One attempt: its row in ``mail_attempt`` and the message's new state (lease ended)."""
    conn.execute(_ADD_ATTEMPT, {"mail_id": mail_id, "at": at, "outcome": outcome, "reply": reply})
    values: dict[str, Any] = {
        "status": status,
        "attempts": _m.attempts + 1,
        "lease_until": None,
        "last_error": None if outcome == "sent" else reply,
    }
    if outcome == "sent":
        values["sent_at"] = at
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    conn.execute(sa.update(mail_outbox_t).where(_m.id == mail_id).values(**values))


def items(conn: Connection, statuses: Sequence[str]) -> list[MailItem]:
    """The messages in ``statuses``, oldest first."""
    query = sa.select(*_ITEM).where(_m.status.in_(list(statuses))).order_by(_m.id)
    return [_item(r) for r in conn.execute(query)]


def newest(conn: Connection, statuses: Sequence[str], limit: int) -> tuple[list[MailItem], int]:
    """The ``limit`` newest messages in ``statuses`` (newest first) and how many there are."""
    where = _m.status.in_(list(statuses))
    found = conn.execute(sa.select(*_ITEM).where(where).order_by(_m.id.desc()).limit(limit))
    total = conn.execute(sa.select(sa.func.count()).select_from(mail_outbox_t).where(where))
    return [_item(r) for r in found], int(total.scalar_one())


def item(conn: Connection, mail_id: int) -> tuple[MailItem, datetime | None] | None:
    """One message and the end of its lease (None: not claimed), or None; the row is
    locked (PostgreSQL) so a sender cannot claim it meanwhile."""
    query = sa.select(*_ITEM, _m.lease_until).where(_m.id == mail_id).with_for_update()
    row = conn.execute(query).first()
    return None if row is None else (_item(row), row.lease_until)


def set_status(conn: Connection, mail_id: int, status: str, now: datetime) -> None:
    """An admin's retry (``queued``, due now) or discard (``discarded``)."""
    conn.execute(
        sa.update(mail_outbox_t)
        .where(_m.id == mail_id)
        .values(status=status, next_attempt_at=now, lease_until=None)
    )


def attempts(conn: Connection, mail_id: int) -> list[tuple[datetime, str, str]]:
    """Every attempt at one message: (when, outcome, the server's reply), oldest first."""
    query = (
        sa.select(mail_attempt_t.c.at, mail_attempt_t.c.outcome, mail_attempt_t.c.reply)
        .where(mail_attempt_t.c.mail_id == mail_id)
        .order_by(mail_attempt_t.c.id)
    )
    return [(r.at, r.outcome, r.reply) for r in conn.execute(query)]


__all__ = [
    "attempts",
    "claim",
    "due_reminders",
    "item",
    "items",
    "newest",
    "queue_for",
    "record",
    "set_status",
]
