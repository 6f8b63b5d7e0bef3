"""A credentials revision: servers may cache what a secret stands for, exactly.

Revision ID: 0008_credentials_revision
Revises: 0007_revoked_reason

One new one-row table ``credentials_revision`` (id = 1, value). Every revoke,
logout, password change and change to a member raises ``value`` in the same
transaction, so a server keeps what a token, session or feed URL resolved to
only while the value is unchanged. Starts at 0. Frozen SQL -- never import
the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_credentials_revision"
down_revision = "0007_revoked_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table and its one row."""
    table = op.create_table(
        "credentials_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),  # always 1
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_credentials_revision_one_row"),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade() -> None:
    """Drop the table (nothing else depends on it)."""
    op.drop_table("credentials_revision")
