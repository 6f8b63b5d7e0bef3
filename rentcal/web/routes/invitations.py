"""Invitations (issue #20): the admins' JSON API and the invitee's ``/invite/{secret}`` page.

``POST /api/members/invite`` invites (admins), ``GET /api/invitations`` lists
the open invitations, ``POST /api/invitations/{handle}/resend`` mails a new
link (the old one stops working) and ``DELETE /api/invitations/{handle}``
revokes it. ``GET /invite/{secret}`` is the form where the invitee chooses a
password; ``POST`` sets it, opens a session (the cookie) and goes home. Like
``/reset/{secret}``: the request log shows the route template, never the
secret; the pages send no Referer; the Argon2 hash runs behind the login gate.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field
from starlette.responses import RedirectResponse, Response

from rentcal.errors import InvalidRequest
from rentcal.web.auth import AdminMember, Cal, Config
from rentcal.web.error_responses import classify
from rentcal.web.hashing import login_gate
from rentcal.web.request_bodies import Body, Handle, Text
from rentcal.web.response_shapes import Shape
from rentcal.web.routes.common import COMMON, errors
from rentcal.web.routes.password_reset import link_page, log_in, read_form
from rentcal.web.views import as_json

router = APIRouter(tags=["invitations"])


class InviteRequest(Body):
    """``POST /api/members/invite`` (admins): whom to invite, where to send the link."""

    handle: Handle
    email: Annotated[str, Field(max_length=320)]
    name: Text | None = None
    verified: bool = False


class InvitationOut(Shape):
    """An open invitation (``rentcal member invitations --json`` item)."""

    handle: str
    name: str
    email: str
    verified: bool
    invited_by: str | None
    created_at: str
    expires_at: str
    expired: bool


@router.post(
    "/api/members/invite",
    response_model=InvitationOut,
    status_code=201,
    responses={**COMMON, **errors(400)},
)
def invite(body: InviteRequest, admin: AdminMember, cal: Cal) -> Response:
    """Invite a member by e-mail (admins): the member is added without a password and
    mailed a one-time link (7 days) to choose one."""
    sent = cal.invite_member(
        body.handle, body.email, name=body.name, verified=body.verified, acting=admin.handle
    )
    return as_json(sent.as_dict(), status=201)


@router.get("/api/invitations", response_model=list[InvitationOut], responses=COMMON)
def invitations(admin: AdminMember, cal: Cal) -> Response:
    """Invitations neither accepted nor revoked, oldest first (admins)."""
    return as_json([i.as_dict() for i in cal.invitations(acting=admin.handle)])


@router.post(
    "/api/invitations/{handle}/resend",
    response_model=InvitationOut,
    responses={**COMMON, **errors(400)},
)
def resend(handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Mail a new link (admins); the old one stops working."""
    return as_json(cal.resend_invitation(handle, acting=admin.handle).as_dict())


@router.delete("/api/invitations/{handle}", status_code=204, responses={**COMMON, **errors(400)})
def revoke(handle: str, admin: AdminMember, cal: Cal) -> Response:
    """Revoke the member's invitation link (admins); the member stays, without a password."""
    cal.revoke_invitation(handle, acting=admin.handle)
    return Response(status_code=204)


@router.get("/invite/{secret}", include_in_schema=False)
def invite_page(request: Request, secret: str) -> Response:
    """The choose-a-password form (the link is checked when it is used)."""
    return link_page(request, "invite.html", action=request.url.path)


@router.post("/invite/{secret}", include_in_schema=False)
async def accept(request: Request, secret: str, cal: Cal, settings: Config) -> Response:
    """Set the first password, log in, go home; or the form again with the reason."""
    fields = await read_form(request)
    password, again = fields.get("password", ""), fields.get("password2", "")
    action = request.url.path
    if password != again:
        return link_page(request, "invite.html", 400, action=action, error="the passwords differ")
    try:
        _session, session_secret = await login_gate(request).run(
            cal.accept_invitation, secret, password
        )
    except InvalidRequest as err:
        status = classify(err).status
        return link_page(request, "invite.html", status, action=action, error=err.message)
    response = RedirectResponse(f"{request.scope.get('root_path', '')}/", status_code=303)
    log_in(request, response, session_secret, settings)
    return response


__all__ = ["InvitationOut", "InviteRequest", "router"]
