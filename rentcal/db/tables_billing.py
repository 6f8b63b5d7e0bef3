"""The ledger of charges (revision 0016): append-only, one charge per rental end.

Registered in the same metadata as :mod:`rentcal.db.tables`, which imports
this module. The database itself keeps the two rules the service relies on:

- a partial UNIQUE index lets a rental have at most one ``use`` charge and at
  most one ``late_cancellation`` charge, so a second charge of the same end
  is refused even if something bypassed the machine's lock;
- triggers refuse every UPDATE and DELETE of a charge (SQLite: two triggers;
  PostgreSQL: one trigger and its function): a correction is a new entry.

Amounts are ``Numeric(12, 2)`` and signed (a credit is negative); they are
summed in Python, never in SQL (SQLite would use REAL).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

MONEY = sa.Numeric(12, 2, asdecimal=True)
#: Meter units, to the thousandth.
UNITS = sa.Numeric(14, 3, asdecimal=True)
#: The kinds a charge may be (rentcal.core.types.ChargeKind's values).
CHARGE_KINDS = ("use", "late_cancellation", "correction")
#: The kinds a rental has at most one of.
ONCE_PER_RENTAL = "kind IN ('use', 'late_cancellation')"
#: What the append-only triggers say.
APPEND_ONLY_MESSAGE = "rentcal: charges are append-only (add a correction instead)"


class ChargeRow(SQLModel, table=True):
    """One entry of the ledger: a rental's use, a late cancellation or a correction."""

    __tablename__ = "charge"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    #: The rental charged (None: a correction about no rental).
    rental_id: int | None = Field(default=None, foreign_key="rental.id")
    machine_id: int | None = Field(default=None, foreign_key="machine.id")
    kind: str = Field(sa_type=sa.String(20), nullable=False)
    charged_at: datetime = Field(nullable=False)
    #: The day it was charged in the organisation's time zone: its statement period.
    charged_on: date = Field(nullable=False)
    first_day: date | None = Field(default=None)
    last_day: date | None = Field(default=None)
    days: int | None = Field(default=None)
    units: Decimal | None = Field(default=None, sa_type=UNITS)
    day_rate: Decimal | None = Field(default=None, sa_type=MONEY)
    unit_rate: Decimal | None = Field(default=None, sa_type=MONEY)
    minimum_charge: Decimal | None = Field(default=None, sa_type=MONEY)
    #: Signed: a debit is positive, a credit negative.
    amount: Decimal = Field(sa_type=MONEY, nullable=False)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('use', 'late_cancellation', 'correction')", name="ck_charge_kind"
        ),
        sa.CheckConstraint("kind = 'correction' OR rental_id IS NOT NULL", name="ck_charge_rental"),
        sa.CheckConstraint("kind <> 'correction' OR reason IS NOT NULL", name="ck_charge_reason"),
        sa.Index(
            "ux_charge_rental_kind",
            "rental_id",
            "kind",
            unique=True,
            sqlite_where=sa.text(ONCE_PER_RENTAL),  # PostgreSQL's: add_postgres_where()
        ),
        sa.Index("ix_charge_member_day", "member_id", "charged_on"),
        sa.Index("ix_charge_day", "charged_on"),
    )


def sqlite_append_only() -> list[str]:
    """SQLite: refuse every UPDATE and DELETE of a charge."""
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    return [
        f"CREATE TRIGGER IF NOT EXISTS trg_charge_no_update BEFORE UPDATE ON charge {raise_}",
        f"CREATE TRIGGER IF NOT EXISTS trg_charge_no_delete BEFORE DELETE ON charge {raise_}",
    ]


def postgres_append_only() -> list[str]:
    """PostgreSQL: one function and one trigger refusing UPDATE and DELETE of a charge."""
    return [
        "CREATE OR REPLACE FUNCTION charge_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation'; "
        "END $$",
        "CREATE TRIGGER trg_charge_append_only BEFORE UPDATE OR DELETE ON charge "
        "FOR EACH ROW EXECUTE FUNCTION charge_append_only()",
    ]


charge_t: sa.Table = ChargeRow.__table__  # type: ignore[attr-defined]


def add_postgres_where() -> None:
    """The partial index's WHERE in PostgreSQL's spelling, set when a PostgreSQL engine
    is made (:func:`rentcal.db.tables.add_postgres_guards`): naming it in the model
    would load SQLAlchemy's PostgreSQL dialect for SQLite users too. Idempotent."""
    for index in charge_t.indexes:
        if index.name == "ux_charge_rental_kind":
            index.dialect_options["postgresql"]["where"] = sa.text(ONCE_PER_RENTAL)


for _ddl in sqlite_append_only():
    sa.event.listen(
        charge_t,
        "after_create",
        sa.DDL(_ddl).execute_if(dialect="sqlite"),  # type: ignore[no-untyped-call]
    )
for _ddl in postgres_append_only():
    sa.event.listen(
        charge_t,
        "after_create",
        sa.DDL(_ddl).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
    )

__all__ = [
    "APPEND_ONLY_MESSAGE",
    "CHARGE_KINDS",
    "ONCE_PER_RENTAL",
    "ChargeRow",
    "add_postgres_where",
    "charge_t",
    "postgres_append_only",
    "sqlite_append_only",
]
