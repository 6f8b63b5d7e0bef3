"""``/api/machines``: the catalogue (anyone logged in reads; admins change it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.request_bodies import MachineEditRequest, MachineRequest
from rentcal.web.response_shapes import EditedMachineOut, MachineDetailsOut, MachineOut
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json, rentals_view

#: Body fields whose library parameter is named otherwise.
EDIT_NAMES = {"daily_price": "price"}

router = APIRouter(prefix="/api", tags=["machines"], responses=COMMON)


@router.get("/machines", response_model=list[MachineOut])
def list_machines(
    member: CurrentMember,
    cal: Cal,
    all_: Annotated[bool, Query(alias="all", description="retired machines too")] = False,
) -> Response:
    """Machines by name, active ones unless ``?all=1`` (``rentcal machine list --json``)."""
    return as_json([m.as_dict() for m in cal.machines(include_retired=all_)])


@router.get("/machines/{name}", response_model=MachineDetailsOut)
def show_machine(name: str, member: CurrentMember, cal: Cal) -> Response:
    """A machine with its upcoming rentals and maintenance (``rentcal machine show --json``)."""
    machine = cal.machine(name)
    rentals, upkeep = cal.feed_items(machine=machine.name, start=cal.today())
    data = machine.as_dict()
    data["upcoming_rentals"] = rentals_view(rentals, member)
    data["upcoming_maintenance"] = [m.as_dict() for m in upkeep]
    data["history"] = [c.as_dict() for c in cal.machine_history(machine.name)]
    return as_json(data)


@router.patch("/machines/{name}", response_model=EditedMachineOut)
def edit_machine(name: str, body: MachineEditRequest, admin: AdminMember, cal: Cal) -> Response:
    """Change the fields sent (admins); ``changed`` lists what changed (empty: nothing did).

    Existing rentals keep their price. Sending no field is 400.
    """
    given = {EDIT_NAMES.get(k, k): getattr(body, k) for k in body.model_fields_set}
    return as_json(cal.edit_machine(name, acting=admin.handle, **given).as_dict())


@router.post("/machines/{name}/reactivate", response_model=MachineOut)
def reactivate_machine(name: str, admin: AdminMember, cal: Cal) -> Response:
    """Make a retired machine bookable again (admins)."""
    return as_json(cal.reactivate_machine(name, acting=admin.handle).as_dict())


@router.post("/machines", response_model=MachineOut, status_code=201)
def add_machine(body: MachineRequest, admin: AdminMember, cal: Cal) -> Response:
    """Add a bookable machine (admins)."""
    machine = cal.add_machine(
        body.name,
        body.daily_price,
        title=body.title,
        description=body.description,
        auto_approve=body.auto_approve,
        acting=admin.handle,
        request_policy=body.request_policy,
        request_expiry_hours=body.request_expiry_hours,
        unit_price=body.unit_price,
        minimum_charge=body.minimum_charge,
    )
    return as_json(
        machine.as_dict(), status=201, headers={"Location": f"/api/machines/{machine.name}"}
    )


@router.post("/machines/{name}/retire", response_model=MachineOut)
def retire_machine(name: str, admin: AdminMember, cal: Cal) -> Response:
    """Stop new bookings of a machine (admins); its rentals and history stay."""
    return as_json(cal.retire_machine(name, acting=admin.handle).as_dict())


__all__ = ["router"]
