"""Invoices, credit notes, payments and billing addresses (issue #23).

Revision ID: 0017_invoices
Revises: 0016_charges

Seven new tables, all empty but the sequence's one row (no number given):

- ``invoice_sequence``: the organisation's one gap-free counter of numbers;
- ``invoice`` and ``invoice_line``: issued invoices and credit notes, as issued
  (seller and buyer as JSON, totals, VAT); a line names the charge it bills
  (``charge_id``: a foreign key to issue #22's ``charge`` table, UNIQUE with
  the line's kind);
- ``payment`` and ``payment_allocation``: money received (negative: refunds,
  with a reason) and the invoices it settled;
- ``invoice_reminder``: reminders sent, once per invoice and stage;
- ``member_billing``: each member's billing address.

Triggers refuse UPDATE and DELETE on ``invoice``, ``invoice_line``,
``payment`` and ``payment_allocation`` (SQLite: RAISE(ABORT); PostgreSQL: one
plpgsql function raising an integrity violation). Frozen SQL -- never import
the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0017_invoices"
down_revision = "0016_charges"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)
RATE = sa.Numeric(12, 4)
KINDS = "kind IN ('invoice', 'credit_note')"
APPEND_ONLY = ("invoice", "invoice_line", "payment", "payment_allocation")
MESSAGE = "rentcal: issued invoices and recorded payments never change"
FUNCTION = "rentcal_append_only"


def _sqlite_triggers(table: str) -> list[str]:
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    return [
        f"CREATE TRIGGER trg_{table}_no_update BEFORE UPDATE ON {table} {raise_}",
        f"CREATE TRIGGER trg_{table}_no_delete BEFORE DELETE ON {table} {raise_}",
    ]


def _append_only() -> None:
    """The triggers refusing UPDATE and DELETE, in the backend's own words."""
    if context.get_context().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for ddl in _sqlite_triggers(table):
                op.execute(ddl)
        return
    op.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
        f"MESSAGE = '{MESSAGE} (' || TG_TABLE_NAME || ')'; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def _invoice_tables() -> None:
    sequence = op.create_table(
        "invoice_sequence",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),  # always 1
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_invoice_sequence_one_row"),
    )
    op.bulk_insert(sequence, [{"id": 1, "value": 0}])
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(11), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("refers_to_id", sa.Integer(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("vat", MONEY, nullable=False),
        sa.Column("gross", MONEY, nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=True),
        sa.Column("vat_category", sa.String(1), nullable=False),
        sa.Column("vat_note", sa.String(200), nullable=True),
        sa.Column("seller", sa.Text(), nullable=False),
        sa.Column("buyer", sa.Text(), nullable=False),
        sa.Column("iban", sa.String(34), nullable=True),
        sa.Column("bic", sa.String(11), nullable=True),
        sa.Column("payment_reference", sa.String(140), nullable=True),
        sa.Column("payment_terms", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(KINDS, name="ck_invoice_kind"),
        sa.CheckConstraint(
            "(kind = 'invoice' AND refers_to_id IS NULL) OR "
            "(kind = 'credit_note' AND refers_to_id IS NOT NULL)",
            name="ck_invoice_refers_to",
        ),
        sa.CheckConstraint(
            "(kind = 'invoice' AND gross >= 0) OR (kind = 'credit_note' AND gross < 0)",
            name="ck_invoice_sign",
        ),
        sa.CheckConstraint("due_date >= issue_date", name="ck_invoice_due"),
        sa.CheckConstraint("vat_category IN ('S', 'Z', 'E', 'O')", name="ck_invoice_vat_category"),
        sa.UniqueConstraint("id", "kind", name="uq_invoice_id_kind"),
        sa.UniqueConstraint("number"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["refers_to_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["member.id"]),
    )
    op.create_index("ix_invoice_member", "invoice", ["member_id", "issue_date"])
    op.create_index("ix_invoice_refers_to", "invoice", ["refers_to_id"])
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(11), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("charge_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("day_rate", RATE, nullable=True),
        sa.Column("units", sa.Numeric(14, 4), nullable=True),
        sa.Column("unit_name", sa.String(20), nullable=True),
        sa.Column("unit_rate", RATE, nullable=True),
        sa.Column("net", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["invoice_id", "kind"], ["invoice.id", "invoice.kind"], name="fk_invoice_line_invoice"
        ),
        sa.CheckConstraint(KINDS, name="ck_invoice_line_kind"),
        sa.CheckConstraint("days >= 0 AND position >= 1", name="ck_invoice_line_counts"),
        sa.CheckConstraint(
            "(first_day IS NULL AND last_day IS NULL) OR "
            "(first_day IS NOT NULL AND last_day IS NOT NULL AND last_day >= first_day)",
            name="ck_invoice_line_days",
        ),
        sa.UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),
        sa.UniqueConstraint("charge_id", "kind", name="uq_invoice_line_charge"),
        sa.ForeignKeyConstraint(["charge_id"], ["charge.id"]),
    )


def _payment_tables() -> None:
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(140), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("amount <> 0", name="ck_payment_amount"),
        sa.CheckConstraint("amount > 0 OR reason IS NOT NULL", name="ck_payment_refund_reason"),
        sa.CheckConstraint("method IN ('transfer', 'cash', 'card')", name="ck_payment_method"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["member.id"]),
    )
    op.create_index("ix_payment_member", "payment", ["member_id", "received_on"])
    op.create_table(
        "payment_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("amount <> 0", name="ck_payment_allocation_amount"),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
    )
    op.create_index("ix_payment_allocation_payment", "payment_allocation", ["payment_id"])
    op.create_index("ix_payment_allocation_invoice", "payment_allocation", ["invoice_id"])


def _other_tables() -> None:
    op.create_table(
        "invoice_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("stage >= 1", name="ck_invoice_reminder_stage"),
        sa.UniqueConstraint("invoice_id", "stage", name="uq_invoice_reminder_stage"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["mail_id"], ["mail_outbox.id"]),
    )
    op.create_table(
        "member_billing",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("line1", sa.String(100), nullable=True),
        sa.Column("line2", sa.String(100), nullable=True),
        sa.Column("line3", sa.String(100), nullable=True),
        sa.Column("postcode", sa.String(20), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("vat_id", sa.String(30), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_id"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["member.id"]),
    )


def upgrade() -> None:
    """Create the tables (empty but the sequence's row) and the append-only triggers."""
    _invoice_tables()
    _payment_tables()
    _other_tables()
    _append_only()


def downgrade() -> None:
    """Drop them all (every invoice and payment goes with them: back up first)."""
    for table in ("member_billing", "invoice_reminder"):
        op.drop_table(table)
    op.drop_index("ix_payment_allocation_invoice", table_name="payment_allocation")
    op.drop_index("ix_payment_allocation_payment", table_name="payment_allocation")
    op.drop_table("payment_allocation")
    op.drop_index("ix_payment_member", table_name="payment")
    op.drop_table("payment")
    op.drop_table("invoice_line")
    op.drop_index("ix_invoice_refers_to", table_name="invoice")
    op.drop_index("ix_invoice_member", table_name="invoice")
    op.drop_table("invoice")
    op.drop_table("invoice_sequence")
    if context.get_context().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {FUNCTION}()")
