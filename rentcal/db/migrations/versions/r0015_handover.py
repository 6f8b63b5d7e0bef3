"""Hand-over: keepers, check-out / check-in, meters and their readings (issue #22).

Revision ID: 0015_handover
Revises: 0014_mail_preferences

- ``machine.meter_unit`` (added last, NULL: no meter, as before);
- ``machine_keeper``: members who hand a machine over besides the admins;
- ``handover``: a rental's check-out (``out``), check-in (``in``) or no-show
  flag, at most one of each (``UNIQUE (rental_id, kind)``), with an index by
  kind for the rentals that are out but not back;
- ``meter_reading``: every reading of a machine's meter.

Existing rentals have no hand-over: they complete as before. Frozen SQL --
never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_handover"
down_revision = "0014_mail_preferences"
branch_labels = None
depends_on = None

READING = sa.Numeric(12, 2)


def upgrade() -> None:
    """Add the column and the three tables (empty)."""
    op.add_column("machine", sa.Column("meter_unit", sa.String(16), nullable=True))
    op.create_table(
        "machine_keeper",
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("machine_id", "member_id"),
        sa.ForeignKeyConstraint(["machine_id"], ["machine.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["added_by_id"], ["member.id"]),
    )
    op.create_index("ix_machine_keeper_member", "machine_keeper", ["member_id"])
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("reading", READING, nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("condition", sa.String(16), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("maintenance_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("kind IN ('out', 'in', 'no-show')", name="ck_handover_kind"),
        sa.CheckConstraint(
            "condition IS NULL OR condition IN ('ok', 'needs-attention', 'damaged')",
            name="ck_handover_condition",
        ),
        sa.CheckConstraint("reading >= 0", name="ck_handover_reading"),
        sa.UniqueConstraint("rental_id", "kind", name="uq_handover_rental_kind"),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["maintenance_id"], ["maintenance.id"]),
    )
    op.create_index("ix_handover_kind_rental", "handover", ["kind", "rental_id"])
    op.create_table(
        "meter_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("reading", READING, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("reading >= 0", name="ck_meter_reading_reading"),
        sa.ForeignKeyConstraint(["machine_id"], ["machine.id"]),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["member.id"]),
    )
    op.create_index("ix_meter_reading_machine", "meter_reading", ["machine_id", "id"])


def downgrade() -> None:
    """Drop them (hand-overs, keepers and readings are lost; rentals stay as they are)."""
    op.drop_index("ix_meter_reading_machine", table_name="meter_reading")
    op.drop_table("meter_reading")
    op.drop_index("ix_handover_kind_rental", table_name="handover")
    op.drop_table("handover")
    op.drop_index("ix_machine_keeper_member", table_name="machine_keeper")
    op.drop_table("machine_keeper")
    op.drop_column("machine", "meter_unit")
