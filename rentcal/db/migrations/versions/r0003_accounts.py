"""Accounts for ``rentcal serve``, and the calendar's revision counter.

Revision ID: 0003_accounts
Revises: 0002_managed_by_alembic

New tables only, so nothing of a member's existing data changes: passwords
(``credential``), browser sessions and failed logins (throttling), API tokens,
secret feed URLs, booking idempotency keys, and the one-row
``calendar_revision`` (seeded at 0) bumped by every write a calendar shows.
Frozen copies of the models' definitions — never import the models here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003_accounts"
down_revision = "0002_managed_by_alembic"
branch_labels = None
depends_on = None

DIGEST = sa.String(64)


def _member_fk(column: str = "member_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["member.id"])


def upgrade() -> None:
    """Create the accounts tables and seed the calendar revision."""
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "credential",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("changed_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("member_id"),
        _member_fk(),
    )
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", DIGEST, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("last_seen_at", stamp, nullable=False),
        sa.Column("expires_at", stamp, nullable=False),
        sa.Column("revoked_at", stamp, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
        _member_fk(),
    )
    op.create_index("ix_login_session_member_id", "login_session", ["member_id"])
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_at", "login_failure", ["at"])
    op.create_index("ix_login_failure_handle_at", "login_failure", ["handle", "at"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", DIGEST, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", stamp, nullable=True),
        sa.Column("revoked_at", stamp, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
        _member_fk(),
        _member_fk("created_by_id"),
    )
    op.create_index("ix_api_token_member_id", "api_token", ["member_id"])
    op.create_table(
        "feed_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", DIGEST, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("revoked_at", stamp, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(
            "(scope = 'machine' AND machine_id IS NOT NULL AND member_id IS NULL)"
            " OR (scope = 'member' AND member_id IS NOT NULL AND machine_id IS NULL)"
            " OR (scope = 'all' AND machine_id IS NULL AND member_id IS NULL)",
            name="ck_feed_token_scope",
        ),
        sa.CheckConstraint("format IN ('ics', 'json')", name="ck_feed_token_format"),
        sa.UniqueConstraint("secret_hash"),
        sa.ForeignKeyConstraint(["machine_id"], ["machine.id"]),
        _member_fk(),
        _member_fk("owner_id"),
    )
    op.create_index("ix_feed_token_owner_id", "feed_token", ["owner_id"])
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", DIGEST, nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "key", name="uq_idempotency_member_key"),
        _member_fk(),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])
    revision_t = op.create_table(
        "calendar_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),  # always 1
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_calendar_revision_one_row"),
    )
    op.bulk_insert(
        revision_t, [{"id": 1, "value": 0, "changed_at": datetime(1970, 1, 1, tzinfo=UTC)}]
    )


def downgrade() -> None:
    """rentcal does not downgrade a schema: restore a backup instead."""
    raise NotImplementedError("rentcal does not downgrade: restore a backup")
