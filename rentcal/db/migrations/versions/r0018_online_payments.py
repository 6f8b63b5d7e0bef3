"""Card payments through Stripe Checkout (issue #23).

Revision ID: 0018_online_payments
Revises: 0017_invoices

- ``rental.pay_by`` (NULL for every existing rental): while a booking awaits
  its card payment, when its hold ends; indexed for housekeeping;
- the table ``checkout_session``: the Checkout Sessions rentcal asked Stripe
  for (Stripe's id UNIQUE; an open invoice or a booking; amount, currency,
  status open / paid / expired; the payment recorded when paid);
- the table ``stripe_event``: the ids of the Stripe events handled, so a
  replayed event changes nothing.

Both tables start empty; nothing else changes. Frozen SQL -- never import the
models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_online_payments"
down_revision = "0017_invoices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``rental.pay_by`` (NULL everywhere) and the two tables (empty)."""
    op.add_column("rental", sa.Column("pay_by", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_rental_pay_by", "rental", ["pay_by"])
    op.create_table(
        "checkout_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_id", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(7), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("rental_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("purpose IN ('invoice', 'booking')", name="ck_checkout_purpose"),
        sa.CheckConstraint(
            "(purpose = 'invoice' AND invoice_id IS NOT NULL AND rental_id IS NULL) OR "
            "(purpose = 'booking' AND rental_id IS NOT NULL AND invoice_id IS NULL)",
            name="ck_checkout_target",
        ),
        sa.CheckConstraint("amount > 0", name="ck_checkout_amount"),
        sa.CheckConstraint("status IN ('open', 'paid', 'expired')", name="ck_checkout_status"),
        sa.CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL)", name="ck_checkout_paid_at"),
        sa.UniqueConstraint("stripe_id"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
    )
    op.create_index("ix_checkout_session_member", "checkout_session", ["member_id", "created_at"])
    op.create_index("ix_checkout_session_rental", "checkout_session", ["rental_id"])
    op.create_table(
        "stripe_event",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop the tables (the record of card payments' sessions goes with them; the
    payments themselves stay) and ``rental.pay_by``."""
    op.drop_table("stripe_event")
    op.drop_index("ix_checkout_session_rental", table_name="checkout_session")
    op.drop_index("ix_checkout_session_member", table_name="checkout_session")
    op.drop_table("checkout_session")
    op.drop_index("ix_rental_pay_by", table_name="rental")
    op.drop_column("rental", "pay_by")
