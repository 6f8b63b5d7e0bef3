"""The documented response shapes of the HTTP API (bodies: :mod:`rentcal.web.request_bodies`).

Responses are the library values' ``as_dict()`` — the very shapes the CLI
prints with ``--json`` (one serialiser, two front ends). The response models
below only *describe* them for /openapi.json; the routes return the dicts as
they are, and the tests (schemathesis among them) check the two agree.
Charges, statements and the utilisation report are
:mod:`rentcal.web.billing_shapes`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    """A documented response shape (extra keys allowed: shapes may grow)."""

    model_config = ConfigDict(extra="allow")


class ErrorBody(Shape):
    """Every error: a sentence, a stable code, the field concerned, the request id."""

    error: str
    code: str
    field: str | None = None
    conflicts: list[ConflictOut] | None = None
    request_id: str | None = None


class ConflictOut(Shape):
    """A rental or maintenance block in the way."""

    kind: Literal["rental", "maintenance"]
    id: int
    start: date
    end: date
    status: str


class AvailabilityOut(Shape):
    """The ``rentcal check --json`` shape."""

    available: bool
    machine: str
    start: date
    end: date
    conflicts: list[ConflictOut]
    message: str


class MachineOut(Shape):
    """The ``rentcal machine list --json`` item shape."""

    name: str
    title: str
    daily_price: str
    status: Literal["active", "retired"]
    auto_approve: bool
    description: str | None
    request_policy: Literal["block", "queue"]
    request_expiry_hours: int | None
    meter: str | None = None
    unit_price: str | None = Field(None, description="per meter unit; null: none")
    minimum_charge: str | None = Field(None, description="the least a rental is charged")


class RentalOut(Shape):
    """The ``rentcal rentals --json`` item shape; ``purpose``, ``price`` and ``pay_by``
    are null in rentals of other members unless you are an admin."""

    id: int
    machine: str
    member: str
    start: date
    end: date
    status: Literal["pending", "approved", "rejected", "cancelled", "completed"]
    purpose: str | None
    price: str | None
    created_at: str
    updated_at: str
    pay_by: str | None = Field(
        None,
        description="while a pending booking awaits its card payment, when its hold ends "
        "(ISO 8601, UTC; POST /api/rentals/{id}/pay); else null",
    )


class HistoryOut(BaseModel):
    """One status change of a rental."""

    model_config = ConfigDict(populate_by_name=True)

    at: str
    from_: str | None = Field(alias="from")
    to: str
    by: str | None
    reason: str | None


class HandoverOut(Shape):
    """A rental's check-out (``out``), check-in (``in``) or no-show flag; ``meter`` and
    ``used`` are decimal strings; ``repair`` the block a damaged return opened."""

    rental: int
    kind: Literal["out", "in", "no-show"]
    at: str
    by: str | None
    meter: str | None
    unit: str | None
    condition: Literal["ok", "needs-attention", "damaged"] | None
    late: bool
    notes: str | None
    repair: int | None
    used: str | None


class RentalDetailsOut(RentalOut):
    """``rentcal show --json``: the rental, its history, oldest first, and its hand-overs
    (empty unless you are its member, an admin or a keeper of its machine)."""

    history: list[HistoryOut]
    handovers: list[HandoverOut] = []


class KeepersOut(Shape):
    """``rentcal machine keeper list --json``: who hands the machine over besides admins."""

    machine: str
    keepers: list[str]


class ReadingOut(Shape):
    """One reading of a machine's meter (``rentcal machine readings --json``)."""

    machine: str
    meter: str
    unit: str
    at: str
    rental: int | None
    by: str | None


class MaintenanceOut(Shape):
    """The ``rentcal maintenance list --json`` item shape."""

    id: int
    machine: str
    start: date
    end: date
    kind: Literal["preventive", "repair", "inspection"]
    status: Literal["scheduled", "done", "cancelled"]
    notes: str | None


