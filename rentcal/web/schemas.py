"""Request bodies and the documented response shapes of the HTTP API.

Responses are the library values' ``as_dict()`` — the very shapes the CLI
prints with ``--json`` (one serialiser, two front ends). The response models
below only *describe* them for /openapi.json; the routes return the dicts as
they are, and the tests (schemathesis among them) check the two agree.

Request bodies are strict: unknown fields are refused, dates are ISO
``YYYY-MM-DD`` strings (inclusive, as everywhere in rentcal).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from rentcal.frontend.iso_day import iso_day, looks_like_iso_day


def iso_date(value: object) -> date:
    """A body's date: a ``"YYYY-MM-DD"`` string, nothing else (no numbers, no times)."""
    if isinstance(value, str) and looks_like_iso_day(value):
        day = iso_day(value)
        if day is None:
            raise ValueError(f"{value!r} is not a day of the calendar")
        return day
    raise ValueError("must be an ISO date string YYYY-MM-DD")


#: An ISO date in a JSON body: a "YYYY-MM-DD" string, nothing else.
Day = Annotated[
    date, BeforeValidator(iso_date), Field(description="ISO date YYYY-MM-DD (inclusive)")
]
Text = Annotated[str, Field(max_length=10_000)]
Handle = Annotated[str, Field(max_length=200, description="a machine name or member handle")]


class Body(BaseModel):
    """A request body: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class AvailabilityRequest(Body):
    """``POST /api/check-availability``."""

    machine: Handle
    start: Day
    end: Day


class BookingRequest(Body):
    """``POST /api/rentals``; ``for`` books for another member (admins)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    machine: Handle
    start: Day
    end: Day
    purpose: Text | None = None
    for_: Handle | None = Field(default=None, alias="for")


class ReasonRequest(Body):
    """An optional reason for a status change; the member is told."""

    reason: Text | None = None


class MoveRequest(Body):
    """``POST /api/rentals/{id}/move``: new days and/or machine; omitted = unchanged.

    ``end`` or ``days`` (not both); with neither the rental keeps its length.
    """

    start: Day | None = None
    end: Day | None = None
    days: int | None = Field(default=None, ge=1, le=100_000)
    machine: Handle | None = None


class MaintenanceRequest(Body):
    """``POST /api/maintenance`` (admins); ``force`` schedules it over rentals."""

    machine: Handle
    start: Day
    end: Day
    kind: Literal["preventive", "repair", "inspection"] = "preventive"
    notes: Text | None = None
    force: bool = False


class MachineRequest(Body):
    """``POST /api/machines`` (admins); the price is a decimal string such as "120.00"."""

    name: Handle
    daily_price: Annotated[str, Field(max_length=40)] = "0"
    title: Text | None = None
    description: Text | None = None
    auto_approve: bool = False
    request_policy: Literal["block", "queue"] = "block"
    request_expiry_hours: int | None = Field(default=None, ge=1, le=24 * 3660)


class MachineEditRequest(Body):
    """``PATCH /api/machines/{name}`` (admins): only the fields sent change.

    ``description: null`` clears it; a field left out stays as it is.
    """

    title: Text | None = None
    description: Text | None = None
    daily_price: Annotated[str, Field(max_length=40)] | None = None
    auto_approve: bool | None = None
    request_policy: Literal["block", "queue"] | None = None
    #: ``null`` clears it: no expiry by age.
    request_expiry_hours: int | None = Field(default=None, ge=1, le=24 * 3660)


class MemberEditRequest(Body):
    """``PATCH /api/members/{handle}`` (the member themself, or admins); ``email: null`` clears."""

    name: Text | None = None
    email: Annotated[str, Field(max_length=320)] | None = None


class RoleRequest(Body):
    """``PUT /api/members/{handle}/role`` (admins)."""

    role: Literal["admin", "member"]


class MaintenanceEditRequest(Body):
    """``PATCH /api/maintenance/{id}`` (admins): only the fields sent change; ``notes: null``
    clears them; ``force`` moves the block over rentals too."""

    start: Day | None = None
    end: Day | None = None
    kind: Literal["preventive", "repair", "inspection"] | None = None
    notes: Text | None = None
    force: bool = False


class MemberRequest(Body):
    """``POST /api/members`` (admins)."""

    handle: Handle
    name: Text | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    verified: bool = False
    admin: bool = False


class TokenRequest(Body):
    """``POST /api/tokens``: an API token for yourself, or (admins) for ``for``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Annotated[str, Field(max_length=200)] | None = None
    for_: Handle | None = Field(default=None, alias="for")


class FeedRequest(Body):
    """``POST /api/feeds``: at most one of machine / member / all; none = your own rentals."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    machine: Handle | None = None
    member: Handle | None = None
    all: bool = False
    format: Literal["ics", "json"] = "ics"
    name: Annotated[str, Field(max_length=200)] | None = None


# -- responses ------------------------------------------------------------------------


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


class RentalOut(Shape):
    """The ``rentcal rentals --json`` item shape; ``purpose`` and ``price`` are null
    in rentals of other members unless you are an admin."""

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


class HistoryOut(BaseModel):
    """One status change of a rental."""

    model_config = ConfigDict(populate_by_name=True)

    at: str
    from_: str | None = Field(alias="from")
    to: str
    by: str | None
    reason: str | None


class RentalDetailsOut(RentalOut):
    """``rentcal show --json`` plus the rental's history, oldest first."""

    history: list[HistoryOut]


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
    active: bool


class NewFeedOut(FeedOut):
    """A feed just created (``rentcal feed create --json``): shown this once."""

    token: str
    path: str
    url: str


ErrorBody.model_rebuild()

__all__ = [
    "AvailabilityOut",
    "AvailabilityRequest",
    "BookingRequest",
    "ConflictOut",
    "Day",
    "ErrorBody",
    "EventOut",
    "FeedOut",
    "FeedRequest",
    "HistoryOut",
    "MachineDetailsOut",
    "MachineOut",
    "MachineRequest",
    "MaintenanceOut",
    "MaintenanceRequest",
    "MarkedOut",
    "MemberOut",
    "MemberRequest",
    "MoveRequest",
    "NewFeedOut",
    "NewTokenOut",
    "NotificationOut",
    "ReasonRequest",
    "RentalDetailsOut",
    "RentalOut",
    "ResourceOut",
    "RevisionOut",
    "StatusOut",
    "TokenOut",
]
