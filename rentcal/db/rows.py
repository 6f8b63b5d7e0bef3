"""Typed row records: what the statements return to the service instead of ``Row[Any]``.

Each record is a ``NamedTuple`` whose fields are the selected columns, in the
order the statement selects them (the statements are built from ``_fields``,
so a record is made with ``_make(row)``, no lookup by name). The service reads
``machine.daily_price`` as before, but mypy now checks the column name and
its type, and a renamed column breaks the build instead of a request.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, TypedDict

from rentcal.core.types import (
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    RequestPolicy,
    Role,
)


class MachineRecord(NamedTuple):
    """One ``machine`` row."""

    id: int
    name: str
    title: str
    daily_price: Decimal
    description: str | None
    status: MachineStatus
    auto_approve: bool
    created_at: datetime
    request_policy: RequestPolicy
    request_expiry_hours: int | None
    meter_unit: str | None
    unit_price: Decimal | None
    minimum_charge: Decimal | None


class MemberRecord(NamedTuple):
    """One ``member`` row."""

    id: int
    handle: str
    name: str
    email: str | None
    verified: bool
    role: Role
    created_at: datetime
    deactivated_at: datetime | None


class SettingRecord(NamedTuple):
    """One value of an organisation setting, and who set it when."""

    key: str
    value: str
    changed_at: datetime
    changed_by: str | None


class ExpiringMachine(NamedTuple):
    """A machine whose pending requests expire after ``hours``."""

    id: int
    name: str
    hours: int


# -- what an insert writes: every column of the new row, checked by mypy --------------


class NewRental(TypedDict):
    """The columns of a new ``rental`` row (its id comes from the database)."""

    uid: str
    machine_id: int
    member_id: int
    start_date: date
    end_date: date
    status: RentalStatus
    purpose: str | None
    price: Decimal
    created_at: datetime
    updated_at: datetime
    sequence: int
    status_changed_by_id: int | None
    reason: str | None
    queued: bool
    unit_price: Decimal | None
    minimum_charge: Decimal | None


class NewMaintenance(TypedDict):
    """The columns of a new ``maintenance`` row."""

    uid: str
    machine_id: int
    start_date: date
    end_date: date
    kind: MaintenanceKind
    status: MaintenanceStatus
    notes: str | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    sequence: int


class NewHistory(TypedDict):
    """One status change of a rental (``rental_history``)."""

    rental_id: int
    from_status: RentalStatus | None
    to_status: RentalStatus
    changed_by_id: int | None
    reason: str | None
    changed_at: datetime


class NewNotification(TypedDict):
    """One message to a member (``notification``)."""

    member_id: int
    rental_id: int | None
    message: str
    created_at: datetime
    read_at: datetime | None


class NewChange(TypedDict):
    """One changed field of a machine, member or maintenance block (``change_log``)."""

    entity: str
    entity_id: int
    field: str
    old_value: str | None
    new_value: str | None
    changed_by_id: int | None
    changed_at: datetime


class NewCharge(TypedDict):
    """One entry of the ledger of charges (``charge``); never updated or deleted."""

    member_id: int
    rental_id: int | None
    machine_id: int | None
    kind: str
    charged_at: datetime
    charged_on: date
    first_day: date | None
    last_day: date | None
    days: int | None
    units: Decimal | None
    day_rate: Decimal | None
    unit_rate: Decimal | None
    minimum_charge: Decimal | None
    amount: Decimal
    reason: str | None
    created_by_id: int | None


class RentalRates(NamedTuple):
    """What a rental's charge is computed from: its days, price and the rates fixed on it."""

    id: int
    member_id: int
    machine_id: int
    start_date: date
    end_date: date
    price: Decimal
    unit_price: Decimal | None
    minimum_charge: Decimal | None


class NewSession(TypedDict):
    """A new sign-in session (``login_session``); only the secret's digest is stored."""

    secret_hash: str
    member_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class NewApiToken(TypedDict):
    """A new API token (``api_token``)."""

    secret_hash: str
    member_id: int
    name: str | None
    created_at: datetime
    created_by_id: int | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewFeedToken(TypedDict):
    """A new calendar feed token (``feed_token``)."""

    secret_hash: str
    scope: str
    machine_id: int | None
    member_id: int | None
    format: str
    name: str | None
    owner_id: int
    created_at: datetime
    revoked_at: datetime | None


class NewIdempotencyKey(TypedDict):
    """Which rental a member's idempotency key made (``idempotency_key``)."""

    member_id: int
    key: str
    fingerprint: str
    rental_id: int
    created_at: datetime


__all__ = [
    "ExpiringMachine",
    "MachineRecord",
    "MemberRecord",
    "NewApiToken",
    "NewChange",
    "NewCharge",
    "NewFeedToken",
    "NewHistory",
    "NewIdempotencyKey",
    "NewMaintenance",
    "NewNotification",
    "NewRental",
    "NewSession",
    "RentalRates",
    "SettingRecord",
]
