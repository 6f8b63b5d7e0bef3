"""``/me`` e-mail address: ``POST /me/email`` asks for a confirmation link to a new address.

The section is ``templates/_me_email.html`` (included by me.html). Success is a
303 back to ``/me``; an error is the page again with the message by the field.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.errors import RentcalError
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages.me import me_page
from rentcal.web.pages.render import posted, see_other

router = APIRouter()


@router.post("/me/email", include_in_schema=False)
async def change_email(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Mail a confirmation link to the address typed."""
    data, problem = await posted(request)
    if problem is None:
        try:
            await run_in_threadpool(
                cal.change_email,
                member.handle,
                data.get("email", "").strip(),
                acting=member.handle,
            )
        except RentcalError as err:
            errors = {"email": {"email": err.message}}
            status = classify(err).status
            return await run_in_threadpool(
                me_page, request, cal, member, errors=errors, status=status
            )
        return see_other(request, "/me", done="email-sent")
    errors = {"email": {"email": problem}}
    return await run_in_threadpool(me_page, request, cal, member, errors=errors, status=400)


__all__ = ["router"]
