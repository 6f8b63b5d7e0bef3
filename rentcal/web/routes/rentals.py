"""``/api/rentals``: book (the design's ``rental_create_with_calendar``), read, change status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query
from starlette.responses import Response

from rentcal.core.values import Member
from rentcal.frontend import booking
from rentcal.frontend.booking import BookingInput
from rentcal.frontend.handover import handover_view
from rentcal.service import Rentcal
from rentcal.web import metrics
from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.request_bodies import BookingRequest, MoveRequest, ReasonRequest
from rentcal.web.response_shapes import RentalDetailsOut, RentalOut
from rentcal.web.routes.common import COMMON, RentalId, errors
from rentcal.web.views import as_json, rental_details, rental_view, rentals_view

router = APIRouter(prefix="/api", tags=["rentals"], responses=COMMON)
CHANGE = errors(409)


def book(body: BookingRequest, member: Member, cal: Rentcal, key: str | None) -> Response:
    """Book through the one booking path: 201 with the rental and its URL.

    Re-checked under the machine's lock, inserted, notified, counted in
    ``rentcal_bookings_total``. With an ``Idempotency-Key`` the same request
    sent again (or several times at once) answers with the same rental and
    books nothing more.
    """
    wanted = BookingInput(
        machine=body.machine,
        start=body.start,
        end=body.end,
        member=body.for_ or member.handle,
        acting=member.handle,
        purpose=body.purpose,
        idempotency_key=key,
    )
    rental = booking.book(cal, wanted, asker=member, count=metrics.count_booking)
    return as_json(
        rental_view(rental, member),
        status=201,
        headers={"Location": f"/api/rentals/{rental.id}"},
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="the same key and body within 24 h answer with the first rental",
    ),
]


@router.post("/rentals", response_model=RentalOut, status_code=201, responses=errors(409, 422))
def create_rental(
    body: BookingRequest,
    member: CurrentMember,
    cal: Cal,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Book a machine for whole days, all or nothing (verified members; ``for``: admins)."""
    return book(body, member, cal, idempotency_key)


@router.get("/rentals", response_model=list[RentalOut])
def list_rentals(
    member: CurrentMember,
    cal: Cal,
    machine: str | None = None,
    of: Annotated[str | None, Query(alias="member", description="a member's handle")] = None,
    status: Annotated[list[str] | None, Query(description="repeatable")] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Response:
    """Rentals touching the window, by start day (``rentcal rentals --json``)."""
    found = cal.rentals(machine=machine, member=of, status=status or None, start=from_, end=to)
    return as_json(rentals_view(found, member))


@router.get("/rentals/{rental_id}", response_model=RentalDetailsOut)
def show_rental(rental_id: RentalId, member: CurrentMember, cal: Cal) -> Response:
    """One rental with its history and hand-overs (``rentcal show --json``); the hand-overs
    are listed to its member, the admins and the machine's keepers."""
    rental = cal.rental(rental_id)
    seen = handover_view(cal, member, rental).handovers
    return as_json(rental_details(rental, cal.history(rental_id), member, seen))


@router.post("/rentals/{rental_id}/approve", response_model=RentalOut, responses=CHANGE)
def approve(rental_id: RentalId, admin: AdminMember, cal: Cal) -> Response:
    """Approve a pending rental (admins), re-checking availability under the lock."""
    return as_json(rental_view(cal.approve(rental_id, acting=admin.handle), admin))


@router.post("/rentals/{rental_id}/reject", response_model=RentalOut, responses=CHANGE)
def reject(
    rental_id: RentalId, admin: AdminMember, cal: Cal, body: ReasonRequest | None = None
) -> Response:
    """Reject a pending or approved rental (admins); the member is told the reason."""
    reason = body.reason if body else None
    return as_json(rental_view(cal.reject(rental_id, acting=admin.handle, reason=reason), admin))


@router.post("/rentals/{rental_id}/cancel", response_model=RentalOut, responses=CHANGE)
def cancel(
    rental_id: RentalId, member: CurrentMember, cal: Cal, body: ReasonRequest | None = None
) -> Response:
    """Cancel a rental before it ends: its member or an admin."""
    reason = body.reason if body else None
    rental = cal.cancel(rental_id, acting=member.handle, reason=reason)
    return as_json(rental_view(rental, member))


@router.post("/rentals/{rental_id}/move", response_model=RentalOut, responses=CHANGE)
def move(rental_id: RentalId, body: MoveRequest, member: CurrentMember, cal: Cal) -> Response:
    """Move a rental to other days and/or another machine (``rentcal move``).

    Its member moves their own pending request, an admin any open rental;
    409 with the conflicts when a new day is taken. Same id and UID, a
    higher SEQUENCE, the price recomputed.
    """
    rental = cal.move(
        rental_id,
        start=body.start,
        end=body.end,
        days=body.days,
        machine=body.machine,
        acting=member.handle,
    )
    return as_json(rental_view(rental, member))


@router.post("/rentals/{rental_id}/complete", response_model=RentalOut, responses=CHANGE)
def complete(rental_id: RentalId, admin: AdminMember, cal: Cal) -> Response:
    """Mark an approved rental that has started as completed (admins); a checked-out one
    is completed by its check-in (409 here)."""
    return as_json(rental_view(cal.complete(rental_id, acting=admin.handle), admin))


__all__ = ["book", "create_rental", "router"]
