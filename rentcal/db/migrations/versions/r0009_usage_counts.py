"""The web server's figures per minute, summed over every worker (the admin page's chart).

Revision ID: 0009_usage_counts
Revises: 0008_credentials_revision

One new table ``usage_count`` (minute, name, value): each worker of
``rentcal serve`` adds its counts once a minute, so a row holds the sum of
every worker on every host; rows older than two days are pruned by the same
writes. Nothing is stored by the upgrade. Frozen SQL -- never import the
models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_usage_counts"
down_revision = "0008_credentials_revision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table (empty)."""
    op.create_table(
        "usage_count",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("minute", "name"),
    )


def downgrade() -> None:
    """Drop the table (only figures for the admin page's chart go with it)."""
    op.drop_table("usage_count")
