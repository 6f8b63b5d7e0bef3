"""Hand-over tables: a machine's keepers, a rental's check-out / check-in, meter readings.

Registered in the same metadata as :mod:`rentcal.db.tables`, which imports this
module, so ``create_all`` and Alembic see them (revision 0015). Nothing here
is ever updated or deleted except a keeper row (the change log keeps who
added or removed a keeper, and when).

- ``machine_keeper``: the members who may hand a machine over (check it out
  and in) besides the admins;
- ``handover``: one row per check-out (``out``), check-in (``in``) or no-show
  flag of a rental; ``UNIQUE (rental_id, kind)`` makes the database itself
  refuse a second check-out or check-in of one rental;
- ``meter_reading``: every reading of a machine's meter, oldest first (the
  next check-out proposes the latest).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: A meter reading: exact, like money (SQLite keeps two places in NUMERIC).
READING = sa.Numeric(12, 2, asdecimal=True)


class MachineKeeperRow(SQLModel, table=True):
    """A member who hands one machine over (checks it out and in)."""

    __tablename__ = "machine_keeper"

    machine_id: int = Field(foreign_key="machine.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    added_by_id: int | None = Field(default=None, foreign_key="member.id")
    added_at: datetime = Field(nullable=False)

    __table_args__ = (sa.Index("ix_machine_keeper_member", "member_id"),)


class HandoverRow(SQLModel, table=True):
    """A rental's check-out, check-in or no-show flag: who, when, the meter, the condition."""

    __tablename__ = "handover"

    id: int | None = Field(default=None, primary_key=True)
    rental_id: int = Field(foreign_key="rental.id", nullable=False)
    kind: str = Field(sa_type=sa.String(8), nullable=False)
    at: datetime = Field(nullable=False)
    #: Who handed it over (NULL: the system, for a no-show).
    by_id: int | None = Field(default=None, foreign_key="member.id")
    reading: Decimal | None = Field(default=None, sa_type=READING)
    #: The meter's unit when it was read (a machine's unit may change later).
    unit: str | None = Field(default=None, sa_type=sa.String(16))
    condition: str | None = Field(default=None, sa_type=sa.String(16))
    late: bool = Field(default=False, nullable=False)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    #: The repair block a damaged return opened.
    maintenance_id: int | None = Field(default=None, foreign_key="maintenance.id")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('out', 'in', 'no-show')", name="ck_handover_kind"),
        sa.CheckConstraint(
            "condition IS NULL OR condition IN ('ok', 'needs-attention', 'damaged')",
            name="ck_handover_condition",
        ),
        sa.CheckConstraint("reading >= 0", name="ck_handover_reading"),
        sa.UniqueConstraint("rental_id", "kind", name="uq_handover_rental_kind"),
        # rentals out but not back: the 'out' rows, each looked up again by its rental
        sa.Index("ix_handover_kind_rental", "kind", "rental_id"),
    )


class MeterReadingRow(SQLModel, table=True):
    """One reading of a machine's meter (at a hand-over)."""

    __tablename__ = "meter_reading"

    id: int | None = Field(default=None, primary_key=True)
    machine_id: int = Field(foreign_key="machine.id", nullable=False)
    reading: Decimal = Field(sa_type=READING, nullable=False)
    unit: str = Field(sa_type=sa.String(16), nullable=False)
    at: datetime = Field(nullable=False)
    rental_id: int | None = Field(default=None, foreign_key="rental.id")
    by_id: int | None = Field(default=None, foreign_key="member.id")

    __table_args__ = (
        sa.CheckConstraint("reading >= 0", name="ck_meter_reading_reading"),
        sa.Index("ix_meter_reading_machine", "machine_id", "id"),
    )


machine_keeper_t: sa.Table = MachineKeeperRow.__table__  # type: ignore[attr-defined]
handover_t: sa.Table = HandoverRow.__table__  # type: ignore[attr-defined]
meter_reading_t: sa.Table = MeterReadingRow.__table__  # type: ignore[attr-defined]

__all__ = ["READING", "handover_t", "machine_keeper_t", "meter_reading_t"]
