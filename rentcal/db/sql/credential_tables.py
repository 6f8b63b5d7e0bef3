"""The SQL of accounts: credentials, sessions, throttling, API tokens, idempotency, revisions.

The same style as :mod:`rentcal.db.sql` (kept apart so no file grows past
reading; feed tokens are in :mod:`rentcal.db.sql.feed_tables`): statements
built once at import with bind parameters, small functions the service
calls, rows turned into the values of
:mod:`rentcal.core.credential_values`. Secrets never reach this module, only their
digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.credential_values import ApiToken, RevokedReason, Session
from rentcal.db.rows import NewApiToken, NewIdempotencyKey, NewSession
from rentcal.db.sql.revisions import (
    REVISION_CHANNEL,
    bump_credentials,
    bump_revision,
    revision,
    revoking,
)
from rentcal.db.tables import member_t
from rentcal.db.tables_accounts import (
    api_token_t,
    credential_t,
    idempotency_t,
    login_failure_t,
    login_session_t,
)


def _when(name: str, table: sa.Table, column: str) -> Any:
    """A bind parameter typed like ``table.column`` (aware UTC on every backend)."""
    return sa.bindparam(name, type_=table.c[column].type)


# -- credentials ----------------------------------------------------------------------

_cr = credential_t.c
_CREDENTIAL = (
    sa.select(member_t.c.id, _cr.password_hash)
    .select_from(member_t.outerjoin(credential_t, _cr.member_id == member_t.c.id))
    .where(member_t.c.handle == sa.bindparam("h"))
)
_DELETE_CREDENTIAL = sa.delete(credential_t).where(_cr.member_id == sa.bindparam("m"))
_INSERT_CREDENTIAL = sa.insert(credential_t)


def credential(conn: Connection, handle: str) -> tuple[int | None, str | None]:
    """(member id, password hash) for a handle; None for what does not exist."""
    row = conn.execute(_CREDENTIAL, {"h": handle}).first()
    return (None, None) if row is None else (int(row.id), row.password_hash)


def set_credential(conn: Connection, member_id: int, password_hash: str, now: datetime) -> None:
    """Store (replace) a member's password hash."""
    conn.execute(_DELETE_CREDENTIAL, {"m": member_id})
    conn.execute(
        _INSERT_CREDENTIAL,
        {"member_id": member_id, "password_hash": password_hash, "changed_at": now},
    )
    bump_credentials(conn)


# -- login throttling -----------------------------------------------------------------
# ``login_failure.handle`` holds a counter key (see rentcal.service.sessions.pair_key
# and address_key): one row per attempt and counter, counted over a sliding window.

_lf = login_failure_t.c
_RECENT_FAILURES = (
    sa.select(_lf.at)
    .where(_lf.handle == sa.bindparam("h"), _lf.at > _when("since", login_failure_t, "at"))
    .order_by(_lf.at.desc())
    .limit(sa.bindparam("n", type_=sa.Integer))
)
_INSERT_FAILURE = sa.insert(login_failure_t)
_DELETE_FAILURE = sa.delete(login_failure_t).where(_lf.id == sa.bindparam("i"))
_PRUNE_FAILURES = sa.delete(login_failure_t).where(_lf.at <= _when("before", login_failure_t, "at"))
#: PostgreSQL: serialise attempts for one key until commit (SQLite: BEGIN IMMEDIATE does).
_LOCK_HANDLE = sa.select(
    sa.func.pg_advisory_xact_lock(sa.func.hashtext(sa.bindparam("h", type_=sa.String)))
)


def lock_handle(conn: Connection, handle: str) -> None:
    """Hold a PostgreSQL advisory lock on ``handle`` until the transaction ends."""
    conn.execute(_LOCK_HANDLE, {"h": handle})


def recent_failures(conn: Connection, handle: str, since: datetime, limit: int) -> list[datetime]:
    """Up to ``limit`` failure times of the counter ``handle`` after ``since``, newest first."""
    rows = conn.execute(_RECENT_FAILURES, {"h": handle, "since": since, "n": limit})
    return list(rows.scalars())


def add_failure(conn: Connection, handle: str, at: datetime) -> int:
    """Record one failed (or not yet checked) attempt; returns its id."""
    key = conn.execute(_INSERT_FAILURE, {"handle": handle, "at": at}).inserted_primary_key
    return int(key[0]) if key is not None else 0


def drop_failure(conn: Connection, failure_id: int) -> None:
    """Forget one attempt (it turned out to be a success)."""
    conn.execute(_DELETE_FAILURE, {"i": failure_id})


