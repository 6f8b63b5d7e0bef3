"""Card payments through Stripe Checkout (issue #23, revision 0018).

Registered in the same metadata as :mod:`rentcal.db.tables`, which imports this
module, so ``create_all`` and Alembic see the tables.

* ``checkout_session``: one Checkout Session rentcal asked Stripe for: whose,
  for what (an open invoice, or a booking awaiting payment), how much, and
  how it ended (``open`` until Stripe says ``paid`` or ``expired``). Stripe's
  session id is UNIQUE; ``payment_id`` names the payment recorded when it was
  paid.
* ``stripe_event``: every Stripe event id handled, inserted in the same
  transaction as what the event changed: a replayed event finds its id and
  changes nothing.

The rental a booking session is for holds its days until ``rental.pay_by``
(:mod:`rentcal.db.tables`), when housekeeping releases it unpaid.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

MONEY = sa.Numeric(12, 2, asdecimal=True)
#: What a session pays for.
PURPOSES = ("invoice", "booking")
#: A session's state: waiting, paid (a payment recorded), expired unpaid.
SESSION_STATUSES = ("open", "paid", "expired")


class CheckoutSessionRow(SQLModel, table=True):
    """A Stripe Checkout Session for an open invoice or a booking awaiting payment."""

    __tablename__ = "checkout_session"

    id: int | None = Field(default=None, primary_key=True)
    #: Stripe's id (``cs_test_...``, ``cs_live_...``).
    stripe_id: str = Field(sa_type=sa.String(255), unique=True, nullable=False)
    purpose: str = Field(sa_type=sa.String(7), nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    rental_id: int | None = Field(default=None, foreign_key="rental.id")
    amount: Decimal = Field(sa_type=MONEY, nullable=False)
    currency: str = Field(sa_type=sa.String(3), nullable=False)
    status: str = Field(sa_type=sa.String(7), nullable=False)
    created_at: datetime = Field(nullable=False)
    paid_at: datetime | None = Field(default=None)
    #: The payment recorded when Stripe said it was paid.
    payment_id: int | None = Field(default=None, foreign_key="payment.id")

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('invoice', 'booking')", name="ck_checkout_purpose"),
        sa.CheckConstraint(
            "(purpose = 'invoice' AND invoice_id IS NOT NULL AND rental_id IS NULL) OR "
            "(purpose = 'booking' AND rental_id IS NOT NULL AND invoice_id IS NULL)",
            name="ck_checkout_target",
        ),
        sa.CheckConstraint("amount > 0", name="ck_checkout_amount"),
        sa.CheckConstraint("status IN ('open', 'paid', 'expired')", name="ck_checkout_status"),
        sa.CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL)", name="ck_checkout_paid_at"),
        sa.Index("ix_checkout_session_member", "member_id", "created_at"),
        sa.Index("ix_checkout_session_rental", "rental_id"),
    )


class StripeEventRow(SQLModel, table=True):
    """A Stripe event handled (once: its id is the key)."""

    __tablename__ = "stripe_event"

    #: Stripe's id (``evt_...``).
    id: str = Field(sa_type=sa.String(255), primary_key=True)
    type: str = Field(sa_type=sa.String(100), nullable=False)
    received_at: datetime = Field(nullable=False)


checkout_session_t: sa.Table = CheckoutSessionRow.__table__  # type: ignore[attr-defined]
stripe_event_t: sa.Table = StripeEventRow.__table__  # type: ignore[attr-defined]