class ChangeOut(Shape):
    """One recorded change: which field, old -> new (text, null = empty), by whom, when."""

    field: str
    old: str | None
    new: str | None
    by: str | None
    at: str


class MachineDetailsOut(MachineOut):
    """``rentcal machine show --json``: the machine, what is coming up, its changes."""

    upcoming_rentals: list[RentalOut]
    upcoming_maintenance: list[MaintenanceOut]
    history: list[ChangeOut]


class EditedMachineOut(MachineOut):
    """``rentcal machine edit --json``: the machine and this edit's changes (none: a no-op)."""

    changed: list[ChangeOut]


class EditedMaintenanceOut(MaintenanceOut):
    """``rentcal maintenance edit --json``: the block and this edit's changes."""

    changed: list[ChangeOut]


class MemberOut(Shape):
    """The ``rentcal member list --json`` item shape (also ``GET /api/me``)."""

    handle: str
    name: str
    email: str | None
    verified: bool
    role: Literal["member", "admin"]
    active: bool


class MemberDetailsOut(MemberOut):
    """``rentcal member show --json``: the member and the changes of their record."""

    history: list[ChangeOut]


class EditedMemberOut(MemberOut):
    """``rentcal member edit / role --json``: the member and this edit's changes."""

    changed: list[ChangeOut]


class NotificationOut(Shape):
    """The ``rentcal notifications --json`` item shape."""

    id: int
    member: str
    rental_id: int | None
    message: str
    created_at: str
    read_at: str | None


class MarkedOut(Shape):
    """How many notifications were marked read."""

    marked: int


class EventOut(Shape):
    """A FullCalendar event (``end`` exclusive); see docs/feeds.md."""

    id: str
    title: str
    start: date
    end: date
    allDay: bool  # noqa: N815 - FullCalendar's name
    backgroundColor: str  # noqa: N815
    borderColor: str  # noqa: N815
    textColor: str  # noqa: N815
    resourceId: str | None = None  # noqa: N815
    extendedProps: dict[str, Any]  # noqa: N815


class ResourceOut(Shape):
    """A FullCalendar resource: one machine."""

    id: str
    title: str


class RevisionOut(Shape):
    """The calendar's revision: it changes whenever what a calendar shows changes."""

    revision: int


class StatusOut(Shape):
    """``/healthz`` and ``/readyz``."""

    status: str


class TokenOut(Shape):
    """An API token (``rentcal token list --json``), never its secret."""

    id: int
    member: str
    name: str | None
    created_at: str
    created_by: str | None
    last_used_at: str | None
    revoked_at: str | None
    #: revoked, logout, password-changed, member-deactivated, creator-deactivated
    revoked_reason: str | None
    active: bool


class NewTokenOut(TokenOut):
    """A token just created (``rentcal token create --json``): ``token`` is shown this once."""

    token: str


class FeedOut(Shape):
    """A secret feed URL's record (``rentcal feed list --json``), never its secret."""

    id: int
    scope: Literal["machine", "member", "all"]
    machine: str | None
    member: str | None
    format: Literal["ics", "json"]
    name: str | None
    owner: str
    created_at: str
    revoked_at: str | None
    #: revoked, logout, password-changed, member-deactivated, creator-deactivated
    revoked_reason: str | None
    active: bool


class NewFeedOut(FeedOut):
    """A feed just created (``rentcal feed create --json``): shown this once."""

    token: str
    path: str
    url: str


ErrorBody.model_rebuild()

__all__ = [
    "AvailabilityOut",
    "ConflictOut",
    "ErrorBody",
    "EventOut",
    "FeedOut",
    "HandoverOut",
    "HistoryOut",
    "KeepersOut",
    "MachineDetailsOut",
    "MachineOut",
    "MaintenanceOut",
    "MarkedOut",
    "MemberOut",
    "NewFeedOut",
    "NewTokenOut",
    "NotificationOut",
    "ReadingOut",
    "RentalDetailsOut",
    "RentalOut",
    "ResourceOut",
    "RevisionOut",
    "StatusOut",
    "TokenOut",
]