def prune_failures(conn: Connection, before: datetime) -> None:
    """Forget attempts too old to count (index range delete)."""
    conn.execute(_PRUNE_FAILURES, {"before": before})


# -- sessions -------------------------------------------------------------------------

_ls = login_session_t.c
_SESSION_SELECT = sa.select(
    _ls.id,
    member_t.c.handle,
    _ls.created_at,
    _ls.last_seen_at,
    _ls.expires_at,
    _ls.revoked_at,
    _ls.member_id,
    _ls.revoked_reason,
).select_from(login_session_t.join(member_t, member_t.c.id == _ls.member_id))
_LIVE_SESSION = _SESSION_SELECT.where(
    _ls.secret_hash == sa.bindparam("s"),
    _ls.revoked_at.is_(None),
    _ls.expires_at > _when("now", login_session_t, "expires_at"),
)
_TOUCH_SESSION = (
    sa.update(login_session_t)
    .where(_ls.id == sa.bindparam("i"), _ls.revoked_at.is_(None))
    .values(
        last_seen_at=_when("now", login_session_t, "last_seen_at"),
        expires_at=_when("until", login_session_t, "expires_at"),
    )
)
_REVOKE_SESSION = (
    sa.update(login_session_t)
    .where(_ls.secret_hash == sa.bindparam("s"), _ls.revoked_at.is_(None))
    .values(
        revoked_at=_when("now", login_session_t, "revoked_at"),
        revoked_reason=RevokedReason.LOGOUT.value,
    )
)
_REVOKE_MEMBER_SESSIONS = (
    sa.update(login_session_t)
    .where(_ls.member_id == sa.bindparam("m"), _ls.revoked_at.is_(None))
    .values(
        revoked_at=_when("now", login_session_t, "revoked_at"),
        revoked_reason=sa.bindparam("why", type_=sa.String),
    )
)
_INSERT_SESSION = sa.insert(login_session_t)


def _session(row: Any) -> Session:
    return Session(row[0], row[1], row[2], row[3], row[4], row[5], row.revoked_reason)


def insert_session(conn: Connection, **values: Unpack[NewSession]) -> int:
    """A new session row; returns its id."""
    key = conn.execute(_INSERT_SESSION, dict(values)).inserted_primary_key
    return int(key[0]) if key is not None else 0


def live_session(conn: Connection, digest: str, now: datetime) -> tuple[Session, int] | None:
    """(session, member id) of an unrevoked, unexpired session, or None."""
    row = conn.execute(_LIVE_SESSION, {"s": digest, "now": now}).first()
    return None if row is None else (_session(row), int(row.member_id))


def session_by_id(conn: Connection, session_id: int) -> Session:
    """One session value."""
    return _session(conn.execute(_SESSION_SELECT.where(_ls.id == session_id)).one())


def touch_session(conn: Connection, session_id: int, now: datetime, until: datetime) -> None:
    """Slide a session's idle expiry."""
    conn.execute(_TOUCH_SESSION, {"i": session_id, "now": now, "until": until})


def revoke_session(conn: Connection, digest: str, now: datetime) -> bool:
    """Revoke the live session with this digest; whether there was one."""
    return bool(revoking(conn, _REVOKE_SESSION, {"s": digest, "now": now}))


def revoke_member_sessions(
    conn: Connection, member_id: int, now: datetime, reason: RevokedReason
) -> int:
    """Revoke every open session of a member, saying why; how many."""
    values = {"m": member_id, "now": now, "why": reason.value}
    return revoking(conn, _REVOKE_MEMBER_SESSIONS, values)


# -- API tokens -----------------------------------------------------------------------

_at = api_token_t.c
_creator = member_t.alias("creator")
_TOKEN_SELECT = (
    sa.select(
        _at.id,
        member_t.c.handle,
        _at.name,
        _at.created_at,
        _creator.c.handle.label("creator"),
        _at.last_used_at,
        _at.revoked_at,
        _at.member_id,
        _at.revoked_reason,
    )
    .select_from(
        api_token_t.join(member_t, member_t.c.id == _at.member_id).outerjoin(
            _creator, _creator.c.id == _at.created_by_id
        )
    )
    .order_by(_at.id)
)
_TOKEN_BY_ID = _TOKEN_SELECT.where(_at.id == sa.bindparam("i"))
_LIVE_TOKEN = _TOKEN_SELECT.where(_at.secret_hash == sa.bindparam("s"), _at.revoked_at.is_(None))
_INSERT_TOKEN = sa.insert(api_token_t)
_TOKEN_USED = (
    sa.update(api_token_t)
    .where(_at.id == sa.bindparam("i"))
    .values(last_used_at=_when("now", api_token_t, "last_used_at"))
)
_REVOKE_TOKEN = (
    sa.update(api_token_t)
    .where(_at.id == sa.bindparam("i"), _at.revoked_at.is_(None))
    .values(
        revoked_at=_when("now", api_token_t, "revoked_at"), revoked_reason=RevokedReason.REVOKED
    )
)
#: Every live token acting for a member or made by them (for someone else).
_REVOKE_MEMBER_TOKENS = (
    sa.update(api_token_t)
    .where(
        sa.or_(_at.member_id == sa.bindparam("m"), _at.created_by_id == sa.bindparam("m")),
        _at.revoked_at.is_(None),
    )
    .values(
        revoked_at=_when("now", api_token_t, "revoked_at"),
        revoked_reason=sa.case(
            (_at.member_id == sa.bindparam("m"), sa.bindparam("for_why", type_=sa.String)),
            else_=sa.bindparam("by_why", type_=sa.String),
        ),
    )
)


