"""``/api/maintenance`` and ``/api/members``: reading for all, changing for admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.routes.common import COMMON, ItemId, errors
from rentcal.web.schemas import MaintenanceOut, MaintenanceRequest, MemberOut, MemberRequest
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["admin"], responses=COMMON)


@router.get("/maintenance", response_model=list[MaintenanceOut])
def list_maintenance(
    member: CurrentMember,
    cal: Cal,
    machine: str | None = None,
    status: Annotated[list[str] | None, Query(description="repeatable")] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Response:
    """Maintenance blocks (``rentcal maintenance list --json``)."""
    found = cal.maintenance(machine=machine, status=status or None, start=from_, end=to)
    return as_json([m.as_dict() for m in found])


@router.post("/maintenance", response_model=MaintenanceOut, status_code=201, responses=errors(409))
def add_maintenance(body: MaintenanceRequest, admin: AdminMember, cal: Cal) -> Response:
    """Take a machine out of service (admins). 409 over rentals unless ``force``."""
    item = cal.add_maintenance(
        body.machine,
        body.start,
        body.end,
        kind=body.kind,
        notes=body.notes,
        acting=admin.handle,
        force=body.force,
    )
    return as_json(item.as_dict(), status=201)


@router.post(
    "/maintenance/{maintenance_id}/cancel", response_model=MaintenanceOut, responses=errors(409)
)
def cancel_maintenance(maintenance_id: ItemId, admin: AdminMember, cal: Cal) -> Response:
    """Cancel a scheduled maintenance block (admins); it stays in the history."""
    return as_json(cal.cancel_maintenance(maintenance_id, acting=admin.handle).as_dict())


@router.get("/members", response_model=list[MemberOut])
def list_members(admin: AdminMember, cal: Cal) -> Response:
    """Every member (admins; ``rentcal member list --json``)."""
    return as_json([m.as_dict() for m in cal.members()])


@router.post("/members", response_model=MemberOut, status_code=201)
def add_member(body: MemberRequest, admin: AdminMember, cal: Cal) -> Response:
    """Add a member (admins)."""
    member = cal.add_member(
        body.handle,
        name=body.name,
        email=body.email,
        verified=body.verified,
        admin=body.admin,
        acting=admin.handle,
    )
    return as_json(member.as_dict(), status=201)


@router.post("/members/{handle}/verify", response_model=MemberOut)
def verify_member(handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Mark a member verified so they may book (admins; idempotent)."""
    return as_json(cal.verify_member(handle, acting=admin.handle).as_dict())


__all__ = ["router"]
