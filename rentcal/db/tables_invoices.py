"""Invoices, credit notes, payments and billing addresses (issue #23, revision 0017).

Registered in the same metadata as :mod:`rentcal.db.tables`, which imports this
module, so ``create_all`` and Alembic see the tables.

* ``invoice_sequence``: ONE row, the last number given; the write that issues
  an invoice raises it in its own transaction, so numbers have no gaps.
* ``invoice`` / ``invoice_line``: what was issued, as issued (the seller and
  buyer as they were, the totals computed by :mod:`rentcal.core.invoices`). A
  line names the charge it bills (``charge_id``, a foreign key to issue #22's
  ``charge`` table): UNIQUE (charge_id, kind), so a charge is
  invoiced once and credited line by line at most once. The line's ``kind``
  is its document's, held there by a foreign key on (invoice_id, kind).
* ``payment`` / ``payment_allocation``: money received (negative: a refund,
  with its reason) and which invoices it settled.
* ``invoice_reminder``: a reminder sent for an invoice, once per stage.
* ``member_billing``: a member's billing address (the name on the invoice,
  up to three lines, postcode, city, country, VAT id); the current one, its
  changes kept in the change log.

Append-only: an issued invoice never changes, so triggers refuse UPDATE and
DELETE on ``invoice``, ``invoice_line``, ``payment`` and
``payment_allocation`` on both backends — a correction is a credit note, a
mistaken payment a refund.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

MONEY = sa.Numeric(12, 2, asdecimal=True)
#: Day and unit rates: up to four places (EN 16931 prices).
RATE = sa.Numeric(12, 4, asdecimal=True)
KINDS = "kind IN ('invoice', 'credit_note')"
#: The tables nothing may UPDATE or DELETE.
APPEND_ONLY = ("invoice", "invoice_line", "payment", "payment_allocation")
APPEND_ONLY_MESSAGE = "rentcal: issued invoices and recorded payments never change"
#: PostgreSQL's trigger function (one for the four tables).
PG_FUNCTION = "rentcal_append_only"


class InvoiceSequenceRow(SQLModel, table=True):
    """One row: the last invoice number given (0: none yet)."""

    __tablename__ = "invoice_sequence"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(sa_type=sa.BigInteger, nullable=False)

    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_invoice_sequence_one_row"),)


class InvoiceRow(SQLModel, table=True):
    """An issued invoice or credit note, exactly as issued (never updated)."""

    __tablename__ = "invoice"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_type=sa.String(40), unique=True, nullable=False)
    kind: str = Field(sa_type=sa.String(11), nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    #: The invoice a credit note corrects.
    refers_to_id: int | None = Field(default=None, foreign_key="invoice.id")
    issue_date: date = Field(nullable=False)
    due_date: date = Field(nullable=False)
    currency: str = Field(sa_type=sa.String(3), nullable=False)
    net: Decimal = Field(sa_type=MONEY, nullable=False)
    vat: Decimal = Field(sa_type=MONEY, nullable=False)
    gross: Decimal = Field(sa_type=MONEY, nullable=False)
    #: Percent; NULL: no VAT.
    vat_rate: Decimal | None = Field(default=None, sa_type=sa.Numeric(5, 2, asdecimal=True))
    vat_category: str = Field(sa_type=sa.String(1), nullable=False)
    vat_note: str | None = Field(default=None, sa_type=sa.String(200))
    #: The organisation and the member as the invoice names them (JSON objects).
    seller: str = Field(sa_type=sa.Text, nullable=False)
    buyer: str = Field(sa_type=sa.Text, nullable=False)
    iban: str | None = Field(default=None, sa_type=sa.String(34))
    bic: str | None = Field(default=None, sa_type=sa.String(11))
    payment_reference: str | None = Field(default=None, sa_type=sa.String(140))
    payment_terms: str | None = Field(default=None, sa_type=sa.String(200))
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(nullable=False)

    __table_args__ = (
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
        # invoice_line's (invoice_id, kind) points here: a line has its document's kind.
        sa.UniqueConstraint("id", "kind", name="uq_invoice_id_kind"),
        sa.Index("ix_invoice_member", "member_id", "issue_date"),
        sa.Index("ix_invoice_refers_to", "refers_to_id"),
    )


class InvoiceLineRow(SQLModel, table=True):
    """One line of an issued invoice or credit note: usually one charge."""

    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(nullable=False)
    kind: str = Field(sa_type=sa.String(11), nullable=False)
    position: int = Field(nullable=False)
    #: The charge billed (issue #22).
    charge_id: int | None = Field(default=None, foreign_key="charge.id")
    description: str = Field(sa_type=sa.String(200), nullable=False)
    first_day: date | None = Field(default=None)
    last_day: date | None = Field(default=None)
    days: int = Field(default=0, nullable=False)
    day_rate: Decimal | None = Field(default=None, sa_type=RATE)
    units: Decimal | None = Field(default=None, sa_type=sa.Numeric(14, 4, asdecimal=True))
    unit_name: str | None = Field(default=None, sa_type=sa.String(20))
    unit_rate: Decimal | None = Field(default=None, sa_type=RATE)
    net: Decimal = Field(sa_type=MONEY, nullable=False)

    __table_args__ = (
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
        # A charge is invoiced once, and credited line by line at most once.
        sa.UniqueConstraint("charge_id", "kind", name="uq_invoice_line_charge"),
    )


#: How money came: ``rentcal payment add --method``.
PAYMENT_METHODS = ("transfer", "cash", "card")


class PaymentRow(SQLModel, table=True):
    """Money received from a member (negative: a refund, with its reason)."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    amount: Decimal = Field(sa_type=MONEY, nullable=False)
    method: str = Field(sa_type=sa.String(8), nullable=False)
    reference: str | None = Field(default=None, sa_type=sa.String(140))
    reason: str | None = Field(default=None, sa_type=sa.Text)
    received_on: date = Field(nullable=False)
    recorded_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(nullable=False)

    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="ck_payment_amount"),
        sa.CheckConstraint("amount > 0 OR reason IS NOT NULL", name="ck_payment_refund_reason"),
        sa.CheckConstraint("method IN ('transfer', 'cash', 'card')", name="ck_payment_method"),
        sa.Index("ix_payment_member", "member_id", "received_on"),
    )


