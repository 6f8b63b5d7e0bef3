"""Organisation settings: the time zone every host agrees on.

Revision ID: 0006_org_settings
Revises: 0005_change_log

One new, append-only table ``org_setting`` (key, value, who, when): the newest
row of a key is its value, older rows its history. Nothing is stored by the
upgrade itself: an upgraded database holds no time zone until ``rentcal init``
(run again) or ``rentcal timezone set`` stores one, and until then "today" is
what it was before (the configured zone, else the host's). Frozen copy of the
model's definition — never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_org_settings"
down_revision = "0005_change_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the organisation settings table."""
    op.create_table(
        "org_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["changed_by_id"], ["member.id"]),
    )
    op.create_index("ix_org_setting_key_id", "org_setting", ["key", "id"])


def downgrade() -> None:
    """Drop the organisation settings table (its history goes with it)."""
    op.drop_index("ix_org_setting_key_id", table_name="org_setting")
    op.drop_table("org_setting")
