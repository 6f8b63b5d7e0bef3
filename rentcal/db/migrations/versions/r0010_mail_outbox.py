"""The mail outbox: e-mails recorded with the change that causes them, and every attempt.

Revision ID: 0010_mail_outbox
Revises: 0009_usage_counts

Two new tables: ``mail_outbox`` (one row per message to one address, with its
status, attempts, next attempt, lease and last error) and ``mail_attempt``
(each try: when, outcome, the SMTP server's reply). Nothing is stored by the
upgrade. Frozen SQL -- never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_mail_outbox"
down_revision = "0009_usage_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables (empty)."""
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'discarded')", name="ck_mail_outbox_status"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "mail_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["mail_id"], ["mail_outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_attempt_mail", "mail_attempt", ["mail_id"])


def downgrade() -> None:
    """Drop the tables (queued and sent mail goes with them)."""
    op.drop_index("ix_mail_attempt_mail", table_name="mail_attempt")
    op.drop_table("mail_attempt")
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
