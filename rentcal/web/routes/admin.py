"""``/api/maintenance`` and ``/api/members``: reading for all, changing for admins
(members edit their own name and e-mail)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from rentcal.errors import PermissionDenied
from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.request_bodies import (
    MaintenanceEditRequest,
    MaintenanceRequest,
    MemberEditRequest,
    MemberRequest,
    RoleRequest,
)
from rentcal.web.response_shapes import (
    EditedMaintenanceOut,
    EditedMemberOut,
    MaintenanceOut,
    MemberDetailsOut,
    MemberOut,
)
from rentcal.web.routes.common import COMMON, ItemId, errors
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


@router.patch(
    "/maintenance/{maintenance_id}", response_model=EditedMaintenanceOut, responses=errors(409)
)
def edit_maintenance(
    maintenance_id: ItemId, body: MaintenanceEditRequest, admin: AdminMember, cal: Cal
) -> Response:
    """Change a scheduled block's days, kind or notes (admins); 409 over rentals unless
    ``force``, always over other maintenance. Sending no field is 400."""
    given = {k: getattr(body, k) for k in body.model_fields_set - {"force"}}
    edited = cal.edit_maintenance(maintenance_id, acting=admin.handle, force=body.force, **given)
    return as_json(edited.as_dict())


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


@router.get("/members/{handle}", response_model=MemberDetailsOut)
def show_member(handle: str, member: CurrentMember, cal: Cal) -> Response:
    """A member and the changes of their record (admins, or the member themself)."""
    found = cal.member(handle)
    if found.id != member.id and not member.is_admin:
        raise PermissionDenied(
            f"member {member.handle!r} is not an admin; only admins can see other members",
            field="acting",
            value=member.handle,
            reason="not-admin",
        )
    history = [c.as_dict() for c in cal.member_history(found.handle)]
    return as_json({**found.as_dict(), "history": history})


@router.patch("/members/{handle}", response_model=EditedMemberOut)
def edit_member(handle: str, body: MemberEditRequest, member: CurrentMember, cal: Cal) -> Response:
    """Change a member's name or e-mail (the member themself, or admins)."""
    given = {k: getattr(body, k) for k in body.model_fields_set}
    return as_json(cal.edit_member(handle, acting=member.handle, **given).as_dict())


@router.put("/members/{handle}/role", response_model=EditedMemberOut)
def set_role(handle: str, body: RoleRequest, admin: AdminMember, cal: Cal) -> Response:
    """Make a member an admin or a plain member (admins); the last admin stays one (400)."""
    return as_json(cal.set_role(handle, body.role, acting=admin.handle).as_dict())


@router.post("/members/{handle}/deactivate", response_model=MemberOut)
def deactivate_member(handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Deactivate a member (admins): no login, booking or acting; pending requests rejected."""
    return as_json(cal.deactivate_member(handle, acting=admin.handle).as_dict())


@router.post("/members/{handle}/reactivate", response_model=MemberOut)
def reactivate_member(handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Let a deactivated member log in, book and act again (admins)."""
    return as_json(cal.reactivate_member(handle, acting=admin.handle).as_dict())


@router.post("/members/{handle}/verify", response_model=MemberOut)
def verify_member(handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Mark a member verified so they may book (admins; idempotent)."""
    return as_json(cal.verify_member(handle, acting=admin.handle).as_dict())


__all__ = ["router"]
