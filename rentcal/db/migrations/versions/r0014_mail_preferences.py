"""Each member's choice of e-mail per kind of notification, and the daily list of requests.

Revision ID: 0014_mail_preferences
Revises: 0013_member_links

A new table ``mail_preference`` (member, kind, choice: ``email``, ``in-app`` or,
for new requests, ``digest``; the day of the member's last daily list), and an
index on ``mail_outbox (rental_id, kind)`` for the reminders' "not yet queued
for this rental" test. Frozen SQL -- never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_mail_preferences"
down_revision = "0013_member_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table (empty: everyone gets every e-mail, as before) and the index."""
    op.create_table(
        "mail_preference",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_digest_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("member_id", "kind"),
        sa.CheckConstraint(
            "choice IN ('email', 'in-app') OR (choice = 'digest' AND kind = 'request')",
            name="ck_mail_preference_choice",
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
    )
    op.create_index("ix_mail_outbox_rental_kind", "mail_outbox", ["rental_id", "kind"])


def downgrade() -> None:
    """Drop both (every member gets every e-mail again)."""
    op.drop_index("ix_mail_outbox_rental_kind", table_name="mail_outbox")
    op.drop_table("mail_preference")
