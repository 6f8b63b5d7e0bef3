"""The SQL of feed tokens: secret calendar URLs, their scopes and owners.

Kept apart from :mod:`rentcal.db.sql.credential_tables` (sessions, API tokens,
throttling) so neither grows past reading; the same style: statements built
once at import with bind parameters, rows turned into
:class:`~rentcal.core.credential_values.FeedToken`. Only digests of secrets
reach this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.credential_values import FeedScope, FeedToken, RevokedReason
from rentcal.db.rows import NewFeedToken
from rentcal.db.sql.revisions import revoking
from rentcal.db.tables import machine_t, member_t
from rentcal.db.tables_accounts import feed_token_t


def _when(name: str, table: sa.Table, column: str) -> Any:
    """A bind parameter typed like ``table.column`` (aware UTC on every backend)."""
    return sa.bindparam(name, type_=table.c[column].type)


# -- feed tokens ----------------------------------------------------------------------

_ft = feed_token_t.c
_scope_member = member_t.alias("scope_member")
_owner = member_t.alias("owner")
_FEED_SELECT = (
    sa.select(
        _ft.id,
        _ft.scope,
        machine_t.c.name.label("machine"),
        _scope_member.c.handle.label("member"),
        _ft.format,
        _ft.name,
        _owner.c.handle.label("owner"),
        _ft.created_at,
        _ft.revoked_at,
        _ft.owner_id,
        _ft.revoked_reason,
    )
    .select_from(
        feed_token_t.join(_owner, _owner.c.id == _ft.owner_id)
        .outerjoin(machine_t, machine_t.c.id == _ft.machine_id)
        .outerjoin(_scope_member, _scope_member.c.id == _ft.member_id)
    )
    .order_by(_ft.id)
)
_FEED_BY_ID = _FEED_SELECT.where(_ft.id == sa.bindparam("i"))
_LIVE_FEED = _FEED_SELECT.where(_ft.secret_hash == sa.bindparam("s"), _ft.revoked_at.is_(None))
_INSERT_FEED = sa.insert(feed_token_t)
_REVOKE_FEED = (
    sa.update(feed_token_t)
    .where(_ft.id == sa.bindparam("i"), _ft.revoked_at.is_(None))
    .values(
        revoked_at=_when("now", feed_token_t, "revoked_at"), revoked_reason=RevokedReason.REVOKED
    )
)
_REVOKE_OWNER_FEEDS = (
    sa.update(feed_token_t)
    .where(_ft.owner_id == sa.bindparam("m"), _ft.revoked_at.is_(None))
    .values(
        revoked_at=_when("now", feed_token_t, "revoked_at"),
        revoked_reason=sa.bindparam("why", type_=sa.String),
    )
)


def _feed(row: Any) -> FeedToken:
    return FeedToken(
        row[0],
        FeedScope(row[1]),
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row.revoked_reason,
    )


def insert_feed(conn: Connection, **values: Unpack[NewFeedToken]) -> int:
    """A new feed token row; returns its id."""
    key = conn.execute(_INSERT_FEED, dict(values)).inserted_primary_key
    return int(key[0]) if key is not None else 0


def feed_by_id(conn: Connection, feed_id: int) -> tuple[FeedToken, int] | None:
    """(feed token, owner id) or None."""
    row = conn.execute(_FEED_BY_ID, {"i": feed_id}).first()
    return None if row is None else (_feed(row), int(row.owner_id))


def live_feed(conn: Connection, digest: str) -> FeedToken | None:
    """The unrevoked feed token with this digest, or None."""
    row = conn.execute(_LIVE_FEED, {"s": digest}).first()
    return None if row is None else _feed(row)


def find_feeds(conn: Connection, owner_id: int | None, include_revoked: bool) -> list[FeedToken]:
    """Feed tokens of one owner (None: everybody's), oldest first."""
    query = _FEED_SELECT
    if owner_id is not None:
        query = query.where(_ft.owner_id == owner_id)
    if not include_revoked:
        query = query.where(_ft.revoked_at.is_(None))
    return [_feed(r) for r in conn.execute(query)]


def revoke_feed(conn: Connection, feed_id: int, now: datetime) -> bool:
    """Revoke a live feed token; whether it was live."""
    return bool(revoking(conn, _REVOKE_FEED, {"i": feed_id, "now": now}))


def revoke_owner_feeds(
    conn: Connection, owner_id: int, now: datetime, reason: RevokedReason
) -> int:
    """Revoke every live feed token a member made, saying why; how many."""
    values = {"m": owner_id, "now": now, "why": reason.value}
    return revoking(conn, _REVOKE_OWNER_FEEDS, values)
