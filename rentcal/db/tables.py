"""SQLModel tables: the schema, its constraints, indexes and guard triggers.

The service talks to these tables through SQLAlchemy Core (``Table.c``) and
turns rows into the frozen values of :mod:`rentcal.core.values`, so no ORM
session or lazy loading leaks out of the library.

Enums are stored by *value* ('approved') in a VARCHAR with a CHECK on every
backend (``native_enum=False``); money is ``Numeric(12, 2)`` so SQLite keeps
two places; datetimes are timezone-aware UTC (sqlmodel's UTCDateTime).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from rentcal.core.types import (
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    RequestPolicy,
    Role,
    values,
)
from rentcal.db import (
    tables_accounts,  # noqa: F401  (registers the account tables)
    tables_billing,  # registers the ledger of charges
    tables_handover,  # noqa: F401  (registers the hand-over tables)
    tables_invoices,  # noqa: F401  (registers invoices, payments, billing addresses)
    tables_mail,  # noqa: F401  (registers the mail outbox)
    tables_online_payments,  # noqa: F401  (registers Checkout Sessions, Stripe events)
    tables_usage,  # noqa: F401  (registers the figures per minute)
)
from rentcal.db.guards import (
    MAINTENANCE_TRIGGER_MESSAGE,
    OVERLAP_TRIGGER_MESSAGE,
    exclude_overlaps,
    maintenance_blocks,
    rental_blocks,
    sqlite_guards,
)

#: rentcal_meta.schema_version: 1 was rentcal 0.1 (before Alembic); 2 means the Alembic
#: revision (rentcal.db.schema.HEAD) describes the schema. Raise it only to lock out releases
#: that know nothing of Alembic again; schema changes are Alembic revisions.
SCHEMA_VERSION = 2

MONEY = sa.Numeric(12, 2, asdecimal=True)


def enum_type(enum: type[Enum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR + CHECK, storing values, not names."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(v) for v in values(enum)),
        values_callable=values,
    )


class MachineRow(SQLModel, table=True):
    """A bookable machine."""

    __tablename__ = "machine"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    title: str = Field(sa_type=sa.String(200), nullable=False)
    daily_price: Decimal = Field(sa_type=MONEY, nullable=False)
    description: str | None = Field(default=None, sa_type=sa.Text)
    status: MachineStatus = Field(
        default=MachineStatus.ACTIVE, sa_type=enum_type(MachineStatus, "machine_status")
    )
    auto_approve: bool = Field(default=False, nullable=False)
    created_at: datetime = Field(nullable=False)
    # revision 0004: added last, with server defaults, so old rows read as before
    request_policy: RequestPolicy = Field(
        default=RequestPolicy.BLOCK,
        sa_type=sa.Enum(
            RequestPolicy,
            name="request_policy",
            native_enum=False,
            create_constraint=False,
            length=5,
            values_callable=values,
        ),
        sa_column_kwargs={"server_default": RequestPolicy.BLOCK.value},
        nullable=False,
    )
    #: Hours a pending request may wait for a decision; NULL: until its first day.
    request_expiry_hours: int | None = Field(default=None, nullable=True)
    #: revision 0015: the unit of the machine's meter (hours, km, ha ...); NULL: no meter.
    meter_unit: str | None = Field(default=None, sa_type=sa.String(16), nullable=True)
    #: revision 0016: the price of a meter unit (NULL: none) and the least a rental
    #: ending is charged (NULL: no minimum); fixed on each rental when it is booked.
    unit_price: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    minimum_charge: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)

    __table_args__ = (sa.CheckConstraint("daily_price >= 0", name="ck_machine_price"),)


class MemberRow(SQLModel, table=True):
    """A member who books; admins manage."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    name: str = Field(sa_type=sa.String(200), nullable=False)
    email: str | None = Field(default=None, sa_type=sa.String(254))
    verified: bool = Field(default=False, nullable=False)
    role: Role = Field(default=Role.MEMBER, sa_type=enum_type(Role, "member_role"))
    created_at: datetime = Field(nullable=False)
    #: When an admin deactivated the member (NULL: active). Revision 0005.
    deactivated_at: datetime | None = Field(default=None)