class PaymentAllocationRow(SQLModel, table=True):
    """Part of a payment settling one invoice (same sign as the payment)."""

    __tablename__ = "payment_allocation"

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", nullable=False)
    invoice_id: int = Field(foreign_key="invoice.id", nullable=False)
    amount: Decimal = Field(sa_type=MONEY, nullable=False)
    created_at: datetime = Field(nullable=False)

    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="ck_payment_allocation_amount"),
        sa.Index("ix_payment_allocation_payment", "payment_id"),
        sa.Index("ix_payment_allocation_invoice", "invoice_id"),
    )


class InvoiceReminderRow(SQLModel, table=True):
    """A reminder about an unpaid invoice, once per stage (1: the first, ...)."""

    __tablename__ = "invoice_reminder"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", nullable=False)
    stage: int = Field(nullable=False)
    sent_at: datetime = Field(nullable=False)
    #: The message queued in the mail outbox, if one was.
    mail_id: int | None = Field(default=None, foreign_key="mail_outbox.id")

    __table_args__ = (
        sa.CheckConstraint("stage >= 1", name="ck_invoice_reminder_stage"),
        sa.UniqueConstraint("invoice_id", "stage", name="uq_invoice_reminder_stage"),
    )


class MemberBillingRow(SQLModel, table=True):
    """A member's billing address as invoices name them (changes: in the change log)."""

    __tablename__ = "member_billing"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    #: The name on the invoice (a farm, a company); NULL: the member's own name.
    name: str | None = Field(default=None, sa_type=sa.String(200))
    line1: str | None = Field(default=None, sa_type=sa.String(100))
    line2: str | None = Field(default=None, sa_type=sa.String(100))
    line3: str | None = Field(default=None, sa_type=sa.String(100))
    postcode: str | None = Field(default=None, sa_type=sa.String(20))
    city: str | None = Field(default=None, sa_type=sa.String(100))
    country: str = Field(sa_type=sa.String(2), nullable=False)
    vat_id: str | None = Field(default=None, sa_type=sa.String(30))
    updated_by_id: int | None = Field(default=None, foreign_key="member.id")
    updated_at: datetime = Field(nullable=False)


def sqlite_append_only(table: str) -> list[str]:
    """SQLite's triggers refusing UPDATE and DELETE on ``table``."""
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    return [
        f"CREATE TRIGGER IF NOT EXISTS trg_{table}_no_update BEFORE UPDATE ON {table} {raise_}",
        f"CREATE TRIGGER IF NOT EXISTS trg_{table}_no_delete BEFORE DELETE ON {table} {raise_}",
    ]


#: PostgreSQL's trigger function: refuses the row change as an integrity violation (23000),
#: as SQLite's RAISE(ABORT) does, so the store maps both alike.
PG_FUNCTION_DDL = (
    f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
    f"MESSAGE = '{APPEND_ONLY_MESSAGE} (' || TG_TABLE_NAME || ')'; END $$"
)


def postgres_append_only(table: str) -> str:
    """PostgreSQL's trigger refusing UPDATE and DELETE on ``table`` (row by row)."""
    return (
        f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def _seed_sequence(target: sa.Table, connection: sa.Connection, **_kw: object) -> None:
    """The one sequence row (no number given yet), inserted with the table."""
    connection.execute(sa.insert(target).values(id=1, value=0))


invoice_sequence_t: sa.Table = InvoiceSequenceRow.__table__  # type: ignore[attr-defined]
invoice_t: sa.Table = InvoiceRow.__table__  # type: ignore[attr-defined]
invoice_line_t: sa.Table = InvoiceLineRow.__table__  # type: ignore[attr-defined]
payment_t: sa.Table = PaymentRow.__table__  # type: ignore[attr-defined]
payment_allocation_t: sa.Table = PaymentAllocationRow.__table__  # type: ignore[attr-defined]
invoice_reminder_t: sa.Table = InvoiceReminderRow.__table__  # type: ignore[attr-defined]
member_billing_t: sa.Table = MemberBillingRow.__table__  # type: ignore[attr-defined]

sa.event.listen(invoice_sequence_t, "after_create", _seed_sequence)
for _table in (invoice_t, invoice_line_t, payment_t, payment_allocation_t):
    for _ddl in sqlite_append_only(_table.name):
        sa.event.listen(
            _table,
            "after_create",
            sa.DDL(_ddl).execute_if(dialect="sqlite"),  # type: ignore[no-untyped-call]
        )
    for _ddl in (PG_FUNCTION_DDL, postgres_append_only(_table.name)):
        sa.event.listen(
            _table,
            "after_create",
            sa.DDL(_ddl).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
        )
