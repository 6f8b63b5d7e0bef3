"""Enumerations of the domain.

They are ``str`` enums so ``rental.status == "approved"`` holds, and the
database stores their *values* (never the Python member names).
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest

E = TypeVar("E", bound=Enum)


class MachineStatus(StrEnum):
    """Whether a machine can still be booked."""

    ACTIVE = "active"
    RETIRED = "retired"


class RequestPolicy(StrEnum):
    """What a pending request of a machine does to others asking for the same days.

    ``block``: it holds its days until decided, so nobody else can ask for
    them (first come, first served). ``queue``: overlapping requests may wait
    side by side until an admin approves one; approving it rejects the
    overlapping others. Approved rentals and maintenance always block.
    """

    BLOCK = "block"
    QUEUE = "queue"


class Role(StrEnum):
    """What a member may do: admins manage, members book."""

    MEMBER = "member"
    ADMIN = "admin"


class RentalStatus(StrEnum):
    """Life cycle of a rental; see :mod:`rentcal.core.transitions`."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class MaintenanceKind(StrEnum):
    """Why a machine is taken out of service."""

    PREVENTIVE = "preventive"
    REPAIR = "repair"
    INSPECTION = "inspection"


class MaintenanceStatus(StrEnum):
    """Life cycle of a maintenance block."""

    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class HandoverKind(StrEnum):
    """What a hand-over row records: the machine went out, came back in, or nobody came."""

    OUT = "out"
    IN = "in"
    NO_SHOW = "no-show"


class Condition(StrEnum):
    """How a machine came back at its check-in."""

    OK = "ok"
    NEEDS_ATTENTION = "needs-attention"
    DAMAGED = "damaged"


class ChargeKind(StrEnum):
    """What an entry of the ledger of charges is (:mod:`rentcal.core.charges`).

    ``use``: a rental ended (days x day rate + units x unit rate, the minimum
    applied); ``late_cancellation``: its member cancelled inside the
    organisation's free period; ``correction``: an admin's credit or debit.
    """

    USE = "use"
    LATE_CANCELLATION = "late_cancellation"
    CORRECTION = "correction"


class ConflictKind(StrEnum):
    """What kind of row blocks a requested range."""

    RENTAL = "rental"
    MAINTENANCE = "maintenance"


#: Rental statuses that occupy the machine.
BLOCKING_RENTAL_STATUSES: frozenset[RentalStatus] = frozenset(
    {RentalStatus.PENDING, RentalStatus.APPROVED}
)
#: Maintenance statuses that occupy the machine.
BLOCKING_MAINTENANCE_STATUSES: frozenset[MaintenanceStatus] = frozenset(
    {MaintenanceStatus.SCHEDULED}
)


def values(enum: type[Enum]) -> list[str]:
    """The stored values of an enum, in declaration order (for CHECKs and help)."""
    return [str(member.value) for member in enum]


def parse_enum(enum: type[E], value: object, label: str) -> E:
    """An enum member from its value (any case), or InvalidRequest listing the choices."""
    if isinstance(value, enum):
        return value
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(str(m.value) for m in enum)
        raise InvalidRequest(f"{label} {quote(value)} is not one of: {choices}") from None


__all__ = [
    "BLOCKING_MAINTENANCE_STATUSES",
    "BLOCKING_RENTAL_STATUSES",
    "ChargeKind",
    "Condition",
    "ConflictKind",
    "HandoverKind",
    "MachineStatus",
    "MaintenanceKind",
    "MaintenanceStatus",
    "RentalStatus",
    "RequestPolicy",
    "Role",
    "parse_enum",
    "values",
]
