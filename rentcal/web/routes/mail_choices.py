"""``/api/me/notifications``: which notifications the caller also gets by e-mail.

``GET`` lists every kind with the caller's choice; ``PUT`` changes the kinds
it names (the others keep theirs) and answers like ``GET`` -- the
``rentcal member notifications --json`` shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field
from starlette.responses import Response

from rentcal.core.mail_choices import NOTIFICATION_KINDS, MailChoice
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.request_bodies import Body
from rentcal.web.response_shapes import Shape
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["account"], responses=COMMON)


class MailChoicesRequest(Body):
    """``PUT /api/me/notifications``: ``{"choices": {"approved": "in-app"}}``."""

    choices: Annotated[
        dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=20)]],
        Field(
            max_length=len(NOTIFICATION_KINDS),
            description="kind -> email, in-app (or digest: new requests, admins)",
        ),
    ]


class MailChoiceOut(Shape):
    """One kind of notification and how the member gets it."""

    kind: str
    label: str
    choice: str


class MailChoicesOut(Shape):
    """Every kind with the member's choice (``rentcal member notifications --json``)."""

    member: str
    choices: list[MailChoiceOut]


def _answer(handle: str, found: list[MailChoice]) -> Response:
    return as_json({"member": handle, "choices": [c.as_dict() for c in found]})


@router.get("/me/notifications", response_model=MailChoicesOut)
def mail_choices(member: CurrentMember, cal: Cal) -> Response:
    """Every kind of notification and whether you also get it by e-mail."""
    return _answer(member.handle, cal.mail_choices(member.handle, acting=member.handle))


@router.put("/me/notifications", response_model=MailChoicesOut)
def set_mail_choices(body: MailChoicesRequest, member: CurrentMember, cal: Cal) -> Response:
    """Choose, kind by kind, e-mail or in-app only (the kinds not named keep theirs)."""
    found = cal.set_mail_choices(member.handle, body.choices, acting=member.handle)
    return _answer(member.handle, found)


__all__ = ["router"]
