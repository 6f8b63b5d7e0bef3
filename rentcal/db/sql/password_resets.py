"""The SQL of password-reset links: find the account, record a link, use it once.

Statements built once at import, like :mod:`rentcal.db.sql.credential_tables`.
Secrets never reach this module, only their digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db.tables import member_t
from rentcal.db.tables_accounts import password_reset_t

_pr = password_reset_t.c
_mb = member_t.c


def _when(name: str, column: str) -> Any:
    """A bind parameter typed like ``password_reset.column`` (aware UTC everywhere)."""
    return sa.bindparam(name, type_=password_reset_t.c[column].type)


#: An active member with an e-mail address whose handle or address is ``who``
#: (addresses compared without case); the handle match first.
_ACCOUNT = (
    sa.select(_mb.id)
    .where(
        sa.or_(_mb.handle == sa.bindparam("who"), sa.func.lower(_mb.email) == sa.bindparam("who")),
        _mb.email.is_not(None),
        _mb.deactivated_at.is_(None),
    )
    .order_by((_mb.handle == sa.bindparam("who")).desc(), _mb.id)
    .limit(1)
)
_INSERT = sa.insert(password_reset_t)
_RECENT = (
    sa.select(sa.func.count())
    .select_from(password_reset_t)
    .where(_pr.member_id == sa.bindparam("m"), _pr.created_at > _when("since", "created_at"))
)
_LIVE = (
    sa.select(_pr.id, _pr.member_id, member_t.c.handle)
    .select_from(password_reset_t.join(member_t, member_t.c.id == _pr.member_id))
    .where(
        _pr.secret_hash == sa.bindparam("s"),
        _pr.used_at.is_(None),
        _pr.expires_at > _when("now", "expires_at"),
        _mb.deactivated_at.is_(None),
    )
)
#: Using one link ends every other open link of the member too.
_USE = (
    sa.update(password_reset_t)
    .where(_pr.member_id == sa.bindparam("m"), _pr.used_at.is_(None))
    .values(used_at=_when("now", "used_at"))
)


def account(conn: Connection, who: str) -> int | None:
    """The id of the active member with an address whose handle or address is ``who``."""
    return conn.execute(_ACCOUNT, {"who": who}).scalar()


def add(
    conn: Connection,
    *,
    secret_hash: str,
    member_id: int,
    now: datetime,
    expires_at: datetime,
    client: str,
) -> None:
    """Record a new link."""
    conn.execute(
        _INSERT,
        {
            "secret_hash": secret_hash,
            "member_id": member_id,
            "created_at": now,
            "expires_at": expires_at,
            "used_at": None,
            "client": client,
        },
    )


def recent(conn: Connection, member_id: int, since: datetime) -> int:
    """How many links were made for a member after ``since``."""
    return int(conn.execute(_RECENT, {"m": member_id, "since": since}).scalar_one())


def live(conn: Connection, digest: str, now: datetime) -> tuple[int, str] | None:
    """(member id, handle) of an unused, unexpired link of an active member, or None."""
    row = conn.execute(_LIVE, {"s": digest, "now": now}).first()
    return None if row is None else (int(row.member_id), str(row.handle))


def use(conn: Connection, member_id: int, now: datetime) -> None:
    """Mark every open link of the member used (the one just used among them)."""
    conn.execute(_USE, {"m": member_id, "now": now})


__all__ = ["account", "add", "live", "recent", "use"]
