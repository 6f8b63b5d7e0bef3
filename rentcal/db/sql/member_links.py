"""The SQL of one-time member links (invitations, address confirmations) and of the
one message each sends to an address that is not (yet) the member's.

Statements built once at import, like :mod:`rentcal.db.sql.password_resets`.
Secrets never reach this module, only their digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db.tables import member_t
from rentcal.db.tables_accounts import credential_t, member_link_t
from rentcal.db.tables_mail import mail_outbox_t

_l = member_link_t.c
_mb = member_t.c
_by = member_t.alias("made_by")


class LinkRow(NamedTuple):
    """An open link as the use cases need it."""

    id: int
    member_id: int
    handle: str
    address: str
    expires_at: datetime


class PendingRow(NamedTuple):
    """An invitation not yet used nor revoked (perhaps expired)."""

    handle: str
    name: str
    address: str
    verified: bool
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


def _when(name: str) -> Any:
    """A bind parameter typed like the link's timestamps (aware UTC everywhere)."""
    return sa.bindparam(name, type_=_l.created_at.type)


_OPEN = sa.and_(_l.used_at.is_(None), _l.revoked_at.is_(None))
_INSERT = sa.insert(member_link_t)
_LIVE = (
    sa.select(_l.id, _l.member_id, _mb.handle, _l.address, _l.expires_at)
    .select_from(member_link_t.join(member_t, _mb.id == _l.member_id))
    .where(
        _l.digest == sa.bindparam("d"),
        _l.purpose == sa.bindparam("p"),
        _OPEN,
        _l.expires_at > _when("now"),
        _mb.deactivated_at.is_(None),
    )
)
_NEWEST_OPEN = (
    sa.select(_l.id, _l.member_id, _mb.handle, _l.address, _l.expires_at)
    .select_from(member_link_t.join(member_t, _mb.id == _l.member_id))
    .where(_l.member_id == sa.bindparam("m"), _l.purpose == sa.bindparam("p"), _OPEN)
    .order_by(_l.id.desc())
    .limit(1)
)
_CLOSE = (
    sa.update(member_link_t)
    .where(_l.member_id == sa.bindparam("m"), _l.purpose == sa.bindparam("p"), _OPEN)
    .values(revoked_at=_when("now"))
)
_USE = sa.update(member_link_t).where(_l.id == sa.bindparam("i")).values(used_at=_when("now"))
_MADE_BY = (
    sa.select(sa.func.count())
    .select_from(member_link_t)
    .where(
        _l.created_by_id == sa.bindparam("a"),
        _l.purpose == sa.bindparam("p"),
        _l.created_at > _when("since"),
    )
)
_MADE_FOR = (
    sa.select(sa.func.count())
    .select_from(member_link_t)
    .where(
        _l.member_id == sa.bindparam("m"),
        _l.purpose == sa.bindparam("p"),
        _l.created_at > _when("since"),
    )
)
_PENDING = (
    sa.select(
        _mb.handle, _mb.name, _l.address, _mb.verified, _by.c.handle, _l.created_at, _l.expires_at
    )
    .select_from(
        member_link_t.join(member_t, _mb.id == _l.member_id).outerjoin(
            _by, _by.c.id == _l.created_by_id
        )
    )
    .where(
        _l.purpose == "invite",
        _OPEN,
        _mb.deactivated_at.is_(None),
        ~sa.select(credential_t.c.member_id).where(credential_t.c.member_id == _mb.id).exists(),
    )
    .order_by(_l.created_at, _l.id)
)
_HAS_PASSWORD = sa.select(credential_t.c.member_id).where(
    credential_t.c.member_id == sa.bindparam("m")
)
_QUEUE_TO = sa.insert(mail_outbox_t)


def add(
    conn: Connection,
    *,
    purpose: str,
    member_id: int,
    digest: str,
    address: str,
    expires_at: datetime,
    created_by: int | None,
    now: datetime,
) -> None:
    """Record a new link."""
    conn.execute(
        _INSERT,
        {
            "purpose": purpose,
            "member_id": member_id,
            "digest": digest,
            "address": address,
            "expires_at": expires_at,
            "used_at": None,
            "revoked_at": None,
            "created_by_id": created_by,
            "created_at": now,
        },
    )


def live(conn: Connection, purpose: str, digest: str, now: datetime) -> LinkRow | None:
    """The unused, unrevoked, unexpired link of an active member with ``digest``."""
    row = conn.execute(_LIVE, {"d": digest, "p": purpose, "now": now}).first()
    return None if row is None else LinkRow._make(row)


def newest_open(conn: Connection, member_id: int, purpose: str) -> LinkRow | None:
    """The member's newest link of ``purpose`` neither used nor revoked (maybe expired)."""
    row = conn.execute(_NEWEST_OPEN, {"m": member_id, "p": purpose}).first()
    return None if row is None else LinkRow._make(row)


def close(conn: Connection, member_id: int, purpose: str, now: datetime) -> int:
    """Revoke every open link of ``purpose`` of the member; how many there were."""
    return int(conn.execute(_CLOSE, {"m": member_id, "p": purpose, "now": now}).rowcount)


def use(conn: Connection, link_id: int, now: datetime) -> None:
    """Mark one link used."""
    conn.execute(_USE, {"i": link_id, "now": now})


def made_by(conn: Connection, admin_id: int, purpose: str, since: datetime) -> int:
    """How many links of ``purpose`` ``admin_id`` made after ``since``."""
    return int(conn.execute(_MADE_BY, {"a": admin_id, "p": purpose, "since": since}).scalar_one())


def made_for(conn: Connection, member_id: int, purpose: str, since: datetime) -> int:
    """How many links of ``purpose`` were made for the member after ``since``."""
    found = conn.execute(_MADE_FOR, {"m": member_id, "p": purpose, "since": since})
    return int(found.scalar_one())


def pending_invitations(conn: Connection) -> list[PendingRow]:
    """Every invitation neither used nor revoked, of active members without a password
    yet (one set another way makes the invitation moot), oldest first."""
    return [PendingRow._make(r) for r in conn.execute(_PENDING)]


def has_password(conn: Connection, member_id: int) -> bool:
    """Whether the member has a password (an accepted invitation, or set otherwise)."""
    return conn.execute(_HAS_PASSWORD, {"m": member_id}).first() is not None


def queue_to(
    conn: Connection,
    *,
    member_id: int,
    address: str,
    name: str,
    subject: str,
    text_body: str,
    html_body: str,
    kind: str,
    now: datetime,
) -> None:
    """Queue one message to ``address`` (not necessarily the member's confirmed one)."""
    conn.execute(
        _QUEUE_TO,
        {
            "member_id": member_id,
            "address": address,
            "name": name,
            "subject": subject,
            "text_body": text_body,
            "html_body": html_body,
            "kind": kind,
            "rental_id": None,
            "created_at": now,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
        },
    )


__all__ = [
    "LinkRow",
    "PendingRow",
    "add",
    "close",
    "has_password",
    "live",
    "made_by",
    "made_for",
    "newest_open",
    "pending_invitations",
    "queue_to",
    "use",
]
