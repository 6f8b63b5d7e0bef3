"""The mail outbox keeps a booking's calendar invitation (iTIP) with the message.

Revision ID: 0011_mail_calendar
Revises: 0010_mail_outbox

Two nullable columns on ``mail_outbox``: ``calendar`` (the iCalendar text,
taken when the message is queued, without its organiser and attendee) and
``calendar_method`` (``REQUEST`` or ``CANCEL``, the MIME part's ``method``).
Messages queued before have neither and are sent as before. Frozen SQL --
never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_mail_calendar"
down_revision = "0010_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two columns (empty on every existing row)."""
    op.add_column("mail_outbox", sa.Column("calendar", sa.Text(), nullable=True))
    op.add_column("mail_outbox", sa.Column("calendar_method", sa.String(10), nullable=True))


def downgrade() -> None:
    """Drop them (queued invitations are then sent without their calendar)."""
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_column("calendar_method")
        batch.drop_column("calendar")
