"""Day-two edits: the change log, and deactivated members.

Revision ID: 0005_change_log
Revises: 0004_request_queue

A new table ``change_log`` (one row per changed field of a machine, member or
maintenance block: who, when, old -> new) and one nullable column
``member.deactivated_at`` (NULL: active). Nothing existing is rewritten.
Frozen copies of the models' definitions — never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_change_log"
down_revision = "0004_request_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``change_log`` and add ``member.deactivated_at``."""
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(
            "entity IN ('machine', 'member', 'maintenance')", name="ck_change_log_entity"
        ),
        sa.ForeignKeyConstraint(["changed_by_id"], ["member.id"]),
    )
    op.create_index("ix_change_log_entity", "change_log", ["entity", "entity_id"])
    op.add_column("member", sa.Column("deactivated_at", stamp, nullable=True))


def downgrade() -> None:
    """Drop what the upgrade added (the change log's rows are lost)."""
    with op.batch_alter_table("member") as batch:
        batch.drop_column("deactivated_at")
    op.drop_index("ix_change_log_entity", table_name="change_log")
    op.drop_table("change_log")
