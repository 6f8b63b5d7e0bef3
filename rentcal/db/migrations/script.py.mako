"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Remember: add the revision id to rentcal.db.schema.REVISIONS, and change the
models in the same commit (tests/test_migrations.py compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    """${message}."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """rentcal does not downgrade a schema: restore a backup instead."""
    raise NotImplementedError("rentcal does not downgrade: restore a backup")
