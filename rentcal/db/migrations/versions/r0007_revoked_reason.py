"""Why a credential was revoked, and deactivation revoking for good.

Revision ID: 0007_revoked_reason
Revises: 0006_org_settings

One nullable column ``revoked_reason`` on ``login_session``, ``api_token`` and
``feed_token`` (NULL: live, or revoked before reasons were kept). Then what a
deactivation now revokes is revoked for the members already deactivated, so
that reactivating them restores nothing: the live API tokens acting for them
or made by them, the feed URLs they own, their sessions (already revoked by
older releases; done again in case), each marked revoked at the moment of the
deactivation. No row is deleted. Frozen SQL -- never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_revoked_reason"
down_revision = "0006_org_settings"
branch_labels = None
depends_on = None

TABLES = ("login_session", "api_token", "feed_token")

#: (table, the member column, the reason) revoked for already deactivated members.
BACKFILL = (
    ("api_token", "member_id", "member-deactivated"),
    ("api_token", "created_by_id", "creator-deactivated"),
    ("feed_token", "owner_id", "member-deactivated"),
    ("login_session", "member_id", "member-deactivated"),
)


def upgrade() -> None:
    """Add the columns, then revoke what the members already deactivated still hold."""
    for table in TABLES:
        op.add_column(table, sa.Column("revoked_reason", sa.String(32), nullable=True))
    for table, column, reason in BACKFILL:
        op.execute(
            f"UPDATE {table} SET revoked_reason = '{reason}', revoked_at = ("
            f"SELECT m.deactivated_at FROM member m WHERE m.id = {table}.{column}) "
            f"WHERE revoked_at IS NULL AND {column} IN ("
            "SELECT id FROM member WHERE deactivated_at IS NOT NULL)"
        )


def downgrade() -> None:
    """Drop the columns (the revocations stay: they were right)."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("revoked_reason")
