"""Plain, detached result values returned by the library.

They are frozen dataclasses, not ORM rows: usable after the call returns,
hashable, cheap, and free of any database session.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Final, Generic, TypeVar

from rentcal.core.ranges import day_count
from rentcal.core.types import (
    BLOCKING_RENTAL_STATUSES,
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    RequestPolicy,
    Role,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Machine:
    """A bookable machine, referred to by its unique ``name`` handle."""

    id: int
    name: str
    title: str
    daily_price: Decimal
    description: str | None
    status: MachineStatus
    auto_approve: bool
    created_at: datetime
    #: What a pending request does to others for the same days (block or queue).
    request_policy: RequestPolicy = RequestPolicy.BLOCK
    #: Hours a pending request may wait for a decision; None: until its first day.
    request_expiry_hours: int | None = None
    #: The unit of the machine's meter (``hours``, ``km``, ...); None: it has none.
    meter: str | None = None
    #: The price of one meter unit (None: uses are charged by the day only).
    unit_price: Decimal | None = None
    #: The least a rental ending is charged (None: no minimum).
    minimum_charge: Decimal | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a machine."""
        return {
            "name": self.name,
            "title": self.title,
            "daily_price": str(self.daily_price),
            "status": self.status.value,
            "auto_approve": self.auto_approve,
            "description": self.description,
            "request_policy": self.request_policy.value,
            "request_expiry_hours": self.request_expiry_hours,
            "meter": self.meter,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "minimum_charge": None if self.minimum_charge is None else str(self.minimum_charge),
        }


@dataclass(frozen=True, slots=True)
class Member:
    """Somebody who books machines; admins also manage them."""

    id: int
    handle: str
    name: str
    email: str | None
    verified: bool
    role: Role
    #: False once an admin deactivated the member: they cannot log in, book or act.
    active: bool = True

    @property
    def is_admin(self) -> bool:
        """Whether this member may manage machines, members and rentals."""
        return self.role is Role.ADMIN

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a member."""
        return {
            "handle": self.handle,
            "name": self.name,
            "email": self.email,
            "verified": self.verified,
            "role": self.role.value,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class Rental:
    """A booking of one machine by one member for inclusive whole days."""

    id: int
    uid: str
    machine: str
    machine_title: str
    member: str
    member_name: str
    start: date
    end: date
    status: RentalStatus
    purpose: str | None
    price: Decimal
    created_at: datetime
    updated_at: datetime
    sequence: int
    status_changed_by: str | None
    reason: str | None
    #: A pending request of a ``queue`` machine, waiting beside others: it blocks nothing.
    queued: bool = False
    #: When the hold of a booking awaiting its card payment ends (issue #23); kept after
    #: it is settled: read :attr:`awaiting_payment`, which also asks that it is pending.
    pay_by: datetime | None = None

    @property
    def days(self) -> int:
        """Rental length in days, counting both ends."""
        return day_count(self.start, self.end)

    @property
    def blocking(self) -> bool:
        """Whether this rental occupies the machine (a queued request does not)."""
        return self.status in BLOCKING_RENTAL_STATUSES and not self.queued

    @property
    def awaiting_payment(self) -> bool:
        """Whether this booking is pending until its card payment comes, by :attr:`pay_by`
        (else housekeeping rejects it as unpaid), rather than waiting for an admin."""
        return self.status == RentalStatus.PENDING and self.pay_by is not None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a rental (dates ISO 8601, money as a string; ``pay_by``, in
        UTC, only while it awaits its card payment, else null)."""
        return {
            "id": self.id,
            "machine": self.machine,
            "member": self.member,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status.value,
            "purpose": self.purpose,
            "price": str(self.price),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "pay_by": _utc_text(self.pay_by) if self.awaiting_payment else None,
        }


def _utc_text(moment: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC (SQLite hands back naive UTC; PostgreSQL aware)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Maintenance:
    """A block of days a machine is out of service."""

    id: int
    uid: str
    machine: str
    machine_title: str
    start: date
    end: date
    kind: MaintenanceKind
    status: MaintenanceStatus
    notes: str | None
    created_at: datetime
    updated_at: datetime
    sequence: int

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a maintenance block."""
        return {
            "id": self.id,
            "machine": self.machine,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kind": self.kind.value,
            "status": self.status.value,
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class Notification:
    """A message for one member, optionally about one rental."""

    id: int
    member: str
    rental_id: int | None
    message: str
    created_at: datetime
    read_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a notification."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["read_at"] = self.read_at.isoformat() if self.read_at else None
        return data


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one input row of a bulk import was refused; ``line`` is its line in the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded change of a field: who (None: the system), when, old -> new.

    ``entity`` is ``"machine"``, ``"member"`` or ``"maintenance"``; values are
    text as shown (``None`` for an empty field).
    """

    entity: str
    entity_id: int
    field: str
    old: str | None
    new: str | None
    by: str | None
    at: datetime

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a change."""
        return {
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "by": self.by,
            "at": self.at.isoformat(),
        }


class Unset(Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


#: "Not given": leave the field as it is (``None`` means "clear it" where allowed).
UNSET: Final = Unset.UNSET


@dataclass(frozen=True, slots=True)
class Edited(Generic[T]):
    """What an edit returns: the item as it is now, and what this edit changed.

    ``changes`` is empty when every given value was the current one (a no-op:
    nothing was written or recorded).
    """

    value: T
    changes: tuple[Change, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        """The item's JSON shape plus ``"changed"``: this edit's changes."""
        shape: dict[str, object] = self.value.as_dict()  # type: ignore[attr-defined]
        return {**shape, "changed": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True, slots=True)
class TimeZone:
    """The organisation's time zone: the zone in which "today" is read.

    ``source`` says where it came from: ``"database"`` (stored for every host:
    ``changed_by`` / ``changed_at`` say who stored it and when),
    ``"connect"`` (not stored yet: the zone given to ``connect()`` or
    ``$RENTCAL_TIMEZONE``), or ``"host"`` (neither: this host's local zone,
    ``name`` then being its IANA name when known, else ``"localtime"``).
    """

    name: str
    source: str
    changed_by: str | None = None
    changed_at: datetime | None = None

    @property
    def stored(self) -> bool:
        """Whether the database holds this zone (then every host agrees on it)."""
        return self.source == "database"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``rentcal timezone show --json``."""
        return {
            "timezone": self.name,
            "source": self.source,
            "stored": self.stored,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


__all__ = [
    "UNSET",
    "Change",
    "Edited",
    "Machine",
    "Maintenance",
    "Member",
    "Notification",
    "Problem",
    "Rental",
    "TimeZone",
    "Unset",
]
