"""The two revision counters: the calendar's, and the credentials'.

The calendar's revision changes in the same transaction as every write that
changes what a calendar shows (ETags, caches of events and answers, live
updates); the credentials' revision changes with every write that changes
what a secret stands for — a revoke, a logout, a password change, any change
to a member — so a server may keep what a token, session or feed URL
resolved to while it is unchanged. Both are read by one statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db.tables import REVISION_EPOCH, credentials_revision_t, revision_t

#: The PostgreSQL channel every calendar-changing commit notifies, with the new revision.
REVISION_CHANNEL = "rentcal_revision"

_rv = revision_t.c
_cv = credentials_revision_t.c
_REVISION = sa.select(_rv.value, _rv.changed_at).where(_rv.id == 1)
#: Both counters in one row (each table holds exactly one row, id = 1).
REVISIONS_STATEMENT = sa.select(
    _rv.value,
    _rv.changed_at,
    sa.select(_cv.value).where(_cv.id == 1).scalar_subquery().label("credentials"),
).where(_rv.id == 1)
_now_rev = sa.bindparam("now", type_=revision_t.c.changed_at.type)
#: +1, and a changed_at that never moves backwards (a clock stepping back keeps the old one).
_BUMP = (
    sa.update(revision_t)
    .where(_rv.id == 1)
    .values(
        value=_rv.value + 1,
        changed_at=sa.case((_rv.changed_at > _now_rev, _rv.changed_at), else_=_now_rev),
    )
    .returning(_rv.value)
)
_NOTIFY = sa.select(sa.func.pg_notify(REVISION_CHANNEL, sa.bindparam("n", type_=sa.String)))
_BUMP_CREDENTIALS = sa.update(credentials_revision_t).where(_cv.id == 1).values(value=_cv.value + 1)


class Revisions(NamedTuple):
    """Both counters as one read saw them."""

    calendar: int
    changed_at: datetime
    credentials: int


def revision(conn: Connection) -> tuple[int, datetime]:
    """The calendar's revision and when it last changed."""
    row = conn.execute(_REVISION).first()
    return (0, REVISION_EPOCH) if row is None else (int(row.value), row.changed_at)


def revisions(conn: Connection) -> Revisions:
    """The calendar's and the credentials' revisions, read together."""
    row = conn.execute(REVISIONS_STATEMENT).one()
    return Revisions(int(row[0]), row[1], int(row[2]))


def bump_revision(conn: Connection, now: datetime, *, notify: bool) -> int:
    """Raise the revision by one in the caller's transaction; NOTIFY listeners on commit."""
    value = int(conn.execute(_BUMP, {"now": now}).scalar_one())
    if notify:
        conn.execute(_NOTIFY, {"n": str(value)})
    return value


def revoking(conn: Connection, statement: sa.Update, values: dict[str, Any]) -> int:
    """Run a revoking UPDATE; raise the credentials' revision if it revoked anything.

    Every revoke goes through here, so none can forget the bump (and revoking
    nothing drops no server's cache). Returns how many rows it revoked.
    """
    count = int(conn.execute(statement, values).rowcount)
    if count:
        bump_credentials(conn)
    return count


def bump_credentials(conn: Connection) -> None:
    """Raise the credentials' revision in the caller's transaction.

    Called by every statement function that revokes a secret or changes a
    member, so no use case can forget it: a cached resolution of a secret
    is then never used again, on any worker or host.
    """
    conn.execute(_BUMP_CREDENTIALS)


__all__ = [
    "REVISIONS_STATEMENT",
    "REVISION_CHANNEL",
    "Revisions",
    "bump_credentials",
    "bump_revision",
    "revision",
    "revisions",
    "revoking",
]
