"""The request bodies of the HTTP API (their shapes in :mod:`rentcal.web.response_shapes`).

Request bodies are strict: unknown fields are refused, dates are ISO
``YYYY-MM-DD`` strings (inclusive, as everywhere in rentcal).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from rentcal.core.wording import quote
from rentcal.frontend.iso_day import iso_day, looks_like_iso_day
from rentcal.web.validation_words import DATE_HINT


def iso_date(value: object) -> date:
    """A body's date: a ``"YYYY-MM-DD"`` string, nothing else (no numbers, no times)."""
    if isinstance(value, str) and looks_like_iso_day(value):
        day = iso_day(value)
        if day is None:
            raise ValueError(f"{quote(value)} is not a date; {DATE_HINT}")
        return day
    if isinstance(value, str):
        raise ValueError(f"{quote(value)} is not a date; {DATE_HINT}")
    raise ValueError(f"{quote(value)} is not a date: send a string; {DATE_HINT}")


#: An ISO date in a JSON body: a "YYYY-MM-DD" string, nothing else.
Day = Annotated[
    date, BeforeValidator(iso_date), Field(description="ISO date YYYY-MM-DD (inclusive)")
]
Text = Annotated[str, Field(max_length=10_000)]
Handle = Annotated[str, Field(max_length=200, description="a machine name or member handle")]
Money = Annotated[str, Field(max_length=40, description='a decimal string such as "120.00"')]


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
    #: The price of a meter unit and the least a rental is charged (null: none).
    unit_price: Money | None = None
    minimum_charge: Money | None = None


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
    #: The meter's unit (``hours``, ``km``, ...); ``null``: no meter.
    meter: Annotated[str, Field(max_length=40)] | None = None
    #: ``null`` clears them (new bookings are charged by the day only, without a minimum).
    unit_price: Money | None = None
    minimum_charge: Money | None = None


#: A meter reading: a decimal string such as "1234.5" (like money: never a float).
Reading = Annotated[str, Field(max_length=40, description='a decimal string such as "1234.5"')]


class CheckoutRequest(Body):
    """``POST /api/rentals/{id}/checkout``: the meter's reading (machines with a meter)."""

    meter: Reading | None = None
    notes: Text | None = None


class CheckinRequest(Body):
    """``POST /api/rentals/{id}/checkin``; ``repair_until`` (a damaged return only)
    opens a repair block from today to that day."""

    meter: Reading | None = None
    condition: Literal["ok", "needs-attention", "damaged"] = "ok"
    notes: Text | None = None
    repair_until: Day | None = None


class ChargeRequest(Body):
    """``POST /api/charges`` (admins): a correction; ``amount`` "-10.00" credits."""

    member: Handle
    amount: Money
    reason: Text
    rental: int | None = Field(default=None, ge=1, le=2**31 - 1)


class IssueRequest(Body):
    """``POST /api/invoices/issue`` (admins): the month that ended, maybe one member."""

    month: str = Field(max_length=7, description="YYYY-MM")
    member: Handle | None = None


class CreditRequest(Body):
    """``POST /api/invoices/{number}/credit`` (admins): why, and maybe a net amount."""

    reason: Text
    amount: Money | None = None


class PaymentRequest(Body):
    """``POST /api/payments`` (admins): money received; a negative ``amount`` refunds."""

    member: Handle
    amount: Money
    method: str = Field(max_length=20, description="transfer, cash or card")
    reference: str | None = Field(default=None, max_length=140)
    reason: Text | None = None
    received_on: date | None = None
    invoice: str | None = Field(default=None, max_length=40)


class CancellationPolicyRequest(Body):
    """``PUT /api/cancellation-policy`` (admins): ``free_days`` with ``fee`` or ``share``
    (percent); ``free_days: null`` (and neither): cancelling is free."""

    free_days: int | None = Field(default=None, ge=1, le=365)
    fee: Money | None = None
    share: Money | None = None


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


__all__ = [
    "AvailabilityRequest",
    "BookingRequest",
    "CheckinRequest",
    "CheckoutRequest",
    "Day",
    "FeedRequest",
    "MachineRequest",
    "MaintenanceRequest",
    "MemberRequest",
    "MoveRequest",
    "ReasonRequest",
]