class RentalRow(SQLModel, table=True):
    """A booking of inclusive whole days; never deleted."""

    __tablename__ = "rental"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_type=sa.String(36), unique=True, nullable=False)
    machine_id: int = Field(foreign_key="machine.id", nullable=False)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    start_date: date = Field(nullable=False)
    end_date: date = Field(nullable=False)
    status: RentalStatus = Field(sa_type=enum_type(RentalStatus, "rental_status"))
    purpose: str | None = Field(default=None, sa_type=sa.Text)
    price: Decimal = Field(sa_type=MONEY, nullable=False)
    created_at: datetime = Field(nullable=False)
    updated_at: datetime = Field(nullable=False)
    sequence: int = Field(default=0, nullable=False)
    status_changed_by_id: int | None = Field(default=None, foreign_key="member.id")
    reason: str | None = Field(default=None, sa_type=sa.Text)
    #: revision 0004: a pending request waiting beside others (queue policy); blocks nothing.
    queued: bool = Field(
        default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()}
    )
    #: revision 0016: the machine's unit price and minimum charge when it was booked
    #: (or moved): what its charge is computed with when it ends.
    unit_price: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    minimum_charge: Decimal | None = Field(default=None, sa_type=MONEY, nullable=True)
    #: revision 0018: while a booking awaits its card payment (pending, holding its days),
    #: when the hold ends; housekeeping then rejects it as unpaid. NULL otherwise.
    pay_by: datetime | None = Field(default=None, nullable=True)

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ck_rental_dates"),
        sa.CheckConstraint("price >= 0", name="ck_rental_price"),
        # The availability seek: blocking rentals of one machine by start day.
        sa.Index(
            "ix_rental_blocking",
            "machine_id",
            "start_date",
            sqlite_where=sa.text(rental_blocks()),
        ),
        sa.Index("ix_rental_machine", "machine_id", "status"),
        sa.Index("ix_rental_member_start", "member_id", "start_date"),
        # revision 0004, housekeeping: approved rentals that have ended, pending requests
        sa.Index("ix_rental_status_end", "status", "end_date"),
        # revision 0018, housekeeping: holds awaiting payment (NULL for every other rental)
        sa.Index("ix_rental_pay_by", "pay_by"),
    )


class RentalHistoryRow(SQLModel, table=True):
    """Every status change of a rental: who, when, from what, to what, why."""

    __tablename__ = "rental_history"

    id: int | None = Field(default=None, primary_key=True)
    rental_id: int = Field(foreign_key="rental.id", nullable=False, index=True)
    from_status: RentalStatus | None = Field(
        default=None, sa_type=enum_type(RentalStatus, "history_from_status")
    )
    to_status: RentalStatus = Field(sa_type=enum_type(RentalStatus, "history_to_status"))
    changed_by_id: int | None = Field(default=None, foreign_key="member.id")
    reason: str | None = Field(default=None, sa_type=sa.Text)
    changed_at: datetime = Field(nullable=False)


class MaintenanceRow(SQLModel, table=True):
    """Days a machine is out of service."""

    __tablename__ = "maintenance"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_type=sa.String(36), unique=True, nullable=False)
    machine_id: int = Field(foreign_key="machine.id", nullable=False)
    start_date: date = Field(nullable=False)
    end_date: date = Field(nullable=False)
    kind: MaintenanceKind = Field(sa_type=enum_type(MaintenanceKind, "maintenance_kind"))
    status: MaintenanceStatus = Field(
        default=MaintenanceStatus.SCHEDULED,
        sa_type=enum_type(MaintenanceStatus, "maintenance_status"),
    )
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(nullable=False)
    updated_at: datetime = Field(nullable=False)
    sequence: int = Field(default=0, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ck_maintenance_dates"),
        sa.Index(
            "ix_maintenance_blocking",
            "machine_id",
            "start_date",
            sqlite_where=sa.text(maintenance_blocks()),
        ),
    )


#: What the change log records changes of (``change_log.entity``).
CHANGE_ENTITIES = ("machine", "member", "maintenance")


class ChangeLogRow(SQLModel, table=True):
    """One changed field of a machine, member or maintenance block: who, when, old -> new.

    Values are stored as text (``None`` for a cleared field); never deleted.
    """

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=sa.String(16), nullable=False)
    entity_id: int = Field(nullable=False)
    field: str = Field(sa_type=sa.String(32), nullable=False)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    changed_by_id: int | None = Field(default=None, foreign_key="member.id")
    changed_at: datetime = Field(nullable=False)

    __table_args__ = (
        sa.CheckConstraint(
            "entity IN ('machine', 'member', 'maintenance')", name="ck_change_log_entity"
        ),
        sa.Index("ix_change_log_entity", "entity", "entity_id"),
    )


