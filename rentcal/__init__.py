"""rentcal: book shared machines on a calendar without ever double-booking one.

>>> import rentcal
>>> cal = rentcal.connect("sqlite://")          # in memory; None = the default file
>>> cal.add_member("ada", admin=True).role
<Role.ADMIN: 'admin'>

The heavy modules (sqlmodel, sqlalchemy) load on first use of ``connect`` or
the row-backed names, so ``import rentcal`` and ``rentcal --version`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rentcal._version import __version__
from rentcal.errors import (
    ArgumentTypeError,
    AuthFailed,
    Busy,
    DamagedDatabase,
    DatabaseError,
    ForeignDatabase,
    IdempotencyMismatch,
    ImportFailed,
    InvalidRequest,
    InvalidTransition,
    NoDatabase,
    NotFound,
    PermissionDenied,
    RentcalError,
    Throttled,
    Unavailable,
)

if TYPE_CHECKING:
    from rentcal.core.availability import Availability, Conflict
    from rentcal.core.charges import CancellationPolicy
    from rentcal.core.credential_values import ApiToken, FeedScope, FeedToken, Session
    from rentcal.core.handover import Handover, MeterReading
    from rentcal.core.statements import Charge, Period, Statement
    from rentcal.core.types import (
        ChargeKind,
        Condition,
        ConflictKind,
        HandoverKind,
        MachineStatus,
        MaintenanceKind,
        MaintenanceStatus,
        RentalStatus,
        RequestPolicy,
        Role,
    )
    from rentcal.core.values import (
        UNSET,
        Change,
        Edited,
        Machine,
        Maintenance,
        Member,
        Notification,
        Rental,
    )
    from rentcal.service import Rentcal, connect
    from rentcal.service.housekeeping import HousekeepingResult

#: Public names loaded on first use, so ``rentcal --version`` imports almost nothing.
_LAZY = {
    "connect": "rentcal.service",
    "Rentcal": "rentcal.service",
    "Availability": "rentcal.core.availability",
    "Conflict": "rentcal.core.availability",
    "ConflictKind": "rentcal.core.types",
    "Condition": "rentcal.core.types",
    "HandoverKind": "rentcal.core.types",
    "Handover": "rentcal.core.handover",
    "MeterReading": "rentcal.core.handover",
    "MachineStatus": "rentcal.core.types",
    "MaintenanceKind": "rentcal.core.types",
    "MaintenanceStatus": "rentcal.core.types",
    "RentalStatus": "rentcal.core.types",
    "Role": "rentcal.core.types",
    "RequestPolicy": "rentcal.core.types",
    "HousekeepingResult": "rentcal.service.housekeeping",
    "UNSET": "rentcal.core.values",
    "Change": "rentcal.core.values",
    "Edited": "rentcal.core.values",
    "Machine": "rentcal.core.values",
    "Maintenance": "rentcal.core.values",
    "Member": "rentcal.core.values",
    "Notification": "rentcal.core.values",
    "Rental": "rentcal.core.values",
    "ApiToken": "rentcal.core.credential_values",
    "FeedScope": "rentcal.core.credential_values",
    "FeedToken": "rentcal.core.credential_values",
    "Session": "rentcal.core.credential_values",
    "CancellationPolicy": "rentcal.core.charges",
    "Charge": "rentcal.core.statements",
    "ChargeKind": "rentcal.core.types",
    "Period": "rentcal.core.statements",
    "Statement": "rentcal.core.statements",
}


def __getattr__(name: str) -> Any:
    """Load the public names only when they are first needed."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rentcal' has no attribute {name!r}")


__all__ = [
    "UNSET",
    "ApiToken",
    "ArgumentTypeError",
    "AuthFailed",
    "Availability",
    "Busy",
    "CancellationPolicy",
    "Change",
    "Charge",
    "ChargeKind",
    "Condition",
    "Conflict",
    "ConflictKind",
    "DamagedDatabase",
    "DatabaseError",
    "Edited",
    "FeedScope",
    "FeedToken",
    "ForeignDatabase",
    "Handover",
    "HandoverKind",
    "HousekeepingResult",
    "IdempotencyMismatch",
    "ImportFailed",
    "InvalidRequest",
    "InvalidTransition",
    "Machine",
    "MachineStatus",
    "Maintenance",
    "MaintenanceKind",
    "MaintenanceStatus",
    "Member",
    "MeterReading",
    "NoDatabase",
    "NotFound",
    "Notification",
    "Period",
    "PermissionDenied",
    "Rental",
    "RentalStatus",
    "Rentcal",
    "RentcalError",
    "RequestPolicy",
    "Role",
    "Session",
    "Statement",
    "Throttled",
    "Unavailable",
    "__version__",
    "connect",
]
