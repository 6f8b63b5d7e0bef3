"""The account tables: passwords, sessions, sign-in throttling, API and feed tokens,
idempotency keys. Registered in the same metadata as :mod:`rentcal.db.tables`,
which imports this module, so ``create_all`` and Alembic see every table.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# New tables rather than new columns on ``member``: a database made by an older
# release gains them without any of its rows being rewritten. Secrets are kept
# only as SHA-256 hex digests (64 characters), see rentcal.core.credential_values.

DIGEST = sa.String(64)
#: Why a session or token was revoked (rentcal.core.credential_values.RevokedReason).
REASON = sa.String(32)


class CredentialRow(SQLModel, table=True):
    """A member's password hash (Argon2id, PHC string); no row = no password set."""

    __tablename__ = "credential"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    password_hash: str = Field(sa_type=sa.String(255), nullable=False)
    changed_at: datetime = Field(nullable=False)


class LoginSessionRow(SQLModel, table=True):
    """A browser session; valid while not revoked and ``expires_at`` (idle) is ahead."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(sa_type=DIGEST, unique=True, nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False, index=True)
    created_at: datetime = Field(nullable=False)
    last_seen_at: datetime = Field(nullable=False)
    expires_at: datetime = Field(nullable=False)
    revoked_at: datetime | None = Field(default=None)
    revoked_reason: str | None = Field(default=None, sa_type=REASON)


class LoginFailureRow(SQLModel, table=True):
    """One failed (or still unchecked) login attempt, for throttling.

    ``handle`` is the counter the attempt counts towards: a key
    for "this handle from this address" or "this address" (a digest: no raw
    address is stored; see ``rentcal.service.sessions.pair_key``), so the
    column and its index serve both counters without a schema change.
    """

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(sa_type=sa.String(64), nullable=False)
    at: datetime = Field(nullable=False, index=True)

    __table_args__ = (sa.Index("ix_login_failure_handle_at", "handle", "at"),)


class ApiTokenRow(SQLModel, table=True):
    """A bearer token for scripts acting as ``member_id``; never deleted, only revoked."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(sa_type=DIGEST, unique=True, nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False, index=True)
    name: str | None = Field(default=None, sa_type=sa.String(100))
    created_at: datetime = Field(nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)
    revoked_reason: str | None = Field(default=None, sa_type=REASON)


class FeedTokenRow(SQLModel, table=True):
    """A secret feed URL: a scope fixed at creation (machine, member or all), a format."""

    __tablename__ = "feed_token"

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(sa_type=DIGEST, unique=True, nullable=False)
    scope: str = Field(sa_type=sa.String(16), nullable=False)
    machine_id: int | None = Field(default=None, foreign_key="machine.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")
    format: str = Field(sa_type=sa.String(8), nullable=False)
    name: str | None = Field(default=None, sa_type=sa.String(100))
    owner_id: int = Field(foreign_key="member.id", nullable=False, index=True)
    created_at: datetime = Field(nullable=False)
    revoked_at: datetime | None = Field(default=None)
    revoked_reason: str | None = Field(default=None, sa_type=REASON)

    __table_args__ = (
        sa.CheckConstraint(
            "(scope = 'machine' AND machine_id IS NOT NULL AND member_id IS NULL)"
            " OR (scope = 'member' AND member_id IS NOT NULL AND machine_id IS NULL)"
            " OR (scope = 'all' AND machine_id IS NULL AND member_id IS NULL)",
            name="ck_feed_token_scope",
        ),
        sa.CheckConstraint("format IN ('ics', 'json')", name="ck_feed_token_format"),
    )


class IdempotencyKeyRow(SQLModel, table=True):
    """A booking request's idempotency key: (acting member, key) -> the rental it made."""

    __tablename__ = "idempotency_key"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    key: str = Field(sa_type=sa.String(255), nullable=False)
    fingerprint: str = Field(sa_type=DIGEST, nullable=False)
    rental_id: int = Field(foreign_key="rental.id", nullable=False)
    created_at: datetime = Field(nullable=False, index=True)

    __table_args__ = (sa.UniqueConstraint("member_id", "key", name="uq_idempotency_member_key"),)


class PasswordResetRow(SQLModel, table=True):
    """A one-time password-reset link (issue #20): usable once, until ``expires_at``.

    Only the secret's digest is kept, like every secret; ``client`` is the
    address the request came from (for an admin reading what happened).
    """

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(sa_type=DIGEST, unique=True, nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False, index=True)
    created_at: datetime = Field(nullable=False)
    expires_at: datetime = Field(nullable=False)
    used_at: datetime | None = Field(default=None)
    client: str = Field(sa_type=sa.String(100), nullable=False)


class MemberLinkRow(SQLModel, table=True):
    """A one-time link sent by e-mail about a member (issue #20): an invitation
    (``purpose='invite'``) or the confirmation of an address (``'email'``).

    ``address`` is where it was sent and what using it confirms; only the
    secret's digest is kept. Usable once, until ``expires_at``, unless revoked.
    """

    __tablename__ = "member_link"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(sa_type=sa.String(16), nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False, index=True)
    digest: str = Field(sa_type=DIGEST, unique=True, nullable=False)
    address: str = Field(sa_type=sa.String(254), nullable=False)
    expires_at: datetime = Field(nullable=False)
    used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    created_at: datetime = Field(nullable=False)

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('invite', 'email')", name="ck_member_link_purpose"),
    )


credential_t: sa.Table = CredentialRow.__table__  # type: ignore[attr-defined]
login_session_t: sa.Table = LoginSessionRow.__table__  # type: ignore[attr-defined]
login_failure_t: sa.Table = LoginFailureRow.__table__  # type: ignore[attr-defined]
api_token_t: sa.Table = ApiTokenRow.__table__  # type: ignore[attr-defined]
feed_token_t: sa.Table = FeedTokenRow.__table__  # type: ignore[attr-defined]
idempotency_t: sa.Table = IdempotencyKeyRow.__table__  # type: ignore[attr-defined]
password_reset_t: sa.Table = PasswordResetRow.__table__  # type: ignore[attr-defined]
member_link_t: sa.Table = MemberLinkRow.__table__  # type: ignore[attr-defined]