class NotificationRow(SQLModel, table=True):
    """A message for one member; ``read_at`` stays NULL until read."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", nullable=False)
    rental_id: int | None = Field(default=None, foreign_key="rental.id")
    message: str = Field(sa_type=sa.Text, nullable=False)
    created_at: datetime = Field(nullable=False)
    read_at: datetime | None = Field(default=None)

    __table_args__ = (sa.Index("ix_notification_member", "member_id", "read_at"),)


class MetaRow(SQLModel, table=True):
    """Key/value facts about the database itself, e.g. its schema version."""

    __tablename__ = "rentcal_meta"

    key: str = Field(sa_type=sa.String(64), primary_key=True)
    value: str = Field(sa_type=sa.String(200), nullable=False)


# -- the calendar's revision and organisation settings -------------------------------
# (the account tables are in rentcal.db.tables_accounts)


class CalendarRevisionRow(SQLModel, table=True):
    """One row: how many times what a calendar shows has changed, and when last."""

    __tablename__ = "calendar_revision"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(sa_type=sa.BigInteger, nullable=False)
    changed_at: datetime = Field(nullable=False)

    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_calendar_revision_one_row"),)


class CredentialsRevisionRow(SQLModel, table=True):
    """One row: a counter every change to who a credential stands for raises.

    Revoking a session, an API token or a feed URL, changing a password and
    any change to a member (deactivation, demotion, verification) raise it in
    the same transaction, so a server may keep what a secret resolved to for
    as long as this value is unchanged, on every worker and host (revision
    0008). Kept apart from the calendar's revision: a booking and a logout
    never wait for the same row lock.
    """

    __tablename__ = "credentials_revision"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(sa_type=sa.BigInteger, nullable=False)

    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_credentials_revision_one_row"),)


class OrgSettingRow(SQLModel, table=True):
    """Organisation-wide settings (e.g. ``timezone``), append-only: the newest row
    of a key is its value; older rows are its history (who changed it, when)."""

    __tablename__ = "org_setting"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sa.String(64), nullable=False)
    value: str = Field(sa_type=sa.String(200), nullable=False)
    changed_by_id: int | None = Field(default=None, foreign_key="member.id")
    changed_at: datetime = Field(nullable=False)

    __table_args__ = (sa.Index("ix_org_setting_key_id", "key", "id"),)


#: The revision of a new database, and its "changed at" (no change yet).
REVISION_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seed_revision(target: sa.Table, connection: sa.Connection, **_kw: object) -> None:
    """The one revision row, inserted with the table (create_all and migrations alike)."""
    connection.execute(sa.insert(target).values(id=1, value=0, changed_at=REVISION_EPOCH))


sa.event.listen(
    CalendarRevisionRow.__table__,  # type: ignore[attr-defined]
    "after_create",
    _seed_revision,
)


def _seed_credentials(target: sa.Table, connection: sa.Connection, **_kw: object) -> None:
    """The one credentials-revision row, inserted with the table."""
    connection.execute(sa.insert(target).values(id=1, value=0))


sa.event.listen(
    CredentialsRevisionRow.__table__,  # type: ignore[attr-defined]
    "after_create",
    _seed_credentials,
)


# SQLite has no exclusion constraints: triggers (rentcal.db.guards) refuse an
# overlapping blocking row on INSERT and UPDATE, so even a buggy writer cannot store one.
SQLITE_TRIGGERS = {
    RentalRow: sqlite_guards("rental", rental_blocks, OVERLAP_TRIGGER_MESSAGE, ", queued"),
    MaintenanceRow: sqlite_guards("maintenance", maintenance_blocks, MAINTENANCE_TRIGGER_MESSAGE),
}

for _model, _ddls in SQLITE_TRIGGERS.items():
    for _ddl in _ddls:
        sa.event.listen(
            _model.__table__,  # type: ignore[attr-defined]
            "after_create",
            sa.DDL(_ddl).execute_if(dialect="sqlite"),  # type: ignore[no-untyped-call]
        )


def add_postgres_guards() -> None:
    """Attach PostgreSQL's exclusion constraints: the database itself refuses
    overlapping blocking rentals and overlapping scheduled maintenance.

    Called when a PostgreSQL engine is made, so SQLite users never import
    SQLAlchemy's PostgreSQL dialect (17 ms of start-up). Idempotent.
    """
    exclude_overlaps(rental_t, rental_blocks())
    exclude_overlaps(maintenance_t, maintenance_blocks())
    tables_billing.add_postgres_where()


machine_t: sa.Table = MachineRow.__table__  # type: ignore[attr-defined]
member_t: sa.Table = MemberRow.__table__  # type: ignore[attr-defined]
rental_t: sa.Table = RentalRow.__table__  # type: ignore[attr-defined]
history_t: sa.Table = RentalHistoryRow.__table__  # type: ignore[attr-defined]
maintenance_t: sa.Table = MaintenanceRow.__table__  # type: ignore[attr-defined]
notification_t: sa.Table = NotificationRow.__table__  # type: ignore[attr-defined]
meta_t: sa.Table = MetaRow.__table__  # type: ignore[attr-defined]
metadata = SQLModel.metadata
change_log_t: sa.Table = ChangeLogRow.__table__  # type: ignore[attr-defined]
revision_t: sa.Table = CalendarRevisionRow.__table__  # type: ignore[attr-defined]
credentials_revision_t: sa.Table = CredentialsRevisionRow.__table__  # type: ignore[attr-defined]
org_setting_t: sa.Table = OrgSettingRow.__table__  # type: ignore[attr-defined]
