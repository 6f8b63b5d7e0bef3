"""One-time links about a member: invitations and address confirmations (issue #20).

Revision ID: 0013_member_links
Revises: 0012_password_reset

A new table ``member_link``: what the link is for (``invite`` or ``email``),
the member, the SHA-256 digest of its secret (never the secret), the address
it was sent to, when it expires, was used or revoked, who made it and when.
Frozen SQL -- never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_member_links"
down_revision = "0012_password_reset"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table (empty)."""
    op.create_table(
        "member_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("purpose IN ('invite', 'email')", name="ck_member_link_purpose"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.UniqueConstraint("digest"),
        sa.ForeignKeyConstraint(["created_by_id"], ["member.id"]),
    )
    op.create_index("ix_member_link_member_id", "member_link", ["member_id"])
    op.create_index("ix_member_link_created_by_id", "member_link", ["created_by_id"])


def downgrade() -> None:
    """Drop it (open invitations and confirmations stop working)."""
    op.drop_index("ix_member_link_created_by_id", table_name="member_link")
    op.drop_index("ix_member_link_member_id", table_name="member_link")
    op.drop_table("member_link")
