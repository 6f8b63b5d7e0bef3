"""Alembic manages the schema from now on: schema version 2.

Revision ID: 0002_managed_by_alembic
Revises: 0001_baseline

rentcal 0.1 reads only ``rentcal_meta.schema_version`` and refuses a value
above 1 ("newer than this rentcal understands; upgrade rentcal"). Setting it
to 2 here keeps every 0.1 binary still installed on some host from writing to
a schema whose later revisions it cannot know. The tables do not change.
"""

from __future__ import annotations

from alembic import op

revision = "0002_managed_by_alembic"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Mark the database as managed by Alembic (rentcal 0.1 will refuse it)."""
    op.execute("UPDATE rentcal_meta SET value = '2' WHERE key = 'schema_version'")


def downgrade() -> None:
    """rentcal does not downgrade a schema: restore a backup instead."""
    raise NotImplementedError("rentcal does not downgrade: restore a backup")