def _token(row: Any) -> ApiToken:
    return ApiToken(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row.revoked_reason)


def insert_token(conn: Connection, **values: Unpack[NewApiToken]) -> int:
    """A new API token row; returns its id."""
    key = conn.execute(_INSERT_TOKEN, dict(values)).inserted_primary_key
    return int(key[0]) if key is not None else 0


def token_by_id(conn: Connection, token_id: int) -> tuple[ApiToken, int] | None:
    """(token, member id) or None."""
    row = conn.execute(_TOKEN_BY_ID, {"i": token_id}).first()
    return None if row is None else (_token(row), int(row.member_id))


def live_token(conn: Connection, digest: str) -> tuple[ApiToken, int] | None:
    """(token, member id) of an unrevoked token with this digest, or None."""
    row = conn.execute(_LIVE_TOKEN, {"s": digest}).first()
    return None if row is None else (_token(row), int(row.member_id))


def find_tokens(conn: Connection, member_id: int | None, include_revoked: bool) -> list[ApiToken]:
    """Tokens of one member (None: everybody's), oldest first."""
    query = _TOKEN_SELECT
    if member_id is not None:
        query = query.where(_at.member_id == member_id)
    if not include_revoked:
        query = query.where(_at.revoked_at.is_(None))
    return [_token(r) for r in conn.execute(query)]


def token_used(conn: Connection, token_id: int, now: datetime) -> None:
    """Note when a token last authenticated a request."""
    conn.execute(_TOKEN_USED, {"i": token_id, "now": now})


def revoke_token(conn: Connection, token_id: int, now: datetime) -> bool:
    """Revoke a live token; whether it was live."""
    return bool(revoking(conn, _REVOKE_TOKEN, {"i": token_id, "now": now}))


def revoke_member_tokens(
    conn: Connection,
    member_id: int,
    now: datetime,
    acting_for: RevokedReason,
    made_by: RevokedReason,
) -> int:
    """Revoke every live token acting for the member (reason ``acting_for``) or made
    by them for someone else (``made_by``); how many."""
    values = {"m": member_id, "now": now, "for_why": acting_for.value, "by_why": made_by.value}
    return revoking(conn, _REVOKE_MEMBER_TOKENS, values)


# -- idempotency keys -----------------------------------------------------------------

_ik = idempotency_t.c
_IDEMPOTENT = sa.select(_ik.fingerprint, _ik.rental_id, _ik.created_at).where(
    _ik.member_id == sa.bindparam("m"), _ik.key == sa.bindparam("k")
)
_INSERT_IDEMPOTENT = sa.insert(idempotency_t)
_PRUNE_IDEMPOTENT = sa.delete(idempotency_t).where(
    _ik.created_at < _when("before", idempotency_t, "created_at")
)


def idempotent(conn: Connection, member_id: int, key: str) -> tuple[str, int, datetime] | None:
    """(fingerprint, rental id, when) remembered for this member's key, or None."""
    row = conn.execute(_IDEMPOTENT, {"m": member_id, "k": key}).first()
    return None if row is None else (row.fingerprint, int(row.rental_id), row.created_at)


def remember_idempotent(conn: Connection, **values: Unpack[NewIdempotencyKey]) -> None:
    """Remember which rental a key made (unique per member and key)."""
    conn.execute(_INSERT_IDEMPOTENT, dict(values))


def prune_idempotent(conn: Connection, before: datetime) -> None:
    """Forget keys older than ``before`` (index range delete)."""
    conn.execute(_PRUNE_IDEMPOTENT, {"before": before})


__all__ = ["REVISION_CHANNEL", "bump_revision", "revision"]
