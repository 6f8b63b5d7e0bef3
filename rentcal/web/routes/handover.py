"""Hand-over: ``/api/rentals/{id}/checkout|checkin|handovers``, a machine's keepers and
meter readings (``rentcal checkout``, ``checkin``, ``machine keeper``, ``machine readings``).

The library decides who may hand a machine over (admins and the machine's
keepers) and every rule of a hand-over, under the machine's lock; these routes
only read the body and answer with the same JSON the CLI prints.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from rentcal.errors import PermissionDenied
from rentcal.frontend.handover import handover_view
from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.request_bodies import CheckinRequest, CheckoutRequest
from rentcal.web.response_shapes import HandoverOut, KeepersOut, ReadingOut
from rentcal.web.routes.common import COMMON, RentalId, errors
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["hand-over"], responses=COMMON)
CHANGE = errors(409)


@router.post("/rentals/{rental_id}/checkout", response_model=HandoverOut, responses=CHANGE)
def checkout(
    rental_id: RentalId, member: CurrentMember, cal: Cal, body: CheckoutRequest | None = None
) -> Response:
    """Hand an approved rental's machine over, from its first day (admins and the machine's
    keepers); ``meter`` is required for a machine with a meter (``rentcal checkout``)."""
    given = body or CheckoutRequest()
    done = cal.checkout(rental_id, meter=given.meter, notes=given.notes, acting=member.handle)
    return as_json(done.as_dict())


@router.post("/rentals/{rental_id}/checkin", response_model=HandoverOut, responses=CHANGE)
def checkin(
    rental_id: RentalId, member: CurrentMember, cal: Cal, body: CheckinRequest | None = None
) -> Response:
    """Record the return of a checked-out rental's machine; the rental is completed (admins
    and the machine's keepers). A reading lower than the check-out's is 400; a damaged
    return with ``repair_until`` opens a repair block (409 over other maintenance)."""
    given = body or CheckinRequest()
    done = cal.checkin(
        rental_id,
        meter=given.meter,
        condition=given.condition,
        notes=given.notes,
        repair_until=given.repair_until,
        acting=member.handle,
    )
    return as_json(done.as_dict())


@router.get("/rentals/{rental_id}/handovers", response_model=list[HandoverOut])
def handovers(rental_id: RentalId, member: CurrentMember, cal: Cal) -> Response:
    """A rental's check-out, check-in and no-show flag, oldest first: for its member, the
    admins and the machine's keepers (403 for anyone else)."""
    rental = cal.rental(rental_id)
    view = handover_view(cal, member, rental)
    if not view.sees:
        raise PermissionDenied(
            f"member {member.handle!r} cannot see the hand-overs of rental {rental.id}: only "
            "its member, the admins and the machine's keepers can",
            field="acting",
            value=member.handle,
            reason="not-owner",
        )
    return as_json([h.as_dict() for h in view.handovers])


@router.get("/machines/{name}/keepers", response_model=KeepersOut)
def keepers(name: str, member: CurrentMember, cal: Cal) -> Response:
    """Who hands the machine over besides the admins (``rentcal machine keeper list``)."""
    machine = cal.machine(name)
    return as_json({"machine": machine.name, "keepers": cal.keepers(machine.name)})


@router.put("/machines/{name}/keepers/{handle}", response_model=KeepersOut)
def add_keeper(name: str, handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Make a member a keeper of the machine (admins); the keepers now."""
    found = cal.add_keeper(name, handle, acting=admin.handle)
    return as_json({"machine": cal.machine(name).name, "keepers": found})


@router.delete("/machines/{name}/keepers/{handle}", response_model=KeepersOut)
def remove_keeper(name: str, handle: str, admin: AdminMember, cal: Cal) -> Response:
    """A member no longer keeps the machine (admins); the keepers now."""
    found = cal.remove_keeper(name, handle, acting=admin.handle)
    return as_json({"machine": cal.machine(name).name, "keepers": found})


@router.get("/machines/{name}/readings", response_model=list[ReadingOut])
def readings(name: str, member: CurrentMember, cal: Cal) -> Response:
    """The history of the machine's meter, oldest first (``rentcal machine readings``)."""
    return as_json([r.as_dict() for r in cal.meter_readings(name)])


__all__ = ["router"]
