"""Charges: unit prices and minimums, fixed on rentals; the append-only ledger.

Revision ID: 0016_charges
Revises: 0015_handover

- ``machine.unit_price`` and ``machine.minimum_charge`` (NULL: none), and the
  same two columns on ``rental``, where they are fixed when it is booked;
  every existing row reads NULL (charged by the day only, as its price says);
- the table ``charge``: one entry per rental use, late cancellation or
  correction, with a partial UNIQUE index (a rental has at most one ``use``
  and one ``late_cancellation`` charge) and triggers refusing UPDATE and
  DELETE (SQLite: two triggers; PostgreSQL: a function and a trigger).

Rentals completed before the upgrade are history and get no charge; those
completing afterwards do. Frozen SQL -- never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0016_charges"
down_revision = "0015_handover"
branch_labels = None
depends_on = None

MESSAGE = "rentcal: charges are append-only (add a correction instead)"
ONCE_PER_RENTAL = "kind IN ('use', 'late_cancellation')"


def _money(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(12, 2), nullable=nullable)


def upgrade() -> None:
    """Add the price columns and the ledger, with its index and triggers (empty)."""
    for table in ("machine", "rental"):
        op.add_column(table, _money("unit_price"))
        op.add_column(table, _money("minimum_charge"))
    op.create_table(
        "charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=True),
        sa.Column("machine_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("units", sa.Numeric(14, 3), nullable=True),
        _money("day_rate"),
        _money("unit_rate"),
        _money("minimum_charge"),
        _money("amount", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('use', 'late_cancellation', 'correction')", name="ck_charge_kind"
        ),
        sa.CheckConstraint("kind = 'correction' OR rental_id IS NOT NULL", name="ck_charge_rental"),
        sa.CheckConstraint("kind <> 'correction' OR reason IS NOT NULL", name="ck_charge_reason"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
        sa.ForeignKeyConstraint(["machine_id"], ["machine.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    where = sa.text(ONCE_PER_RENTAL)
    op.create_index(
        "ux_charge_rental_kind",
        "charge",
        ["rental_id", "kind"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index("ix_charge_member_day", "charge", ["member_id", "charged_on"])
    op.create_index("ix_charge_day", "charge", ["charged_on"])
    if context.get_context().dialect.name == "sqlite":
        raise_ = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        op.execute(f"CREATE TRIGGER trg_charge_no_update BEFORE UPDATE ON charge {raise_}")
        op.execute(f"CREATE TRIGGER trg_charge_no_delete BEFORE DELETE ON charge {raise_}")
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION charge_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER trg_charge_append_only BEFORE UPDATE OR DELETE ON charge "
            "FOR EACH ROW EXECUTE FUNCTION charge_append_only()"
        )


def downgrade() -> None:
    """Drop the ledger (every charge goes with it) and the price columns."""
    if context.get_context().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_charge_append_only ON charge")
        op.execute("DROP FUNCTION IF EXISTS charge_append_only()")
    op.drop_index("ix_charge_day", table_name="charge")
    op.drop_index("ix_charge_member_day", table_name="charge")
    op.drop_index("ux_charge_rental_kind", table_name="charge")
    op.drop_table("charge")  # SQLite drops its triggers with it
    for table in ("rental", "machine"):
        op.drop_column(table, "minimum_charge")
        op.drop_column(table, "unit_price")
