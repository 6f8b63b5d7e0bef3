"""One-time password-reset links (issue #20).

Revision ID: 0012_password_reset
Revises: 0011_mail_calendar

A new table ``password_reset``: the link's secret as a SHA-256 digest (never
the secret), the member, when it was asked for and expires, when it was used
and the client address it was asked from. Frozen SQL -- never import the
models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_password_reset"
down_revision = "0011_mail_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table (empty)."""
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
    )
    op.create_index("ix_password_reset_member_id", "password_reset", ["member_id"])


def downgrade() -> None:
    """Drop it (links not yet used stop working)."""
    op.drop_index("ix_password_reset_member_id", table_name="password_reset")
    op.drop_table("password_reset")
