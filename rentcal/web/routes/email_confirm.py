"""Confirming a new e-mail address (issue #20): ``/confirm-email/{secret}`` and
``POST /api/me/email``.

``GET /confirm-email/{secret}`` shows a button; ``POST`` uses the link (a GET
never does: mail scanners open links). ``POST /api/me/email`` (JSON
``{"email": ...}``) asks for a link for the logged-in member, as the form on
``/me`` does. The request log shows the route template, never the secret; the
page sends no Referer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field
from starlette.responses import Response

from rentcal.errors import InvalidRequest
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.request_bodies import Body
from rentcal.web.response_shapes import Shape
from rentcal.web.routes.common import COMMON, errors
from rentcal.web.routes.password_reset import link_page
from rentcal.web.views import as_json

router = APIRouter(tags=["account"])


class EmailRequest(Body):
    """``POST /api/me/email``: the new address to confirm."""

    email: Annotated[str, Field(max_length=320)]


class PendingEmailOut(Shape):
    """The address waiting for its link to be used."""

    pending_email: str
    expires_at: str


@router.post(
    "/api/me/email",
    response_model=PendingEmailOut,
    status_code=202,
    responses={**COMMON, **errors(400)},
)
def change_email(body: EmailRequest, member: CurrentMember, cal: Cal) -> Response:
    """Mail a confirmation link to a new address; it is used once the link is."""
    pending = cal.change_email(member.handle, body.email, acting=member.handle)
    return as_json(pending.as_dict(), status=202)


@router.get("/confirm-email/{secret}", include_in_schema=False)
def confirm_page(request: Request, secret: str) -> Response:
    """The page with the button that confirms."""
    return link_page(request, "confirm_email.html", action=request.url.path, done=None)


@router.post("/confirm-email/{secret}", include_in_schema=False)
def confirm(request: Request, secret: str, cal: Cal) -> Response:
    """Use the link; the page says which address is now the member's, or why not."""
    action = request.url.path
    try:
        member = cal.confirm_email(secret)
    except InvalidRequest as err:
        status = classify(err).status
        return link_page(
            request, "confirm_email.html", status, action=action, done=None, error=err.message
        )
    return link_page(request, "confirm_email.html", action=action, done=member.email)


__all__ = ["EmailRequest", "PendingEmailOut", "router"]
